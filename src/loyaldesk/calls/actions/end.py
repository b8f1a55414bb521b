"""Ending a session, and the conversation's history line it leaves ("Video call, 4 min 12 s")."""

from __future__ import annotations

from loyaldesk.calls.actions.common import audit, event_fields, locked_session, require_party, view_of
from loyaldesk.calls.events import SessionEnded
from loyaldesk.calls.models import CallSession
from loyaldesk.calls.ports import CallSessionView, RelayUsage
from loyaldesk.calls.rules.history import history_line
from loyaldesk.calls.vocab import OPEN_CALL_STATES, CallKind, CallParty, CallState
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Conversation, post_system_note


def finish(uow: UnitOfWork, row: CallSession, state: CallState, by: CallParty) -> None:
    """Close the open ``row`` as ``state`` now (no permission check: for the actions that checked): its
    duration (from ``started_at``; 0 when it never became active), the conversation's system note and
    ``SessionEnded``."""
    now = uow.now()
    duration = max(0, int((now - row.started_at).total_seconds())) if row.started_at is not None else 0
    row.state = state.value
    row.ended_at = now
    row.ended_by = by.value
    row.duration_seconds = duration
    row.control_allowed = False
    row.updated_at = now
    if row.conversation_id is not None:
        conversation = uow.session.get(Conversation, row.conversation_id)
        if conversation is not None:
            never_answered = row.started_at is None and state == CallState.ENDED
            line = history_line(CallKind(row.kind), state, None if never_answered else duration, by)
            row.history_message_id = post_system_note(uow, conversation, line).id
    uow.session.flush()
    uow.emit(
        SessionEnded(
            **event_fields(row),
            state=state.value,
            ended_by=by.value,
            duration_seconds=duration,
        )
    )


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
    one becomes ``ended`` (withdrawn by the asker, duration 0), ``declined`` (ended by the asked party) or,
    ended by SYSTEM, ``missed`` (duration 0). ``usage`` (the gateway's relay figures) is kept. The
    conversation gets a system note in its history (kind and duration); ``SessionEnded`` on commit; audit
    row ``calls.session_ended`` when staff ended it.

    Idempotent: ending an ended (declined, missed) session returns it unchanged. Two ends racing: the row
    is locked, so one ends it and the other sees it ended.

    Refusals: ``NotFound`` (no such session in the store), ``NotTheAnsweringParty`` (a shopper or agent
    not the session's own, another store's staff)."""
    row = locked_session(uow, store_id, session_id)
    require_party(row, party, actor=actor, contact_id=contact_id, customer_id=customer_id)
    if usage is not None:
        row.bytes_relayed = max(int(row.bytes_relayed or 0), int(usage.bytes_relayed))
        row.frames_relayed = max(int(row.frames_relayed or 0), int(usage.frames_relayed))
    state = CallState(row.state)
    if state not in OPEN_CALL_STATES:
        return view_of(row)
    if state == CallState.ACTIVE:
        outcome = CallState.ENDED
    elif party == CallParty.SYSTEM:
        outcome = CallState.MISSED
    elif party == CallParty(row.requested_by):
        outcome = CallState.ENDED  # the asker withdrew before an answer
    else:
        outcome = CallState.DECLINED
    finish(uow, row, outcome, party)
    audit(
        uow,
        actor if party == CallParty.AGENT else None,
        "calls.session_ended",
        row,
        {"state": outcome.value, "duration_seconds": row.duration_seconds},
    )
    return view_of(row)
