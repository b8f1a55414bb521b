"""Staff configuring schedules and session types through the actions: audit rows, the reads, and each
refusal naming its field (the input models' own checks through ``invalid_from``, the database's through
the actions), with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from loyaldesk import bookings
from loyaldesk.bookings import DateOverrideIn, HostIn, ScheduleIn, SessionTypeIn
from loyaldesk.bookings.models import SessionType
from loyaldesk.kernel.errors import Invalid, PermissionDenied
from loyaldesk.kernel.validation import invalid_from
from loyaldesk.stores.models import AuditLogEntry
from tests.bookings.desk import WEEKDAYS, Desk
from tests.factories import make_store


def fields_of(model: Any, **data: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        model(**data)
    return [problem.field for problem in invalid_from(raised.value).problems]


def test_input_models_name_the_field() -> None:
    schedule = {"user_id": 1, "time_zone": "Europe/Berlin"}
    assert fields_of(ScheduleIn, **{**schedule, "time_zone": "Mars/Olympus"}) == ["time_zone"]
    assert fields_of(ScheduleIn, **schedule, weekly_hours={0: [("17:00", "09:00")]}) == ["weekly_hours"]
    overlapping = {0: [("09:00", "12:00"), ("11:00", "14:00")]}
    assert fields_of(ScheduleIn, **schedule, weekly_hours=overlapping) == ["weekly_hours"]
    assert fields_of(ScheduleIn, **schedule, weekly_hours={7: [("09:00", "10:00")]}) == ["weekly_hours"]
    assert fields_of(DateOverrideIn, day="2026-06-01", ranges=[("10:00", "10:00")]) == ["ranges"]
    kind = {"name": "Styling", "slug": "styling", "length_minutes": 60}
    assert fields_of(SessionTypeIn, **{**kind, "length_minutes": 0}) == ["length_minutes"]
    assert fields_of(SessionTypeIn, **kind, capacity=0) == ["capacity"]
    assert fields_of(SessionTypeIn, **kind, price_points=-1) == ["price_points"]
    assert fields_of(SessionTypeIn, **{**kind, "slug": "Not a slug"}) == ["slug"]


def test_schedules_and_overrides_are_saved_audited_and_read_back(desk: Desk) -> None:
    schedule = desk.read(bookings.schedule, schedule_id=desk.schedules[0])
    assert (schedule.expert_name, schedule.time_zone, schedule.weekly_hours[0]) == (
        "Maya",
        "Europe/Berlin",
        [("09:00", "17:00")],
    )
    desk.write(
        bookings.set_date_override,
        actor_id=desk.manager,
        schedule_id=desk.schedules[0],
        override=DateOverrideIn(day=date(2026, 6, 2), ranges=[("13:00", "15:00")], note="dentist"),
    )
    desk.write(
        bookings.set_date_override,
        actor_id=desk.manager,
        schedule_id=desk.schedules[0],
        override=DateOverrideIn(day=date(2026, 6, 3), note="public holiday"),
    )
    schedule = desk.read(bookings.schedule, schedule_id=desk.schedules[0])
    assert [(o.day, o.ranges) for o in schedule.overrides] == [
        (date(2026, 6, 2), [("13:00", "15:00")]),
        (date(2026, 6, 3), []),
    ]
    desk.write(
        bookings.remove_date_override,
        actor_id=desk.manager,
        schedule_id=desk.schedules[0],
        day=date(2026, 6, 2),
    )
    assert len(desk.read(bookings.schedule, schedule_id=desk.schedules[0]).overrides) == 1
    with desk.db.read() as session:
        actions = session.scalars(
            select(AuditLogEntry.action)
            .where(AuditLogEntry.action.like("bookings.%"))
            .order_by(AuditLogEntry.id)
        ).all()
    assert actions == [
        "bookings.schedule_saved",
        "bookings.schedule_saved",
        "bookings.session_type_saved",
        "bookings.session_type_saved",
        "bookings.date_override_set",
        "bookings.date_override_set",
        "bookings.date_override_removed",
    ]
    names = [s.expert_name for s in desk.read(bookings.schedules)]
    assert names == ["Maya", "Noah"]


def refused(desk: Desk, action: Any, **kwargs: Any) -> list[str]:
    with desk.db.read() as session:
        before = session.scalar(select(func.count()).select_from(SessionType))
    with pytest.raises(Invalid) as raised:
        desk.write(action, actor_id=desk.manager, **kwargs)
    with desk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SessionType)) == before
    return [problem.field for problem in raised.value.problems]


def test_what_needs_the_database_is_refused_naming_the_field(desk: Desk) -> None:
    other = make_store(desk.db, "other")
    foreign = desk.db.write(lambda uow: _foreign_schedule(uow, other.id))
    kind = {"name": "Fitting", "slug": "fitting", "length_minutes": 30}
    assert refused(
        desk, bookings.save_session_type, session_type_in=SessionTypeIn(**kind, free_for_tier_ids=[999])
    ) == ["free_for_tier_ids"]
    assert refused(
        desk,
        bookings.save_session_type,
        session_type_in=SessionTypeIn(
            **kind, host_assignment="round_robin_load", hosts=[HostIn(schedule_id=foreign)]
        ),
    ) == ["hosts.0.schedule_id"]
    two = [HostIn(schedule_id=desk.schedules[0]), HostIn(schedule_id=desk.schedules[1])]
    assert refused(desk, bookings.save_session_type, session_type_in=SessionTypeIn(**kind, hosts=two)) == [
        "hosts"
    ]
    assert refused(
        desk, bookings.save_session_type, session_type_in=SessionTypeIn(**{**kind, "slug": "styling"})
    ) == ["slug"]
    assert refused(
        desk, bookings.save_schedule, schedule_in=ScheduleIn(user_id=desk.experts[0], time_zone="UTC")
    ) == ["user_id"]  # already has one
    assert refused(desk, bookings.save_schedule, schedule_in=ScheduleIn(user_id=10**9, time_zone="UTC")) == [
        "user_id"
    ]


def _foreign_schedule(uow: Any, store_id: int) -> int:
    from loyaldesk.bookings.models import Schedule
    from loyaldesk.stores import StaffAccount

    staff = StaffAccount(email="x@other.example.com", name="X", password_hash="-", created_at=uow.now())
    uow.session.add(staff)
    uow.session.flush()
    schedule = Schedule(
        store_id=store_id, user_id=staff.id, time_zone="UTC", buffer_before_minutes=0, buffer_after_minutes=0,
        minimum_notice_minutes=0, active=True, created_at=uow.now(), updated_at=uow.now(),
    )  # fmt: skip
    uow.session.add(schedule)
    uow.session.flush()
    return int(schedule.id)


def test_staff_of_another_store_may_not_configure(desk: Desk) -> None:
    other = make_store(desk.db, "other")
    with pytest.raises(PermissionDenied):
        desk.db.write(
            bookings.save_schedule,
            store_id=other.id,
            actor_id=desk.manager,
            schedule_in=ScheduleIn(user_id=desk.experts[0], time_zone="UTC", weekly_hours=WEEKDAYS),
        )
    types = desk.read(bookings.session_types)
    assert [(t.slug, [h.expert_name for h in t.hosts]) for t in types] == [
        ("styling", ["Maya", "Noah"]),
        ("workshop", ["Maya"]),
    ]
