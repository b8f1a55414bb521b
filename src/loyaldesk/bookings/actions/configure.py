"""Staff configuring expert sessions: schedules (weekly hours, date overrides) and session types with
their hosts. Each function is one transaction with an audit row naming the acting staff account (who must
work for the store: ``PermissionDenied`` otherwise). The input models validate what they can alone (time
zones, clock ranges, lengths, capacities); what needs the database is checked here, each refusal an
``Invalid`` naming the field: the expert is not staff of the store (``user_id``), already has a schedule,
a tier id is unknown (``free_for_tier_ids``), a host schedule is not the store's (``hosts.{i}
.schedule_id``), a single-host type lists several hosts (``hosts``), a slug is taken (``slug``).

Changing a schedule or a session type changes only the slots offered from now on: sessions already
booked keep their times, buffers and capacity.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from loyaldesk.bookings.actions.common import audit, staff_actor
from loyaldesk.bookings.messages import ensure_templates
from loyaldesk.bookings.models import DateOverride, Schedule, SessionType, SessionTypeHost, WeeklyHours
from loyaldesk.bookings.rules.schedules import WorkingRange
from loyaldesk.bookings.schemas import ClockRange, DateOverrideIn, ScheduleIn, SessionTypeIn
from loyaldesk.bookings.vocab import HostAssignment
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.loyalty import Tier
from loyaldesk.stores import StoreMembership


def _minutes(clock_range: ClockRange) -> WorkingRange:
    return WorkingRange.parse(f"{clock_range[0]}-{clock_range[1]}")


def _schedule(uow: UnitOfWork, store_id: int, schedule_id: int) -> Schedule:
    schedule = uow.session.get(Schedule, schedule_id)
    if schedule is None or schedule.store_id != store_id:
        raise NotFound("no such schedule")
    return schedule


def save_schedule(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_in: ScheduleIn, schedule_id: int | None = None
) -> int:
    """Create the schedule of the expert ``schedule_in.user_id`` (a staff account of the store; one
    schedule each) or replace schedule ``schedule_id``'s settings and weekly hours. Returns its id."""
    staff_actor(uow, store_id, actor_id)
    works_here = uow.session.scalar(
        select(StoreMembership.id).where(
            StoreMembership.store_id == store_id, StoreMembership.staff_id == schedule_in.user_id
        )
    )
    if works_here is None:
        raise Invalid.field("user_id", "is not a staff member of this store")
    clash = uow.session.scalar(
        select(Schedule.id).where(Schedule.store_id == store_id, Schedule.user_id == schedule_in.user_id)
    )
    if clash is not None and clash != schedule_id:
        raise Invalid.field("user_id", "this expert already has a schedule: change that one")
    now = uow.now()
    values = schedule_in.model_dump(exclude={"weekly_hours"})
    if schedule_id is None:
        schedule = Schedule(store_id=store_id, created_at=now, updated_at=now, **values)
        uow.session.add(schedule)
        uow.session.flush()
    else:
        schedule = _schedule(uow, store_id, schedule_id)
        for name, value in values.items():
            setattr(schedule, name, value)
        schedule.updated_at = now
        uow.session.execute(delete(WeeklyHours).where(WeeklyHours.schedule_id == schedule.id))
    for weekday, ranges in sorted(schedule_in.weekly_hours.items()):
        for clock_range in ranges:
            working = _minutes(clock_range)
            uow.session.add(
                WeeklyHours(
                    store_id=store_id,
                    schedule_id=schedule.id,
                    weekday=weekday,
                    start_minute=working.start_minute,
                    end_minute=working.end_minute,
                    created_at=now,
                )
            )
    uow.session.flush()
    audit(
        uow,
        store_id,
        actor_id,
        "bookings.schedule_saved",
        "bookings_schedule",
        schedule.id,
        {"user_id": schedule.user_id, "time_zone": schedule.time_zone, "created": schedule_id is None},
    )
    return int(schedule.id)


