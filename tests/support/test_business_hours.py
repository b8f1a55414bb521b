"""Business-hours arithmetic with fixed instants: within a day, lunch, weekends, holidays, both DST
transitions in Amsterdam and New York (and Santiago's at midnight), 24/7, long durations; plus
properties checked by hypothesis and against a minute-by-minute reference."""

from __future__ import annotations

import time as wall_clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyaldesk.support.business_hours import (
    BusinessCalendar,
    OpenInterval,
    add_business_time,
    always_open,
    business_calendar,
    business_time_between,
    is_open,
    next_opening,
)

AMSTERDAM = "Europe/Amsterdam"
NEW_YORK = "America/New_York"
SANTIAGO = "America/Santiago"
KINGS_DAY_2026 = date(2026, 4, 27)  # a Monday
OFFICE = business_calendar(
    AMSTERDAM, {weekday: "09:00-12:30, 13:30-17:30" for weekday in range(5)}, holidays={KINGS_DAY_2026}
)
NEW_YORK_OFFICE = business_calendar(NEW_YORK, {weekday: "09:00-17:00" for weekday in range(5)})
# A weekend night shift that spans the 02:00-03:00 gap and overlap.
NIGHT_SHIFT = business_calendar(AMSTERDAM, {5: "22:00-24:00", 6: "00:00-06:00"})
SUNDAYS_ALL_DAY = business_calendar(AMSTERDAM, {6: "00:00-24:00"})
SANTIAGO_WEEKENDS = business_calendar(SANTIAGO, {5: "00:00-24:00", 6: "08:00-20:00"})
# 00:00-24:00 every day, but with a holiday far away so the general path runs instead of the 24/7 shortcut.
ALL_DAY_GENERAL = business_calendar(
    AMSTERDAM, {d: "00:00-24:00" for d in range(7)}, holidays={date(1999, 1, 1)}
)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    """A local wall time in ``zone`` (``fold=1``: the second of two repeated readings)."""
    return datetime(year, month, day, hour, minute, fold=fold, tzinfo=ZoneInfo(zone))


