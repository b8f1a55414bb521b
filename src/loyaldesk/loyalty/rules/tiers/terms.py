"""The tier rules' vocabulary (metrics, periods, perks, changes) and the checks of their input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

ROLLING_WINDOW = timedelta(days=365)
_TICK = timedelta(microseconds=1)  # turns an inclusive end into an exclusive one, exactly
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Metric(StrEnum):
    SPEND = "spend"  # minor units, net of refunds and cancellations
    POINTS = "points"  # points earned, net of reversals
    ORDERS = "orders"  # orders placed, net of cancellations


class Period(StrEnum):
    ROLLING_12_MONTHS = "rolling_12_months"
    CALENDAR_YEAR = "calendar_year"
    LIFETIME = "lifetime"


class Perk(StrEnum):
    """Perks the platform knows; a store may also name its own (any non-empty string)."""

    FREE_SHIPPING = "free_shipping"
    FREE_RETURNS = "free_returns"
    EARLY_ACCESS = "early_access"
    PRIORITY_SUPPORT = "priority_support"


class TierChange(StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"


class TierHold(StrEnum):
    """Why the member holds the tier in effect."""

    QUALIFIED = "qualified"  # their own activity reached it (and keeps it until its review)
    MEMBERSHIP = "membership"  # a paid membership grants it, until the membership ends
    OVERRIDE = "override"  # the store set it as a floor by hand


class TierChangeReason(StrEnum):
    QUALIFIED = "qualified"  # the qualifying total reached a higher tier
    PERIOD_ENDED = "period_ended"  # retention plus grace ran out and the member earned less
    MEMBERSHIP = "membership"  # a paid membership grants a higher tier
    MEMBERSHIP_LAPSED = "membership_lapsed"
    OVERRIDE = "override"  # a manual override was set, raised, lowered or removed


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _whole(value: object, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value
