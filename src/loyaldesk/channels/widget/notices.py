"""A widget contact's notices: the pending ones (read), and dismissing one (a write that tells journeys
the message was opened, and clicked when the shopper followed its link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.channels.widget.models import WidgetNotice
from loyaldesk.journeys import record_click, record_open
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound

# The widget shows at most this many at once (the newest).
MAX_PENDING = 3


def pending_notices(session: Session, store_id: int, contact_id: int, now: datetime) -> list[dict[str, Any]]:
    """The contact's notices not dismissed nor expired, oldest first, as the widget shows them."""
    rows = session.scalars(
        select(WidgetNotice)
        .where(
            WidgetNotice.store_id == store_id,
            WidgetNotice.contact_id == contact_id,
            WidgetNotice.dismissed_at.is_(None),
            WidgetNotice.expires_at > now,
        )
        .order_by(WidgetNotice.id.desc())
        .limit(MAX_PENDING)
    ).all()
    return [
        {
            "id": row.id,
            "title": row.title,
            "text": row.text,
            "url": row.url,
            "created_at": row.created_at.isoformat(),
        }
        for row in reversed(rows)
    ]


def dismiss_notice(uow: UnitOfWork, store_id: int, contact_id: int, notice_id: int, *, clicked: bool) -> None:
    """The shopper closed the banner (an open) or followed its link (a click). Another contact's notice
    is not found. Again: nothing more happens."""
    notice = uow.session.get(WidgetNotice, notice_id)
    if notice is None or notice.store_id != store_id or notice.contact_id != contact_id:
        raise NotFound("no such notice")
    now = uow.now()
    notice.shown_at = notice.shown_at or now
    notice.dismissed_at = notice.dismissed_at or now
    if notice.send_id is not None:
        record_open(uow, store_id, notice.send_id)
        if clicked:
            record_click(uow, store_id, notice.send_id)


def erase_notices(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """The customer record's erasure step: notices addressed to them (their text may name them) go."""
    for row in uow.session.scalars(
        select(WidgetNotice).where(WidgetNotice.store_id == store_id, WidgetNotice.customer_id == customer_id)
    ):
        uow.session.delete(row)
