"""Taking and giving back a seat of a session: the occupancy step the booking, hold, cancel and waitlist
actions build on (they add the slot rule, points, audit and events; this module only keeps the
invariants of decision 0037).

- A seat belongs to an *occurrence*: the one live row of an expert (schedule) and a start. Taking a seat
  finds that row or creates it, then increments ``seats_taken`` with one atomic ``UPDATE ... WHERE
  seats_taken < capacity``: a group session is never overfilled, whatever runs at the same time.
- Creating an occurrence stores its buffered span (``rules.slots.BusyPeriod.buffered_span``); the database
  refuses it when it overlaps another live occurrence of the expert (PostgreSQL's exclusion constraint,
  SQLite's triggers), and that refusal becomes :class:`ExpertBusy`.
- Giving the last seat back makes the occurrence inactive: the expert's time is free again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, exc, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from loyaldesk.bookings.models import (
    EXCLUSION_CONSTRAINT,
    OVERLAP_MESSAGE,
    Occurrence,
    Schedule,
    Seat,
    SessionType,
    SessionTypeHost,
)
from loyaldesk.bookings.rules.slots import BusyPeriod
from loyaldesk.bookings.vocab import LIVE_SEAT_STATUSES, BookingStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound

# Core tables: the atomic updates and inserts here need no ORM objects.
_occurrences: Table = Occurrence.__table__  # type: ignore[assignment]
_seats: Table = Seat.__table__  # type: ignore[assignment]
_LIVE = [status.value for status in LIVE_SEAT_STATUSES]
# Attempts to find or create the live occurrence: another transaction may retire it (its last seat given
# back) between our read and our update; each retry reads again.
_ATTEMPTS = 3


class ExpertBusy(Conflict):
    """The expert is already taken then (another session or its buffers overlap this one's)."""


class SessionFull(Conflict):
    """Every seat of the session is taken."""


class AlreadySeated(Conflict):
    """The customer already holds a live seat of this session."""


@dataclass(frozen=True)
class TakenSeat:
    seat_id: int
    occurrence_id: int


def take_seat(
    uow: UnitOfWork,
    store_id: int,
    *,
    schedule_id: int,
    session_type_id: int,
    starts_at: datetime,
    customer_id: int,
    member_id: int | None = None,
    hold_expires_at: datetime | None = None,
) -> TakenSeat:
    """Give ``customer_id`` a seat of the session of ``session_type_id`` hosted by the expert of
    ``schedule_id`` from ``starts_at``: a hold until ``hold_expires_at`` when given, else a confirmed
    seat. Raises :class:`NotFound` for a schedule or session type not of the store, not active, or not
    hosting one another; :class:`ExpertBusy` when the expert is taken then (by another session type at
    this start, or by any session whose buffered span overlaps); :class:`SessionFull`;
    :class:`AlreadySeated`. Does not check the slot rule (working hours, notice, daily cap): the caller
    does, with ``rules.slots``."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise Invalid.field("starts_at", "must be a timezone-aware time")
    starts_at = starts_at.astimezone(UTC)
    schedule, session_type = _host_and_type(uow, store_id, schedule_id, session_type_id)
    ends_at = starts_at + timedelta(minutes=session_type.length_minutes)
    blocked_from, blocked_until = BusyPeriod(
        starts_at,
        ends_at,
        timedelta(minutes=schedule.buffer_before_minutes),
        timedelta(minutes=schedule.buffer_after_minutes),
    ).buffered_span
    now = uow.now()
    for _ in range(_ATTEMPTS):
        occurrence = _live_occurrence(uow, schedule_id, starts_at)
        if occurrence is None:
            _create_occurrence(
                uow,
                {
                    "store_id": store_id,
                    "schedule_id": schedule_id,
                    "session_type_id": session_type_id,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "blocked_from": blocked_from,
                    "blocked_until": blocked_until,
                    "capacity": session_type.capacity,
                    "seats_taken": 0,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            continue  # read it back: ours, or the one a concurrent request made first
        if occurrence.session_type_id != session_type_id:
            raise ExpertBusy("the expert is already booked for another session then")
        taken = uow.session.execute(
            update(_occurrences)
            .where(
                _occurrences.c.id == occurrence.id,
                _occurrences.c.active,
                _occurrences.c.seats_taken < _occurrences.c.capacity,
            )
            .values(seats_taken=_occurrences.c.seats_taken + 1, updated_at=now)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return TakenSeat(
                _insert_seat(uow, store_id, occurrence.id, customer_id, member_id, hold_expires_at),
                occurrence.id,
            )
        still_live = uow.session.scalar(
            select(_occurrences.c.active).where(_occurrences.c.id == occurrence.id)
        )
        if still_live:
            raise SessionFull("every seat of this session is taken")
    raise ExpertBusy("the expert's time changed while booking; try again")


def release_seat(uow: UnitOfWork, store_id: int, seat_id: int) -> int:
    """Cancel the live seat ``seat_id`` (held or confirmed) and free its place in the occurrence; the
    occurrence's last seat retires it (inactive), so the expert's time is free again. Returns the
    occurrence's id. Raises :class:`NotFound` for a seat not of the store and :class:`Conflict` for one
    already given back. (A session that took place is marked completed or no-show by its own action: it
    keeps its seat.)"""
    now = uow.now()
    released = uow.session.execute(
        update(_seats)
        .where(_seats.c.id == seat_id, _seats.c.store_id == store_id, _seats.c.status.in_(_LIVE))
        .values(status=BookingStatus.CANCELLED.value, updated_at=now, cancelled_at=now, hold_expires_at=None)
        .returning(_seats.c.occurrence_id)
    ).scalar_one_or_none()
    if released is None:
        exists = uow.session.scalar(
            select(_seats.c.id).where(_seats.c.id == seat_id, _seats.c.store_id == store_id)
        )
        if exists is None:
            raise NotFound("no such booking")
        raise Conflict("this booking is no longer held or confirmed")
    # Old values on the right-hand side: the last seat (1 -> 0) retires the occurrence.
    uow.session.execute(
        update(_occurrences)
        .where(_occurrences.c.id == released)
        .values(
            seats_taken=_occurrences.c.seats_taken - 1,
            active=and_(_occurrences.c.active, _occurrences.c.seats_taken > 1),
            updated_at=now,
        )
    )
    return int(released)


def _host_and_type(
    uow: UnitOfWork, store_id: int, schedule_id: int, session_type_id: int
) -> tuple[Schedule, SessionType]:
    row = uow.session.execute(
        select(Schedule, SessionType)
        .join(SessionTypeHost, SessionTypeHost.schedule_id == Schedule.id)
        .join(SessionType, SessionType.id == SessionTypeHost.session_type_id)
        .where(
            Schedule.id == schedule_id,
            Schedule.store_id == store_id,
            Schedule.active,
            SessionType.id == session_type_id,
            SessionType.store_id == store_id,
            SessionType.active,
        )
    ).one_or_none()
    if row is None:
        raise NotFound("no such expert hosting this session type")
    return row[0], row[1]


def _live_occurrence(uow: UnitOfWork, schedule_id: int, starts_at: datetime) -> Any:
    return uow.session.execute(
        select(_occurrences.c.id, _occurrences.c.session_type_id).where(
            _occurrences.c.schedule_id == schedule_id,
            _occurrences.c.starts_at == starts_at,
            _occurrences.c.active,
        )
    ).one_or_none()


def _create_occurrence(uow: UnitOfWork, values: dict[str, Any]) -> None:
    """Insert the live occurrence unless one of the expert at this start exists (then nothing: the
    caller reads it). An overlap with another live occurrence is refused by the database."""
    insert = (pg_insert if uow.is_postgresql else sqlite_insert)(_occurrences)
    statement = insert.values(**values).on_conflict_do_nothing(
        index_elements=["schedule_id", "starts_at"], index_where=_occurrences.c.active
    )
    try:
        uow.session.execute(statement)
    except exc.DBAPIError as error:
        if is_overlap(error):
            raise ExpertBusy("the expert is already booked then") from error
        if _sqlstate(error) == "40P01":
            # Two transactions inserting overlapping spans at once may each wait for the other's
            # exclusion check; PostgreSQL breaks the cycle by failing one: it lost the race.
            raise ExpertBusy("another booking of this expert was being made at the same time") from error
        raise


def _insert_seat(
    uow: UnitOfWork,
    store_id: int,
    occurrence_id: int,
    customer_id: int,
    member_id: int | None,
    hold_expires_at: datetime | None,
) -> int:
    live = uow.session.scalar(
        select(_seats.c.id).where(
            _seats.c.occurrence_id == occurrence_id,
            _seats.c.customer_id == customer_id,
            _seats.c.status.in_(_LIVE),
        )
    )
    if live is not None:
        raise AlreadySeated("you already have a place in this session")
    now = uow.now()
    status = BookingStatus.HELD if hold_expires_at is not None else BookingStatus.CONFIRMED
    try:
        return int(
            uow.session.execute(
                _seats.insert()
                .values(
                    store_id=store_id,
                    occurrence_id=occurrence_id,
                    customer_id=customer_id,
                    member_id=member_id,
                    status=status.value,
                    hold_expires_at=hold_expires_at,
                    points_paid=0,
                    created_at=now,
                    updated_at=now,
                )
                .returning(_seats.c.id)
            ).scalar_one()
        )
    except exc.IntegrityError as error:  # the same customer's other request won (the unique live seat)
        raise AlreadySeated("you already have a place in this session") from error


def _sqlstate(error: exc.DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def is_overlap(error: exc.DBAPIError) -> bool:
    """Whether ``error`` is the database refusing overlapping live occurrences of one expert."""
    if _sqlstate(error) == "23P01":
        return EXCLUSION_CONSTRAINT in str(error.orig)
    return OVERLAP_MESSAGE in str(error.orig)