def ams(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return at(AMSTERDAM, year, month, day, hour, minute)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- values and validation ------------------------------------------------------------------------


def test_intervals_parse_and_print_including_24_00() -> None:
    assert OpenInterval.parse("09:00-12:30") == OpenInterval(540, 750)
    assert OpenInterval.parse(" 00:00 - 24:00 ") == OpenInterval(0, 1440)
    assert str(OpenInterval(780, 1440)) == "13:00-24:00"
    assert OpenInterval(540, 750).length == timedelta(hours=3, minutes=30)


@pytest.mark.parametrize(
    "text",
    [
        "24:00-24:00",
        "10:00-09:00",
        "09:00-09:00",
        "9-17",
        "09:60-10:00",
        "09:00-24:01",
        "25:00-26:00",
        "a-b",
        "09:00",
    ],
)
def test_invalid_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        OpenInterval.parse(text)


@pytest.mark.parametrize(
    ("hours", "holidays"),
    [
        ({0: "09:00-12:00, 11:00-13:00"}, ()),  # overlap
        ({0: "13:00-14:00, 09:00-10:00"}, ()),  # not sorted
        ({7: "09:00-10:00"}, ()),  # no such weekday
        ({0: "09:00-10:00"}, (datetime(2026, 1, 1, tzinfo=UTC),)),  # a holiday is a date, not an instant
    ],
)
def test_invalid_calendars_are_refused(hours: dict[int, str], holidays: tuple[date, ...]) -> None:
    with pytest.raises(ValueError):
        business_calendar(AMSTERDAM, hours, holidays)


def test_calendar_refuses_unknown_zone_and_wrong_week_length() -> None:
    with pytest.raises(ValueError, match="time zone"):
        business_calendar("Mars/Olympus_Mons", {0: "09:00-10:00"})
    with pytest.raises(ValueError, match="7 days"):
        BusinessCalendar(AMSTERDAM, ((OpenInterval(0, 60),),) * 6)


def test_touching_intervals_are_allowed_and_calendars_are_values() -> None:
    calendar = business_calendar(AMSTERDAM, {0: ["09:00-12:00", OpenInterval(720, 780)]})
    assert calendar == business_calendar(AMSTERDAM, {0: "09:00-12:00,12:00-13:00"})
    assert hash(calendar) == hash(business_calendar(AMSTERDAM, {0: "09:00-12:00,12:00-13:00"}))
    assert calendar.weekly_open_time == 4 * HOUR
    assert OFFICE.weekly_open_time == timedelta(hours=37, minutes=30)
    assert always_open().is_always_open and not OFFICE.is_always_open and not ALL_DAY_GENERAL.is_always_open


# --- within a day, lunch, weekend, holiday (2026-03-02 is a Monday; Amsterdam is at UTC+1) ----------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ams(3, 2, 8, 59), False),
        (ams(3, 2, 9, 0), True),  # opening is inclusive
        (ams(3, 2, 12, 29), True),
        (ams(3, 2, 12, 30), False),  # lunch; closing is exclusive
        (ams(3, 2, 13, 30), True),
        (ams(3, 2, 17, 29), True),
        (ams(3, 2, 17, 30), False),
        (ams(3, 7, 10, 0), False),  # Saturday
        (ams(4, 27, 10, 0), False),  # King's Day
        (ams(4, 28, 10, 0), True),
        (at(NEW_YORK, 2026, 3, 2, 4, 0), True),  # 10:00 in Amsterdam: any zone may be passed in
    ],
)
def test_is_open(moment: datetime, expected: bool) -> None:
    assert is_open(OFFICE, moment) is expected


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (ams(3, 2, 10), 2 * HOUR, ams(3, 2, 12)),  # within a morning
        (ams(3, 2, 12), HOUR, ams(3, 2, 14)),  # across lunch
        (ams(3, 2, 9), timedelta(hours=3, minutes=30), ams(3, 2, 12, 30)),  # lands on a closing: that closing
        (ams(3, 2, 9), timedelta(hours=7, minutes=30), ams(3, 2, 17, 30)),
        (ams(3, 2, 7), HOUR, ams(3, 2, 10)),  # before opening: counting starts at 09:00
        (ams(3, 2, 12, 45), 15 * MINUTE, ams(3, 2, 13, 45)),  # during lunch
        (ams(3, 2, 18), HOUR, ams(3, 3, 10)),  # after closing: the next morning
        (ams(3, 6, 16, 30), 2 * HOUR, ams(3, 9, 10)),  # Friday afternoon -> Monday
        (ams(3, 7, 11), 30 * MINUTE, ams(3, 9, 9, 30)),  # on a Saturday
        (ams(4, 24, 16, 30), 2 * HOUR, ams(4, 28, 10)),  # Friday -> skips the weekend and King's Day
        (ams(3, 2, 9), timedelta(hours=37, minutes=30), ams(3, 6, 17, 30)),  # one full week
        (ams(3, 2, 9), timedelta(hours=38), ams(3, 9, 9, 30)),
        (ams(3, 7, 11), timedelta(0), ams(3, 7, 11)),  # nothing to count: the start itself, even when closed
    ],
)
def test_add_business_time(start: datetime, duration: timedelta, expected: datetime) -> None:
    due = add_business_time(OFFICE, start, duration)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (ams(3, 2, 8), ams(3, 3, 10), timedelta(hours=8, minutes=30)),
        (ams(3, 2, 12, 0), ams(3, 2, 14, 0), HOUR),
        (ams(3, 6, 17), ams(3, 9, 9, 30), timedelta(hours=1)),  # over a weekend
        (ams(4, 24, 0), ams(4, 29, 0), 2 * timedelta(hours=7, minutes=30)),  # Friday and Tuesday only
        (ams(3, 2, 0), ams(3, 9, 0), timedelta(hours=37, minutes=30)),
        (ams(3, 3, 10), ams(3, 2, 8), timedelta(0)),  # reversed
    ],
)
def test_business_time_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert business_time_between(OFFICE, start, end) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ams(3, 2, 10), ams(3, 2, 10)),  # already open
        (ams(3, 2, 12, 30), ams(3, 2, 13, 30)),
        (ams(3, 6, 17, 30), ams(3, 9, 9)),
        (ams(4, 25, 8), ams(4, 28, 9)),  # weekend then King's Day
    ],
)
def test_next_opening(moment: datetime, expected: datetime) -> None:
    assert next_opening(OFFICE, moment) == expected