def set_date_override(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_id: int, override: DateOverrideIn
) -> None:
    """Replace the hours of local date ``override.day`` on the schedule (no ranges: a day off)."""
    staff_actor(uow, store_id, actor_id)
    schedule = _schedule(uow, store_id, schedule_id)
    uow.session.execute(
        delete(DateOverride).where(DateOverride.schedule_id == schedule.id, DateOverride.day == override.day)
    )
    now = uow.now()
    ranges: list[WorkingRange | None] = [_minutes(clock_range) for clock_range in override.ranges]
    for working in ranges or [None]:
        uow.session.add(
            DateOverride(
                store_id=store_id,
                schedule_id=schedule.id,
                day=override.day,
                start_minute=working.start_minute if working else None,
                end_minute=working.end_minute if working else None,
                created_at=now,
            )
        )
    uow.session.flush()
    audit(
        uow,
        store_id,
        actor_id,
        "bookings.date_override_set",
        "bookings_schedule",
        schedule.id,
        {
            "day": override.day.isoformat(),
            "ranges": [list(r) for r in override.ranges],
            "note": override.note,
        },
    )


def remove_date_override(
    uow: UnitOfWork, *, store_id: int, actor_id: int, schedule_id: int, day: date
) -> None:
    """The date works its weekday's hours again; ``NotFound`` when it had no override."""
    staff_actor(uow, store_id, actor_id)
    schedule = _schedule(uow, store_id, schedule_id)
    removed = uow.session.execute(
        delete(DateOverride).where(DateOverride.schedule_id == schedule.id, DateOverride.day == day)
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound("this date has no override")
    audit(
        uow,
        store_id,
        actor_id,
        "bookings.date_override_removed",
        "bookings_schedule",
        schedule.id,
        {"day": day.isoformat()},
    )


def save_session_type(
    uow: UnitOfWork,
    *,
    store_id: int,
    actor_id: int,
    session_type_in: SessionTypeIn,
    session_type_id: int | None = None,
) -> int:
    """Create a session type or change ``session_type_id``, with its hosts replaced by
    ``session_type_in.hosts``. Returns its id."""
    staff_actor(uow, store_id, actor_id)
    data = session_type_in
    clash = uow.session.scalar(
        select(SessionType.id).where(SessionType.store_id == store_id, SessionType.slug == data.slug)
    )
    if clash is not None and clash != session_type_id:
        raise Invalid.field("slug", "another session type already uses this slug")
    if data.free_for_tier_ids:
        known = set(
            uow.session.scalars(
                select(Tier.id).where(Tier.store_id == store_id, Tier.id.in_(data.free_for_tier_ids))
            )
        )
        unknown = sorted(set(data.free_for_tier_ids) - known)
        if unknown:
            raise Invalid.field("free_for_tier_ids", f"no such tier in this store: {unknown}")
    if data.host_assignment == HostAssignment.SINGLE and len(data.hosts) > 1:
        raise Invalid.field("hosts", "a session type with one expert has one host (or choose round robin)")
    schedule_ids = [host.schedule_id for host in data.hosts]
    if len(set(schedule_ids)) != len(schedule_ids):
        raise Invalid.field("hosts", "an expert is listed twice")
    ours = set(
        uow.session.scalars(
            select(Schedule.id).where(Schedule.store_id == store_id, Schedule.id.in_(schedule_ids))
        )
    )
    for index, host in enumerate(data.hosts):
        if host.schedule_id not in ours:
            raise Invalid.field(f"hosts.{index}.schedule_id", "is not an expert's schedule of this store")
    now = uow.now()
    values = data.model_dump(exclude={"hosts"})
    values["mode"] = data.mode.value
    values["host_assignment"] = data.host_assignment.value
    if session_type_id is None:
        session_type = SessionType(store_id=store_id, created_at=now, updated_at=now, **values)
        uow.session.add(session_type)
        uow.session.flush()
    else:
        found = uow.session.get(SessionType, session_type_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such session type")
        session_type = found
        for name, value in values.items():
            setattr(session_type, name, value)
        session_type.updated_at = now
        uow.session.execute(delete(SessionTypeHost).where(SessionTypeHost.session_type_id == session_type.id))
    for host in data.hosts:
        uow.session.add(
            SessionTypeHost(
                store_id=store_id,
                session_type_id=session_type.id,
                schedule_id=host.schedule_id,
                priority=host.priority,
                created_at=now,
            )
        )
    uow.session.flush()
    ensure_templates(uow, store_id)
    audit(
        uow,
        store_id,
        actor_id,
        "bookings.session_type_saved",
        "bookings_session_type",
        session_type.id,
        {
            "slug": data.slug,
            "price_points": data.price_points,
            "hosts": schedule_ids,
            "created": session_type_id is None,
        },
    )
    return int(session_type.id)
