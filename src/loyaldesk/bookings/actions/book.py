"""A shopper taking a slot: hold it while they confirm, confirm it (paying its points), or both at once;
and the job that gives back holds nobody confirmed.

- ``hold_slot`` locks the hosts' schedules (``lock_hosts``), releases every lapsed hold near the slot
  (anyone's, in this same transaction), then asks ``queries.availability`` which hosts can take the
  start (the slot rule, their live sessions with buffers, daily caps, seats left in group sessions) and
  takes a held seat with the first that succeeds (``occupy.take_seat``, inside a savepoint: the
  database's refusal of an overlap sends it to the next host). Nobody: ``SlotUnavailable``. A shopper
  holds one slot per session type: a new hold gives their previous one back.
- ``confirm_booking`` pays ``price_points`` through the loyalty ledger under ``booking:{seat}:pay``
  (nothing for a free session or a member of a tier in ``free_for_tier_ids``), never overdrawing
  (``NotEnoughPoints``), marks the seat confirmed and queues the invitation (with its calendar file) and
  the reminders through journeys. Confirming a confirmed seat again does nothing (no second payment); a
  lapsed or given-back hold raises ``HoldExpired``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from loyaldesk.bookings.actions.common import lock_hosts, locked_seat, staff_actor
from loyaldesk.bookings.actions.occupy import AlreadySeated, ExpertBusy, SessionFull, release_seat, take_seat
from loyaldesk.bookings.actions.offer_waitlist import offer_freed_seat
from loyaldesk.bookings.errors import HoldExpired, NotEnoughPoints, SlotUnavailable
from loyaldesk.bookings.events import BookingConfirmed
from loyaldesk.bookings.messages import queue_invitation
from loyaldesk.bookings.models import Occurrence, Seat, SessionType, SessionTypeHost
from loyaldesk.bookings.queries.availability import bookable_type, hosts_of, offers_at
from loyaldesk.bookings.queries.seat_facts import seat_facts
from loyaldesk.bookings.vocab import BookingStatus
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.loyalty import member_of_customer, pay_with_points


def pay_key(seat_id: int) -> str:
    return f"booking:{seat_id}:pay"


def _customer(uow: UnitOfWork, store_id: int, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id or customer.erased_at is not None:
        raise NotFound("no such customer")
    return customer


def release_lapsed_holds_near(
    uow: UnitOfWork, store_id: int, session_type_id: int, starts_at: datetime
) -> None:
    """Give back every lapsed hold of the session type's hosts whose session lies within a day of
    ``starts_at`` (they may block it, or count toward a daily cap)."""
    now = uow.now()
    lapsed = uow.session.scalars(
        select(Seat.id)
        .join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .where(
            Occurrence.schedule_id.in_(
                select(SessionTypeHost.schedule_id).where(SessionTypeHost.session_type_id == session_type_id)
            ),
            Occurrence.active,
            Occurrence.blocked_until > starts_at - timedelta(days=1),
            Occurrence.blocked_from < starts_at + timedelta(days=2),
            Seat.status == BookingStatus.HELD.value,
            Seat.hold_expires_at <= now,
        )
        .order_by(Seat.id)
    ).all()
    for seat_id in lapsed:
        release_seat(uow, store_id, seat_id)
    if lapsed:
        uow.session.expire_all()


def _release_own_holds(uow: UnitOfWork, store_id: int, customer_id: int, session_type_id: int) -> None:
    """A shopper holds one slot of a session type at a time: picking another gives the previous back
    (offered to the waitlist), so nobody can block an expert's week with holds."""
    held = uow.session.execute(
        select(Seat.id, Seat.occurrence_id)
        .join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .where(
            Seat.store_id == store_id,
            Seat.customer_id == customer_id,
            Seat.status == BookingStatus.HELD.value,
            Occurrence.session_type_id == session_type_id,
        )
    ).all()
    for seat_id, occurrence_id in held:
        release_seat(uow, store_id, seat_id)
        offer_freed_seat(uow, store_id, occurrence_id)


def hold_slot(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    starts_at: datetime,
    actor_id: int | None = None,
) -> int:
    """Hold a seat of ``session_type_id`` at ``starts_at`` (aware) for ``customer_id`` for the type's
    ``hold_minutes``; the held seat's id. ``SlotUnavailable`` when no host can take it, ``AlreadySeated``
    when the customer holds a place in that session, ``NotFound`` for a type or customer not of the store.
    ``actor_id``: a staff account booking for the shopper."""
    if actor_id is not None:
        staff_actor(uow, store_id, actor_id)
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise Invalid.field("starts_at", "must be a time with its time zone")
    starts_at = starts_at.astimezone(UTC)
    _customer(uow, store_id, customer_id)
    session_type = bookable_type(uow.session, store_id, session_type_id)
    lock_hosts(uow, session_type_id)
    release_lapsed_holds_near(uow, store_id, session_type_id, starts_at)
    _release_own_holds(uow, store_id, customer_id, session_type_id)
    now = uow.now()
    candidates = offers_at(uow.session, session_type, hosts_of(uow.session, session_type), now, starts_at)
    if not candidates:
        raise SlotUnavailable("this time is not available any more: pick another")
    member = member_of_customer(uow.session, store_id, customer_id)
    for offer in candidates:
        savepoint = uow.session.begin_nested()
        try:
            taken = take_seat(
                uow,
                store_id,
                schedule_id=offer.schedule_id,
                session_type_id=session_type.id,
                starts_at=starts_at,
                customer_id=customer_id,
                member_id=member.id if member else None,
                hold_expires_at=now + timedelta(minutes=session_type.hold_minutes),
            )
        except (ExpertBusy, SessionFull):
            savepoint.rollback()
            continue
        except AlreadySeated:
            savepoint.rollback()
            raise
        savepoint.commit()
        return taken.seat_id
    raise SlotUnavailable("this time was just taken: pick another")


