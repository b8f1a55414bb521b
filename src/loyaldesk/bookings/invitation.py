"""The calendar file of a booking (RFC 5545, made with ``icalendar``): what the invitation email carries
and the member page offers to download.

Contract: one event per booking, ``UID`` stable for the booking's whole life (it follows the booking
across reschedules: it is derived from the seat that was first confirmed, ``pay_ledger_key``'s seat),
``SEQUENCE`` 0 when booked and one more for each move, so a calendar replaces the event rather than
adding one; ``METHOD:REQUEST`` while it stands and ``METHOD:CANCEL`` (``STATUS:CANCELLED``, the next
sequence) once cancelled. Times are UTC (``DTSTART``/``DTEND`` with ``Z``): every client shows them in
its own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//loyaldesk//expert sessions//EN"


@dataclass(frozen=True)
class CalendarFacts:
    """What the file says about one booking."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    location: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    stamp: datetime
    cancelled: bool = False


def booking_uid(origin_seat_id: int, store_slug: str) -> str:
    """The event's UID: the booking's first seat, the same across its reschedules."""
    return f"booking-{origin_seat_id}@{store_slug}.loyaldesk"


def calendar_file(facts: CalendarFacts) -> bytes:
    """The ``.ics`` bytes of ``facts``: a ``REQUEST`` (or ``CANCEL``) with one ``VEVENT``."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if facts.cancelled else "REQUEST")
    event = Event()
    event.add("uid", facts.uid)
    event.add("sequence", facts.sequence)
    event.add("dtstamp", facts.stamp)
    event.add("dtstart", facts.starts_at)
    event.add("dtend", facts.ends_at)
    event.add("summary", facts.summary)
    if facts.description:
        event.add("description", facts.description)
    if facts.location:
        event.add("location", facts.location)
    event.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    if facts.organizer_email:
        organizer = vCalAddress(f"mailto:{facts.organizer_email}")
        organizer.params["cn"] = vText(facts.organizer_name or facts.organizer_email)
        event.add("organizer", organizer)
    if facts.attendee_email:
        attendee = vCalAddress(f"mailto:{facts.attendee_email}")
        attendee.params["cn"] = vText(facts.attendee_name or facts.attendee_email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
