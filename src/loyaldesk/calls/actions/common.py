"""What the call actions share: the view of a row, the session row locked for a change, who the caller is
(the session's shopper, a staff member of the store) and the audit row.

Lock: on PostgreSQL the session row is locked (``FOR UPDATE``) and refreshed before any change, so two
answers or two ends racing are applied one after the other and the second sees the first's result; SQLite's
writers are one at a time already (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loyaldesk.calls.errors import NotTheAnsweringParty
from loyaldesk.calls.models import CallSession
from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import CallKind, CallParty, CallState
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound, PermissionDenied
from loyaldesk.stores import Permission, authorize, record_audit


def view_of(row: CallSession) -> CallSessionView:
    """The row as the view other packages see."""
    return CallSessionView(
        id=row.id,
        store_id=row.store_id,
        kind=CallKind(row.kind),
        state=CallState(row.state),
        conversation_id=row.conversation_id,
        booking_seat_id=row.booking_seat_id,
        contact_id=row.contact_id,
        customer_id=row.customer_id,
        agent_user_id=row.agent_user_id,
        requested_by=CallParty(row.requested_by),
        requested_at=row.requested_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        ended_by=CallParty(row.ended_by) if row.ended_by else None,
        duration_seconds=row.duration_seconds,
        control_allowed=bool(row.control_allowed),
        recording_allowed=bool(row.recording_allowed),
        audio_only=bool(row.audio_only),
    )


def event_fields(row: CallSession) -> dict[str, Any]:
    """What every calls event says of its session (the subject, its conversation, contact and kind)."""
    return {
        "store_id": row.store_id,
        "customer_id": row.customer_id,
        "session_id": row.id,
        "conversation_id": row.conversation_id,
        "contact_id": row.contact_id,
        "booking_seat_id": row.booking_seat_id,
        "kind": row.kind,
    }


def locked_session(uow: UnitOfWork, store_id: int, session_id: int) -> CallSession:
    """The session row, locked (PostgreSQL) and refreshed; ``NotFound`` when it is not the store's."""
    query = select(CallSession).where(CallSession.id == session_id, CallSession.store_id == store_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    row = uow.session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise NotFound("no such call")
    return row


def require_agent(actor: Actor | None, store_id: int) -> Actor:
    """``actor`` when it is a staff member of the store whose role answers conversations (the system
    acting for the store passes too); ``PermissionDenied`` otherwise (API keys and customers included)."""
    if actor is None:
        raise PermissionDenied("say which staff member acts")
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("only the store's staff take part in calls")
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    return actor


def is_session_shopper(row: CallSession, contact_id: int | None, customer_id: int | None) -> bool:
    """Whether the caller (a widget contact or a signed-in customer) is the session's shopper."""
    if contact_id is not None and row.contact_id is not None and contact_id == row.contact_id:
        return True
    return customer_id is not None and row.customer_id is not None and customer_id == row.customer_id


def require_party(
    row: CallSession,
    party: CallParty,
    *,
    actor: Actor | None,
    contact_id: int | None,
    customer_id: int | None,
) -> None:
    """Refuse (``NotTheAnsweringParty``) a caller who is not the session's own ``party``: a shopper not
    its contact or customer, staff of another store or without the right, an expert not the seat's."""
    if party == CallParty.SHOPPER:
        if not is_session_shopper(row, contact_id, customer_id):
            raise NotTheAnsweringParty("this call is not yours")
        return
    if party == CallParty.AGENT:
        try:
            agent = require_agent(actor, row.store_id)
        except PermissionDenied as error:
            raise NotTheAnsweringParty(error.message) from error
        is_other_expert = (
            row.booking_seat_id is not None
            and row.agent_user_id is not None
            and agent.kind == "staff"
            and agent.id != row.agent_user_id
        )
        if is_other_expert:
            raise NotTheAnsweringParty("this expert session is another expert's")
        return
    if actor is not None and actor.kind != "system":
        raise NotTheAnsweringParty("only loyaldesk itself acts as the system")


def audit(
    uow: UnitOfWork, actor: Actor | None, action: str, row: CallSession, details: dict[str, Any]
) -> None:
    """The audit row of a staff member's act on a session (nothing for the system or a shopper)."""
    if actor is None or not actor.is_person:
        return
    record_audit(
        uow,
        actor,
        action,
        store_id=row.store_id,
        target_type="calls_session",
        target_id=row.id,
        details={"kind": row.kind, **details},
    )
