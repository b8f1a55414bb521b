"""What expert sessions send the customer, all through journeys (DESIGN convention 12): the invitation
with its calendar file, the reminders, the cancellation (with the calendar's CANCEL) and the waitlist's
offer of a freed slot. Each message has an owned template (created on first use, the store may edit it)
and one idempotency key per fact, so a replayed action queues nothing twice.

Keys: ``booking:{seat}:invitation``, ``booking:{seat}:reminder:{24h|1h}``, ``booking:{seat}:cancelled``,
``booking:waitlist:{entry}:offer:{occurrence}``. A reminder is queued with ``due_at`` = start - 24 hours
(and start - 1 hour), only when that moment is still ahead, and withdrawn when the booking is
cancelled or moved; it is transactional, so it goes at that moment (no quiet hours), once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exc

from loyaldesk.bookings.queries.seat_facts import SeatFacts, ics_of
from loyaldesk.journeys import (
    Channel,
    MessageCategory,
    ensure_owned_template,
    queue_message,
    template_of,
    withdraw_message,
)
from loyaldesk.kernel.db import UnitOfWork

INVITATION = "booking_invitation"
REMINDER = "booking_reminder"
CANCELLED = "booking_cancelled"
WAITLIST_OFFER = "booking_waitlist_offer"
REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))

TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    INVITATION: {
        "en": {
            "name": "Expert session: booked",
            "subject": "Your session is booked",
            "preheader": "Add it to your calendar",
            "body": (
                "Hi {{ first_name | there }},\n\n"
                "your session is booked: {{ session_details }}.\n\n"
                "The calendar invitation is attached. See or change your bookings: {{ member_url }}\n\n"
                "See you soon,\n{{ store_name }}"
            ),
        }
    },
    REMINDER: {
        "en": {
            "name": "Expert session: reminder",
            "subject": "Reminder: your session is coming up",
            "preheader": "Your session with our expert",
            "body": (
                "Hi {{ first_name | there }},\n\n"
                "a reminder of your session: {{ session_details }}.\n\n"
                "Your bookings: {{ member_url }}\n\n{{ store_name }}"
            ),
        }
    },
    CANCELLED: {
        "en": {
            "name": "Expert session: cancelled",
            "subject": "Your session is cancelled",
            "preheader": "Your booking was cancelled",
            "body": (
                "Hi {{ first_name | there }},\n\n"
                "this session is cancelled: {{ session_details }}.\n\n"
                "Book another one any time: {{ member_url }}\n\n{{ store_name }}"
            ),
        }
    },
    WAITLIST_OFFER: {
        "en": {
            "name": "Expert session: a slot freed up",
            "subject": "A slot you wanted is free",
            "preheader": "First come, first served",
            "body": (
                "Hi {{ first_name | there }},\n\n"
                "a slot on your waitlist freed up: {{ session_details }}.\n\n"
                "The first to accept it gets it: {{ member_url }}\n\n{{ store_name }}"
            ),
        }
    },
}


def _ensure(uow: UnitOfWork, store_id: int, key: str) -> None:
    """The owned template ``key``, created on first use. Two first bookings at once may both create
    it: the loser's insert is undone in its savepoint and the winner's template is used."""
    if template_of(uow.session, store_id, key) is not None:
        return
    savepoint = uow.session.begin_nested()
    try:
        ensure_owned_template(uow, store_id, key, TEMPLATES[key], owner="bookings")
    except exc.IntegrityError:
        savepoint.rollback()
    else:
        savepoint.commit()


def ensure_templates(uow: UnitOfWork, store_id: int) -> None:
    """Every message template of expert sessions (the configuration actions call it, so that bookings
    find them made)."""
    for key in TEMPLATES:
        _ensure(uow, store_id, key)


def _calendar(facts: SeatFacts, now: datetime, *, cancelled: bool) -> dict[str, str]:
    method = "CANCEL" if cancelled else "REQUEST"
    return {
        "filename": "cancel.ics" if cancelled else "invite.ics",
        "content_type": f"text/calendar; method={method}",
        "content": ics_of(facts, now, cancelled=cancelled).decode(),
    }


def _context(facts: SeatFacts) -> dict[str, object]:
    return {"event": {"session_details": facts.details(), "seat_id": facts.seat_id}}


def queue_invitation(uow: UnitOfWork, store_id: int, facts: SeatFacts) -> None:
    """The invitation email with the booking's calendar file, and its reminders."""
    now = uow.now()
    _ensure(uow, store_id, INVITATION)
    queue_message(
        uow,
        store_id=store_id,
        customer_id=facts.customer_id,
        channel=Channel.EMAIL,
        template_key=INVITATION,
        category=MessageCategory.TRANSACTIONAL,
        key=f"booking:{facts.seat_id}:invitation",
        context=_context(facts),
        attachments=[_calendar(facts, now, cancelled=False)],
        expires_at=facts.starts_at,
    )
    _ensure(uow, store_id, REMINDER)
    for name, ahead in REMINDERS:
        due_at = facts.starts_at - ahead
        if due_at <= now:
            continue
        queue_message(
            uow,
            store_id=store_id,
            customer_id=facts.customer_id,
            channel=Channel.EMAIL,
            template_key=REMINDER,
            category=MessageCategory.TRANSACTIONAL,
            key=f"booking:{facts.seat_id}:reminder:{name}",
            context=_context(facts),
            due_at=due_at,
            expires_at=facts.starts_at,
        )


def withdraw_reminders(uow: UnitOfWork, store_id: int, seat_id: int) -> None:
    """The reminders of a booking that was cancelled or moved, taken back if not yet sent."""
    for name, _ahead in REMINDERS:
        withdraw_message(uow, store_id=store_id, key=f"booking:{seat_id}:reminder:{name}")


def queue_cancellation(uow: UnitOfWork, store_id: int, facts: SeatFacts) -> None:
    """The cancellation email with the calendar's CANCEL (the same UID, the next sequence)."""
    _ensure(uow, store_id, CANCELLED)
    queue_message(
        uow,
        store_id=store_id,
        customer_id=facts.customer_id,
        channel=Channel.EMAIL,
        template_key=CANCELLED,
        category=MessageCategory.TRANSACTIONAL,
        key=f"booking:{facts.seat_id}:cancelled",
        context=_context(facts),
        attachments=[_calendar(facts, uow.now(), cancelled=True)],
    )


def queue_waitlist_offer(
    uow: UnitOfWork,
    store_id: int,
    *,
    customer_id: int,
    entry_id: int,
    occurrence_id: int,
    details: str,
    expires_at: datetime,
) -> None:
    """Tell a waitlisted customer a slot freed up (first to accept wins)."""
    _ensure(uow, store_id, WAITLIST_OFFER)
    queue_message(
        uow,
        store_id=store_id,
        customer_id=customer_id,
        channel=Channel.EMAIL,
        template_key=WAITLIST_OFFER,
        category=MessageCategory.TRANSACTIONAL,
        key=f"booking:waitlist:{entry_id}:offer:{occurrence_id}",
        context={"event": {"session_details": details, "waitlist_entry_id": entry_id}},
        expires_at=expires_at,
    )
