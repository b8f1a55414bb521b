"""How expert sessions read on the customer's timeline (agents see them beside the conversation):
booked, moved, cancelled (with the points given back), attended or missed. Registers on import (the
composition root imports it with the other registering modules). Times are shown in UTC: the payload
carries no zone, and the booking's own page shows local times."""

from __future__ import annotations

from datetime import datetime

from loyaldesk.bookings.events import BookingCancelled, BookingConfirmed, BookingRescheduled, SessionAttended
from loyaldesk.customers import TimelineEntry, timeline_entry
from loyaldesk.kernel.events import StoredEvent


def _when(event: StoredEvent) -> str:
    try:
        return datetime.fromisoformat(str(event.payload.get("starts_at"))).strftime("%d %b %Y %H:%M UTC")
    except ValueError:
        return "a session"


def _points(value: object, words: str) -> str:
    points = int(value) if isinstance(value, int) else 0
    return f", {points} points {words}" if points else ""


@timeline_entry(BookingConfirmed.event_type)
def _booked(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(
        title="Booked an expert session",
        detail=f"{_when(event)}{_points(event.payload.get('points_paid'), 'paid')}",
    )


@timeline_entry(BookingRescheduled.event_type)
def _moved(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title="Moved an expert session", detail=f"Now {_when(event)}")


@timeline_entry(BookingCancelled.event_type)
def _cancelled(event: StoredEvent) -> TimelineEntry:
    by = "by the store" if event.payload.get("by_staff") else "by the customer"
    refunded = _points(event.payload.get("points_refunded"), "refunded")
    return TimelineEntry(title="Cancelled an expert session", detail=f"{_when(event)}, {by}{refunded}")


@timeline_entry(SessionAttended.event_type)
def _attended(event: StoredEvent) -> TimelineEntry:
    if event.payload.get("attended"):
        return TimelineEntry(title="Attended an expert session", detail=_when(event))
    charged = _points(event.payload.get("points_charged"), "charged")
    return TimelineEntry(title="Missed an expert session", detail=f"{_when(event)}{charged}")
