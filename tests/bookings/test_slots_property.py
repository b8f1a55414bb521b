"""``available_slots`` against a brute-force reference, across time zones with daylight-saving time
(including half-hour shifts, midnight transitions and negative DST), buffers, overrides, notice, daily
caps and busy periods: the two must be equal in every case.

The reference is written from the definition in ``loyaldesk.bookings.rules.slots``'s docstring and
shares no code with it: it walks every UTC minute of the window, reads the wall clock there, finds a
range's span by walking minutes until the clock reads its bounds, and checks buffers minute by minute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from loyaldesk.bookings.rules.schedules import DateOverride, Schedule, WeeklyHours, WorkingRange
from loyaldesk.bookings.rules.slots import BusyPeriod, available_slots

MINUTE = timedelta(minutes=1)
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",  # negative DST in the tz database: winter is the "daylight" offset
    "Australia/Sydney",
    "Australia/Lord_Howe",  # shifts by 30 minutes
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -3:30 / -2:30
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight (00:00 -> 01:00, 01:00 -> 00:00)
    "Africa/Casablanca",  # changes around Ramadan, twice a year in the other direction
    "Asia/Tokyo",
    "Asia/Kolkata",
    "UTC",
)


# ---------------------------------------------------------------- the reference
def _first_instant_reading(zone: ZoneInfo, wall: datetime) -> datetime:
    """Walk UTC minutes from well before ``wall`` until the clock reads ``wall`` or later."""
    instant = wall.replace(tzinfo=UTC) - timedelta(hours=15)  # no zone is 15 hours ahead of UTC
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += MINUTE
    return instant


def reference_slots(
    plan: Schedule,
    length: timedelta,
    busy: Sequence[BusyPeriod],
    now: datetime,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    zone = ZoneInfo(plan.time_zone)
    overrides = {override.day: override.ranges for override in plan.overrides}
    step_minutes = int((plan.slot_step or length).total_seconds()) // 60
    blocked_minutes: set[datetime] = set()
    for period in busy:
        minute = period.start - period.buffer_before
        while minute < period.end + period.buffer_after:
            blocked_minutes.add(minute)
            minute += MINUTE
    sessions_on: Counter[date] = Counter()
    for period in busy:
        if period.counts_toward_daily_limit:
            sessions_on[period.start.astimezone(zone).date()] += 1

    @cache
    def span(day: date, start_minute: int, end_minute: int) -> tuple[datetime, datetime]:
        midnight = datetime(day.year, day.month, day.day)
        return (
            _first_instant_reading(zone, midnight + timedelta(minutes=start_minute)),
            _first_instant_reading(zone, midnight + timedelta(minutes=end_minute)),
        )

    found = []
    candidate = window_start
    while candidate < window_end:
        wall = candidate.astimezone(zone)
        day, minute_of_day = wall.date(), wall.hour * 60 + wall.minute
        ranges = overrides[day] if day in overrides else plan.weekly.days[day.weekday()]
        fits = False
        for working in ranges:
            on_grid = (minute_of_day - working.start_minute) % step_minutes == 0 and wall.second == 0
            if working.start_minute <= minute_of_day < working.end_minute and on_grid:
                first, last = span(day, working.start_minute, working.end_minute)
                fits = fits or (first <= candidate and candidate + length <= last)
        if fits and candidate >= now + plan.minimum_notice:
            clear = True
            minute = candidate - plan.buffer_before
            while clear and minute < candidate + length + plan.buffer_after:
                clear = minute not in blocked_minutes
                minute += MINUTE
            under_cap = plan.max_per_day is None or sessions_on[day] < plan.max_per_day
            if clear and under_cap:
                found.append(candidate)
        candidate += MINUTE
    return found


# ---------------------------------------------------------------- the cases
@cache
def offset_change_days(zone_name: str) -> tuple[datetime, ...]:
    """UTC midnights of the days (2024-2028) at whose end the zone's offset differs from its start."""
    zone = ZoneInfo(zone_name)
    days = []
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    while moment.year < 2029:
        if moment.astimezone(zone).utcoffset() != (moment + timedelta(days=1)).astimezone(zone).utcoffset():
            days.append(moment)
        moment += timedelta(days=1)
    return tuple(days)


