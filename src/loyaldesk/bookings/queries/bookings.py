"""A shopper's bookings and waitlist places; an expert's day; the invitation file."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loyaldesk.bookings.schemas import BookingOut, DayOccurrenceOut, WaitlistOut


def customer_bookings(
    session: Session, *, store_id: int, customer_id: int, now: datetime
) -> list[BookingOut]:
    raise NotImplementedError


def customer_booking(
    session: Session, *, store_id: int, customer_id: int, seat_id: int, now: datetime
) -> BookingOut:
    raise NotImplementedError


def customer_waitlist(session: Session, *, store_id: int, customer_id: int) -> list[WaitlistOut]:
    raise NotImplementedError


def day_bookings(
    session: Session, *, store_id: int, day: date, time_zone: str, user_id: int | None = None
) -> list[DayOccurrenceOut]:
    raise NotImplementedError


def booking_ics(session: Session, *, store_id: int, seat_id: int, customer_id: int | None) -> bytes:
    raise NotImplementedError
