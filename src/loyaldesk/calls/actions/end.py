"""Ending a session, and the conversation's history line it leaves ("Video call, 4 min 12 s")."""

from __future__ import annotations

from loyaldesk.calls.ports import CallSessionView, RelayUsage
from loyaldesk.calls.vocab import CallParty
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def end_session(
    uow: UnitOfWork,
    *,
    store_id: int,
    session_id: int,
    party: CallParty,
    actor: Actor | None = None,
    contact_id: int | None = None,
    customer_id: int | None = None,
    usage: RelayUsage | None = None,
) -> CallSessionView:
    """End a session, by either side or by the SYSTEM (the gateway, after both left or a ring unanswered):
    an ``active`` session becomes ``ended`` with ``duration_seconds`` from ``started_at``; a ``requested``
    one becomes ``ended`` (withdrawn by the asker, or refused by the other side: ``declined``) or, ended by
    SYSTEM, ``missed`` (duration 0). ``usage`` (the gateway's relay figures) is kept. The conversation gets
    a system note in its history (kind and duration); ``SessionEnded`` on commit; audit row
    ``calls.session_ended`` when staff ended it.

    Idempotent: ending an ended (declined, missed) session returns it unchanged. Two ends racing: the row
    is updated only while open, so one ends it and the other sees it ended.

    Refusals: ``NotFound`` (no such session in the store), ``NotTheAnsweringParty`` (a shopper or agent
    not the session's own, another store's staff)."""
    raise NotImplementedError
