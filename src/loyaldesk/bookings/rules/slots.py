"""The slots an expert offers for a session: UTC start instants, derived from the schedule, the sessions
and holds already taken, and the clock. Pure: the caller passes "now" and what is busy.

The definition (``available_slots`` computes it directly; the property test checks it minute by minute):
a UTC instant ``s`` is offered for a session of length ``L`` when all of these hold.

1. **Working range.** For some local date ``D`` and working range ``a-b`` of ``D`` (its override's
   ranges, else its weekday's), the expert's clocks read ``D`` at ``a + k * step`` (``k >= 0``, before
   ``b``) at ``s``, and ``[s, s + L)`` lies inside the range's span. A range's span runs from the first
   instant the clocks read ``D a`` or later to the first instant they read ``D b`` or later (24:00 is the
   next day's 00:00). Daylight-saving time follows from this:

   - a range lasts its real length across a transition (09:00-17:00 is 8 hours, 00:00-24:00 is 23 or
     25 hours); a range starting or ending in a spring-forward gap starts or ends at the transition;
   - a grid start that does not exist (in a gap) is skipped, not moved: the next grid start is offered;
   - a grid start that exists twice (a fall-back fold) is offered at each of its two instants that fits
     the span: the expert is at work both times;
   - a session may run across a transition, as long as it ends inside the span.

2. **Window.** ``window_start <= s < window_end``.
3. **Notice.** ``s >= now + minimum_notice``.
4. **Buffers.** The session's buffered span ``[s - buffer_before, s + L + buffer_after)`` overlaps no
   busy period's buffered span ``[start - its buffer_before, end + its buffer_after)``. Intervals are
   half-open: spans that touch do not overlap. This is Cal.com's rule (each event's buffers stay clear
   of the other events and their buffers), and it is what an exclusion constraint on stored buffered
   spans enforces: store ``buffered_span(...)`` of each session and forbid overlaps.
5. **Daily cap.** With ``max_per_day``, fewer than ``max_per_day`` busy periods that count toward it
   start on local date ``D`` (the slot's own local date).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from loyaldesk.bookings.rules.local_time import (
    first_instant_reading_at_least,
    instants_reading,
    time_zone,
    wall_time,
)
from loyaldesk.bookings.rules.schedules import ZERO, Schedule

# A window longer than this is refused: slots are listed for the weeks ahead, not for all time.
MAXIMUM_WINDOW = timedelta(days=400)
_DAY = timedelta(days=1)


def _aware(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class BusyPeriod:
    """A time the expert is taken: a booked session, a hold while a shopper confirms, or a block.

    ``buffer_before``/``buffer_after`` are this period's own buffers (for a session: the expert's
    buffers when it was booked; for a block: usually none). ``counts_toward_daily_limit`` says whether it
    uses up one of ``max_per_day`` on the local date it starts (sessions and holds do, blocks do not).
    """

    start: datetime
    end: datetime
    buffer_before: timedelta = ZERO
    buffer_after: timedelta = ZERO
    counts_toward_daily_limit: bool = True

    def __post_init__(self) -> None:
        start, end = _aware("start", self.start), _aware("end", self.end)
        if end <= start:
            raise ValueError(f"a busy period ends after it starts, got {start} - {end}")
        if self.buffer_before < ZERO or self.buffer_after < ZERO:
            raise ValueError("buffers are zero or more")

    @classmethod
    def session(cls, start: datetime, session_length: timedelta, schedule: Schedule) -> BusyPeriod:
        """A session (or hold) of ``schedule``'s expert, with the schedule's buffers, counted per day."""
        return cls(start, start + session_length, schedule.buffer_before, schedule.buffer_after, True)

    @property
    def buffered_span(self) -> tuple[datetime, datetime]:
        """``[start - buffer_before, end + buffer_after)`` in UTC."""
        return (
            _aware("start", self.start) - self.buffer_before,
            _aware("end", self.end) + self.buffer_after,
        )


def buffered_span(
    start: datetime, session_length: timedelta, schedule: Schedule
) -> tuple[datetime, datetime]:
    """The UTC span a session starting at ``start`` keeps from other sessions, buffers included: what a
    database exclusion constraint stores and forbids to overlap."""
    return BusyPeriod.session(start, session_length, schedule).buffered_span


class _BlockedTime:
    """The union of busy buffered spans, as sorted disjoint intervals, asked "does this span meet it?"."""

    def __init__(self, busy: Iterable[BusyPeriod]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(period.buffered_span for period in busy):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        # The last merged interval starting before ``end`` is the only one that can reach past ``start``.
        index = bisect_left(self._starts, end) - 1
        return index >= 0 and self._ends[index] > start


def _sessions_per_local_date(schedule: Schedule, busy: Iterable[BusyPeriod]) -> Counter[date]:
    zone = time_zone(schedule.time_zone)
    return Counter(
        wall_time(_aware("start", period.start), zone).date()
        for period in busy
        if period.counts_toward_daily_limit
    )


def _grid_starts(
    schedule: Schedule, day: date, step_minutes: int, session_length: timedelta
) -> list[datetime]:
    """Candidate starts of local date ``day``: grid instants whose session fits in their range's span."""
    zone = time_zone(schedule.time_zone)
    midnight = datetime(day.year, day.month, day.day)
    found: list[datetime] = []
    for working in schedule.ranges_on(day):
        span_start = first_instant_reading_at_least(zone, midnight + timedelta(minutes=working.start_minute))
        span_end = first_instant_reading_at_least(zone, midnight + timedelta(minutes=working.end_minute))
        for minute in range(working.start_minute, working.end_minute, step_minutes):
            for start in instants_reading(zone, midnight + timedelta(minutes=minute)):
                if span_start <= start and start + session_length <= span_end:
                    found.append(start)
    return found


