"""A shopper's bookings and waitlist places; an expert's day; the invitation file.

A customer sees only their own seats (another's is ``NotFound``). Lists leave out what is noise to a
reader: holds given back before they were confirmed, and the old seat of a booking that moved (the
booking shows once, at its current time).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.bookings.actions.offer_waitlist import offer_expires_at
from loyaldesk.bookings.models import Occurrence, Schedule, Seat, SessionType, WaitlistEntry
from loyaldesk.bookings.queries.seat_facts import ics_of, seat_facts
from loyaldesk.bookings.rules.local_time import first_instant_reading_at_least, time_zone
from loyaldesk.bookings.schemas import (
    BookingOut,
    DayOccurrenceOut,
    DaySeatOut,
    Permission,
    SessionTypeRef,
    WaitlistOut,
)
from loyaldesk.bookings.vocab import BookingStatus, SessionMode, WaitlistStatus
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import StaffAccount

_COLUMNS = (
    Seat.id,
    Seat.status,
    Seat.hold_expires_at,
    Seat.points_paid,
    Seat.pay_ledger_key,
    Occurrence.starts_at,
    Occurrence.ends_at,
    SessionType.id.label("type_id"),
    SessionType.name.label("type_name"),
    SessionType.mode,
    SessionType.cancel_window_hours,
    SessionType.reschedule_window_hours,
    StaffAccount.name.label("expert_name"),
)


def _joined(query: Any) -> Any:
    return (
        query.join(Occurrence, Occurrence.id == Seat.occurrence_id)
        .join(SessionType, SessionType.id == Occurrence.session_type_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
    )


def _cancel_permission(row: Any, now: datetime) -> Permission:
    if row.status == BookingStatus.HELD:
        return Permission(allowed=True)
    if row.status != BookingStatus.CONFIRMED:
        return Permission(allowed=False, reason=f"the booking is {BookingStatus(row.status).label.lower()}")
    deadline = row.starts_at - timedelta(hours=row.cancel_window_hours)
    if now < deadline:
        return Permission(allowed=True, deadline=deadline)
    return Permission(allowed=False, reason="cancelling closed", deadline=deadline)


def _reschedule_permission(row: Any, now: datetime) -> Permission:
    if row.status != BookingStatus.CONFIRMED:
        return Permission(allowed=False, reason="only a confirmed booking can be moved")
    deadline = row.starts_at - timedelta(hours=row.reschedule_window_hours)
    if now < deadline:
        return Permission(allowed=True, deadline=deadline)
    return Permission(allowed=False, reason="moving closed", deadline=deadline)


def _booking_out(row: Any, now: datetime) -> BookingOut:
    can_cancel = _cancel_permission(row, now)
    return BookingOut(
        id=row.id,
        session_type=SessionTypeRef(id=row.type_id, name=row.type_name, mode=SessionMode(row.mode)),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        expert_name=row.expert_name,
        status=BookingStatus(row.status),
        hold_expires_at=row.hold_expires_at,
        points_paid=row.points_paid,
        can_cancel=can_cancel,
        can_reschedule=_reschedule_permission(row, now),
        refund_on_cancel=row.points_paid
        if can_cancel.allowed and row.status == BookingStatus.CONFIRMED
        else 0,
    )


def _shown(rows: list[Any]) -> list[Any]:
    """Without holds given back unconfirmed and the old seats of moved bookings."""
    latest: dict[str, int] = {}
    for row in rows:
        if row.pay_ledger_key:
            latest[row.pay_ledger_key] = max(latest.get(row.pay_ledger_key, 0), row.id)
    return [
        row
        for row in rows
        if not (row.status == BookingStatus.CANCELLED and row.pay_ledger_key is None)
        and (row.pay_ledger_key is None or latest[row.pay_ledger_key] == row.id)
    ]


def customer_bookings(
    session: Session, *, store_id: int, customer_id: int, now: datetime
) -> list[BookingOut]:
    """The customer's bookings: upcoming live ones soonest first, then the rest latest first."""
    rows = _shown(
        list(
            session.execute(
                _joined(select(*_COLUMNS)).where(Seat.store_id == store_id, Seat.customer_id == customer_id)
            )
        )
    )
    live = (BookingStatus.HELD, BookingStatus.CONFIRMED)
    upcoming = sorted(
        (r for r in rows if r.status in live and r.ends_at > now), key=lambda r: (r.starts_at, r.id)
    )
    rest = sorted(
        (r for r in rows if not (r.status in live and r.ends_at > now)),
        key=lambda r: (r.starts_at, r.id),
        reverse=True,
    )
    return [_booking_out(row, now) for row in [*upcoming, *rest]]


