"""Periods of store dates chosen on report pages: defaults, the checks every page needs, and the instants
they span. Pure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from loyaldesk.kernel.errors import FieldProblem, Invalid

EARLIEST = date(1970, 1, 1)
REACH_AHEAD = timedelta(days=366)


def within_reach(day: date, today: date, field: str) -> date:
    """``day`` itself, or ``Invalid`` naming ``field`` when it is before 1970 or more than a year ahead
    (dates no report has data for, and which would overflow the arithmetic)."""
    if not EARLIEST <= day <= today + REACH_AHEAD:
        raise Invalid(
            "choose another date", [FieldProblem(field, "must be between 1970 and a year from now")]
        )
    return day


def choose_period(
    start: date | None, end: date | None, today: date, *, default_days: int, max_days: int
) -> tuple[date, date]:
    """The period ``start``..``end`` (inclusive; defaults: the ``default_days`` up to ``today``), checked:
    both within reach, ``start`` not after ``end``, fewer than ``max_days`` apart."""
    end = within_reach(end or today, today, "to")
    start = within_reach(start or end - timedelta(days=default_days - 1), today, "from")
    if start > end or (end - start).days >= max_days:
        raise Invalid(
            "choose a period",
            [FieldProblem("from", f"must be before `to`, at most {max_days} days apart")],
        )
    return start, end


def day_bounds(start: date | None, end: date, time_zone: str) -> tuple[datetime, datetime]:
    """The instants from the beginning of ``start`` (of time when ``None``) to the end of ``end``, in the
    store's ``time_zone``: a half-open range."""
    zone = ZoneInfo(time_zone)
    begin = datetime.combine(start, time(), zone) if start else datetime.min.replace(tzinfo=zone)
    return begin, datetime.combine(end + timedelta(days=1), time(), zone)
