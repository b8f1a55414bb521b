"""Reading call sessions: one, a conversation's, a contact's open ones, a seat's open one, a recording."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.calls.ports import CallSessionView


def session_view(session: Session, store_id: int, session_id: int) -> CallSessionView:
    """The session ``session_id`` of store ``store_id``; ``NotFound`` when there is none (or another
    store's)."""
    raise NotImplementedError


def sessions_of_conversation(session: Session, store_id: int, conversation_id: int) -> list[CallSessionView]:
    """Every session of a conversation of the store, oldest first (empty for another store's)."""
    raise NotImplementedError


def open_sessions_for_contact(session: Session, store_id: int, contact_id: int) -> list[CallSessionView]:
    """The open (requested or active) sessions of a widget contact, oldest first: what the widget shows when
    it connects (a pending request to answer, a call to rejoin)."""
    raise NotImplementedError


def open_session_for_seat(session: Session, store_id: int, seat_id: int) -> CallSessionView | None:
    """The open session of a booked seat, if any."""
    raise NotImplementedError


def recording_chunks(session: Session, store_id: int, session_id: int) -> list[str]:
    """The kept recording of a session: its chunks' JSON arrays of rrweb events, in order (empty when none
    was kept or it was erased); ``NotFound`` when there is no such session in the store."""
    raise NotImplementedError
