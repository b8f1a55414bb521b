"""Local wall-clock time in an IANA time zone, read against UTC instants, with daylight-saving time
handled explicitly rather than left to ``datetime`` defaults.

A *wall time* is a naive ``datetime`` read on a zone's clocks. Across a transition it can name:

- exactly one instant (the usual case);
- two instants (a fall-back *fold*: the clock shows the repeated hour twice): ``instants_reading``
  returns both, earliest first;
- no instant (a spring-forward *gap*: the clock skips it): ``instants_reading`` returns none, and
  ``first_instant_reading_at_least`` gives the transition itself, the first instant the clock reads
  past it.

Every instant returned is a timezone-aware ``datetime`` in UTC. The code assumes that a zone changes its
offset at most once between the two readings of one wall time (true of every zone in the tz database).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ONE_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=512)
def time_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``ValueError`` naming it when the tz database has no such zone."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """What the zone's clocks read at ``instant`` (aware, any zone), as a naive ``datetime``."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def instants_reading(zone: ZoneInfo, wall: datetime) -> tuple[datetime, ...]:
    """Every UTC instant at which the zone's clocks read exactly ``wall`` (naive): none in a gap, two in a
    fold (earliest first), one otherwise."""
    found: list[datetime] = []
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if wall_time(candidate, zone) == wall and candidate not in found:
            found.append(candidate)
    return tuple(sorted(found))


def first_instant_reading_at_least(zone: ZoneInfo, wall: datetime) -> datetime:
    """The earliest UTC instant at which the zone's clocks read ``wall`` or later.

    For a wall time that exists this is its (first) reading; for one inside a spring-forward gap it is the
    transition, when the clocks jump past it. This is where a working range starting or ending at
    ``wall`` starts or ends.
    """
    readings = instants_reading(zone, wall)
    if readings:
        return readings[0]
    # In a gap the two folds map the wall time with the offsets before and after the transition; the
    # transition lies between them, where the reading jumps from before ``wall`` to after it.
    folds = [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    before, after = min(folds), max(folds)
    if wall_time(before, zone) >= wall or wall_time(after, zone) < wall:
        raise ValueError(f"{wall} in {zone.key} is neither a wall time nor in a single gap")
    while after - before > _ONE_SECOND:
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            middle = before + _ONE_SECOND
        if wall_time(middle, zone) >= wall:
            after = middle
        else:
            before = middle
    return after