def test_bad_arguments_and_a_calendar_that_never_opens() -> None:
    never = business_calendar(AMSTERDAM, {})
    with pytest.raises(ValueError, match="never open"):
        add_business_time(never, ams(3, 2), MINUTE)
    with pytest.raises(ValueError, match="never open"):
        next_opening(never, ams(3, 2))
    assert add_business_time(never, ams(3, 2), timedelta(0)) == ams(3, 2)
    assert business_time_between(never, ams(3, 2), ams(4, 2)) == timedelta(0)
    assert is_open(never, ams(3, 2, 10)) is False
    with pytest.raises(ValueError, match="non-negative"):
        add_business_time(OFFICE, ams(3, 2), -MINUTE)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(OFFICE, datetime(2026, 3, 2, 10), HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(OFFICE, datetime(2026, 3, 2, 10))


# --- daylight saving time -------------------------------------------------------------------------
# Amsterdam: 2026-03-29 01:00Z clocks go 02:00 -> 03:00; 2026-10-25 01:00Z they go 03:00 -> 02:00.
# New York: 2026-03-08 07:00Z 02:00 -> 03:00; 2026-11-01 06:00Z 02:00 -> 01:00.
# Santiago: 2026-04-05 03:00Z Sunday 00:00 -> Saturday 23:00; 2026-09-06 04:00Z Sunday 00:00 -> 01:00.


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (AMSTERDAM, date(2026, 3, 29), 23),
        (AMSTERDAM, date(2026, 10, 25), 25),
        (AMSTERDAM, date(2026, 3, 22), 24),
        (NEW_YORK, date(2026, 3, 8), 23),
        (NEW_YORK, date(2026, 11, 1), 25),
        (SANTIAGO, date(2026, 4, 4), 25),  # Saturday 23:00-24:00 happens twice
        (SANTIAGO, date(2026, 9, 6), 23),  # Sunday 00:00-01:00 never happens
    ],
)
def test_a_whole_day_lasts_23_24_or_25_hours(zone: str, day: date, hours: int) -> None:
    calendar = business_calendar(zone, {day.weekday(): "00:00-24:00"})
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    end = start.astimezone(UTC) + timedelta(hours=hours)
    assert (
        business_time_between(calendar, start - timedelta(hours=6), end + timedelta(hours=6)) == hours * HOUR
    )
    assert add_business_time(calendar, start, hours * HOUR) == end


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_nine_to_five_on_a_transition_sunday_is_eight_hours(day: date) -> None:
    calendar = business_calendar(AMSTERDAM, {6: "09:00-17:00"})
    opening = at(AMSTERDAM, day.year, day.month, day.day, 9)
    assert add_business_time(calendar, opening, 8 * HOUR) == at(AMSTERDAM, day.year, day.month, day.day, 17)
    assert business_time_between(calendar, opening - 9 * HOUR, opening + 15 * HOUR) == 8 * HOUR


def test_spring_forward_gap_in_amsterdam() -> None:
    gap_hour = business_calendar(AMSTERDAM, {6: "02:00-03:00"})
    assert business_time_between(gap_hour, utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)
    assert next_opening(gap_hour, utc(2026, 3, 28)) == utc(2026, 4, 5, 0)  # a week later, 02:00 CEST
    half_in_gap = business_calendar(AMSTERDAM, {6: "01:30-02:30"})
    assert business_time_between(half_in_gap, utc(2026, 3, 28), utc(2026, 3, 30)) == 30 * MINUTE
    opens_in_gap = business_calendar(AMSTERDAM, {6: "02:30-04:00"})
    assert next_opening(opens_in_gap, utc(2026, 3, 28)) == utc(
        2026, 3, 29, 1
    )  # opens at the jump, 03:00 CEST
    assert add_business_time(opens_in_gap, utc(2026, 3, 28), HOUR) == utc(2026, 3, 29, 2)


def test_fall_back_overlap_in_amsterdam_is_open_both_times() -> None:
    repeated_hour = business_calendar(AMSTERDAM, {6: "02:00-03:00"})
    assert business_time_between(repeated_hour, utc(2026, 10, 24), utc(2026, 10, 26)) == 2 * HOUR
    assert is_open(repeated_hour, at(AMSTERDAM, 2026, 10, 25, 2, 30, fold=0))
    assert is_open(repeated_hour, at(AMSTERDAM, 2026, 10, 25, 2, 30, fold=1))
    until_half_past_two = business_calendar(AMSTERDAM, {6: "00:00-02:30"})
    # 22:00Z-00:30Z (CEST) and again 01:00Z-01:30Z (CET): the wall clock reads before 02:30 twice.
    assert business_time_between(until_half_past_two, utc(2026, 10, 24), utc(2026, 10, 26)) == 3 * HOUR
    assert not is_open(until_half_past_two, utc(2026, 10, 25, 0, 45))  # 02:45 CEST
    assert is_open(until_half_past_two, utc(2026, 10, 25, 1, 15))  # 02:15 CET
    assert add_business_time(until_half_past_two, utc(2026, 10, 24, 23), 2 * HOUR) == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize(
    ("month", "day", "hours"), [(3, 28, 7), (10, 24, 9), (3, 21, 8)], ids=["spring", "fall", "ordinary"]
)
def test_night_shift_spanning_the_transition(month: int, day: int, hours: int) -> None:
    saturday_22 = ams(month, day, 22)
    end = add_business_time(NIGHT_SHIFT, saturday_22, hours * HOUR)
    assert end == ams(month, day + 1, 6)
    assert business_time_between(NIGHT_SHIFT, saturday_22, saturday_22 + 12 * HOUR) == hours * HOUR


