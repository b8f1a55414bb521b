"""Requests nobody answered: the gateway ends a ring after 60 s (``end_session`` by the SYSTEM); this is the
backstop for a request no gateway watched (the shopper's page was closed, the server restarted), so a
stale request never stands in for a new one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.calls.actions.common import locked_session
from loyaldesk.calls.actions.end import finish
from loyaldesk.calls.models import CallSession
from loyaldesk.calls.vocab import CallParty, CallState
from loyaldesk.kernel.db import UnitOfWork

# Longer than the gateway's ring (60 s), so the gateway's own end comes first when it watches.
UNANSWERED_AFTER = timedelta(minutes=2)


def is_unanswered_too_long(row: CallSession, uow: UnitOfWork) -> bool:
    """Whether ``row`` is a request older than ``UNANSWERED_AFTER``."""
    return row.state == CallState.REQUESTED and uow.now() - row.requested_at >= UNANSWERED_AFTER


def expire_unanswered(uow: UnitOfWork, limit: int = 200) -> int:
    """The job: mark up to ``limit`` requests unanswered for ``UNANSWERED_AFTER`` (any store) missed, each
    with its history line and ``SessionEnded``; how many. Running it again finds nothing more to do."""
    stale = uow.session.execute(
        select(CallSession.id, CallSession.store_id)
        .where(
            CallSession.state == CallState.REQUESTED.value,
            CallSession.requested_at <= uow.now() - UNANSWERED_AFTER,
        )
        .order_by(CallSession.requested_at, CallSession.id)
        .limit(limit)
    ).all()
    expired = 0
    for session_id, store_id in stale:
        row = locked_session(uow, store_id, session_id)
        if is_unanswered_too_long(row, uow):  # answered or ended meanwhile: left alone
            finish(uow, row, CallState.MISSED, CallParty.SYSTEM)
            expired += 1
    return expired
