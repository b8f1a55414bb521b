"""The earning rules' vocabulary and the checks every rule's input goes through (bad input raises
``Invalid`` naming the field)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum, StrEnum
from typing import TypeVar

from loyaldesk.kernel.errors import Invalid

ChoiceT = TypeVar("ChoiceT", bound=Enum)
Identifier = int | str  # database ids are integers; a dry run may name hypothetical lines and rules
# Tier names are given as Mapping[Any, str]: Mapping is invariant in its key, and callers hold dict[int, str].
TIMES = "\N{MULTIPLICATION SIGN}"


class Rounding(StrEnum):
    DOWN = "down"
    NEAREST = "nearest"  # an exact half rounds up: 12.5 points -> 13
    UP = "up"


class RuleKind(StrEnum):
    BASE_EXCLUSION = "base_exclusion"  # lines outside the rule's scope earn nothing
    MULTIPLIER = "multiplier"  # standing multiplier (e.g. x3 on the house brand)
    CAMPAIGN = "campaign"  # same arithmetic as MULTIPLIER; grouped apart in the console


class Action(StrEnum):
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    REVIEW = "review"
    REFERRAL = "referral"
    SURVEY = "survey"
    NEWSLETTER = "newsletter"
    SOCIAL_FOLLOW = "social_follow"
    CUSTOM = "custom"  # an event named by the store and sent through the API


class Weekday(IntEnum):
    """ISO weekday numbers, as ``date.isoweekday()`` returns them."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO week, Monday to Sunday
    MONTH = "month"
    YEAR = "year"


def _require(condition: bool, field: str, reason: str) -> None:
    if not condition:
        raise Invalid.field(field, reason)


def _require_aware(value: datetime | None, field: str) -> None:
    _require(value is None or value.utcoffset() is not None, field, "must be a timezone-aware datetime")


def _choice(kind: type[ChoiceT], value: object, field: str) -> ChoiceT:
    try:
        return kind(value)
    except ValueError:
        raise Invalid.field(field, f"must be one of {', '.join(map(str, kind))}") from None


def _number(value: object, field: str) -> Decimal:
    """A finite Decimal from an int, str or Decimal. Floats are refused: they are inexact (1.1 is not 1.1)."""
    try:
        number = Decimal("NaN") if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal("NaN")
    _require(
        number.is_finite(), field, f"{value!r} is not a finite decimal number (give a Decimal or a string)"
    )
    return number


def _set(instance: object, name: str, value: object) -> None:
    object.__setattr__(instance, name, value)  # normalising a frozen dataclass in __post_init__


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    _require_aware(starts_at, "starts_at")
    _require_aware(ends_at, "ends_at")
    if starts_at is not None and ends_at is not None:
        _require(starts_at < ends_at, "ends_at", "must be after starts_at")
