"""The waitlist: a shopper joins it for a session type and a window of time, leaves it, and accepts a
freed slot offered to them (``offer_waitlist``). First to accept wins: accepting books the slot at once
(hold and confirm, paying its points) in one transaction, and the database's seat counter and overlap
refusal decide between two shoppers accepting together; the other gets ``OfferTaken``. When the session
is full after an accept, the others offered it wait again for the next freed slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from loyaldesk.bookings.actions.book import confirm_booking
from loyaldesk.bookings.actions.common import lock_hosts
from loyaldesk.bookings.actions.occupy import AlreadySeated, ExpertBusy, SessionFull, take_seat
from loyaldesk.bookings.actions.offer_waitlist import offer_expires_at
from loyaldesk.bookings.errors import OfferTaken
from loyaldesk.bookings.models import Occurrence, Seat, WaitlistEntry
from loyaldesk.bookings.queries.availability import bookable_type, hosts_of, offers_at
from loyaldesk.bookings.vocab import LIVE_SEAT_STATUSES, WaitlistStatus
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.loyalty import member_of_customer

MAX_WINDOW = timedelta(days=120)
_OPEN = [WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value]


def _aware(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Invalid.field(name, "must be a time with its time zone")
    return value.astimezone(UTC)


def join_waitlist(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    wanted_from: datetime,
    wanted_until: datetime,
) -> int:
    """Wait for a slot of ``session_type_id`` starting in ``[wanted_from, wanted_until)``; the entry's id.
    ``Invalid`` naming ``wanted_until`` for a window that ends before it starts, has passed or is longer
    than ``MAX_WINDOW``; ``Conflict`` when the customer already waits for this type in an overlapping
    window."""
    wanted_from, wanted_until = _aware("wanted_from", wanted_from), _aware("wanted_until", wanted_until)
    now = uow.now()
    if wanted_until <= wanted_from:
        raise Invalid.field("wanted_until", "must be after wanted_from")
    if wanted_until <= now:
        raise Invalid.field("wanted_until", "has passed")
    if wanted_until - wanted_from > MAX_WINDOW:
        raise Invalid.field("wanted_until", f"a window lasts at most {MAX_WINDOW.days} days")
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id or customer.erased_at is not None:
        raise NotFound("no such customer")
    bookable_type(uow.session, store_id, session_type_id)
    overlapping = uow.session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.store_id == store_id,
            WaitlistEntry.customer_id == customer_id,
            WaitlistEntry.session_type_id == session_type_id,
            WaitlistEntry.status.in_(_OPEN),
            WaitlistEntry.wanted_from < wanted_until,
            WaitlistEntry.wanted_until > wanted_from,
        )
    )
    if overlapping is not None:
        raise Conflict("you are already on the waitlist for this session at these times")
    entry = WaitlistEntry(
        store_id=store_id,
        session_type_id=session_type_id,
        customer_id=customer_id,
        wanted_from=wanted_from,
        wanted_until=wanted_until,
        status=WaitlistStatus.WAITING.value,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(entry)
    uow.session.flush()
    return int(entry.id)


def _entry(uow: UnitOfWork, store_id: int, customer_id: int, entry_id: int) -> WaitlistEntry:
    query = select(WaitlistEntry).where(
        WaitlistEntry.id == entry_id,
        WaitlistEntry.store_id == store_id,
        WaitlistEntry.customer_id == customer_id,
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    entry = uow.session.scalar(query.execution_options(populate_existing=True))
    if entry is None:
        raise NotFound("no such waitlist place")
    return entry


def leave_waitlist(uow: UnitOfWork, *, store_id: int, customer_id: int, entry_id: int) -> None:
    """Leave the waitlist (also declining an offer); leaving twice does nothing. ``NotFound`` when the
    place is not theirs; ``Conflict`` when it already became a booking."""
    entry = _entry(uow, store_id, customer_id, entry_id)
    if entry.status == WaitlistStatus.WITHDRAWN:
        return
    if entry.status == WaitlistStatus.BOOKED:
        raise Conflict("this waitlist place became a booking: cancel the booking instead")
    entry.status = WaitlistStatus.WITHDRAWN.value
    entry.updated_at = uow.now()


def accept_waitlist_offer(uow: UnitOfWork, *, store_id: int, customer_id: int, entry_id: int) -> int:
    """Book the slot offered on ``entry_id``; the confirmed seat's id (accepting again returns it).
    ``OfferTaken`` when nothing is offered now, the offer lapsed, or someone else took the slot first;
    ``NotEnoughPoints`` (nothing changes, the offer stays)."""
    # The hosts first, the entry second: two shoppers accepting one slot queue on the hosts, so the winner
    # can send the others back to waiting without waiting on their entries' locks (no deadlock).
    session_type_id = uow.session.scalar(
        select(WaitlistEntry.session_type_id).where(
            WaitlistEntry.id == entry_id,
            WaitlistEntry.store_id == store_id,
            WaitlistEntry.customer_id == customer_id,
        )
    )
    if session_type_id is None:
        raise NotFound("no such waitlist place")
    lock_hosts(uow, session_type_id)
    entry = _entry(uow, store_id, customer_id, entry_id)
    occurrence = (
        uow.session.get(Occurrence, entry.offered_occurrence_id) if entry.offered_occurrence_id else None
    )
    if entry.status == WaitlistStatus.BOOKED and occurrence is not None:
        seat_id = uow.session.scalar(
            select(Seat.id)
            .join(Occurrence, Occurrence.id == Seat.occurrence_id)
            .where(
                Seat.customer_id == customer_id,
                Seat.status.in_([status.value for status in LIVE_SEAT_STATUSES]),
                Occurrence.schedule_id == occurrence.schedule_id,
                Occurrence.starts_at == occurrence.starts_at,
            )
        )
        if seat_id is not None:
            return int(seat_id)
    now = uow.now()
    if (
        entry.status != WaitlistStatus.OFFERED
        or occurrence is None
        or entry.offered_at is None
        or offer_expires_at(entry.offered_at, occurrence.starts_at) <= now
    ):
        raise OfferTaken("this slot is no longer offered to you: someone else took it or the offer lapsed")
    session_type = bookable_type(uow.session, store_id, entry.session_type_id)
    available = [
        offer
        for offer in offers_at(
            uow.session, session_type, hosts_of(uow.session, session_type), now, occurrence.starts_at
        )
        if offer.schedule_id == occurrence.schedule_id
    ]
    if not available:
        raise OfferTaken("someone else took this slot first")
    member = member_of_customer(uow.session, store_id, customer_id)
    savepoint = uow.session.begin_nested()
    try:
        taken = take_seat(
            uow,
            store_id,
            schedule_id=occurrence.schedule_id,
            session_type_id=session_type.id,
            starts_at=occurrence.starts_at,
            customer_id=customer_id,
            member_id=member.id if member else None,
            hold_expires_at=now + timedelta(minutes=session_type.hold_minutes),
        )
    except (ExpertBusy, SessionFull, AlreadySeated) as lost:
        savepoint.rollback()
        raise OfferTaken("someone else took this slot first") from lost
    savepoint.commit()
    confirm_booking(uow, store_id=store_id, customer_id=customer_id, seat_id=taken.seat_id)
    entry.status = WaitlistStatus.BOOKED.value
    entry.offered_occurrence_id = taken.occurrence_id
    entry.updated_at = now
    _others_wait_again(uow, taken.occurrence_id, entry.id)
    return taken.seat_id


def _others_wait_again(uow: UnitOfWork, occurrence_id: int, winner_id: int) -> None:
    """When the session is full, the others offered its slot (under any occurrence of that expert and
    start) wait again for the next freed seat."""
    occurrence = uow.session.get(Occurrence, occurrence_id, populate_existing=True)
    assert occurrence is not None
    if occurrence.capacity - occurrence.seats_taken > 0:
        return
    same_slot = select(Occurrence.id).where(
        Occurrence.schedule_id == occurrence.schedule_id, Occurrence.starts_at == occurrence.starts_at
    )
    uow.session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.offered_occurrence_id.in_(same_slot),
            WaitlistEntry.status == WaitlistStatus.OFFERED.value,
            WaitlistEntry.id != winner_id,
        )
        .values(
            status=WaitlistStatus.WAITING.value,
            offered_at=None,
            offered_occurrence_id=None,
            updated_at=uow.now(),
        )
    )
