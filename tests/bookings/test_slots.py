"""Worked examples of the slot rules: each names the instants it expects, so a reader can check the
definition in ``loyaldesk.bookings.rules.slots`` by hand (DST days in Berlin and New York included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from loyaldesk.bookings.rules.local_time import first_instant_reading_at_least, instants_reading, time_zone
from loyaldesk.bookings.rules.schedules import DateOverride, Schedule, WeeklyHours, WorkingRange
from loyaldesk.bookings.rules.shopper_view import by_shopper_date, in_shopper_zone
from loyaldesk.bookings.rules.slots import BusyPeriod, available_slots, buffered_span, is_slot_available

MONDAY = date(2026, 6, 1)
HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def schedule(zone: str, weekly: dict[int, list[str]], **options: object) -> Schedule:
    return Schedule(zone, WeeklyHours.from_mapping(weekly), **options)  # type: ignore[arg-type]


def day_slots(
    plan: Schedule, length: timedelta, first: datetime, last: datetime, busy: tuple[BusyPeriod, ...] = ()
) -> list[datetime]:
    return available_slots(plan, length, busy, LONG_AGO, first, last)


def test_a_plain_day_offers_every_step_that_fits_in_local_hours() -> None:
    plan = schedule("Europe/Berlin", {0: ["09:00-12:00"]})  # CEST, UTC+2
    assert day_slots(plan, HOUR, utc(2026, 6, 1), utc(2026, 6, 2)) == [utc(2026, 6, 1, h) for h in (7, 8, 9)]
    stepped = schedule("Europe/Berlin", {0: ["09:00-12:00", "13:00-14:00"]}, slot_step=HALF_HOUR)
    assert day_slots(stepped, HOUR, utc(2026, 6, 1), utc(2026, 6, 2)) == [
        utc(2026, 6, 1, 7),
        utc(2026, 6, 1, 7, 30),
        utc(2026, 6, 1, 8),
        utc(2026, 6, 1, 8, 30),
        utc(2026, 6, 1, 9),
        utc(2026, 6, 1, 11),
    ]


def test_the_window_bounds_starts_and_other_days_follow_their_weekday() -> None:
    plan = schedule("Europe/Berlin", {0: ["09:00-12:00"], 1: ["10:00-11:00"]})
    assert day_slots(plan, HOUR, utc(2026, 6, 1, 8), utc(2026, 6, 2, 9)) == [
        utc(2026, 6, 1, 8),
        utc(2026, 6, 1, 9),
        utc(2026, 6, 2, 8),
    ]
    assert day_slots(plan, HOUR, utc(2026, 6, 1, 8), utc(2026, 6, 1, 8)) == []


def test_an_override_replaces_the_weekday_and_a_holiday_has_no_slot() -> None:
    weekly = {0: ["09:00-12:00"]}
    holiday = schedule("Europe/Berlin", weekly, overrides=(DateOverride.holiday(MONDAY),))
    assert day_slots(holiday, HOUR, utc(2026, 5, 31), utc(2026, 6, 9)) == [
        utc(2026, 6, 8, h) for h in (7, 8, 9)
    ]
    other_hours = schedule(
        "Europe/Berlin",
        weekly,
        overrides=(
            DateOverride.of(MONDAY, ["14:00-15:00"]),
            DateOverride.of(date(2026, 6, 6), ["10:00-11:00"]),
        ),
    )
    assert day_slots(other_hours, HOUR, utc(2026, 6, 1), utc(2026, 6, 7)) == [
        utc(2026, 6, 1, 12),
        utc(2026, 6, 6, 8),
    ]


def test_berlin_spring_forward_skips_the_missing_hour_and_keeps_real_length() -> None:
    # 2026-03-29: clocks go from 02:00 CET straight to 03:00 CEST at 01:00 UTC.
    plan = schedule("Europe/Berlin", {6: ["01:00-05:00"]}, slot_step=HALF_HOUR)
    assert day_slots(plan, HOUR, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        utc(2026, 3, 29, 0),  # 01:00 CET
        utc(2026, 3, 29, 0, 30),  # 01:30 CET, ends 03:30 CEST
        utc(2026, 3, 29, 1),  # 03:00 CEST (02:00 and 02:30 do not exist)
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2),  # 04:00 CEST, ends at 05:00 CEST
    ]
    starting_in_the_gap = schedule("Europe/Berlin", {6: ["02:30-04:00"]}, slot_step=HALF_HOUR)
    assert day_slots(starting_in_the_gap, HALF_HOUR, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 30),
    ]


def test_berlin_fall_back_offers_the_repeated_hour_twice() -> None:
    # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET at 01:00 UTC; 01:00-04:00 lasts 4 hours.
    plan = schedule("Europe/Berlin", {6: ["01:00-04:00"]})
    assert day_slots(plan, HOUR, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        utc(2026, 10, 24, 23),  # 01:00 CEST
        utc(2026, 10, 25, 0),  # 02:00 CEST
        utc(2026, 10, 25, 1),  # 02:00 CET
        utc(2026, 10, 25, 2),  # 03:00 CET, ends 04:00 CET
    ]


def test_new_york_spring_forward_and_fall_back() -> None:
    spring = schedule("America/New_York", {6: ["01:00-04:00"]}, slot_step=HALF_HOUR)
    assert day_slots(spring, HALF_HOUR, utc(2026, 3, 7), utc(2026, 3, 9)) == [
        utc(2026, 3, 8, 6),  # 01:00 EST
        utc(2026, 3, 8, 6, 30),
        utc(2026, 3, 8, 7),  # 03:00 EDT
        utc(2026, 3, 8, 7, 30),  # ends 04:00 EDT
    ]
    fall = schedule("America/New_York", {6: ["00:30-02:00"]})
    assert day_slots(fall, HALF_HOUR, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        utc(2026, 11, 1, 4, 30),  # 00:30 EDT
        utc(2026, 11, 1, 5),  # 01:00 EDT
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT
        utc(2026, 11, 1, 6),  # 01:00 EST
        utc(2026, 11, 1, 6, 30),  # 01:30 EST, ends 02:00 EST
    ]
    # A range ending inside the repeated hour ends at the first 01:30: the second 01:00 is past it.
    ends_in_fold = schedule("America/New_York", {6: ["00:00-01:30"]})
    assert day_slots(ends_in_fold, HALF_HOUR, utc(2026, 10, 31), utc(2026, 11, 2)) == [
        utc(2026, 11, 1, 4),
        utc(2026, 11, 1, 4, 30),
        utc(2026, 11, 1, 5),
    ]


def test_local_time_resolution_names_gaps_and_folds() -> None:
    berlin = time_zone("Europe/Berlin")
    assert instants_reading(berlin, datetime(2026, 3, 29, 2, 30)) == ()
    assert first_instant_reading_at_least(berlin, datetime(2026, 3, 29, 2, 30)) == utc(2026, 3, 29, 1)
    assert instants_reading(berlin, datetime(2026, 10, 25, 2, 30)) == (
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
    )
    assert first_instant_reading_at_least(berlin, datetime(2026, 10, 25, 3)) == utc(2026, 10, 25, 2)
    assert instants_reading(berlin, datetime(2026, 6, 1, 9)) == (utc(2026, 6, 1, 7),)


def test_buffers_keep_buffered_spans_apart_and_touching_is_allowed() -> None:
    weekly = {0: ["09:00-13:00"]}
    booked = utc(2026, 6, 1, 8)  # 10:00-11:00 Berlin
    bare = schedule("Europe/Berlin", weekly, slot_step=HALF_HOUR)
    taken = (BusyPeriod.session(booked, HOUR, bare),)
    assert [
        s.hour * 60 + s.minute for s in day_slots(bare, HOUR, utc(2026, 6, 1), utc(2026, 6, 2), taken)
    ] == [
        7 * 60,  # 09:00-10:00 touches the session
        9 * 60,  # 11:00-12:00 touches it too
        9 * 60 + 30,
        10 * 60,
    ]
    buffered = schedule(
        "Europe/Berlin",
        weekly,
        slot_step=HALF_HOUR,
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
    )
    taken = (BusyPeriod.session(booked, HOUR, buffered),)
    # The session's buffers reach 09:45-11:15, a new one's 15 minutes more: 30 minutes between sessions.
    assert day_slots(buffered, HOUR, utc(2026, 6, 1), utc(2026, 6, 2), taken) == [
        utc(2026, 6, 1, 9, 30),
        utc(2026, 6, 1, 10),
    ]
    assert buffered_span(booked, HOUR, buffered) == (utc(2026, 6, 1, 7, 45), utc(2026, 6, 1, 9, 15))
    # A block has no buffers of its own, but the new session's still apply.
    block = (BusyPeriod(booked, booked + HOUR, counts_toward_daily_limit=False),)
    assert day_slots(buffered, HOUR, utc(2026, 6, 1), utc(2026, 6, 2), block) == [
        utc(2026, 6, 1, 9, 30),
        utc(2026, 6, 1, 10),
    ]
    after_only = schedule("Europe/Berlin", weekly, slot_step=HALF_HOUR, buffer_after=HALF_HOUR)
    taken = (BusyPeriod.session(booked, HOUR, after_only),)
    assert day_slots(after_only, HOUR, utc(2026, 6, 1), utc(2026, 6, 2), taken) == [
        utc(2026, 6, 1, 9, 30),
        utc(2026, 6, 1, 10),
    ]


def test_minimum_notice_counts_from_now() -> None:
    plan = schedule(
        "Europe/Berlin", {0: ["09:00-13:00"]}, slot_step=HALF_HOUR, minimum_notice=timedelta(hours=2)
    )
    now = utc(2026, 6, 1, 6, 10)  # 08:10 Berlin: the first start is at or after 10:10, so 10:30
    slots = available_slots(plan, HOUR, (), now, utc(2026, 6, 1), utc(2026, 6, 2))
    assert slots[0] == utc(2026, 6, 1, 8, 30) and slots[-1] == utc(2026, 6, 1, 10)
    exact = available_slots(plan, HOUR, (), utc(2026, 6, 1, 6, 30), utc(2026, 6, 1), utc(2026, 6, 2))
    assert exact[0] == utc(2026, 6, 1, 8, 30)


def test_max_per_day_counts_sessions_by_the_experts_local_date() -> None:
    plan = schedule("Europe/Berlin", {0: ["09:00-17:00"], 1: ["09:00-10:00"]}, max_per_day=2)
    # 23:30 UTC on Sunday is 01:30 on Monday in Berlin: it counts for Monday.
    late_sunday = BusyPeriod(utc(2026, 5, 31, 23, 30), utc(2026, 6, 1, 0))
    morning = BusyPeriod.session(utc(2026, 6, 1, 7), HOUR, plan)
    block = BusyPeriod(utc(2026, 6, 1, 12), utc(2026, 6, 1, 13), counts_toward_daily_limit=False)
    one = day_slots(plan, HOUR, utc(2026, 6, 1), utc(2026, 6, 3), (morning, block))
    assert utc(2026, 6, 1, 8) in one and utc(2026, 6, 1, 12) not in one
    full = day_slots(plan, HOUR, utc(2026, 6, 1), utc(2026, 6, 3), (late_sunday, morning, block))
    assert full == [utc(2026, 6, 2, 7)]


def test_a_tokyo_shopper_sees_a_new_york_evening_on_their_next_morning() -> None:
    plan = schedule("America/New_York", {0: ["18:00-20:00"]})  # EDT, UTC-4: 22:00-24:00 UTC
    slots = day_slots(plan, HOUR, utc(2026, 6, 1), utc(2026, 6, 3))
    assert slots == [utc(2026, 6, 1, 22), utc(2026, 6, 1, 23)]
    days = by_shopper_date(slots, HOUR, "Asia/Tokyo")
    assert list(days) == [date(2026, 6, 2)]
    assert [slot.label for slot in days[date(2026, 6, 2)]] == ["07:00-08:00", "08:00-09:00"]
    assert days[date(2026, 6, 2)][0].starts_at == utc(2026, 6, 1, 22)
    berlin = in_shopper_zone(slots, HOUR, "Europe/Berlin")
    assert [(slot.local_date, slot.label) for slot in berlin] == [
        (date(2026, 6, 2), "00:00-01:00"),
        (date(2026, 6, 2), "01:00-02:00"),
    ]


def test_is_slot_available_agrees_with_the_list() -> None:
    plan = schedule("Europe/Berlin", {0: ["09:00-12:00"]})
    taken = (BusyPeriod.session(utc(2026, 6, 1, 8), HOUR, plan),)
    assert is_slot_available(plan, HOUR, taken, LONG_AGO, utc(2026, 6, 1, 7))
    assert not is_slot_available(plan, HOUR, taken, LONG_AGO, utc(2026, 6, 1, 8))
    assert not is_slot_available(plan, HOUR, (), LONG_AGO, utc(2026, 6, 1, 7, 30))  # off the grid
    assert not is_slot_available(plan, HOUR, (), utc(2026, 6, 1, 7, 1), utc(2026, 6, 1, 7))  # past


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: schedule("Mars/Olympus", {}), "unknown time zone"),
        (lambda: WeeklyHours.from_mapping({0: ["09:00-12:00", "11:00-13:00"]}), "overlap"),
        (lambda: WeeklyHours.from_mapping({0: ["09:00-12:00", "12:00-13:00"]}), "touch"),
        (lambda: WeeklyHours.from_mapping({7: ["09:00-12:00"]}), "weekday"),
        (lambda: WorkingRange.parse("17:00-09:00"), "start < end"),
        (lambda: WorkingRange.parse("9-17"), "HH:MM"),
        (lambda: WorkingRange.parse("09:00-24:30"), "no such time"),
        (lambda: schedule("UTC", {}, buffer_before=timedelta(minutes=-5)), "buffer_before"),
        (lambda: schedule("UTC", {}, slot_step=timedelta(seconds=90)), "whole minutes"),
        (lambda: schedule("UTC", {}, max_per_day=0), "max_per_day"),
        (
            lambda: schedule(
                "UTC", {}, overrides=(DateOverride.holiday(MONDAY), DateOverride.holiday(MONDAY))
            ),
            "two overrides",
        ),
        (lambda: BusyPeriod(utc(2026, 6, 1, 9), utc(2026, 6, 1, 9)), "ends after"),
        (
            lambda: available_slots(schedule("UTC", {}), HOUR, (), datetime(2026, 6, 1), LONG_AGO, LONG_AGO),
            "timezone-aware",
        ),
        (
            lambda: available_slots(
                schedule("UTC", {}), HOUR, (), LONG_AGO, LONG_AGO, LONG_AGO + timedelta(days=401)
            ),
            "window",
        ),
        (
            lambda: available_slots(schedule("UTC", {}), -HOUR, (), LONG_AGO, LONG_AGO, LONG_AGO),
            "session_length",
        ),
        (lambda: in_shopper_zone([LONG_AGO], HOUR, "Nowhere/Land"), "unknown time zone"),
    ],
)
def test_bad_input_is_refused_with_its_reason(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
