"""Events of expert sessions (ids and facts only). Analytics and journeys may react to them; bookings'
own handler asks the CSAT survey after a session the customer attended."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.kernel.events import DomainEvent


class _SeatEvent(DomainEvent):
    subject_type = "bookings_seat"
    seat_id: int
    session_type_id: int
    starts_at: datetime

    def subject_id(self) -> int | None:
        return self.seat_id


class BookingConfirmed(_SeatEvent):
    """A customer booked a session (``points_paid`` taken from their balance)."""

    event_type = "bookings.booking_confirmed"
    points_paid: int = 0


class BookingCancelled(_SeatEvent):
    """A confirmed booking was cancelled (``by_staff`` or by the customer), ``points_refunded`` given back."""

    event_type = "bookings.booking_cancelled"
    by_staff: bool = False
    points_refunded: int = 0


class BookingRescheduled(_SeatEvent):
    """A booking moved to ``seat_id`` (from ``previous_seat_id``), its payment carried over."""

    event_type = "bookings.booking_rescheduled"
    previous_seat_id: int


class SessionAttended(_SeatEvent):
    """Staff recorded that the customer came (``attended``) or did not (a no-show, ``points_charged``)."""

    event_type = "bookings.session_attended"
    attended: bool
    points_charged: int = 0