def customer_booking(
    session: Session, *, store_id: int, customer_id: int, seat_id: int, now: datetime
) -> BookingOut:
    """One of the customer's bookings; ``NotFound`` when it is not theirs."""
    row = session.execute(
        _joined(select(*_COLUMNS)).where(
            Seat.id == seat_id, Seat.store_id == store_id, Seat.customer_id == customer_id
        )
    ).one_or_none()
    if row is None:
        raise NotFound("no such booking")
    return _booking_out(row, now)


def customer_waitlist(session: Session, *, store_id: int, customer_id: int) -> list[WaitlistOut]:
    """The customer's waitlist places, newest first, with the slot offered to them if any."""
    rows = session.execute(
        select(WaitlistEntry, SessionType.name, SessionType.mode, Occurrence.starts_at)
        .join(SessionType, SessionType.id == WaitlistEntry.session_type_id)
        .outerjoin(Occurrence, Occurrence.id == WaitlistEntry.offered_occurrence_id)
        .where(WaitlistEntry.store_id == store_id, WaitlistEntry.customer_id == customer_id)
        .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())
    ).all()
    found = []
    for entry, name, mode, offered_start in rows:
        offered_at = entry.offered_at if entry.status == WaitlistStatus.OFFERED and offered_start else None
        found.append(
            WaitlistOut(
                id=entry.id,
                session_type=SessionTypeRef(id=entry.session_type_id, name=name, mode=SessionMode(mode)),
                wanted_from=entry.wanted_from,
                wanted_until=entry.wanted_until,
                status=WaitlistStatus(entry.status),
                offered_starts_at=offered_start if offered_at else None,
                offer_expires_at=offer_expires_at(offered_at, offered_start) if offered_at else None,
            )
        )
    return found


def day_bookings(
    session: Session, *, store_id: int, day: date, time_zone: str, user_id: int | None = None
) -> list[DayOccurrenceOut]:
    """The sessions starting on local date ``day`` in ``time_zone`` (of one expert when ``user_id``),
    by start, each with its seats and customers' names (holds given back unconfirmed left out)."""
    try:
        zone = _zone(time_zone)
    except ValueError as error:
        raise Invalid.field("time_zone", str(error)) from error
    midnight = datetime(day.year, day.month, day.day)
    start = first_instant_reading_at_least(zone, midnight)
    end = first_instant_reading_at_least(zone, midnight + timedelta(days=1))
    query = (
        select(Occurrence, SessionType.name, SessionType.mode, StaffAccount.name)
        .join(SessionType, SessionType.id == Occurrence.session_type_id)
        .join(Schedule, Schedule.id == Occurrence.schedule_id)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .where(Occurrence.store_id == store_id, Occurrence.starts_at >= start, Occurrence.starts_at < end)
        .order_by(Occurrence.starts_at, Occurrence.id)
    )
    if user_id is not None:
        query = query.where(Schedule.user_id == user_id)
    occurrences = session.execute(query).all()
    seats: dict[int, list[DaySeatOut]] = defaultdict(list)
    if occurrences:
        for seat, customer in session.execute(
            select(Seat, Customer)
            .join(Customer, Customer.id == Seat.customer_id)
            .where(Seat.occurrence_id.in_([row[0].id for row in occurrences]))
            .order_by(Seat.id)
        ).all():
            if seat.status == BookingStatus.CANCELLED and seat.pay_ledger_key is None:
                continue
            seats[seat.occurrence_id].append(
                DaySeatOut(
                    seat_id=seat.id,
                    customer_id=customer.id,
                    customer_name=customer.display_name if customer.erased_at is None else "",
                    status=BookingStatus(seat.status),
                    points_paid=seat.points_paid,
                )
            )
    return [
        DayOccurrenceOut(
            occurrence_id=occurrence.id,
            session_type=SessionTypeRef(
                id=occurrence.session_type_id, name=type_name, mode=SessionMode(mode)
            ),
            schedule_id=occurrence.schedule_id,
            expert_name=expert_name,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            local_start=occurrence.starts_at.astimezone(zone).isoformat(),
            capacity=occurrence.capacity,
            seats_taken=occurrence.seats_taken,
            active=occurrence.active,
            seats=seats[occurrence.id],
        )
        for occurrence, type_name, mode, expert_name in occurrences
        if occurrence.active or seats[occurrence.id]
    ]


def _zone(name: str) -> Any:
    return time_zone(name)


def booking_ics(session: Session, *, store_id: int, seat_id: int, customer_id: int | None) -> bytes:
    """The booking's calendar file (``invitation``): a REQUEST, or a CANCEL once cancelled. With
    ``customer_id``, ``NotFound`` unless the seat is theirs; staff pass None."""
    facts = seat_facts(session, store_id, seat_id)
    if customer_id is not None and facts.customer_id != customer_id:
        raise NotFound("no such booking")
    return ics_of(facts, facts.updated_at, cancelled=facts.status == BookingStatus.CANCELLED)