def confirm_booking(
    uow: UnitOfWork, *, store_id: int, customer_id: int, seat_id: int, actor_id: int | None = None
) -> None:
    """Confirm the customer's held seat, paying for it (module docstring). ``NotFound`` for a seat not
    theirs; ``HoldExpired``; ``NotEnoughPoints`` (nothing changes then: the hold stays until it lapses)."""
    if actor_id is not None:
        staff_actor(uow, store_id, actor_id)
    seat = locked_seat(uow, store_id, seat_id, customer_id)
    if seat.status == BookingStatus.CONFIRMED:
        return  # a replay: paid and told already
    now = uow.now()
    if seat.status != BookingStatus.HELD or seat.hold_expires_at is None or seat.hold_expires_at <= now:
        raise HoldExpired("the time you held was given back: pick a time again")
    occurrence = uow.session.get(Occurrence, seat.occurrence_id)
    assert occurrence is not None
    session_type = uow.session.get(SessionType, occurrence.session_type_id)
    assert session_type is not None
    price = _price(uow, store_id, customer_id, session_type)
    key = pay_key(seat.id)
    if price > 0:
        try:
            pay_with_points(
                uow,
                store_id=store_id,
                customer_id=customer_id,
                points=price,
                key=key,
                description=f"Expert session: {session_type.name}"[:300],
            )
        except Conflict as refused:  # loyalty's InsufficientPoints, or not a member
            raise NotEnoughPoints(f"this session costs {price} points: {refused.message}") from refused
    seat.status = BookingStatus.CONFIRMED.value
    seat.hold_expires_at = None
    seat.points_paid = price
    seat.pay_ledger_key = key
    seat.updated_at = now
    uow.session.flush()
    facts = seat_facts(uow.session, store_id, seat.id)
    queue_invitation(uow, store_id, facts)
    uow.emit(
        BookingConfirmed(
            store_id=store_id,
            customer_id=customer_id,
            seat_id=seat.id,
            session_type_id=session_type.id,
            starts_at=occurrence.starts_at,
            points_paid=price,
        )
    )


def _price(uow: UnitOfWork, store_id: int, customer_id: int, session_type: SessionType) -> int:
    """The points this customer pays: the type's price, 0 for a member of a tier it is free for."""
    if session_type.price_points <= 0:
        return 0
    member = member_of_customer(uow.session, store_id, customer_id)
    if member is None:
        raise NotEnoughPoints(
            f"this session costs {session_type.price_points} points: join the loyalty program"
        )
    free_for = {int(tier) for tier in session_type.free_for_tier_ids or ()}
    if member.tier_id is not None and member.tier_id in free_for:
        return 0
    return int(session_type.price_points)


def book_slot(
    uow: UnitOfWork,
    *,
    store_id: int,
    customer_id: int,
    session_type_id: int,
    starts_at: datetime,
    actor_id: int | None = None,
) -> int:
    """``hold_slot`` and ``confirm_booking`` in one transaction (staff booking for a shopper, the API);
    the confirmed seat's id. Any refusal leaves nothing held."""
    seat_id = hold_slot(
        uow,
        store_id=store_id,
        customer_id=customer_id,
        session_type_id=session_type_id,
        starts_at=starts_at,
        actor_id=actor_id,
    )
    confirm_booking(uow, store_id=store_id, customer_id=customer_id, seat_id=seat_id, actor_id=actor_id)
    return seat_id


def release_expired_holds(uow: UnitOfWork, limit: int = 500) -> int:
    """The job: give back up to ``limit`` holds that lapsed (any store), offering each freed seat to the
    waitlist; how many. Running it again finds nothing more to do."""
    now = uow.now()
    lapsed = uow.session.execute(
        select(Seat.id, Seat.store_id, Seat.occurrence_id)
        .where(Seat.status == BookingStatus.HELD.value, Seat.hold_expires_at <= now)
        .order_by(Seat.hold_expires_at, Seat.id)
        .limit(limit)
    ).all()
    if not lapsed:
        return 0
    # A lapsed hold can no longer be confirmed (``HoldExpired``), so releasing what was read is safe.
    lock_hosts(
        uow,
        *uow.session.scalars(
            select(Occurrence.session_type_id)
            .where(Occurrence.id.in_([occurrence_id for _seat, _store, occurrence_id in lapsed]))
            .distinct()
        ),
    )
    released = 0
    for seat_id, store_id, occurrence_id in lapsed:
        try:
            release_seat(uow, store_id, seat_id)
        except Conflict:  # confirmed or released meanwhile (another worker, the shopper)
            continue
        offer_freed_seat(uow, store_id, occurrence_id)
        released += 1
    return released