@pytest.mark.parametrize(
    ("calendar", "start", "expected"),
    [
        (OFFICE, ams(3, 27, 16, 30), utc(2026, 3, 30, 8)),  # Friday 15:30Z -> Monday 10:00 CEST
        (OFFICE, ams(10, 23, 16, 30), utc(2026, 10, 26, 9)),  # Friday 14:30Z -> Monday 10:00 CET
        (NEW_YORK_OFFICE, at(NEW_YORK, 2026, 3, 6, 16), utc(2026, 3, 9, 14)),  # -> Monday 10:00 EDT
        (NEW_YORK_OFFICE, at(NEW_YORK, 2026, 10, 30, 16), utc(2026, 11, 2, 15)),  # -> Monday 10:00 EST
    ],
)
def test_weekday_hours_across_a_transition_weekend(
    calendar: BusinessCalendar, start: datetime, expected: datetime
) -> None:
    assert add_business_time(calendar, start, 2 * HOUR) == expected
    assert business_time_between(calendar, start, expected) == 2 * HOUR


def test_new_york_gap_and_overlap_hours() -> None:
    early = business_calendar(NEW_YORK, {6: "01:00-03:00"})
    assert business_time_between(early, utc(2026, 3, 7), utc(2026, 3, 9)) == HOUR
    assert business_time_between(early, utc(2026, 10, 31), utc(2026, 11, 2)) == 3 * HOUR


# --- 24/7 and long durations ----------------------------------------------------------------------


@pytest.mark.parametrize("calendar", [always_open(AMSTERDAM), ALL_DAY_GENERAL], ids=["shortcut", "general"])
def test_always_open_counts_elapsed_time_across_transitions(calendar: BusinessCalendar) -> None:
    for start in (utc(2026, 3, 28, 22, 17), utc(2026, 10, 24, 23, 59), utc(2026, 6, 1, 12)):
        assert is_open(calendar, start)
        assert next_opening(calendar, start) == start
        assert add_business_time(calendar, start, timedelta(days=3, minutes=7)) == start + timedelta(
            days=3, minutes=7
        )
        assert business_time_between(calendar, start, start + timedelta(days=40)) == timedelta(days=40)


def test_long_durations_skip_ahead_and_agree_with_small_steps() -> None:
    start = ams(1, 5, 10)
    started = wall_clock.perf_counter()
    far = add_business_time(OFFICE, start, timedelta(hours=100_000))  # about 51 years of office hours
    assert wall_clock.perf_counter() - started < 5  # takes well under 0.1 s when the machine is quiet
    assert business_time_between(OFFICE, start, far) == timedelta(hours=100_000)
    stepped = start
    for _ in range(20):
        stepped = add_business_time(OFFICE, stepped, timedelta(hours=250))
    assert stepped == add_business_time(OFFICE, start, timedelta(hours=5_000))


def test_long_durations_honour_every_holiday_and_transition() -> None:
    holidays = {date(2026, 1, 1) + timedelta(days=9 * step) for step in range(80)}
    calendar = business_calendar(AMSTERDAM, {weekday: "09:00-17:00" for weekday in range(5)}, holidays)
    start = ams(1, 5, 9)
    one_go = add_business_time(calendar, start, 1_600 * HOUR)
    stepped = start
    for _ in range(200):  # 8 hours at a time never skips a whole week
        stepped = add_business_time(calendar, stepped, 8 * HOUR)
    assert one_go == stepped
    day_by_day = sum(
        (
            business_time_between(calendar, start + timedelta(days=n), start + timedelta(days=n + 1))
            for n in range(400)
        ),
        timedelta(0),
    )
    assert business_time_between(calendar, start, start + timedelta(days=400)) == day_by_day


