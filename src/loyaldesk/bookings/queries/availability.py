"""Which expert can host which start of a session type: the slot rule (``rules.slots``) applied to each
host's stored schedule and live sessions, plus the seats left in existing group sessions. Shared by the
shopper's slot list (``queries.slots``) and by ``hold_slot``, which asks the same question for one start
inside its transaction, so a shopper is offered exactly what a hold accepts.

What counts as busy for an expert: every live occurrence of theirs (of any session type), with the
buffers it was stored with, except one whose only seats are holds that have expired (the hold job or
the next hold releases them). Round robin (``HostAssignment``): *by priority*, the free host with the
lowest ``priority`` number (ties: the older schedule); *by load*, the free host with the fewest live
seats starting in the next ``LOAD_PERIOD`` (ties: priority, then schedule). An existing group session
with seats left is always filled before another is opened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from loyaldesk.bookings.models import (
    DateOverride,
    Occurrence,
    Schedule,
    Seat,
    SessionType,
    SessionTypeHost,
    WeeklyHours,
)
from loyaldesk.bookings.rules.schedules import DateOverride as RuleOverride
from loyaldesk.bookings.rules.schedules import Schedule as RuleSchedule
from loyaldesk.bookings.rules.schedules import WeeklyHours as RuleWeeklyHours
from loyaldesk.bookings.rules.schedules import WorkingRange
from loyaldesk.bookings.rules.slots import BusyPeriod, available_slots
from loyaldesk.bookings.vocab import BookingStatus, HostAssignment
from loyaldesk.kernel.errors import NotFound

LOAD_PERIOD = timedelta(days=30)
# Busy periods are read this far around a window: buffers and the daily cap reach past its edges.
_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class Host:
    """One expert who hosts the session type, with their schedule as the slot rule reads it."""

    schedule_id: int
    user_id: int
    priority: int
    rule: RuleSchedule


@dataclass(frozen=True)
class Offer:
    """A start one host can take: a new session (``occurrence_id`` None) or a seat of an existing group
    session, with ``seats_left``."""

    schedule_id: int
    seats_left: int
    occurrence_id: int | None = None


def rule_schedules(session: Session, schedules: Iterable[Schedule]) -> dict[int, RuleSchedule]:
    """Each stored schedule as the slot rule's ``Schedule`` (weekly hours and overrides in two reads)."""
    rows = {schedule.id: schedule for schedule in schedules}
    if not rows:
        return {}
    weekly: dict[int, dict[int, list[WorkingRange]]] = defaultdict(lambda: defaultdict(list))
    for hours in session.execute(
        select(WeeklyHours.schedule_id, WeeklyHours.weekday, WeeklyHours.start_minute, WeeklyHours.end_minute)
        .where(WeeklyHours.schedule_id.in_(rows))
        .order_by(WeeklyHours.start_minute)
    ):
        weekly[hours.schedule_id][hours.weekday].append(WorkingRange(hours.start_minute, hours.end_minute))
    overrides: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(DateOverride.schedule_id, DateOverride.day, DateOverride.start_minute, DateOverride.end_minute)
        .where(DateOverride.schedule_id.in_(rows))
        .order_by(DateOverride.day, DateOverride.start_minute)
    ):
        ranges = overrides[row.schedule_id][row.day]
        if row.start_minute is not None:
            ranges.append(WorkingRange(row.start_minute, row.end_minute))
    return {
        schedule_id: RuleSchedule(
            time_zone=schedule.time_zone,
            weekly=RuleWeeklyHours.from_mapping(weekly[schedule_id]),
            overrides=tuple(RuleOverride.of(day, ranges) for day, ranges in overrides[schedule_id].items()),
            buffer_before=timedelta(minutes=schedule.buffer_before_minutes),
            buffer_after=timedelta(minutes=schedule.buffer_after_minutes),
            minimum_notice=timedelta(minutes=schedule.minimum_notice_minutes),
            max_per_day=schedule.max_per_day,
            slot_step=timedelta(minutes=schedule.slot_step_minutes) if schedule.slot_step_minutes else None,
        )
        for schedule_id, schedule in rows.items()
    }


def bookable_type(session: Session, store_id: int, session_type_id: int) -> SessionType:
    """The store's active session type; ``NotFound`` otherwise."""
    session_type = session.get(SessionType, session_type_id)
    if session_type is None or session_type.store_id != store_id or not session_type.active:
        raise NotFound("no such session type")
    return session_type


