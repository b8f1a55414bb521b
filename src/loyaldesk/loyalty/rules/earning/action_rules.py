"""The points an action (sign-up, birthday, review, custom event) earns under the action rules, with
caps per period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from loyaldesk.loyalty.rules.earning.common import (
    Action,
    Identifier,
    Period,
    _check_window,
    _choice,
    _require,
    _require_aware,
    _set,
)
from loyaldesk.loyalty.rules.earning.purchase_rules import _audience_refusal
from loyaldesk.loyalty.rules.earning.wording import _local, _plural, _zone


@dataclass(frozen=True)
class PeriodCap:
    """At most ``count`` awards per calendar ``period`` in the store's time zone (a birthday: 1 per year)."""

    count: int
    period: Period

    def __post_init__(self) -> None:
        _require(self.count >= 1, "period_cap.count", "must be at least 1")
        _set(self, "period", _choice(Period, self.period, "period_cap.period"))


@dataclass(frozen=True)
class ActionRule:
    """Fixed ``points`` for an action (``custom_event`` names a custom one), within its limits:
    ``max_times_per_customer`` in all, at most once per ``frequency`` (measured from the last award), and
    ``period_cap`` per calendar period; with the same window and audience fields as ``PurchaseRule``."""

    id: Identifier
    name: str
    action: Action
    points: int
    custom_event: str | None = None
    max_times_per_customer: int | None = None
    frequency: timedelta | None = None
    period_cap: PeriodCap | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    tier_ids: frozenset[Identifier] = frozenset()
    segments: frozenset[str] = frozenset()
    active: bool = True

    def __post_init__(self) -> None:
        _set(self, "action", _choice(Action, self.action, "action"))
        _set(self, "tier_ids", frozenset(self.tier_ids))
        _set(self, "segments", frozenset(self.segments))
        _require(self.points >= 1, "points", "must be at least 1")
        is_custom = self.action == Action.CUSTOM
        _require(bool(self.custom_event) == is_custom, "custom_event", "is set for custom actions, only")
        limit = self.max_times_per_customer
        _require(limit is None or limit >= 1, "max_times_per_customer", "must be at least 1")
        _require(self.frequency is None or self.frequency > timedelta(0), "frequency", "must be positive")
        _check_window(self.starts_at, self.ends_at)


@dataclass(frozen=True)
class ActionHistory:
    """The instants at which this rule already awarded points to this customer (any order)."""

    awarded_at: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "awarded_at", tuple(self.awarded_at))
        for instant in self.awarded_at:
            _require_aware(instant, "history.awarded_at")


@dataclass(frozen=True)
class ActionPoints:
    """``points`` awarded (0 when refused), and the reason either way; ``next_allowed_at`` when waiting
    would help."""

    points: int
    awarded: bool
    reason: str
    next_allowed_at: datetime | None = None


def _period_bounds(day: date, period: Period) -> tuple[date, date]:
    """The first day of the calendar period holding ``day``, and the first day of the next one."""
    if period in (Period.DAY, Period.WEEK):
        start = day - timedelta(days=day.weekday() if period == Period.WEEK else 0)
        return start, start + timedelta(days=7 if period == Period.WEEK else 1)
    if period == Period.MONTH:
        return day.replace(day=1), date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year, 1, 1), date(day.year + 1, 1, 1)


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            return _plural(seconds // size, unit)
    return str(span)


def points_for_action(
    rule: ActionRule,
    *,
    action: Action | str,
    now: datetime,
    event_name: str | None = None,
    history: ActionHistory = ActionHistory(),
    tier_id: Identifier | None = None,
    segments: frozenset[str] = frozenset(),
    timezone: str = "UTC",
    tier_names: Mapping[Any, str] | None = None,
) -> ActionPoints:
    """Whether ``rule`` awards its points for ``action`` at ``now``, and why (the first refusal found).

    Checks, in order: the rule is active; the action (and, for a custom one, ``event_name``, matched
    exactly) is the rule's; ``now`` is in its window; the tier and segments fit; then the limits against
    ``history``. Tier multipliers do not apply: action points are the fixed amount the store advertises.
    """
    zone = _zone(timezone)
    _require_aware(now, "now")

    def refuse(reason: str, next_allowed_at: datetime | None = None) -> ActionPoints:
        return ActionPoints(0, False, reason, next_allowed_at)

    if not rule.active:
        return refuse("the rule is paused")
    if (asked := _choice(Action, action, "action")) != rule.action:
        return refuse(f"this rule rewards {rule.action.value}, not {asked.value}")
    if rule.action == Action.CUSTOM and event_name != rule.custom_event:
        return refuse(f"this rule rewards the custom event {rule.custom_event!r}, not {event_name!r}")
    refusal = _audience_refusal(rule, now, tier_id, frozenset(segments), zone, tier_names or {})
    if refusal is not None:
        return refuse(refusal)
    awarded = history.awarded_at
    if rule.max_times_per_customer is not None and len(awarded) >= rule.max_times_per_customer:
        return refuse(f"already awarded {_plural(len(awarded), 'time')}, limit {rule.max_times_per_customer}")
    if rule.frequency is not None and awarded:
        next_allowed = max(awarded) + rule.frequency
        if now < next_allowed:
            every = _duration(rule.frequency)
            return refuse(
                f"at most once every {every}; next allowed from {_local(next_allowed, zone)}", next_allowed
            )
    if rule.period_cap is not None:
        period = rule.period_cap.period
        start, following = _period_bounds(now.astimezone(zone).date(), period)
        count = sum(
            _period_bounds(instant.astimezone(zone).date(), period)[0] == start for instant in awarded
        )
        if count >= (limit := rule.period_cap.count):
            return refuse(
                f"already awarded {_plural(count, 'time')} this {period}, limit {limit} per {period}; "
                f"next allowed from {following.isoformat()}",
                datetime.combine(following, time(), tzinfo=zone).astimezone(UTC),
            )
    return ActionPoints(rule.points, True, f"{rule.name}: {_plural(rule.points, 'point')}")
