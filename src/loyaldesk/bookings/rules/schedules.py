"""An expert's schedule as values: weekly working hours in the expert's own time zone, dates that
override them (other hours, or none for a holiday), buffers around each session, the minimum notice a
shopper must give, a cap on sessions per local day and the step between offered starts.

Hours are local wall-clock time: "09:00-17:00" means from when the expert's clocks read 09:00 until
they read 17:00, whatever the UTC offset that day. How that meets daylight-saving time is defined in
``slots`` (where the ranges become instants). Everything here is validated on construction, so a
``Schedule`` that exists is usable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

from loyaldesk.bookings.rules.local_time import time_zone

MINUTES_PER_DAY = 24 * 60
DAYS_PER_WEEK = 7
ZERO = timedelta(0)
_CLOCK_TEXT = re.compile(r"^(\d{1,2}):(\d{2})$")


def _parse_clock(text: str) -> int:
    match = _CLOCK_TEXT.match(text.strip())
    if match is None:
        raise ValueError(f"a time of day is written HH:MM, got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"no such time of day: {text!r}")
    return hours * 60 + minutes


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, order=True)
class WorkingRange:
    """Working from ``start_minute`` until ``end_minute``, in minutes after local midnight (wall clock).

    ``0 <= start_minute < end_minute <= 1440``; an end of 1440 (24:00) is the next day's midnight. A
    range never crosses midnight: a night shift is two ranges on two dates, and a session must fit in
    one range.
    """

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        for value in (self.start_minute, self.end_minute):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"range minutes must be integers, got {value!r}")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"a working range needs 00:00 <= start < end <= 24:00, got {self}")

    @classmethod
    def parse(cls, text: str) -> WorkingRange:
        """``"09:00-12:30"`` -> ``WorkingRange(540, 750)``."""
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"a working range is written HH:MM-HH:MM, got {text!r}")
        return cls(_parse_clock(parts[0]), _parse_clock(parts[1]))

    def __str__(self) -> str:
        return f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"


RangeLike = WorkingRange | str


def working_ranges(ranges: Iterable[RangeLike]) -> tuple[WorkingRange, ...]:
    """The ranges of one day, parsed and sorted; ``ValueError`` when two of them overlap or touch (write
    "09:00-17:00", not "09:00-12:00" and "12:00-17:00": a session must fit inside one range)."""
    parsed = sorted(item if isinstance(item, WorkingRange) else WorkingRange.parse(item) for item in ranges)
    for earlier, later in pairwise(parsed):
        if later.start_minute <= earlier.end_minute:
            raise ValueError(f"working ranges {earlier} and {later} overlap or touch: join them into one")
    return tuple(parsed)


@dataclass(frozen=True)
class WeeklyHours:
    """Working ranges for each weekday, indexed as ``date.weekday()`` (Monday 0 ... Sunday 6)."""

    days: tuple[tuple[WorkingRange, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != DAYS_PER_WEEK:
            raise ValueError(f"weekly hours need 7 days, got {len(self.days)}")
        for ranges in self.days:
            if working_ranges(ranges) != tuple(ranges):
                raise ValueError("each day's ranges must be sorted and apart: build them with working_ranges")

    @classmethod
    def from_mapping(cls, by_weekday: Mapping[int, Sequence[RangeLike]]) -> WeeklyHours:
        """``{0: ["09:00-12:00", "13:00-17:00"], 4: ["10:00-14:00"]}``: weekdays left out are days off."""
        for weekday in by_weekday:
            if weekday not in range(DAYS_PER_WEEK):
                raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), got {weekday!r}")
        return cls(tuple(working_ranges(by_weekday.get(weekday, ())) for weekday in range(DAYS_PER_WEEK)))


@dataclass(frozen=True)
class DateOverride:
    """On local date ``day`` the expert works ``ranges`` instead of the weekly hours; no ranges is a
    holiday (no slot that day)."""

    day: date
    ranges: tuple[WorkingRange, ...] = ()

    @classmethod
    def of(cls, day: date, ranges: Iterable[RangeLike] = ()) -> DateOverride:
        return cls(day, working_ranges(ranges))

    @classmethod
    def holiday(cls, day: date) -> DateOverride:
        return cls(day, ())

    def __post_init__(self) -> None:
        if working_ranges(self.ranges) != tuple(self.ranges):
            raise ValueError("an override's ranges must be sorted and apart: build it with DateOverride.of")


def _whole_minutes(name: str, value: timedelta, *, positive: bool) -> None:
    if not isinstance(value, timedelta):
        raise ValueError(f"{name} must be a timedelta, got {value!r}")
    if value < ZERO or (positive and value == ZERO):
        raise ValueError(f"{name} must be {'positive' if positive else 'zero or more'}, got {value}")
    if value % timedelta(minutes=1):
        raise ValueError(f"{name} must be whole minutes, got {value}")


@dataclass(frozen=True)
class Schedule:
    """When an expert can be booked.

    - ``time_zone``: the IANA zone the hours and overrides are read in (and the local day of
      ``max_per_day``);
    - ``weekly`` and ``overrides``: working ranges per local date (an override replaces that date's
      weekly ranges; at most one override per date);
    - ``buffer_before`` / ``buffer_after``: time kept free before and after each session; the buffered
      spans of two sessions never overlap (see ``slots``);
    - ``minimum_notice``: a session starts at least this long after "now";
    - ``max_per_day``: at most this many sessions start on one local date (``None``: no cap);
    - ``slot_step``: offered starts are this far apart from the start of each range (``None``: the
      session's own length, Cal.com's default).

    Buffers, notice and step are whole minutes.
    """

    time_zone: str
    weekly: WeeklyHours
    overrides: tuple[DateOverride, ...] = ()
    buffer_before: timedelta = ZERO
    buffer_after: timedelta = ZERO
    minimum_notice: timedelta = ZERO
    max_per_day: int | None = None
    slot_step: timedelta | None = None
    _override_by_day: dict[date, tuple[WorkingRange, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        time_zone(self.time_zone)
        _whole_minutes("buffer_before", self.buffer_before, positive=False)
        _whole_minutes("buffer_after", self.buffer_after, positive=False)
        _whole_minutes("minimum_notice", self.minimum_notice, positive=False)
        if self.slot_step is not None:
            _whole_minutes("slot_step", self.slot_step, positive=True)
        if self.max_per_day is not None and (
            not isinstance(self.max_per_day, int)
            or isinstance(self.max_per_day, bool)
            or self.max_per_day < 1
        ):
            raise ValueError(f"max_per_day must be a positive integer or None, got {self.max_per_day!r}")
        by_day: dict[date, tuple[WorkingRange, ...]] = {}
        for override in self.overrides:
            if override.day in by_day:
                raise ValueError(f"two overrides for {override.day.isoformat()}")
            by_day[override.day] = override.ranges
        object.__setattr__(self, "_override_by_day", by_day)

    def ranges_on(self, day: date) -> tuple[WorkingRange, ...]:
        """The working ranges of local date ``day``: its override's if it has one, else its weekday's."""
        if day in self._override_by_day:
            return self._override_by_day[day]
        return self.weekly.days[day.weekday()]
