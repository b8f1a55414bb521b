"""Earning rules: the points an order or an action earns, and why, in words. Pure: no I/O, no clock.

Contracts shared by every function here:
- Points are integers and never negative; money is integer minor units plus a currency code; every instant
  is timezone-aware. Days of the week and calendar periods are read in the store's time zone.
- Rule windows are half-open: ``starts_at`` is included, ``ends_at`` is not.
- Bad input raises ``Invalid`` naming the field, so the API answers 422 instead of guessing.
- The explanations are what the dry-run endpoint shows; they are plain sentences for a store manager.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum, StrEnum
from fractions import Fraction
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency, from_minor_units

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


@dataclass(frozen=True)
class EarnRate:
    """``points`` points per ``per_amount`` minor units of ``currency``: 1 point per EUR 1 is
    ``EarnRate(1, 100, "EUR", Rounding.DOWN)``. ``rounding`` applies once, to the order's total."""

    points: int
    per_amount: int
    currency: str
    rounding: Rounding = Rounding.DOWN

    def __post_init__(self) -> None:
        _require(self.points >= 0, "points", "must not be negative")
        _require(self.per_amount >= 1, "per_amount", "must be at least 1 minor unit")
        _set(self, "currency", check_currency(self.currency))
        _set(self, "rounding", _choice(Rounding, self.rounding, "rounding"))


@dataclass(frozen=True)
class PurchaseRule:
    """An exclusion, multiplier or campaign on order lines.

    The rule is in force for an order when it is active, the order is in ``currency`` (if set), placed in
    [``starts_at``, ``ends_at``) on one of ``days_of_week`` (store time zone; empty = every day), and the
    customer is in one of ``tier_ids`` and has one of ``segments`` (empty = everyone).
    A line is *in scope* when its category is in ``only_categories`` (empty = all; a line without a
    category is then out) and neither its category nor its SKU is excluded. Every exclusion in force
    removes the lines out of its scope, and every line when the order total is below ``min_order_total``;
    a multiplier or campaign multiplies the lines in its scope when the order total reaches
    ``min_order_total``. A minimum needs a ``currency``: amounts mean nothing without one.
    """

    id: Identifier
    name: str
    kind: RuleKind
    multiplier: Decimal = Decimal(1)
    excluded_categories: frozenset[str] = frozenset()
    excluded_skus: frozenset[str] = frozenset()
    only_categories: frozenset[str] = frozenset()
    min_order_total: int = 0
    currency: str | None = None
    tier_ids: frozenset[Identifier] = frozenset()
    segments: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    days_of_week: frozenset[Weekday] = frozenset()
    active: bool = True

    def __post_init__(self) -> None:
        _set(self, "kind", _choice(RuleKind, self.kind, "kind"))
        _set(self, "multiplier", _number(self.multiplier, "multiplier"))
        for name in ("excluded_categories", "excluded_skus", "only_categories", "tier_ids", "segments"):
            _set(self, name, frozenset(getattr(self, name)))
        try:
            _set(self, "days_of_week", frozenset(Weekday(day) for day in self.days_of_week))
        except ValueError:
            raise Invalid.field("days_of_week", "days are ISO numbers, 1 (Monday) to 7 (Sunday)") from None
        if self.kind == RuleKind.BASE_EXCLUSION:
            _require(self.multiplier == 1, "multiplier", "an exclusion does not multiply; leave it at 1")
        else:
            _require(self.multiplier > 0, "multiplier", "must be positive; use an exclusion to earn nothing")
        _require(self.min_order_total >= 0, "min_order_total", "must not be negative")
        if self.currency is not None:
            _set(self, "currency", check_currency(self.currency))
        _require(self.min_order_total == 0 or self.currency is not None, "currency", "a minimum needs one")
        _check_window(self.starts_at, self.ends_at)


@dataclass(frozen=True)
class OrderLine:
    """One line: ``net_amount`` is in minor units after discounts. ``title`` names it in explanations."""

    line_id: Identifier
    sku: str | None
    category: str | None
    net_amount: int
    quantity: int = 1
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or self.sku or f"line {self.line_id}"

    def __post_init__(self) -> None:
        _require(self.net_amount >= 0, "net_amount", "must not be negative")
        _require(self.quantity >= 1, "quantity", "must be at least 1")


@dataclass(frozen=True)
class OrderForEarning:
    """What earning needs to know of an order; ``total`` (minor units) is compared with rule minimums."""

    currency: str
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    total: int
    tier_id: Identifier | None = None
    segments: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _set(self, "currency", check_currency(self.currency))
        _set(self, "lines", tuple(self.lines))
        _set(self, "segments", frozenset(self.segments))
        _require_aware(self.placed_at, "placed_at")
        _require(self.total >= 0, "total", "must not be negative")
        ids = [line.line_id for line in self.lines]
        _require(len(ids) == len(set(ids)), "lines", "line ids must be unique")


