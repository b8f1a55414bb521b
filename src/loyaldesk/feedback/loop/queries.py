"""Reads of closing the loop, for the console and the API (read session; the caller checked
``VIEW_FEEDBACK`` or the ``feedback:read`` scope): the store's themes, past "we fixed it" broadcasts,
and one broadcast with its recipients and how each message fared in journeys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.feedback.models import LoopClosure, LoopClosureRecipient, Theme
from loyaldesk.journeys import Channel, Send, SendStatus, feedback_allowed
from loyaldesk.kernel.errors import NotFound


def theme_of(session: Session, store_id: int, theme_id: int) -> Theme:
    """The store's theme; ``NotFound`` for another store's or none."""
    theme = session.get(Theme, theme_id)
    if theme is None or theme.store_id != store_id:
        raise NotFound("no such theme")
    return theme


@dataclass(frozen=True)
class ClosureRow:
    id: int
    theme_id: int | None
    theme_name: str | None
    note: str
    channel: str
    goodwill_points: int
    since: datetime | None
    recipient_count: int
    created_at: datetime


@dataclass(frozen=True)
class RecipientRow:
    customer_id: int
    name: str
    response_id: int
    send_id: int | None
    status: str  # the journeys send's status (queued, sent, suppressed...), "not queued" without one
    reason: str | None  # why journeys held it back (opted out...), when it did
    points_granted: int


def _theme_names(session: Session, store_id: int) -> dict[int, str]:
    rows = session.execute(select(Theme.id, Theme.name).where(Theme.store_id == store_id))
    return {int(theme_id): str(name) for theme_id, name in rows}


def _row(closure: LoopClosure, names: dict[int, str]) -> ClosureRow:
    return ClosureRow(
        id=closure.id,
        theme_id=closure.theme_id,
        theme_name=names.get(closure.theme_id) if closure.theme_id is not None else None,
        note=closure.note,
        channel=closure.channel,
        goodwill_points=closure.goodwill_points,
        since=closure.since,
        recipient_count=closure.recipient_count,
        created_at=closure.created_at,
    )


def closures(
    session: Session, store_id: int, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[ClosureRow], int | None]:
    """The store's broadcasts, newest first, and the id to continue before (None at the end)."""
    query = select(LoopClosure).where(LoopClosure.store_id == store_id)
    if before_id is not None:
        query = query.where(LoopClosure.id < before_id)
    rows = list(session.scalars(query.order_by(LoopClosure.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    names = _theme_names(session, store_id)
    return [_row(row, names) for row in rows], (rows[-1].id if more and rows else None)


def closure_detail(session: Session, store_id: int, closure_id: int) -> tuple[ClosureRow, list[RecipientRow]]:
    """One broadcast and its recipients with their message's status; ``NotFound`` for another store's."""
    closure = session.get(LoopClosure, closure_id)
    if closure is None or closure.store_id != store_id:
        raise NotFound("no such broadcast")
    names = _theme_names(session, store_id)
    recipients = list(
        session.scalars(
            select(LoopClosureRecipient)
            .where(LoopClosureRecipient.closure_id == closure.id)
            .order_by(LoopClosureRecipient.customer_id)
        )
    )
    customers = {
        row.id: row
        for row in session.scalars(
            select(Customer).where(Customer.id.in_([recipient.customer_id for recipient in recipients]))
        )
    }
    send_ids = [recipient.send_id for recipient in recipients if recipient.send_id is not None]
    sends = {send.id: send for send in session.scalars(select(Send).where(Send.id.in_(send_ids)))}
    rows = []
    for recipient in recipients:
        send = sends.get(recipient.send_id) if recipient.send_id is not None else None
        customer = customers.get(recipient.customer_id)
        reason = send.reason if send is not None and send.status != SendStatus.SENT else None
        if (
            send is not None
            and send.status in (SendStatus.QUEUED, SendStatus.DEFERRED)
            and customer is not None
            and not feedback_allowed(session, customer, Channel(send.channel))
        ):
            reason = "opted out: it will not be sent"  # what journeys' gate will say at delivery
        rows.append(
            RecipientRow(
                customer_id=recipient.customer_id,
                name=customer.display_name if customer is not None else "",
                response_id=recipient.response_id,
                send_id=recipient.send_id,
                status=send.status if send is not None else "not queued",
                reason=reason,
                points_granted=recipient.points_granted,
            )
        )
    return _row(closure, names), rows
