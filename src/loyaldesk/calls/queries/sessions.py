"""Reading call sessions: one, a conversation's, a contact's open ones, a seat's open one, a recording."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.calls.actions.common import view_of
from loyaldesk.calls.models import CallSession, RecordingChunk
from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import OPEN_CALL_STATES
from loyaldesk.kernel.errors import NotFound

_OPEN = [state.value for state in OPEN_CALL_STATES]


def session_view(session: Session, store_id: int, session_id: int) -> CallSessionView:
    """The session ``session_id`` of store ``store_id``; ``NotFound`` when there is none (or another
    store's)."""
    row = session.scalar(
        select(CallSession).where(CallSession.id == session_id, CallSession.store_id == store_id)
    )
    if row is None:
        raise NotFound("no such call")
    return view_of(row)


def sessions_of_conversation(session: Session, store_id: int, conversation_id: int) -> list[CallSessionView]:
    """Every session of a conversation of the store, oldest first (empty for another store's)."""
    rows = session.scalars(
        select(CallSession)
        .where(CallSession.store_id == store_id, CallSession.conversation_id == conversation_id)
        .order_by(CallSession.id)
    )
    return [view_of(row) for row in rows]


def open_sessions_for_contact(session: Session, store_id: int, contact_id: int) -> list[CallSessionView]:
    """The open (requested or active) sessions of a widget contact, oldest first: what the widget shows when
    it connects (a pending request to answer, a call to rejoin)."""
    rows = session.scalars(
        select(CallSession)
        .where(
            CallSession.store_id == store_id,
            CallSession.contact_id == contact_id,
            CallSession.state.in_(_OPEN),
        )
        .order_by(CallSession.id)
    )
    return [view_of(row) for row in rows]


def open_session_for_seat(session: Session, store_id: int, seat_id: int) -> CallSessionView | None:
    """The open session of a booked seat, if any."""
    row = session.scalar(
        select(CallSession).where(
            CallSession.store_id == store_id,
            CallSession.booking_seat_id == seat_id,
            CallSession.state.in_(_OPEN),
        )
    )
    return view_of(row) if row is not None else None


def recording_chunks(session: Session, store_id: int, session_id: int) -> list[str]:
    """The kept recording of a session: its chunks' JSON arrays of rrweb events, in order (empty when none
    was kept or it was erased); ``NotFound`` when there is no such session in the store."""
    found = session.scalar(
        select(CallSession.id).where(CallSession.id == session_id, CallSession.store_id == store_id)
    )
    if found is None:
        raise NotFound("no such call")
    return list(
        session.scalars(
            select(RecordingChunk.events_json)
            .where(RecordingChunk.session_id == session_id)
            .order_by(RecordingChunk.sequence)
        )
    )
