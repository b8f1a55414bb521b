"""Schedules and session types as staff configure them and shoppers pick them (store-scoped; a row of
another store is ``NotFound``, as if it did not exist)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.bookings.models import DateOverride, Schedule, SessionType, SessionTypeHost, WeeklyHours
from loyaldesk.bookings.schemas import ClockRange, DateOverrideOut, HostOut, ScheduleOut, SessionTypeOut
from loyaldesk.bookings.vocab import HostAssignment, SessionMode
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import StaffAccount


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _hosts(session: Session, session_type_ids: list[int]) -> dict[int, list[HostOut]]:
    found: dict[int, list[HostOut]] = defaultdict(list)
    if not session_type_ids:
        return found
    for row in session.execute(
        select(
            SessionTypeHost.session_type_id,
            SessionTypeHost.schedule_id,
            SessionTypeHost.priority,
            Schedule.user_id,
            StaffAccount.name,
        )
        .join(Schedule, Schedule.id == SessionTypeHost.schedule_id)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .where(SessionTypeHost.session_type_id.in_(session_type_ids))
        .order_by(SessionTypeHost.priority, SessionTypeHost.schedule_id)
    ):
        found[row.session_type_id].append(
            HostOut(
                schedule_id=row.schedule_id, user_id=row.user_id, expert_name=row.name, priority=row.priority
            )
        )
    return found


def _type_out(session_type: SessionType, hosts: list[HostOut]) -> SessionTypeOut:
    return SessionTypeOut(
        id=session_type.id,
        name=session_type.name,
        slug=session_type.slug,
        description=session_type.description or "",
        length_minutes=session_type.length_minutes,
        capacity=session_type.capacity,
        price_points=session_type.price_points,
        free_for_tier_ids=list(session_type.free_for_tier_ids or ()),
        mode=SessionMode(session_type.mode),
        host_assignment=HostAssignment(session_type.host_assignment),
        cancel_window_hours=session_type.cancel_window_hours,
        reschedule_window_hours=session_type.reschedule_window_hours,
        hold_minutes=session_type.hold_minutes,
        no_show_points=session_type.no_show_points,
        active=session_type.active,
        hosts=hosts,
    )


def session_types(session: Session, *, store_id: int, active_only: bool = True) -> list[SessionTypeOut]:
    """The store's session types by name, each with its hosts (only active types unless told)."""
    query = select(SessionType).where(SessionType.store_id == store_id)
    if active_only:
        query = query.where(SessionType.active)
    rows = session.scalars(query.order_by(SessionType.name, SessionType.id)).all()
    hosts = _hosts(session, [row.id for row in rows])
    return [_type_out(row, hosts[row.id]) for row in rows]


def session_type(session: Session, *, store_id: int, session_type_id: int) -> SessionTypeOut:
    """One session type of the store with its hosts; ``NotFound`` otherwise."""
    row = session.get(SessionType, session_type_id)
    if row is None or row.store_id != store_id:
        raise NotFound("no such session type")
    return _type_out(row, _hosts(session, [row.id])[row.id])


def _schedules_out(session: Session, rows: list[tuple[Schedule, str]]) -> list[ScheduleOut]:
    ids = [schedule.id for schedule, _name in rows]
    weekly: dict[int, dict[int, list[ClockRange]]] = defaultdict(lambda: defaultdict(list))
    overrides: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    if ids:
        for hours in session.execute(
            select(WeeklyHours).where(WeeklyHours.schedule_id.in_(ids)).order_by(WeeklyHours.start_minute)
        ).scalars():
            weekly[hours.schedule_id][hours.weekday].append(
                (_clock(hours.start_minute), _clock(hours.end_minute))
            )
        for override in session.execute(
            select(DateOverride)
            .where(DateOverride.schedule_id.in_(ids))
            .order_by(DateOverride.day, DateOverride.start_minute)
        ).scalars():
            ranges = overrides[override.schedule_id][override.day]
            if override.start_minute is not None and override.end_minute is not None:
                ranges.append((_clock(override.start_minute), _clock(override.end_minute)))
    return [
        ScheduleOut(
            id=schedule.id,
            user_id=schedule.user_id,
            expert_name=name,
            time_zone=schedule.time_zone,
            weekly_hours=dict(sorted(weekly[schedule.id].items())),
            buffer_before_minutes=schedule.buffer_before_minutes,
            buffer_after_minutes=schedule.buffer_after_minutes,
            minimum_notice_minutes=schedule.minimum_notice_minutes,
            max_per_day=schedule.max_per_day,
            slot_step_minutes=schedule.slot_step_minutes,
            active=schedule.active,
            overrides=[
                DateOverrideOut(day=day, ranges=ranges)
                for day, ranges in sorted(overrides[schedule.id].items())
            ],
        )
        for schedule, name in rows
    ]


def schedules(session: Session, *, store_id: int) -> list[ScheduleOut]:
    """The store's experts' schedules, by expert name, with hours and overrides."""
    rows = session.execute(
        select(Schedule, StaffAccount.name)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .where(Schedule.store_id == store_id)
        .order_by(StaffAccount.name, Schedule.id)
    ).all()
    return _schedules_out(session, [(row[0], row[1]) for row in rows])


def schedule(session: Session, *, store_id: int, schedule_id: int) -> ScheduleOut:
    """One schedule of the store; ``NotFound`` otherwise."""
    row = session.execute(
        select(Schedule, StaffAccount.name)
        .join(StaffAccount, StaffAccount.id == Schedule.user_id)
        .where(Schedule.id == schedule_id, Schedule.store_id == store_id)
    ).one_or_none()
    if row is None:
        raise NotFound("no such schedule")
    return _schedules_out(session, [(row[0], row[1])])[0]
