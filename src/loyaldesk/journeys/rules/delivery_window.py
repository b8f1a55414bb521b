"""When a marketing message may go: the recipient's waking hours in their own time zone, not on a public
holiday of their country, and within the store's frequency caps. Pure: the caller passes the
customer's zone, country and recent sends; ``holidays`` answers for the country.

Anything that cannot go now is *deferred* to the first moment it may (never dropped here); the caller
drops a message only when that moment is past the message's own deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
import phonenumbers
from babel.core import get_global
from phonenumbers import timezone as phone_timezones

from loyaldesk.journeys.vocab import Reason


@dataclass(frozen=True)
class Window:
    quiet_start_hour: int  # quiet from this local hour ...
    quiet_end_hour: int  # ... until this one (the next morning when start > end)
    respect_holidays: bool


@dataclass(frozen=True)
class Caps:
    min_gap: timedelta  # at most one marketing message per gap, across channels
    per_week: int  # and this many in any 7 days
    per_channel_per_week: dict[str, int]


@dataclass(frozen=True)
class Verdict:
    """``at`` is when the message may go (``now`` when it may go at once); ``reason`` why later."""

    at: datetime
    reason: Reason | None


def recipient_zone(
    customer_zone: str | None, phone: str | None, country: str | None, store_zone: str
) -> tuple[ZoneInfo, str | None]:
    """The recipient's own time zone and country: their profile's zone, else their phone number's, else
    their country's (its main zone), else the store's. The country comes from the profile, else the phone."""
    region = None
    zone_name = None
    if phone:
        region, phone_zone = _phone_facts(phone)
        zone_name = phone_zone
    country = (country or region or "").upper() or None
    if not zone_name and country:
        zones = get_global("territory_zones").get(country)
        zone_name = zones[0] if zones else None
    for name in (customer_zone, zone_name, store_zone, "UTC"):
        if name:
            try:
                return ZoneInfo(name), country
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC"), country


@lru_cache(maxsize=4096)
def _phone_facts(phone: str) -> tuple[str | None, str | None]:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None, None
    region = phonenumbers.region_code_for_number(number)
    zones = [zone for zone in phone_timezones.time_zones_for_number(number) if zone != "Etc/Unknown"]
    return region, (zones[0] if len(zones) == 1 else None)


@lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holiday_calendars.country_holidays(country, years=year).keys())
    except NotImplementedError:  # a country the library does not know
        return frozenset()


def is_holiday(country: str | None, day: date) -> bool:
    return bool(country) and day in _holidays(str(country), day.year)


def is_quiet(local: datetime, window: Window) -> bool:
    start, end = window.quiet_start_hour, window.quiet_end_hour
    if start == end:
        return False
    if start > end:  # overnight: 21:00 -> 09:00
        return local.hour >= start or local.hour < end
    return start <= local.hour < end


def waking_moment(
    now: datetime,
    zone: ZoneInfo,
    country: str | None,
    window: Window,
    holiday: Callable[[str | None, date], bool] = is_holiday,
) -> Verdict:
    """The first moment from ``now`` outside quiet hours (and, where the store respects them, not on a
    public holiday of the recipient's country), in the recipient's own zone."""
    local = now.astimezone(zone)
    reason: Reason | None = None
    for _ in range(15):  # a fortnight of holidays at most
        if window.respect_holidays and holiday(country, local.date()):
            reason = reason or Reason.HOLIDAY
            local = datetime.combine(local.date() + timedelta(days=1), time(window.quiet_end_hour), zone)
            continue
        if is_quiet(local, window):
            reason = reason or Reason.QUIET_HOURS
            opening = datetime.combine(local.date(), time(window.quiet_end_hour), zone)
            if opening <= local:
                opening = datetime.combine(
                    local.date() + timedelta(days=1), time(window.quiet_end_hour), zone
                )
            local = opening
            continue
        break
    at = local.astimezone(now.tzinfo)
    return Verdict(at if reason else now, reason)


def cap_moment(now: datetime, channel: str, recent: Sequence[tuple[datetime, str]], caps: Caps) -> Verdict:
    """The first moment from ``now`` at which one more marketing message on ``channel`` stays within
    the caps, given the customer's marketing messages of the last 7 days (``(sent_at, channel)``)."""
    week = timedelta(days=7)
    at = now
    for _ in range(10):
        window = [(sent, ch) for sent, ch in recent if at - week < sent <= at]
        later = at
        if caps.min_gap > timedelta(0) and window:
            last = max(sent for sent, _ in window)
            if at - last < caps.min_gap:
                later = max(later, last + caps.min_gap)
        if caps.per_week and len(window) >= caps.per_week:
            oldest = sorted(sent for sent, _ in window)[len(window) - caps.per_week]
            later = max(later, oldest + week)
        limit = caps.per_channel_per_week.get(channel)
        same = sorted(sent for sent, ch in window if ch == channel)
        if limit and len(same) >= limit:
            later = max(later, same[len(same) - limit] + week)
        if later == at:
            break
        at = later
    return Verdict(at, Reason.CAP if at > now else None)


def allowed_moment(
    now: datetime,
    *,
    zone: ZoneInfo,
    country: str | None,
    channel: str,
    recent: Sequence[tuple[datetime, str]],
    window: Window,
    caps: Caps,
) -> Verdict:
    """The first moment that satisfies both the caps and the waking hours (each pushed past the other
    until both hold)."""
    at, first_reason = now, None
    for _ in range(10):
        capped = cap_moment(at, channel, recent, caps)
        awake = waking_moment(capped.at, zone, country, window)
        first_reason = first_reason or capped.reason or awake.reason
        if awake.at == at:
            break
        at = awake.at
    return Verdict(at, first_reason if at > now else None)
