"""Bookings: sessions with an expert: schedules, session types, slots, bookings and the waitlist.

Built so far: the slot rule (``rules``), the tables (``models``: the database refuses a double booking)
and the occupancy step the booking actions build on (``actions.occupy``)."""

from loyaldesk.bookings.actions.occupy import (
    AlreadySeated,
    ExpertBusy,
    SessionFull,
    TakenSeat,
    release_seat,
    take_seat,
)
from loyaldesk.bookings.vocab import BookingStatus, HostAssignment, SessionMode, WaitlistStatus

__all__ = [
    "AlreadySeated",
    "BookingStatus",
    "ExpertBusy",
    "HostAssignment",
    "SessionFull",
    "SessionMode",
    "TakenSeat",
    "WaitlistStatus",
    "release_seat",
    "take_seat",
]
