"""The points an order earns under the purchase rules (rates, multipliers, exclusions, campaigns), and why."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency
from loyaldesk.loyalty.rules.earning.common import (
    TIMES,
    Identifier,
    Rounding,
    RuleKind,
    Weekday,
    _check_window,
    _choice,
    _number,
    _require,
    _require_aware,
    _set,
)
from loyaldesk.loyalty.rules.earning.wording import _decimal, _join, _local, _money, _plural, _zone

if TYPE_CHECKING:
    from loyaldesk.loyalty.rules.earning.action_rules import ActionRule


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
    parts with the largest fractions get one more until they add up (ties: the earliest).

    In integers over the parts' common denominator: Fraction arithmetic here was most of the rule's time."""
    common = math.lcm(*(part.denominator for part in exact)) if exact else 1
    scaled = [part.numerator * (common // part.denominator) for part in exact]
    shares = [value // common for value in scaled]
    by_remainder = sorted(range(len(exact)), key=lambda index: (-(scaled[index] % common), index))
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
