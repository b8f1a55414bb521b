"""Offering a freed seat to the waitlist: whenever a seat is given back (a cancellation, a lapsed hold), the
customers waiting for that session type at that time are told, first come first served.

Contract: the next ``OFFER_FANOUT`` waiting entries per free seat (oldest first) whose wanted window holds
the session's start become ``offered`` (``offered_at``, ``offered_occurrence_id``) and get the offer
through journeys (key ``booking:waitlist:{entry}:offer:{occurrence}``: a replay tells nobody twice). An
offer lasts ``OFFER_HOURS`` (never past the start); lapsed offers go back to waiting and windows that
passed are withdrawn, each time this runs for the session type. Accepting is ``accept_waitlist_offer``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from loyaldesk.bookings.messages import queue_waitlist_offer
from loyaldesk.bookings.models import Occurrence, Schedule, Seat, SessionType, WaitlistEntry
from loyaldesk.bookings.rules.local_time import time_zone
from loyaldesk.bookings.vocab import LIVE_SEAT_STATUSES, WaitlistStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import StaffAccount

OFFER_HOURS = 12
OFFER_FANOUT = 3


def offer_expires_at(offered_at: datetime, starts_at: datetime) -> datetime:
    return min(offered_at + timedelta(hours=OFFER_HOURS), starts_at)


def tidy_waitlist(uow: UnitOfWork, session_type_id: int) -> None:
    """Windows that passed are withdrawn; offers that lapsed wait again."""
    now = uow.now()
    uow.session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.session_type_id == session_type_id,
            WaitlistEntry.status.in_([WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]),
            WaitlistEntry.wanted_until <= now,
        )
        .values(status=WaitlistStatus.WITHDRAWN.value, updated_at=now)
    )
    uow.session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.session_type_id == session_type_id,
            WaitlistEntry.status == WaitlistStatus.OFFERED.value,
            WaitlistEntry.offered_at <= now - timedelta(hours=OFFER_HOURS),
        )
        .values(
            status=WaitlistStatus.WAITING.value, offered_at=None, offered_occurrence_id=None, updated_at=now
        )
    )


def offer_freed_seat(uow: UnitOfWork, store_id: int, occurrence_id: int) -> int:
    """Offer the seat just freed in ``occurrence_id`` (module docstring); how many were told."""
    now = uow.now()
    row = uow.session.execute(
        select(Occurrence, SessionType.name, StaffAccount.name, Schedule.time_zone)
        .join(SessionType, SessionType.id == Occurrence.session_type_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .where(Occurrence.id == occurrence_id, Occurrence.store_id == store_id)
    ).one_or_none()
    if row is None or row[0].starts_at <= now:
        return 0
    occurrence, type_name, expert_name, zone_name = row
    tidy_waitlist(uow, occurrence.session_type_id)
    free = occurrence.capacity - occurrence.seats_taken if occurrence.active else occurrence.capacity
    if free <= 0:
        return 0
    seated = select(Seat.customer_id).where(
        Seat.occurrence_id == occurrence.id, Seat.status.in_([status.value for status in LIVE_SEAT_STATUSES])
    )
    entries = uow.session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.store_id == store_id,
            WaitlistEntry.session_type_id == occurrence.session_type_id,
            WaitlistEntry.status == WaitlistStatus.WAITING.value,
            WaitlistEntry.wanted_from <= occurrence.starts_at,
            WaitlistEntry.wanted_until > occurrence.starts_at,
            WaitlistEntry.customer_id.not_in(seated),
        )
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(free * OFFER_FANOUT)
    ).all()
    zone = time_zone(zone_name)
    start, end = occurrence.starts_at.astimezone(zone), occurrence.ends_at.astimezone(zone)
    details = f"{type_name} with {expert_name}, {start:%a %d %b %Y %H:%M}-{end:%H:%M} ({zone_name})"
    for entry in entries:
        entry.status = WaitlistStatus.OFFERED.value
        entry.offered_at = now
        entry.offered_occurrence_id = occurrence.id
        entry.updated_at = now
        queue_waitlist_offer(
            uow,
            store_id,
            customer_id=entry.customer_id,
            entry_id=entry.id,
            occurrence_id=occurrence.id,
            details=details,
            expires_at=offer_expires_at(now, occurrence.starts_at),
        )
    uow.session.flush()
    return len(entries)
