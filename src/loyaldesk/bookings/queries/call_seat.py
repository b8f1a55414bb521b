"""What a call needs to know of a booked seat (the calls domain opens the video call of expert sessions)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.bookings.models import Occurrence, Schedule, Seat, SessionType
from loyaldesk.bookings.vocab import BookingStatus, SessionMode


@dataclass(frozen=True)
class SeatCallFacts:
    """A seat's customer, its expert's staff account, the session's mode and the seat's status."""

    seat_id: int
    customer_id: int
    expert_user_id: int
    mode: SessionMode
    status: BookingStatus


def seat_call_facts(session: Session, store_id: int, seat_id: int) -> SeatCallFacts | None:
    """The facts of seat ``seat_id`` of the store, ``None`` when there is no such seat."""
    row = session.execute(
        select(Seat.id, Seat.customer_id, Schedule.user_id, SessionType.mode, Seat.status)
        .join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .join(SessionType, SessionType.id == Occurrence.session_type_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .where(Seat.id == seat_id, Seat.store_id == store_id)
    ).one_or_none()
    if row is None:
        return None
    return SeatCallFacts(row[0], row[1], row[2], SessionMode(row[3]), BookingStatus(row[4]))
