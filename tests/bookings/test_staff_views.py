"""What staff read: an expert's day (sessions by start with their seats and customers), and the session
types with hosts; only the store's own."""

from __future__ import annotations

from datetime import date, timedelta

from loyaldesk import bookings
from tests.bookings.desk import TUESDAY_10, Desk

TUESDAY = date(2026, 6, 2)


def test_the_day_lists_sessions_with_their_seats(desk: Desk) -> None:
    kept = desk.book(desk.customers[0], TUESDAY_10)
    workshop = desk.book(desk.customers[1], TUESDAY_10 + timedelta(hours=2), "workshop")
    gone = desk.book(desk.customers[2], TUESDAY_10 + timedelta(hours=4))
    desk.write(bookings.cancel_booking, seat_id=gone, actor_id=desk.manager)
    desk.hold(desk.customers[3], TUESDAY_10 + timedelta(hours=6))
    day = desk.read(bookings.day_bookings, day=TUESDAY, time_zone="Europe/Berlin")
    assert [
        (o.local_start[11:16], o.expert_name, [(s.customer_name, s.status) for s in o.seats]) for o in day
    ] == [
        ("10:00", "Maya", [("Shopper0", "confirmed")]),
        ("12:00", "Maya", [("Shopper1", "confirmed")]),
        ("14:00", "Maya", [("Shopper2", "cancelled")]),
        ("16:00", "Maya", [("Shopper3", "held")]),
    ]
    assert {seat.seat_id for o in day for seat in o.seats} >= {kept, workshop}
    noah = desk.read(bookings.day_bookings, day=TUESDAY, time_zone="Europe/Berlin", user_id=desk.experts[1])
    assert noah == []
    assert desk.read(bookings.day_bookings, day=TUESDAY + timedelta(days=1), time_zone="Europe/Berlin") == []
