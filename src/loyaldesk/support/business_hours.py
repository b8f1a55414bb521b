"""Business-hours calendars and time arithmetic on them. Pure: no I/O, no clock.

One definition drives everything here: an instant is *open* when its local wall-clock time, in the
calendar's IANA time zone, falls inside one of the intervals listed for the weekday of its local date,
and that local date is not a holiday. Daylight-saving time follows from this definition instead of being
special-cased:

- an interval is the set of instants whose wall time lies in it, so a 09:00-17:00 day is 8 hours on
  either transition day, while a 00:00-24:00 day lasts 23 or 25 hours;
- wall times skipped by a spring-forward gap belong to no instant: an interval starting inside the gap
  effectively opens at the transition, and one lying wholly inside it is empty;
- wall times repeated by a fall-back overlap occur twice and are open both times (02:00-03:00 on the
  night clocks go back lasts two hours).

Intervals are whole minutes after local midnight; an interval may end at minute 1440 (24:00), which
touches the next day's 00:00. Every instant returned is a timezone-aware ``datetime`` in UTC; every
instant accepted must be timezone-aware (any zone). Time zone data comes from ``zoneinfo``; the code
assumes a zone never changes its UTC offset twice within 12 hours (true of every zone in the tz
database) and that offsets stay within +-16 hours.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
ZERO = timedelta(0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
# No zone's offset has ever been further from UTC than this (local mean times reached about 15h56m):
# every instant of a local date lies within this margin of that date's midnight read as UTC.
_WIDEST_OFFSET = timedelta(hours=16)
# Offsets are sampled this far apart; a change is then located to the second by bisection.
_PROBE_STEP = timedelta(hours=12)
_CLOCK_TEXT = re.compile(r"^(\d{1,2}):(\d{2})$")

Span = tuple[datetime, datetime]


@dataclass(frozen=True, order=True)
class OpenInterval:
    """Open from ``start_minute`` up to (not including) ``end_minute``, in minutes after local midnight.

    ``0 <= start_minute < end_minute <= 1440``; an end of 1440 means 24:00 (open until midnight).
    """

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        for value in (self.start_minute, self.end_minute):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"interval minutes must be integers, got {value!r}")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"an interval needs 00:00 <= start < end <= 24:00, got {_clock(self.start_minute)}"
                f"-{_clock(self.end_minute)}"
            )

    @classmethod
    def parse(cls, text: str) -> OpenInterval:
        """``"09:00-12:30"`` -> ``OpenInterval(540, 750)``; ``"24:00"`` is allowed as an end only."""
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"an interval is written HH:MM-HH:MM, got {text!r}")
        return cls(_parse_clock(parts[0].strip()), _parse_clock(parts[1].strip()))

    @property
    def length(self) -> timedelta:
        """The interval's length in wall-clock time (what it lasts on a day without a DST change)."""
        return timedelta(minutes=self.end_minute - self.start_minute)

    def __str__(self) -> str:
        return f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"