def hosts_of(session: Session, session_type: SessionType) -> list[Host]:
    """The active experts hosting ``session_type``, in round-robin-by-priority order (a single-host type:
    its first)."""
    rows = session.execute(
        select(Schedule, SessionTypeHost.priority)
        .join(SessionTypeHost, SessionTypeHost.schedule_id == Schedule.id)
        .where(SessionTypeHost.session_type_id == session_type.id, Schedule.active)
        .order_by(SessionTypeHost.priority, Schedule.id)
    ).all()
    if session_type.host_assignment == HostAssignment.SINGLE:
        rows = rows[:1]
    rules = rule_schedules(session, [row[0] for row in rows])
    return [Host(row[0].id, row[0].user_id, row[1], rules[row[0].id]) for row in rows]


def _seats_now(now: datetime):  # type: ignore[no-untyped-def]
    """Seats that occupy their session at ``now``: all but the given back and the holds that lapsed."""
    return and_(
        Seat.status != BookingStatus.CANCELLED.value,
        or_(Seat.status != BookingStatus.HELD.value, Seat.hold_expires_at > now),
    )


def busy_occurrences(
    session: Session, schedule_ids: list[int], start: datetime, end: datetime, now: datetime
) -> list:
    """The live occurrences of these experts whose buffered span meets ``[start, end)`` (widened by a
    margin), each with ``taken``: the seats occupying it at ``now``; those with none are left out."""
    taken = func.count(Seat.id).filter(_seats_now(now)).label("taken")
    return list(
        session.execute(
            select(
                Occurrence.id,
                Occurrence.schedule_id,
                Occurrence.session_type_id,
                Occurrence.starts_at,
                Occurrence.ends_at,
                Occurrence.blocked_from,
                Occurrence.blocked_until,
                Occurrence.capacity,
                taken,
            )
            .outerjoin(Seat, Seat.occurrence_id == Occurrence.id)
            .where(
                Occurrence.schedule_id.in_(schedule_ids),
                Occurrence.active,
                Occurrence.blocked_until > start - _MARGIN,
                Occurrence.blocked_from < end + _MARGIN,
            )
            .group_by(Occurrence.id)
            .having(taken > 0)
        )
    )


def host_loads(session: Session, schedule_ids: list[int], now: datetime) -> dict[int, int]:
    """Live seats per expert starting in the next ``LOAD_PERIOD`` (round robin by load)."""
    rows = session.execute(
        select(Occurrence.schedule_id, func.count(Seat.id))
        .join(Seat, Seat.occurrence_id == Occurrence.id)
        .where(
            Occurrence.schedule_id.in_(schedule_ids),
            Occurrence.starts_at >= now,
            Occurrence.starts_at < now + LOAD_PERIOD,
            _seats_now(now),
        )
        .group_by(Occurrence.schedule_id)
    )
    return {int(schedule_id): int(count) for schedule_id, count in rows}


def offers(
    session: Session,
    session_type: SessionType,
    hosts: list[Host],
    now: datetime,
    window_start: datetime,
    window_end: datetime,
) -> dict[datetime, list[Offer]]:
    """Every start in ``[window_start, window_end)`` some host can take, with the offers for it in the
    order a hold tries them (module docstring). Starts ascending."""
    if not hosts:
        return {}
    length = timedelta(minutes=session_type.length_minutes)
    busy = busy_occurrences(session, [host.schedule_id for host in hosts], window_start, window_end, now)
    by_host: dict[int, list] = defaultdict(list)
    for row in busy:
        by_host[row.schedule_id].append(row)
    found: dict[datetime, list[Offer]] = defaultdict(list)
    for host in hosts:
        rows = by_host[host.schedule_id]
        periods = [
            BusyPeriod(
                row.starts_at, row.ends_at, row.starts_at - row.blocked_from, row.blocked_until - row.ends_at
            )
            for row in rows
        ]
        for start in available_slots(host.rule, length, periods, now, window_start, window_end):
            found[start].append(Offer(host.schedule_id, session_type.capacity))
        earliest = max(window_start, now + host.rule.minimum_notice)
        for row in rows:  # an existing group session with seats left
            if (
                row.session_type_id == session_type.id
                and row.taken < row.capacity
                and earliest <= row.starts_at < window_end
            ):
                found[row.starts_at].insert(0, Offer(host.schedule_id, row.capacity - row.taken, row.id))
    loads = (
        host_loads(session, [host.schedule_id for host in hosts], now)
        if session_type.host_assignment == HostAssignment.ROUND_ROBIN_LOAD
        else {}
    )
    rank = {host.schedule_id: index for index, host in enumerate(hosts)}  # priority order
    for choices in found.values():
        choices.sort(
            key=lambda offer: (
                offer.occurrence_id is None,
                loads.get(offer.schedule_id, 0),
                rank[offer.schedule_id],
            )
        )
    return dict(sorted(found.items()))


def offers_at(
    session: Session, session_type: SessionType, hosts: list[Host], now: datetime, start: datetime
) -> list[Offer]:
    """The offers for exactly ``start`` (empty: nobody can host it)."""
    return offers(session, session_type, hosts, now, start, start + timedelta(minutes=1)).get(start, [])