def available_slots(
    schedule: Schedule,
    session_length: timedelta,
    busy: Iterable[BusyPeriod],
    now: datetime,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    """The UTC start instants offered for a session of ``session_length``, sorted and distinct, following
    the definition in this module's docstring.

    ``busy`` lists the expert's sessions, holds and blocks (any that lie outside the window are harmless;
    those whose buffers reach into it matter). ``now``, ``window_start`` and ``window_end`` are aware
    datetimes in any zone; the window is at most ``MAXIMUM_WINDOW`` long. ``ValueError`` on a
    non-positive length or a bad window.
    """
    if not isinstance(session_length, timedelta) or session_length <= ZERO:
        raise ValueError(f"session_length must be a positive timedelta, got {session_length!r}")
    now, window_start, window_end = (
        _aware("now", now),
        _aware("window_start", window_start),
        _aware("window_end", window_end),
    )
    if window_end < window_start or window_end - window_start > MAXIMUM_WINDOW:
        raise ValueError(f"a window runs forward and lasts at most {MAXIMUM_WINDOW.days} days")
    step = schedule.slot_step or session_length
    if step % timedelta(minutes=1):
        raise ValueError("with no slot_step, the session length must be whole minutes (it is the step)")
    step_minutes = step // timedelta(minutes=1)

    periods = list(busy)
    blocked = _BlockedTime(periods)
    per_date = _sessions_per_local_date(schedule, periods) if schedule.max_per_day is not None else Counter()
    earliest = max(window_start, now + schedule.minimum_notice)
    zone = time_zone(schedule.time_zone)

    slots: set[datetime] = set()
    # A day either side: where a fold crosses midnight, a later instant can read an earlier date.
    day = wall_time(window_start, zone).date() - _DAY
    last_day = wall_time(window_end, zone).date() + _DAY
    while day <= last_day:
        if schedule.max_per_day is None or per_date[day] < schedule.max_per_day:
            for start in _grid_starts(schedule, day, step_minutes, session_length):
                if earliest <= start < window_end and not blocked.overlaps(
                    start - schedule.buffer_before, start + session_length + schedule.buffer_after
                ):
                    slots.add(start)
        day += _DAY
    return sorted(slots)


def is_slot_available(
    schedule: Schedule,
    session_length: timedelta,
    busy: Iterable[BusyPeriod],
    now: datetime,
    start: datetime,
) -> bool:
    """Whether ``start`` is one of the offered slots right now: the check a booking or hold makes before
    it writes (the database constraint then settles races)."""
    start = _aware("start", start)
    return start in available_slots(schedule, session_length, busy, now, start, start + timedelta(minutes=1))
