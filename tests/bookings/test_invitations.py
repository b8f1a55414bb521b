"""Invitations and reminders through journeys: the calendar file (a REQUEST with a UID stable across a
reschedule and a rising SEQUENCE, a CANCEL once cancelled) read back by ``icalendar``; the reminder sent
once, 24 hours before the session, by journeys' deliver job on the fake clock, and withdrawn when the
booking moves; the invitation email as a real SMTP peer receives it, with its text/calendar part."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from loyaldesk import bookings
from loyaldesk.channels.email.journey_mail import JourneyEmailAdapter
from loyaldesk.journeys import DeliveryResult, DeliveryStatus, OutgoingMessage, Send, register_adapter
from loyaldesk.journeys.actions.deliver import DeliveryConfig, deliver_due
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.kernel.mail_transport import SmtpTransport
from loyaldesk.settings import Settings
from tests.bookings.desk import TUESDAY_10, Desk
from tests.servers import free_port

CONFIG = DeliveryConfig(base_url="https://desk.example.com", secret_source=lambda: "test-secret")


def event_of(ics: bytes) -> Any:
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_calendar_file_round_trips_and_follows_the_booking(desk: Desk) -> None:
    shopper = desk.customers[0]
    booked = desk.book(shopper, TUESDAY_10)
    calendar, event = event_of(desk.read(bookings.booking_ics, seat_id=booked, customer_id=shopper))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == TUESDAY_10
    assert event.decoded("DTEND") == TUESDAY_10 + timedelta(hours=1)
    assert event.to_ical().decode().count("DTSTART:20260602T080000Z") == 1  # UTC, with its Z
    assert int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == "mailto:expert1@acme.example.com"
    assert str(event["ATTENDEE"]) == "mailto:shopper0@example.com"
    uid = str(event["UID"])

    moved = desk.write(
        bookings.reschedule_booking,
        seat_id=booked,
        customer_id=shopper,
        new_starts_at=TUESDAY_10 + timedelta(hours=2),
    )
    _calendar, event = event_of(desk.read(bookings.booking_ics, seat_id=moved, customer_id=shopper))
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
    assert event.decoded("DTSTART") == TUESDAY_10 + timedelta(hours=2)

    desk.write(bookings.cancel_booking, seat_id=moved, customer_id=shopper)
    calendar, event = event_of(desk.read(bookings.booking_ics, seat_id=moved, customer_id=shopper))
    assert (str(calendar["METHOD"]), str(event["STATUS"]), str(event["UID"]), int(event["SEQUENCE"])) == (
        "CANCEL",
        "CANCELLED",
        uid,
        2,
    )
    from loyaldesk.kernel.errors import NotFound

    with pytest.raises(NotFound):
        desk.read(bookings.booking_ics, seat_id=moved, customer_id=desk.customers[1])


class Recording:
    channel = "email"

    def __init__(self) -> None:
        self.delivered: list[OutgoingMessage] = []

    def address_of(self, session: Any, store_id: int, customer_id: int, /) -> str | None:
        return "someone@example.com"

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        self.delivered.append(message)
        return DeliveryResult(DeliveryStatus.SENT, provider_id=f"p-{message.send_id}")


@pytest.fixture
def recording() -> Iterator[Recording]:
    saved = ADAPTERS.get("email")
    channel = Recording()
    register_adapter(channel)  # type: ignore[arg-type]
    yield channel
    if saved is not None:
        register_adapter(saved)


def test_the_reminder_goes_once_24_hours_before_and_a_moved_booking_withdraws_it(
    desk: Desk, recording: Recording
) -> None:
    desk.book(desk.customers[0], TUESDAY_10 + timedelta(days=2))  # Thursday 10:00 Berlin
    moved = desk.book(desk.customers[1], TUESDAY_10 + timedelta(days=2))
    desk.write(
        bookings.reschedule_booking,
        seat_id=moved,
        customer_id=desk.customers[1],
        new_starts_at=TUESDAY_10 + timedelta(days=3),
    )

    def subjects() -> list[str]:
        return [message.subject for message in recording.delivered]

    deliver_due(desk.db, CONFIG)
    assert sorted(subjects()) == ["Your session is booked"] * 3  # two bookings, the move's new invitation
    invitation = recording.delivered[0]
    [attachment] = invitation.attachments
    assert attachment["content_type"] == "text/calendar; method=REQUEST"
    assert "Styling with Maya, Thu 04 Jun 2026 10:00-11:00 (Europe/Berlin)" in invitation.text
    recording.delivered.clear()

    desk.clock.set(TUESDAY_10 + timedelta(days=1) - timedelta(minutes=1))  # Wednesday 09:59
    deliver_due(desk.db, CONFIG)
    assert subjects() == []
    desk.clock.advance(timedelta(minutes=1))  # Wednesday 10:00 in Berlin: 24 hours before Thursday's
    deliver_due(desk.db, CONFIG)
    deliver_due(desk.db, CONFIG)  # a rerun of the job sends nothing twice
    assert subjects() == ["Reminder: your session is coming up"]
    assert recording.delivered[0].recipient.customer_id == desk.customers[0]
    with desk.db.read() as session:
        withdrawn = session.scalars(
            select(Send.status).where(Send.idempotency_key == f"booking:{moved}:reminder:24h")
        ).all()
        assert withdrawn == ["suppressed"]
    desk.clock.set(TUESDAY_10 + timedelta(days=2) - timedelta(hours=1))
    deliver_due(desk.db, CONFIG)
    assert subjects()[-1] == "Reminder: your session is coming up" and len(subjects()) == 2  # the 1-hour one


class Peer:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(email.message_from_bytes(envelope.original_content, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_email(tmp_path: Path) -> Iterator[Peer]:
    peer = Peer()
    controller = Controller(peer, hostname="127.0.0.1", port=peer.port)
    controller.start()
    saved = ADAPTERS.get("email")
    settings = Settings(
        data_dir=tmp_path, mail_domain="mail.loyaldesk.test", account_mail_from="hello@desk.test"
    )
    register_adapter(
        JourneyEmailAdapter(SmtpTransport("127.0.0.1", peer.port, starttls=False, timeout=5), settings)
    )
    try:
        yield peer
    finally:
        controller.stop()
        if saved is not None:
            register_adapter(saved)


def test_the_invitation_email_carries_the_calendar_file(desk: Desk, smtp_email: Peer) -> None:
    booked = desk.book(desk.customers[0], TUESDAY_10)
    deliver_due(desk.db, CONFIG)
    [message] = smtp_email.received
    assert message["To"] == "Shopper0 <shopper0@example.com>"
    assert message["Subject"] == "Your session is booked"
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "invite.ics"
    _calendar, event = event_of(part.get_content().encode())
    assert event.decoded("DTSTART") == TUESDAY_10
    assert str(event["UID"]) == f"booking-{booked}@acme.loyaldesk"
    assert "Styling with Maya" in message.get_body(("plain",)).get_content()

    desk.write(bookings.cancel_booking, seat_id=booked, customer_id=desk.customers[0])
    deliver_due(desk.db, CONFIG)
    cancelled = smtp_email.received[-1]
    [part] = [part for part in cancelled.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL"
    assert str(event_of(part.get_content().encode())[1]["UID"]) == f"booking-{booked}@acme.loyaldesk"