def _parse_clock(text: str) -> int:
    match = _CLOCK_TEXT.match(text)
    if match is None:
        raise ValueError(f"a time of day is written HH:MM, got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return hours * 60 + minutes


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team is at work: opening intervals per weekday, in one IANA time zone, minus holidays.

    ``weekly_hours[0]`` is Monday ... ``weekly_hours[6]`` Sunday (``date.weekday()``); each day's
    intervals are sorted and do not overlap (touching is fine). ``holidays`` are local dates closed all
    day. Construction validates everything and raises ``ValueError`` naming the problem.
    """

    time_zone: str
    weekly_hours: tuple[tuple[OpenInterval, ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error
        days = tuple(tuple(intervals) for intervals in self.weekly_hours)
        if len(days) != 7:
            raise ValueError(f"weekly_hours needs 7 days (Monday first), got {len(days)}")
        for weekday, intervals in enumerate(days):
            for interval in intervals:
                if not isinstance(interval, OpenInterval):
                    raise ValueError(f"weekday {weekday}: {interval!r} is not an OpenInterval")
            for before, after in pairwise(intervals):
                if after.start_minute < before.end_minute:
                    raise ValueError(f"weekday {weekday}: {before} and {after} overlap or are out of order")
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"a holiday is a date, got {holiday!r}")
        object.__setattr__(self, "weekly_hours", days)
        object.__setattr__(self, "holidays", holidays)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def weekly_open_time(self) -> timedelta:
        """Open wall-clock time in a week without holidays or DST changes (zero: never open)."""
        return sum((interval.length for day in self.weekly_hours for interval in day), ZERO)

    @property
    def is_always_open(self) -> bool:
        """Open at every instant: 00:00-24:00 on all seven days and no holidays."""
        whole_day = (OpenInterval(0, MINUTES_PER_DAY),)
        return not self.holidays and all(day == whole_day for day in self.weekly_hours)


def business_calendar(
    time_zone: str,
    hours: Mapping[int, str | Sequence[str | OpenInterval]],
    holidays: Iterable[date] = (),
) -> BusinessCalendar:
    """A calendar from ``{weekday: intervals}`` (Monday 0 .. Sunday 6); missing weekdays are closed.

    Intervals are ``OpenInterval`` values or text such as ``"09:00-12:30"``; one string may hold several
    separated by commas (``"09:00-12:30, 13:30-17:30"``). Raises ``ValueError`` on anything invalid.
    """
    weekly: list[tuple[OpenInterval, ...]] = [() for _ in range(7)]
    for weekday, given in hours.items():
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        items = given.split(",") if isinstance(given, str) else given
        weekly[weekday] = tuple(
            item if isinstance(item, OpenInterval) else OpenInterval.parse(item) for item in items
        )
    return BusinessCalendar(time_zone, tuple(weekly), frozenset(holidays))


def always_open(time_zone: str = "UTC") -> BusinessCalendar:
    """The 24/7 calendar: every instant is open, so business time equals elapsed time."""
    return BusinessCalendar(time_zone, tuple((OpenInterval(0, MINUTES_PER_DAY),) for _ in range(7)))


def is_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    """Whether ``moment`` (aware) is open: its local wall time lies in an interval of its local date."""
    local = aware_utc(moment, "moment").astimezone(calendar.zone)
    if local.date() in calendar.holidays:
        return False
    since_midnight = local.replace(tzinfo=None) - datetime.combine(local.date(), time())
    return any(
        timedelta(minutes=interval.start_minute) <= since_midnight < timedelta(minutes=interval.end_minute)
        for interval in calendar.weekly_hours[local.weekday()]
    )


def next_opening(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """The earliest open instant at or after ``moment`` (``moment`` itself when open), in UTC.

    Raises ``ValueError`` when the calendar has no open time at all.
    """
    moment = aware_utc(moment, "moment")
    _require_open_time(calendar)
    for piece in _open_pieces(calendar, _local_date(calendar, moment) - _DAY):
        for start, end in _spans_of(calendar, piece):
            if end > moment:
                return max(start, moment)
    raise AssertionError("unreachable: the open pieces never end")


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant (UTC) by which ``duration`` of open time has passed since ``start``.

    Counting begins at ``start`` if open, else at the next opening. The result is the least ``t >= start``
    with ``business_time_between(calendar, start, t) == duration``: landing exactly on a closing time
    returns that closing time, and a zero duration returns ``start``. Raises ``ValueError`` for a
    negative duration, a naive ``start``, or a positive duration on a calendar with no open time.
    """
    start = aware_utc(start, "start")
    if not isinstance(duration, timedelta) or duration < ZERO:
        raise ValueError(f"duration must be a non-negative timedelta, got {duration!r}")
    if duration == ZERO:
        return start
    _require_open_time(calendar)
    if calendar.is_always_open:
        return start + duration
    remaining = duration
    for piece in _open_pieces(calendar, _local_date(calendar, start) - _DAY):
        if isinstance(piece, _Week) and piece.start >= start and piece.open_time < remaining:
            remaining -= piece.open_time
            continue
        for span_start, span_end in _spans_of(calendar, piece):
            if span_end <= start:
                continue
            counted_from = max(span_start, start)
            if span_end - counted_from >= remaining:
                return counted_from + remaining
            remaining -= span_end - counted_from
    raise AssertionError("unreachable: the open pieces never end")


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time within ``[start, end)``; zero when ``end <= start``. Both instants must be aware."""
    start, end = aware_utc(start, "start"), aware_utc(end, "end")
    if end <= start or calendar.weekly_open_time == ZERO:
        return ZERO
    if calendar.is_always_open:
        return end - start
    total = ZERO
    for piece in _open_pieces(calendar, _local_date(calendar, start) - _DAY):
        if isinstance(piece, _Week) and start <= piece.start and piece.end <= end:
            total += piece.open_time
            continue
        for span_start, span_end in _spans_of(calendar, piece):
            if span_start >= end:
                return total
            total += max(ZERO, min(span_end, end) - max(span_start, start))
    raise AssertionError("unreachable: the open pieces never end")


# --- how open time is laid out in UTC -------------------------------------------------------------


@dataclass(frozen=True)
class _Week:
    """Seven local dates from ``first_day`` with one UTC offset throughout: open time known in advance.

    Every open instant of those dates lies in ``[start, end)`` and no other date's open instant does.
    """

    first_day: date
    offset: timedelta
    start: datetime
    end: datetime
    open_time: timedelta


def _open_pieces(calendar: BusinessCalendar, first_day: date) -> Iterator[Span | _Week]:
    """Open time from local date ``first_day`` on, in UTC order, disjoint, never ending.

    Stretches with a steady UTC offset come as whole ``_Week`` pieces (so long durations skip a week at a
    time); around offset changes, dates are laid out one by one as spans, buffered in a heap because a
    clock set back across midnight would put some of one date's instants after the next date's first.
    """
    zone = calendar.zone
    waiting: list[Span] = []
    day = first_day
    while True:
        midnight = _wall_midnight(day)
        offset = _steady_offset(zone, midnight - _WIDEST_OFFSET, midnight + _WEEK + _WIDEST_OFFSET)
        if offset is not None:
            while waiting:
                yield heapq.heappop(waiting)
            days = [day + timedelta(days=step) for step in range(7)]
            open_time = sum((_wall_open_time(calendar, each) for each in days), ZERO)
            yield _Week(day, offset, midnight - offset, midnight + _WEEK - offset, open_time)
            day += _WEEK
            continue
        for span in _date_spans(calendar, day):
            heapq.heappush(waiting, span)
        day += _DAY
        # Instants of later dates read at least their midnight, so none starts before this.
        horizon = _wall_midnight(day) - _WIDEST_OFFSET
        while waiting and waiting[0][0] < horizon:
            yield heapq.heappop(waiting)


def _wall_open_time(calendar: BusinessCalendar, day: date) -> timedelta:
    if day in calendar.holidays:
        return ZERO
    return sum((interval.length for interval in calendar.weekly_hours[day.weekday()]), ZERO)


def _spans_of(calendar: BusinessCalendar, piece: Span | _Week) -> Iterator[Span]:
    if not isinstance(piece, _Week):
        yield piece
        return
    for step in range(7):
        day = piece.first_day + timedelta(days=step)
        if day in calendar.holidays:
            continue
        midnight = _wall_midnight(day)
        for interval in calendar.weekly_hours[day.weekday()]:
            yield (
                midnight + timedelta(minutes=interval.start_minute) - piece.offset,
                midnight + timedelta(minutes=interval.end_minute) - piece.offset,
            )


def _date_spans(calendar: BusinessCalendar, day: date) -> list[Span]:
    """The open instants of local date ``day`` as sorted, merged UTC spans, offset changes included."""
    intervals = () if day in calendar.holidays else calendar.weekly_hours[day.weekday()]
    if not intervals:
        return []
    midnight = _wall_midnight(day)
    segments = _offset_segments(calendar.zone, midnight - _WIDEST_OFFSET, midnight + _DAY + _WIDEST_OFFSET)
    pieces: list[Span] = []
    for interval in intervals:
        wall_start = midnight + timedelta(minutes=interval.start_minute)
        wall_end = midnight + timedelta(minutes=interval.end_minute)
        # Within a segment the offset is fixed, so the wall interval maps to one UTC interval there.
        for segment_start, segment_end, offset in segments:
            start, end = max(wall_start - offset, segment_start), min(wall_end - offset, segment_end)
            if start < end:
                pieces.append((start, end))
    pieces.sort()
    merged: list[Span] = []
    for start, end in pieces:
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _offset_segments(
    zone: ZoneInfo, low: datetime, high: datetime
) -> list[tuple[datetime, datetime, timedelta]]:
    """``[low, high)`` cut where the zone's UTC offset changes: ``(start, end, offset)`` in order."""
    segments = []
    segment_start, segment_offset = low, _offset_at(zone, low)
    probe = low
    while probe < high:
        next_probe = min(probe + _PROBE_STEP, high)
        next_offset = _offset_at(zone, next_probe)
        if next_offset != segment_offset:
            change = _change_instant(zone, probe, next_probe, segment_offset)
            segments.append((segment_start, change, segment_offset))
            segment_start, segment_offset = change, next_offset
        probe = next_probe
    segments.append((segment_start, high, segment_offset))
    return segments


def _change_instant(zone: ZoneInfo, before: datetime, after: datetime, old_offset: timedelta) -> datetime:
    """The first whole second in ``(before, after]`` with a new offset (tz changes fall on whole seconds)."""
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(zone, before + timedelta(seconds=middle)) == old_offset:
            low = middle
        else:
            high = middle
    return before + timedelta(seconds=high)


def _steady_offset(zone: ZoneInfo, low: datetime, high: datetime) -> timedelta | None:
    """The zone's UTC offset if it is the same at every probe across ``[low, high]``, else ``None``."""
    offset = _offset_at(zone, low)
    probe = low
    while probe < high:
        probe = min(probe + _PROBE_STEP, high)
        if _offset_at(zone, probe) != offset:
            return None
    return offset


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _wall_midnight(day: date) -> datetime:
    """Local midnight of ``day`` written as if it were UTC: a wall time ``w`` at offset ``o`` is ``w - o``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _local_date(calendar: BusinessCalendar, instant: datetime) -> date:
    return instant.astimezone(calendar.zone).date()


def _require_open_time(calendar: BusinessCalendar) -> None:
    if calendar.weekly_open_time == ZERO:
        raise ValueError("the calendar is never open, so no business time can pass")


def aware_utc(moment: datetime, name: str = "moment") -> datetime:
    """``moment`` in UTC; ``ValueError`` naming ``name`` unless it is a timezone-aware ``datetime``."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)