def minute_by_minute(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The reference: count open minutes one at a time using the definition ``is_open``."""
    minutes, moment = 0, start
    while moment < end:
        minutes += is_open(calendar, moment)
        moment += MINUTE
    return minutes * MINUTE


@pytest.mark.parametrize("calendar", [OFFICE, NIGHT_SHIFT, SUNDAYS_ALL_DAY], ids=["office", "night", "day"])
@pytest.mark.parametrize("transition", [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)], ids=["spring", "fall"])
def test_agrees_with_minute_by_minute_reference_around_transitions(
    calendar: BusinessCalendar, transition: datetime
) -> None:
    start, end = transition - timedelta(days=3, minutes=17), transition + timedelta(days=2, minutes=3)
    assert business_time_between(calendar, start, end) == minute_by_minute(calendar, start, end)


# --- properties -----------------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    business_calendar(
        NEW_YORK,
        {d: "08:00-20:00" for d in range(6)},
        {date(2025, 1, 1) + timedelta(days=11 * n) for n in range(100)},
    ),
    NEW_YORK_OFFICE,
    NIGHT_SHIFT,
    SANTIAGO_WEEKENDS,
    ALL_DAY_GENERAL,
    always_open(NEW_YORK),
    business_calendar(AMSTERDAM, {0: "00:00-01:00, 23:30-24:00", 2: "02:15-02:45", 6: "01:00-03:30"}),
]
TRANSITIONS = [
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 4, 5, 3),
    utc(2026, 9, 6, 4),
]
calendars = st.sampled_from(CALENDARS)
# Instants anywhere in 2025-2027, or within three days of a DST transition (where the bugs would be).
instants = st.one_of(
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda transition, shift: transition + shift,
        st.sampled_from(TRANSITIONS),
        st.timedeltas(-timedelta(days=3), timedelta(days=3)),
    ),
)
durations = st.one_of(
    st.timedeltas(timedelta(0), timedelta(hours=30)), st.timedeltas(timedelta(0), timedelta(hours=1_500))
)
property_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(calendars, instants, durations, durations)
def test_adding_in_two_steps_equals_adding_once(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    halfway = add_business_time(calendar, start, first)
    assert add_business_time(calendar, halfway, second) == add_business_time(calendar, start, first + second)


@property_settings
@given(calendars, instants, durations)
def test_time_between_start_and_due_is_the_duration(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    assert due.tzinfo is UTC and due >= start
    assert business_time_between(calendar, start, due) == duration
    if duration:  # the due instant is never inside closed time: the last microsecond before it was open
        assert business_time_between(calendar, due - timedelta(microseconds=1), due) == timedelta(
            microseconds=1
        )


@property_settings
@given(calendars, instants, instants, durations, durations)
def test_more_duration_or_a_later_start_never_gives_an_earlier_due(
    calendar: BusinessCalendar, start: datetime, other_start: datetime, duration: timedelta, other: timedelta
) -> None:
    (early, late), (short, long) = sorted([start, other_start]), sorted([duration, other])
    assert add_business_time(calendar, early, short) <= add_business_time(calendar, early, long)
    assert add_business_time(calendar, early, short) <= add_business_time(calendar, late, short)


@property_settings
@given(
    calendars,
    instants,
    st.timedeltas(timedelta(0), timedelta(days=20)),
    st.timedeltas(timedelta(0), timedelta(days=20)),
)
def test_time_between_adds_up_over_consecutive_ranges(
    calendar: BusinessCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = business_time_between(calendar, start, end)
    assert whole == business_time_between(calendar, start, middle) + business_time_between(
        calendar, middle, end
    )
    assert timedelta(0) <= whole <= end - start


@property_settings
@given(calendars, instants)
def test_is_open_and_next_opening_agree_with_the_arithmetic(
    calendar: BusinessCalendar, moment: datetime
) -> None:
    tick = timedelta(microseconds=1)
    assert is_open(calendar, moment) == (business_time_between(calendar, moment, moment + tick) == tick)
    opening = next_opening(calendar, moment)
    assert opening.tzinfo is UTC and opening >= moment
    assert is_open(calendar, opening)
    assert business_time_between(calendar, moment, opening) == timedelta(0)
    assert add_business_time(calendar, moment, tick) == opening + tick


@settings(max_examples=25, deadline=None)
@given(calendars, instants, st.integers(0, 4 * 24 * 60))
def test_time_between_agrees_with_minute_by_minute_reference(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    start = start.replace(second=0, microsecond=0)
    end = start + minutes * MINUTE
    assert business_time_between(calendar, start, end) == minute_by_minute(calendar, start, end)
