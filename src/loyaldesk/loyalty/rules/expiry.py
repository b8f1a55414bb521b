"""When points expire, under each expiry policy a store can choose. Pure.

* ``never``: points never expire.
* ``days_after_earning``: each lot expires N days after it was earned.
* ``end_of_period``: each lot expires at the end of the calendar year (in the store's time zone) N years
  after the year it was earned in (N = 0: the end of the same year).
* ``inactivity``: lots do not expire one by one; all of a member's available points expire when they have
  neither earned nor spent for N months.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ExpiryPolicy(StrEnum):
    NEVER = "never"
    DAYS_AFTER_EARNING = "days_after_earning"
    END_OF_PERIOD = "end_of_period"
    INACTIVITY = "inactivity"


def lot_expiry(policy: ExpiryPolicy, amount: int, earned_at: datetime, timezone: str) -> datetime | None:
    """The instant a lot earned at ``earned_at`` expires (UTC), or None when it does not expire by itself."""
    if earned_at.tzinfo is None:
        raise ValueError("earned_at must be timezone-aware")
    if policy == ExpiryPolicy.DAYS_AFTER_EARNING:
        return (earned_at + timedelta(days=amount)).astimezone(UTC)
    if policy == ExpiryPolicy.END_OF_PERIOD:
        zone = ZoneInfo(timezone)
        local = earned_at.astimezone(zone)
        return datetime(local.year + amount + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return None


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    next_month = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def inactivity_deadline(
    policy: ExpiryPolicy, months: int, last_activity_at: datetime | None
) -> datetime | None:
    """When an inactive member's points all expire, or None (other policies, or no activity yet)."""
    if policy != ExpiryPolicy.INACTIVITY or last_activity_at is None:
        return None
    return add_months(last_activity_at.astimezone(UTC), months)


def inactivity_lapsed_until(activity: Iterable[datetime], months: int, now: datetime) -> datetime | None:
    """Under the inactivity policy, given every moment a member was active (earned or spent): the latest
    of them after which they stayed inactive for ``months``, so that everything earned up to it had
    expired by ``now``; None when no such gap happened (all they earned is still alive)."""
    moments = sorted(moment.astimezone(UTC) for moment in activity if moment <= now)
    lapsed: datetime | None = None
    for current, following in zip(moments, [*moments[1:], now.astimezone(UTC)], strict=True):
        if add_months(current, months) <= following:
            lapsed = current
    return lapsed


def dead_on_arrival(
    policy: ExpiryPolicy,
    amount: int,
    earned_at: datetime,
    timezone: str,
    now: datetime,
    *,
    lapsed_until: datetime | None = None,
) -> bool:
    """Whether points earned at ``earned_at`` but credited only ``now`` (history imported late, an order
    reported years after it was paid) would already have expired: such points must never become
    spendable, so they are not credited at all. ``lapsed_until`` is ``inactivity_lapsed_until`` of the
    member, for the inactivity policy."""
    if policy == ExpiryPolicy.INACTIVITY:
        return lapsed_until is not None and earned_at <= lapsed_until
    expires_at = lot_expiry(policy, amount, earned_at, timezone)
    return expires_at is not None and expires_at <= now