@dataclass(frozen=True)
class OrderPoints:
    """``total`` points; ``by_line`` gives every line's share (0 when excluded), summing exactly to it.
    ``not_applied`` says why each other rule did nothing; ``applied_rule_ids`` lists the rules that did."""

    total: int
    by_line: Mapping[Identifier, int]
    explanation: tuple[str, ...]
    not_applied: tuple[str, ...] = ()
    applied_rule_ids: tuple[Identifier, ...] = ()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("timezone", f"{name!r} is not an IANA time zone") from None


def _money(amount: int, currency: str) -> str:
    return f"{from_minor_units(amount, currency)} {currency}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _decimal(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        shown = exact.quantize(Decimal("0.01"))
        return format(shown.normalize(), "f") if shown == value else f"about {shown}"
    return format(value.normalize(), "f")


def _join(words: Sequence[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def _audience_refusal(
    rule: PurchaseRule | ActionRule,
    at: datetime,
    tier_id: Identifier | None,
    segments: frozenset[str],
    zone: ZoneInfo,
    tier_names: Mapping[Any, str],
) -> str | None:
    """Why ``rule``'s window and audience leave out this customer at ``at``, or None."""
    if rule.starts_at is not None and at < rule.starts_at:
        return f"outside the rule's window: it starts {_local(rule.starts_at, zone)}"
    if rule.ends_at is not None and at >= rule.ends_at:
        return f"outside the rule's window: it ended {_local(rule.ends_at, zone)}"
    if rule.tier_ids and tier_id not in rule.tier_ids:
        return f"only for {_join(sorted(tier_names.get(tier, str(tier)) for tier in rule.tier_ids))}"
    if rule.segments and not rule.segments & segments:
        return f"only for customers in {_join(sorted(rule.segments), 'or')}"
    return None


def _rule_refusal(
    rule: PurchaseRule, order: OrderForEarning, zone: ZoneInfo, tier_names: Mapping[Any, str]
) -> str | None:
    if not rule.active:
        return "the rule is paused"
    if rule.currency is not None and rule.currency != order.currency:
        return f"applies only to orders in {rule.currency}"
    refusal = _audience_refusal(rule, order.placed_at, order.tier_id, order.segments, zone, tier_names)
    if refusal is None and rule.days_of_week:
        local_day = Weekday(order.placed_at.astimezone(zone).isoweekday())
        if local_day not in rule.days_of_week:
            days = _join([day.name.title() for day in sorted(rule.days_of_week)])
            return f"only on {days}; this order was placed on a {local_day.name.title()} ({zone.key} time)"
    return refusal


def _out_of_scope(rule: PurchaseRule, line: OrderLine) -> str | None:
    """Why ``line`` is outside the rule's scope, or None when it is inside."""
    if rule.only_categories and line.category not in rule.only_categories:
        return f"only {_join(sorted(rule.only_categories))} earn"
    if line.category in rule.excluded_categories:
        return f"category {line.category}"
    if line.sku in rule.excluded_skus:
        return f"SKU {line.sku}"
    return None


def _scope(rule: PurchaseRule) -> str:
    scope = _join(sorted(rule.only_categories)) if rule.only_categories else "every eligible line"
    left_out = sorted(rule.excluded_categories) + [f"SKU {sku}" for sku in sorted(rule.excluded_skus)]
    return f"{scope} except {_join(left_out)}" if left_out else scope


def _below_minimum(rule: PurchaseRule, order: OrderForEarning) -> str:
    minimum = _money(rule.min_order_total, order.currency)
    return f"the order total {_money(order.total, order.currency)} is below the {minimum} minimum"


def _round(value: Fraction, rounding: Rounding) -> int:
    if rounding == Rounding.DOWN:
        return math.floor(value)
    if rounding == Rounding.UP:
        return math.ceil(value)
    return math.floor(value + Fraction(1, 2))


def _split(total: int, exact: Sequence[Fraction]) -> list[int]:
    """``total`` shared out by largest remainder: each part is its ``exact`` value rounded down, and the
    parts with the largest fractions get one more until they add up (ties: the earliest)."""
    shares = [math.floor(part) for part in exact]
    by_remainder = sorted(range(len(exact)), key=lambda index: (shares[index] - exact[index], index))
    for index in by_remainder[: total - sum(shares)]:
        shares[index] += 1
    return shares


def points_for_order(
    rates: Sequence[EarnRate],
    rules: Sequence[PurchaseRule],
    order: OrderForEarning,
    tier_multiplier: Decimal = Decimal(1),
    timezone: str = "UTC",
    tier_names: Mapping[Any, str] | None = None,
) -> OrderPoints:
    """The points ``order`` earns, per line, with the reasons.

    Each line earns ``net_amount x rate x line multiplier x tier_multiplier`` exactly (as a fraction). The
    order's sum is rounded once with the rate's rounding, then shared back by largest remainder: each line
    gets its exact points rounded down or up, ``by_line`` sums exactly to ``total``, and a refund can
    reverse one line exactly. A line's multiplier is the *highest* of the multipliers and campaigns in
    force that cover it (1 when none does): they never stack, because two overlapping "double points"
    campaigns would otherwise give x4. The tier multiplier applies on top. An order in a currency without
    a rate earns nothing. ``tier_names`` maps tier ids to the names shown in the explanation.
    """
    names, zone, currency = tier_names or {}, _zone(timezone), order.currency
    tier_multiplier = _number(tier_multiplier, "tier_multiplier")
    _require(tier_multiplier >= 0, "tier_multiplier", "must not be negative")
    currencies = sorted(rate.currency for rate in rates)
    _require(len(currencies) == len(set(currencies)), "rates", "one rate per currency")
    by_line = {line.line_id: 0 for line in order.lines}
    rate = next((rate for rate in rates if rate.currency == currency), None)
    if rate is None:
        earning = f"this store earns points in {_join(currencies)}" if currencies else "no rate is set"
        return OrderPoints(0, by_line, (f"No earning rate for {currency}: {earning}",))
    rounding = "to the nearest point" if rate.rounding == Rounding.NEAREST else rate.rounding.value
    explanation = [
        f"{_plural(rate.points, 'point')} per {_money(rate.per_amount, currency)}, total rounded {rounding}"
    ]
    not_applied: list[str] = []
    applied: list[Identifier] = []
    in_force: list[PurchaseRule] = []
    for rule in rules:
        refusal = _rule_refusal(rule, order, zone, names)
        if refusal is None:
            in_force.append(rule)
        else:
            not_applied.append(f"{rule.name}: {refusal}")

    excluded: set[Identifier] = set()
    for rule in (rule for rule in in_force if rule.kind == RuleKind.BASE_EXCLUSION):
        if order.total < rule.min_order_total:
            explanation.append(f"No line earns: {_below_minimum(rule, order)} ({rule.name})")
            excluded.update(by_line)
            applied.append(rule.id)
        for line in (line for line in order.lines if line.line_id not in excluded):
            reason = _out_of_scope(rule, line)
            if reason is not None:
                excluded.add(line.line_id)
                explanation.append(f"{line.label} excluded ({reason})")
                if rule.id not in applied:
                    applied.append(rule.id)
    eligible = [line for line in order.lines if line.line_id not in excluded]
    titles = {line.line_id: line.label for line in order.lines}

    best: dict[Identifier, PurchaseRule] = {}  # line id -> the multiplying rule that wins the line
    covering: list[tuple[PurchaseRule, list[Identifier]]] = []
    for rule in (rule for rule in in_force if rule.kind != RuleKind.BASE_EXCLUSION):
        covered = [line.line_id for line in eligible if _out_of_scope(rule, line) is None]
        if order.total < rule.min_order_total:
            not_applied.append(f"{rule.name}: {_below_minimum(rule, order)}")
        elif not covered:
            not_applied.append(f"{rule.name}: no eligible line is in {_scope(rule)}")
        else:
            covering.append((rule, covered))
            for line_id in covered:  # strictly higher: on a tie the earlier rule keeps the line
                if line_id not in best or rule.multiplier > best[line_id].multiplier:
                    best[line_id] = rule
    for rule, covered in covering:
        if any(best[line_id] is rule for line_id in covered):
            lost = [titles[line_id] for line_id in covered if best[line_id] is not rule]
            but = f" (not {_join(lost)}: a higher multiplier applies there)" if lost else ""
            explanation.append(f"{rule.name} {TIMES}{_decimal(rule.multiplier)} on {_scope(rule)}{but}")
            applied.append(rule.id)
        else:
            higher = _join(sorted({f"{best[i].name} {TIMES}{_decimal(best[i].multiplier)}" for i in covered}))
            not_applied.append(f"{rule.name}: {higher} is higher on the same lines; multipliers do not stack")
    tier_label = f"{names.get(order.tier_id, str(order.tier_id))} tier" if order.tier_id else "Tier"
    tier_factor = [f"{TIMES}{_decimal(tier_multiplier)} {tier_label}"] if tier_multiplier != 1 else []
    if tier_factor:
        explanation.append(f"{tier_label} {TIMES}{_decimal(tier_multiplier)}")

    base = Fraction(rate.points, rate.per_amount) * Fraction(tier_multiplier)
    exact = [
        line.net_amount * base * Fraction(best[line.line_id].multiplier if line.line_id in best else 1)
        for line in eligible
    ]
    exact_total = sum(exact, Fraction(0))
    total = _round(exact_total, rate.rounding)
    for line, points in zip(eligible, _split(total, exact), strict=True):
        by_line[line.line_id] = points
        winner = best.get(line.line_id)
        factors = [f"{TIMES}{_decimal(winner.multiplier)} {winner.name}"] if winner else []
        detail = f" ({', '.join(factors + tier_factor)})" if factors + tier_factor else ""
        explanation.append(
            f"{line.quantity} {TIMES} {line.label}: {_money(line.net_amount, currency)}"
            f" → {_plural(points, 'point')}{detail}"
        )
    direction = "" if rate.rounding == Rounding.NEAREST else f"{rate.rounding.value} "
    rounded = f"{_decimal(exact_total)} points, rounded {direction}to {total}"
    explanation.append(f"Total: {_plural(total, 'point') if exact_total == total else rounded}")
    return OrderPoints(total, by_line, tuple(explanation), tuple(not_applied), tuple(applied))


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