def _ranges(boundaries: list[int]) -> tuple[WorkingRange, ...]:
    points = sorted(set(boundaries))
    return tuple(WorkingRange(start, end) for start, end in zip(points[::2], points[1::2], strict=False))


day_ranges = st.lists(st.integers(0, 48).map(lambda half_hours: half_hours * 30), min_size=1, max_size=4).map(
    _ranges
)
odd_day_ranges = st.lists(st.integers(0, 1440), max_size=4).map(_ranges)
# Bounds where clocks usually change (around 02:00, and at midnight in Havana and Santiago).
near_changes = st.sampled_from([0, 30, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440])
change_day_ranges = st.lists(near_changes, min_size=1, max_size=4).map(_ranges)
any_day_ranges = st.one_of(
    day_ranges, change_day_ranges, odd_day_ranges, st.just((WorkingRange(0, 1440),)), st.just(())
)
minutes_of = st.sampled_from
buffers = minutes_of([0, 0, 5, 15, 30, 45, 60, 90]).map(lambda m: timedelta(minutes=m))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, timedelta, list[BusyPeriod], datetime, datetime, datetime]:
    zone_name = draw(st.sampled_from(ZONES))
    changes = offset_change_days(zone_name)
    near_a_change = draw(st.integers(0, 4)) > 0
    if changes and near_a_change:
        anchor = draw(st.sampled_from(changes))
    else:
        anchor = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 5 * 365)))
    unit = draw(st.sampled_from([1, 15]))  # whole quarter hours make the window's bounds meet slots
    window_start = anchor + timedelta(minutes=unit * draw(st.integers(-36 * 60 // unit, 12 * 60 // unit)))
    window_end = window_start + timedelta(
        minutes=draw(st.one_of(st.integers(0, 3 * 24 * 60), st.integers(24 * 60, 3 * 24 * 60)))
    )
    first_local_day = window_start.astimezone(ZoneInfo(zone_name)).date()
    override_days = draw(st.sets(st.integers(-1, 3), max_size=3))
    overrides = tuple(
        DateOverride(first_local_day + timedelta(days=offset), draw(any_day_ranges))
        for offset in sorted(override_days)
    )
    length = timedelta(minutes=draw(minutes_of([5, 15, 20, 30, 45, 60, 90, 120, 180])))
    step = draw(
        st.one_of(st.none(), minutes_of([5, 10, 15, 20, 30, 45, 60, 90]).map(lambda m: timedelta(minutes=m)))
    )
    plan = Schedule(
        zone_name,
        WeeklyHours(tuple(draw(any_day_ranges) for _ in range(7))),
        overrides,
        buffer_before=draw(buffers),
        buffer_after=draw(buffers),
        minimum_notice=timedelta(
            minutes=draw(
                st.one_of(st.just(0), st.integers(0, 16).map(lambda q: q * 15), st.integers(0, 3000))
            )
        ),
        max_per_day=draw(st.sampled_from([None, 1, 1, 2, 3])),
        slot_step=step,
    )
    busy = []
    for _ in range(draw(st.integers(0, 5))):
        reach = int((window_end - window_start) / MINUTE) + 6 * 60
        start = window_start + timedelta(minutes=draw(st.integers(-6 * 60, reach)) // 5 * 5)
        busy.append(
            BusyPeriod(
                start,
                start + timedelta(minutes=draw(st.integers(1, 240))),
                draw(buffers),
                draw(buffers),
                draw(st.booleans()),
            )
        )
    # Often on the quarter hour, so that now + notice lands exactly on a slot.
    now = draw(
        st.one_of(
            st.integers(-2 * 24 * 3600, 12 * 3600).map(
                lambda seconds: window_start + timedelta(seconds=seconds)
            ),
            st.integers(-8 * 24, 24 * 4).map(lambda quarters: anchor + quarters * timedelta(minutes=15)),
        )
    )
    return plan, length, busy, now, window_start, window_end


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_offered_slots_equal_the_brute_force_reference(
    case: tuple[Schedule, timedelta, list[BusyPeriod], datetime, datetime, datetime],
) -> None:
    plan, length, busy, now, window_start, window_end = case
    assert available_slots(plan, length, busy, now, window_start, window_end) == reference_slots(
        plan, length, busy, now, window_start, window_end
    )


def test_every_offset_change_of_every_zone_agrees_and_offers_slots() -> None:
    """Deterministic cover of each transition day of 2026 in every zone, with hours around the clock,
    ranges starting in likely gaps and folds, and buffered sessions in the way."""
    weekly = WeeklyHours.from_mapping(
        {day: ["00:00-01:30", "02:00-03:30", "08:00-24:00"] for day in range(7)}
    )
    checked = 0
    for zone_name in ZONES:
        for change_day in offset_change_days(zone_name):
            if change_day.year != 2026:
                continue
            plan = Schedule(
                zone_name,
                weekly,
                buffer_before=timedelta(minutes=10),
                buffer_after=timedelta(minutes=20),
                slot_step=timedelta(minutes=30),
            )
            window_start, window_end = change_day - timedelta(hours=14), change_day + timedelta(hours=38)
            busy = [
                BusyPeriod.session(change_day + timedelta(hours=hours), timedelta(hours=1), plan)
                for hours in (1, 9)
            ]
            now = window_start - timedelta(days=1)
            offered = available_slots(plan, timedelta(minutes=45), busy, now, window_start, window_end)
            assert offered, (zone_name, change_day)
            assert offered == reference_slots(
                plan, timedelta(minutes=45), busy, now, window_start, window_end
            ), (
                zone_name,
                change_day,
            )
            checked += 1
    assert checked >= 20


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(cases(), st.data())
def test_bounds_placed_exactly_on_offered_slots_agree(
    case: tuple[Schedule, timedelta, list[BusyPeriod], datetime, datetime, datetime], data: st.DataObject
) -> None:
    """The window's ends, now + notice and busy periods' buffered edges put exactly on (or a minute off)
    slots that a free calendar offers: where an off-by-one would show."""
    plan, length, _, _, window_start, window_end = case
    free = reference_slots(plan, length, (), window_start - timedelta(days=30), window_start, window_end)
    assume(free)
    first, last = sorted([data.draw(st.sampled_from(free)), data.draw(st.sampled_from(free))])
    nudge = data.draw(st.sampled_from([timedelta(0), timedelta(0), MINUTE, -MINUTE, timedelta(seconds=1)]))
    opening = first + data.draw(st.sampled_from([timedelta(0), MINUTE]))
    bounds = (opening, max(opening, last + nudge))
    now = (
        first
        - plan.minimum_notice
        + data.draw(st.sampled_from([timedelta(0), -MINUTE, timedelta(seconds=1)]))
    )
    busy = []
    for _ in range(data.draw(st.integers(1, 3))):
        target = data.draw(st.sampled_from(free))
        own_before, own_after = data.draw(buffers), data.draw(buffers)
        gap = data.draw(st.sampled_from([timedelta(0), timedelta(0), -MINUTE, MINUTE]))
        if data.draw(st.booleans()):  # just before the target: its buffered end meets the target's
            end = target - plan.buffer_before - own_after + gap
            start = end - timedelta(minutes=data.draw(st.integers(1, 120)))
        else:  # just after: its buffered start meets the target's buffered end
            start = target + length + plan.buffer_after + own_before - gap
            end = start + timedelta(minutes=data.draw(st.integers(1, 120)))
        busy.append(BusyPeriod(start, end, own_before, own_after, data.draw(st.booleans())))
    assert available_slots(plan, length, busy, now, *bounds) == reference_slots(
        plan, length, busy, now, *bounds
    )
