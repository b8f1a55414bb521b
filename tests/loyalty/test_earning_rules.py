"""Earning rules: every expected number here is computed by hand in the comment beside it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaldesk.kernel.errors import Invalid
from loyaldesk.loyalty.rules.earning import (
    Action,
    ActionHistory,
    ActionPoints,
    ActionRule,
    EarnRate,
    OrderForEarning,
    OrderLine,
    Period,
    PeriodCap,
    PurchaseRule,
    Rounding,
    RuleKind,
    Weekday,
    points_for_action,
    points_for_order,
)

WEDNESDAY = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
EUR = EarnRate(1, 100, "EUR", Rounding.DOWN)  # 1 point per EUR 1
TIERS = {"gold": "Gold", "platinum": "Platinum", "silver": "Silver"}


def line(
    line_id: str,
    amount: int,
    category: str = "Apparel",
    sku: str | None = None,
    quantity: int = 1,
    title: str | None = None,
) -> OrderLine:
    return OrderLine(line_id, sku or f"SKU-{line_id}", category, amount, quantity, title or f"Item {line_id}")


def order(
    lines: Sequence[OrderLine],
    currency: str = "EUR",
    placed_at: datetime = WEDNESDAY,
    total: int | None = None,
    tier_id: str | None = None,
    segments: frozenset[str] = frozenset(),
) -> OrderForEarning:
    order_total = sum(item.net_amount for item in lines) if total is None else total
    return OrderForEarning(currency, placed_at, tuple(lines), order_total, tier_id, segments)


def campaign(rule_id: str, multiplier: str, **fields: Any) -> PurchaseRule:
    name = fields.pop("name", rule_id)
    return PurchaseRule(rule_id, name, RuleKind.CAMPAIGN, Decimal(multiplier), **fields)


def exclusion(rule_id: str, **fields: Any) -> PurchaseRule:
    return PurchaseRule(rule_id, fields.pop("name", rule_id), RuleKind.BASE_EXCLUSION, **fields)


def said(lines: Sequence[str]) -> tuple[str, ...]:
    """Explanations with the multiplication sign written as "x", so that the tests are plain ASCII."""
    return tuple(text.replace("\N{MULTIPLICATION SIGN}", "x") for text in lines)


def invalid_field(error: pytest.ExceptionInfo[Invalid]) -> str:
    return error.value.problems[0].field


# --- rates and rounding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "amount", "points"),
    [
        (Rounding.DOWN, 1999, 19),  # 19.99 -> 19
        (Rounding.DOWN, 2000, 20),
        (Rounding.NEAREST, 1949, 19),  # 19.49 -> 19
        (Rounding.NEAREST, 1950, 20),  # exact half rounds up
        (Rounding.NEAREST, 2050, 21),  # 20.5 -> 21: half up, not half to even (which gives 20)
        (Rounding.NEAREST, 1951, 20),
        (Rounding.UP, 1901, 20),  # 19.01 -> 20
        (Rounding.UP, 2000, 20),  # an exact value is never pushed up
        (Rounding.UP, 1, 1),  # one cent earns a whole point when rounding up
        (Rounding.DOWN, 99, 0),
    ],
)
def test_rounding_modes(rounding: Rounding, amount: int, points: int) -> None:
    result = points_for_order([EarnRate(1, 100, "EUR", rounding)], [], order([line("a", amount)]))
    assert result.total == points
    assert result.by_line == {"a": points}


def test_nearest_half_up_on_a_fractional_rate() -> None:
    # 1 point per EUR 2: EUR 5.00 is 2.5 points -> 3 (half up); EUR 3.00 is 1.5 -> 2.
    rate = EarnRate(1, 200, "EUR", Rounding.NEAREST)
    assert points_for_order([rate], [], order([line("a", 500)])).total == 3
    assert points_for_order([rate], [], order([line("a", 300)])).total == 2


def test_fractional_rate_three_points_per_ten_euros() -> None:
    # 25.99 EUR x 3/10 = 7.797 -> 7 rounded down.
    result = points_for_order([EarnRate(3, 1000, "EUR")], [], order([line("a", 2599)]))
    assert result.total == 7
    assert said(result.explanation)[0] == "3 points per 10.00 EUR, total rounded down"
    assert said(result.explanation)[-1] == "Total: about 7.80 points, rounded down to 7"


def test_the_total_is_rounded_once_not_line_by_line() -> None:
    # Two lines of EUR 0.60: 0.6 + 0.6 = 1.2 points -> 1, although each line alone would round to 0.
    result = points_for_order([EUR], [], order([line("a", 60), line("b", 60)]))
    assert result.total == 1
    assert result.by_line == {"a": 1, "b": 0}  # equal remainders: the earliest line gets the point


def test_each_line_gets_its_exact_points_rounded_down_or_up() -> None:
    # Apparel x2: tee 50.00 -> 100 exactly, mug 19.99 -> 19.99. Total 119.99 -> 119; the tee keeps 100.
    rules = [campaign("double", "2", only_categories={"Apparel"})]
    lines = [line("tee", 5000), line("mug", 1999, category="Home")]
    result = points_for_order([EUR], rules, order(lines))
    assert result.total == 119
    assert result.by_line == {"tee": 100, "mug": 19}


def test_yen_has_no_minor_unit() -> None:
    # 1 point per JPY 100: JPY 5,000 -> 50 points; JPY 5,099 -> 50.99 -> 50.
    rate = EarnRate(1, 100, "JPY")
    result = points_for_order([rate], [], order([line("a", 5000, quantity=2, title="Tea")], "JPY"))
    assert result.total == 50
    assert said(result.explanation) == (
        "1 point per 100 JPY, total rounded down",
        "2 x Tea: 5000 JPY → 50 points",
        "Total: 50 points",
    )
    assert points_for_order([rate], [], order([line("a", 5099)], "JPY")).total == 50


def test_kuwaiti_dinar_has_three_decimals() -> None:
    # 1 point per KWD 1 (1,000 fils): 12.345 KWD -> 12 points down, 13 up.
    lines = [line("a", 12345, title="Dates")]
    result = points_for_order([EarnRate(1, 1000, "KWD")], [], order(lines, "KWD"))
    assert result.total == 12
    assert "1 x Dates: 12.345 KWD → 12 points" in said(result.explanation)
    assert points_for_order([EarnRate(1, 1000, "KWD", Rounding.UP)], [], order(lines, "KWD")).total == 13


def test_each_currency_uses_its_own_rate() -> None:
    rates = [EUR, EarnRate(2, 100, "USD")]  # 2 points per USD 1
    assert points_for_order(rates, [], order([line("a", 1000)], "USD")).total == 20
    assert points_for_order(rates, [], order([line("a", 1000)], "EUR")).total == 10


def test_a_currency_without_a_rate_earns_nothing_and_says_why() -> None:
    rates = [EUR, EarnRate(2, 100, "USD")]
    result = points_for_order(rates, [], order([line("a", 1000), line("b", 500)], "GBP"))
    assert result.total == 0
    assert result.by_line == {"a": 0, "b": 0}
    assert said(result.explanation) == ("No earning rate for GBP: this store earns points in EUR and USD",)
    empty = points_for_order([], [], order([line("a", 1000)]))
    assert said(empty.explanation) == ("No earning rate for EUR: no rate is set",)


def test_a_zero_rate_earns_nothing() -> None:
    assert points_for_order([EarnRate(0, 100, "EUR")], [], order([line("a", 10_000)])).total == 0


def test_zero_amount_lines_and_empty_orders_earn_zero() -> None:
    result = points_for_order(
        [EarnRate(1, 100, "EUR", Rounding.UP)], [], order([line("a", 0, title="Sticker")])
    )
    assert (result.total, result.by_line) == (0, {"a": 0})
    assert "1 x Sticker: 0.00 EUR → 0 points" in said(result.explanation)
    empty = points_for_order([EUR], [], order([]))
    assert (empty.total, dict(empty.by_line)) == (0, {})


# --- exclusions ----------------------------------------------------------------------------------------


def test_category_exclusion() -> None:
    rules = [exclusion("no-gift", name="No points on gift cards", excluded_categories={"Gift cards"})]
    lines = [
        line("tee", 5000, quantity=2, title="Organic tee"),
        line("gift", 2500, "Gift cards", title="Gift card"),
    ]
    result = points_for_order([EUR], rules, order(lines))
    assert result.total == 50
    assert result.by_line == {"tee": 50, "gift": 0}
    assert said(result.explanation) == (
        "1 point per 1.00 EUR, total rounded down",
        "Gift card excluded (category Gift cards)",
        "2 x Organic tee: 50.00 EUR → 50 points",
        "Total: 50 points",
    )
    assert result.applied_rule_ids == ("no-gift",)


def test_sku_exclusion() -> None:
    rules = [exclusion("no-sku", excluded_skus={"GC-50"})]
    lines = [line("a", 1000), line("b", 5000, sku="GC-50", title="Gift card 50")]
    result = points_for_order([EUR], rules, order(lines))
    assert (result.total, result.by_line) == (10, {"a": 10, "b": 0})
    assert "Gift card 50 excluded (SKU GC-50)" in said(result.explanation)


def test_only_categories_exclusion() -> None:
    rules = [exclusion("only", only_categories={"Apparel", "Shoes"})]
    lines = [line("tee", 1000), line("shoe", 3000, "Shoes"), line("mug", 900, "Home", title="Mug")]
    result = points_for_order([EUR], rules, order(lines))
    assert result.by_line == {"tee": 10, "shoe": 30, "mug": 0}
    assert "Mug excluded (only Apparel and Shoes earn)" in said(result.explanation)


def test_minimum_order_to_earn_at_all_is_inclusive() -> None:
    rules = [exclusion("min", name="Minimum order", min_order_total=1000, currency="EUR")]
    below = points_for_order([EUR], rules, order([line("a", 600), line("b", 200)]))
    assert (below.total, below.by_line) == (0, {"a": 0, "b": 0})
    assert "No line earns: the order total 8.00 EUR is below the 10.00 EUR minimum (Minimum order)" in (
        said(below.explanation)
    )
    assert points_for_order([EUR], rules, order([line("a", 1000)])).total == 10  # exactly the minimum earns


def test_minimum_compares_the_order_total_not_the_lines() -> None:
    # The order total (with shipping) reaches the minimum even though the lines alone do not.
    rules = [exclusion("min", min_order_total=1000, currency="EUR")]
    assert points_for_order([EUR], rules, order([line("a", 900)], total=1400)).total == 9


def test_a_rule_scoped_to_another_currency_does_not_apply() -> None:
    rules = [exclusion("min", name="EUR minimum", min_order_total=1000, currency="EUR")]
    result = points_for_order([EarnRate(1, 100, "USD")], rules, order([line("a", 500)], "USD"))
    assert result.total == 5
    assert said(result.not_applied) == ("EUR minimum: applies only to orders in EUR",)


# --- multipliers and campaigns -------------------------------------------------------------------------


def test_multiplier_on_a_category() -> None:
    rules = [campaign("weekend", "2", name="Double points weekend", only_categories={"Apparel"})]
    lines = [line("tee", 5000, quantity=2, title="Organic tee"), line("mug", 1000, "Home", title="Mug")]
    result = points_for_order([EUR], rules, order(lines))
    assert result.by_line == {"tee": 100, "mug": 10}
    assert said(result.explanation) == (
        "1 point per 1.00 EUR, total rounded down",
        "Double points weekend x2 on Apparel",
        "2 x Organic tee: 50.00 EUR → 100 points (x2 Double points weekend)",
        "1 x Mug: 10.00 EUR → 10 points",
        "Total: 110 points",
    )


def test_multiplier_never_revives_an_excluded_line() -> None:
    rules = [exclusion("no-gift", excluded_categories={"Gift cards"}), campaign("all", "3")]
    result = points_for_order([EUR], rules, order([line("a", 1000), line("gift", 5000, "Gift cards")]))
    assert result.by_line == {"a": 30, "gift": 0}


def test_multiplier_exclusions_leave_lines_at_the_base_rate() -> None:
    rules = [campaign("x2", "2", name="Double", excluded_categories={"Sale"}, excluded_skus={"TEE-9"})]
    lines = [line("a", 1000), line("sale", 1000, "Sale"), line("tee", 1000, sku="TEE-9")]
    result = points_for_order([EUR], rules, order(lines))
    assert result.by_line == {"a": 20, "sale": 10, "tee": 10}
    assert "Double x2 on every eligible line except Sale and SKU TEE-9" in said(result.explanation)


def test_the_highest_multiplier_wins_and_multipliers_never_stack() -> None:
    # Two campaigns cover the tee (x2 and x1.5): it gets x2, not x3; the mug gets x1.5 only.
    rules = [
        campaign("summer", "1.5", name="Summer"),
        campaign("weekend", "2", name="Double points weekend", only_categories={"Apparel"}),
    ]
    lines = [line("tee", 5000, title="Organic tee"), line("mug", 2000, "Home", title="Mug")]
    result = points_for_order([EUR], rules, order(lines))
    assert result.by_line == {"tee": 100, "mug": 30}
    assert "Summer x1.5 on every eligible line (not Organic tee: a higher multiplier applies there)" in (
        said(result.explanation)
    )
    assert result.applied_rule_ids == ("summer", "weekend")  # in the order the rules were given


def test_two_double_points_campaigns_give_double_not_quadruple() -> None:
    rules = [campaign("first", "2", name="Spring double"), campaign("second", "2", name="Members double")]
    result = points_for_order([EUR], rules, order([line("a", 1000)]))
    assert result.total == 20
    assert result.applied_rule_ids == ("first",)  # on a tie the earlier rule keeps the line
    assert said(result.not_applied) == (
        "Members double: Spring double x2 is higher on the same lines; multipliers do not stack",
    )


def test_a_lower_multiplier_still_applies_alone() -> None:
    # A x0.5 "half points" rule applies when nothing higher covers the line: 10.00 EUR -> 5.
    assert points_for_order([EUR], [campaign("half", "0.5")], order([line("a", 1000)])).total == 5


def test_standing_multiplier_and_campaign_compete_alike() -> None:
    house = PurchaseRule(
        "house", "House brand", RuleKind.MULTIPLIER, Decimal(3), only_categories=frozenset({"House"})
    )
    rules = [house, campaign("double", "2")]
    result = points_for_order([EUR], rules, order([line("a", 1000, "House"), line("b", 1000)]))
    assert result.by_line == {"a": 30, "b": 20}


def test_campaign_minimum_order_total() -> None:
    rules = [campaign("big", "2", name="Big basket", min_order_total=10_000, currency="EUR")]
    below = points_for_order([EUR], rules, order([line("a", 9999)]))
    assert below.total == 99
    assert said(below.not_applied) == (
        "Big basket: the order total 99.99 EUR is below the 100.00 EUR minimum",
    )
    assert points_for_order([EUR], rules, order([line("a", 10_000)])).total == 200


def test_campaign_with_no_line_in_scope() -> None:
    rules = [campaign("shoes", "2", name="Shoe week", only_categories={"Shoes"})]
    result = points_for_order([EUR], rules, order([line("a", 1000)]))
    assert result.total == 10
    assert said(result.not_applied) == ("Shoe week: no eligible line is in Shoes",)


def test_weekend_campaign_is_read_in_the_store_time_zone() -> None:
    # Friday 2026-03-06 16:00 UTC is Saturday 01:00 in Tokyo.
    friday_utc = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    rules = [campaign("weekend", "2", name="Weekend", days_of_week={Weekday.SATURDAY, Weekday.SUNDAY})]
    the_order = order([line("a", 1000)], placed_at=friday_utc)
    assert points_for_order([EUR], rules, the_order, timezone="Asia/Tokyo").total == 20
    in_utc = points_for_order([EUR], rules, the_order, timezone="UTC")
    assert in_utc.total == 10
    assert said(in_utc.not_applied) == (
        "Weekend: only on Saturday and Sunday; this order was placed on a Friday (UTC time)",
    )


def test_sunday_evening_in_new_york_is_still_the_weekend() -> None:
    # Monday 2026-03-09 03:30 UTC is Sunday 23:30 in New York (EDT, UTC-4, since 2026-03-08).
    monday_utc = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    rules = [campaign("weekend", "2", days_of_week={6, 7})]
    the_order = order([line("a", 1000)], placed_at=monday_utc)
    assert points_for_order([EUR], rules, the_order, timezone="America/New_York").total == 20
    assert points_for_order([EUR], rules, the_order, timezone="Europe/Paris").total == 10


def test_campaign_window_starts_inclusive_and_ends_exclusive() -> None:
    starts, ends = datetime(2026, 3, 6, 0, 0, tzinfo=UTC), datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    rules = [campaign("w", "2", name="Weekend sale", starts_at=starts, ends_at=ends)]
    one = timedelta(microseconds=1)

    def total(at: datetime) -> int:
        return points_for_order([EUR], rules, order([line("a", 1000)], placed_at=at)).total

    assert [total(starts - one), total(starts), total(ends - one), total(ends)] == [10, 20, 20, 10]
    early = points_for_order(
        [EUR], rules, order([line("a", 1000)], placed_at=starts - one), timezone="Europe/Paris"
    )
    assert said(early.not_applied) == (
        "Weekend sale: outside the rule's window: it starts 2026-03-06 01:00 Europe/Paris",
    )
    late = points_for_order([EUR], rules, order([line("a", 1000)], placed_at=ends))
    assert said(late.not_applied) == (
        "Weekend sale: outside the rule's window: it ended 2026-03-09 00:00 UTC",
    )


def test_campaign_scoped_by_tier_and_segment() -> None:
    rules = [
        campaign("gold", "2", name="Gold double", tier_ids={"gold", "platinum"}),
        campaign("vip", "3", name="VIP triple", segments={"vip", "wholesale"}),
    ]
    silver = points_for_order([EUR], rules, order([line("a", 1000)], tier_id="silver"), tier_names=TIERS)
    assert silver.total == 10
    assert said(silver.not_applied) == (
        "Gold double: only for Gold and Platinum",
        "VIP triple: only for customers in vip or wholesale",
    )
    gold = order([line("a", 1000)], tier_id="gold", segments=frozenset({"newsletter"}))
    assert points_for_order([EUR], rules, gold).total == 20
    vip = order([line("a", 1000)], segments=frozenset({"vip"}))
    assert points_for_order([EUR], rules, vip).total == 30


def test_paused_rule_does_nothing() -> None:
    rules = [PurchaseRule("p", "Paused double", RuleKind.CAMPAIGN, Decimal(2), active=False)]
    result = points_for_order([EUR], rules, order([line("a", 1000)]))
    assert (result.total, said(result.not_applied)) == (10, ("Paused double: the rule is paused",))


# --- tier multiplier -----------------------------------------------------------------------------------


def test_tier_multiplier_applies_on_top() -> None:
    # 50.00 EUR x1.25 = 62.5 -> 62 down, 63 nearest; with a x2 campaign: 50 x 2 x 1.25 = 125.
    lines = [line("tee", 5000, title="Organic tee")]
    gold = order(lines, tier_id="gold")
    down = points_for_order([EUR], [], gold, Decimal("1.25"), tier_names=TIERS)
    assert down.total == 62
    assert "Gold tier x1.25" in said(down.explanation)
    assert said(down.explanation)[-1] == "Total: 62.5 points, rounded down to 62"
    nearest = points_for_order([EarnRate(1, 100, "EUR", Rounding.NEAREST)], [], gold, Decimal("1.25"))
    assert nearest.total == 63
    assert said(nearest.explanation)[-1] == "Total: 62.5 points, rounded to 63"
    both = points_for_order(
        [EUR], [campaign("d", "2", name="Double")], gold, Decimal("1.25"), tier_names=TIERS
    )
    assert both.total == 125
    assert "1 x Organic tee: 50.00 EUR → 125 points (x2 Double, x1.25 Gold tier)" in said(both.explanation)


# --- guards --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: OrderLine("a", "S", "C", -1), "net_amount"),
        (lambda: OrderLine("a", "S", "C", 100, 0), "quantity"),
        (lambda: OrderForEarning("EUR", WEDNESDAY, (), -5), "total"),
        (lambda: OrderForEarning("EUR", datetime(2026, 3, 4), (), 0), "placed_at"),
        (lambda: OrderForEarning("EUR", WEDNESDAY, (line("a", 1), line("a", 2)), 3), "lines"),
        (lambda: OrderForEarning("XYZ", WEDNESDAY, (), 0), "currency"),
        (lambda: EarnRate(-1, 100, "EUR"), "points"),
        (lambda: EarnRate(1, 0, "EUR"), "per_amount"),
        (lambda: EarnRate(1, 100, "EUR", "sideways"), "rounding"),  # type: ignore[arg-type]
        (lambda: campaign("c", "0"), "multiplier"),
        (lambda: campaign("c", "-2"), "multiplier"),
        (lambda: campaign("c", "NaN"), "multiplier"),
        (lambda: PurchaseRule("c", "C", RuleKind.CAMPAIGN, "lots"), "multiplier"),  # type: ignore[arg-type]
        (lambda: PurchaseRule("e", "E", RuleKind.BASE_EXCLUSION, Decimal(2)), "multiplier"),
        (lambda: PurchaseRule("e", "E", "bonus"), "kind"),  # type: ignore[arg-type]
        (lambda: campaign("c", "2", min_order_total=1000), "currency"),
        (lambda: campaign("c", "2", min_order_total=-1, currency="EUR"), "min_order_total"),
        (lambda: campaign("c", "2", days_of_week={0}), "days_of_week"),
        (lambda: campaign("c", "2", starts_at=WEDNESDAY, ends_at=WEDNESDAY), "ends_at"),
        (lambda: campaign("c", "2", starts_at=datetime(2026, 1, 1)), "starts_at"),
    ],
)
def test_bad_input_is_refused_naming_the_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(Invalid) as error:
        build()
    assert invalid_field(error) == field


def test_bad_arguments_are_refused_naming_the_field() -> None:
    the_order = order([line("a", 100)])
    with pytest.raises(Invalid) as error:
        points_for_order([EUR], [], the_order, Decimal("-1"))
    assert invalid_field(error) == "tier_multiplier"
    with pytest.raises(Invalid) as error:
        points_for_order([EUR, EarnRate(2, 100, "eur")], [], the_order)
    assert invalid_field(error) == "rates"
    with pytest.raises(Invalid) as error:
        points_for_order([EUR], [], the_order, timezone="Mars/Olympus")
    assert invalid_field(error) == "timezone"


def test_inputs_are_normalised() -> None:
    rate = EarnRate(1, 100, "eur", "up")  # type: ignore[arg-type]
    assert (rate.currency, rate.rounding) == ("EUR", Rounding.UP)
    rule = PurchaseRule("c", "C", "campaign", "1.5", only_categories=["A"], days_of_week=[6])  # type: ignore[arg-type]
    assert (rule.kind, rule.multiplier, rule.only_categories, rule.days_of_week) == (
        RuleKind.CAMPAIGN,
        Decimal("1.5"),
        frozenset({"A"}),
        frozenset({Weekday.SATURDAY}),
    )


def test_floats_are_refused_as_inexact() -> None:
    with pytest.raises(Invalid) as error:
        PurchaseRule("c", "C", RuleKind.CAMPAIGN, 1.1)  # type: ignore[arg-type]
    assert invalid_field(error) == "multiplier"
    with pytest.raises(Invalid) as error:
        points_for_order([EUR], [], order([line("a", 100)]), 1.25)  # type: ignore[arg-type]
    assert invalid_field(error) == "tier_multiplier"


def test_database_ids_and_lines_without_sku_or_category() -> None:
    # Ids straight from the tables (integers); a line with no SKU, category or title is still named.
    rules = [
        PurchaseRule(7, "Apparel x2", RuleKind.CAMPAIGN, Decimal(2), only_categories=frozenset({"Apparel"})),
        PurchaseRule(8, "Gold x3", RuleKind.CAMPAIGN, Decimal(3), tier_ids=frozenset({3})),
    ]
    lines = (OrderLine(101, None, None, 1000), OrderLine(102, "TEE", "Apparel", 1000, title="Tee"))
    the_order = OrderForEarning("EUR", WEDNESDAY, lines, 2000, tier_id=2)
    result = points_for_order([EUR], rules, the_order, tier_names={3: "Gold"})
    assert (result.total, result.by_line, result.applied_rule_ids) == (30, {101: 10, 102: 20}, (7,))
    assert "1 x line 101: 10.00 EUR → 10 points" in said(result.explanation)
    assert said(result.not_applied) == ("Gold x3: only for Gold",)


# --- properties ----------------------------------------------------------------------------------------

CATEGORIES = ["Apparel", "Home", "Shoes", "Gift cards"]
rates = st.builds(
    EarnRate,
    points=st.integers(0, 50),
    per_amount=st.integers(1, 10_000),
    currency=st.just("EUR"),
    rounding=st.sampled_from(list(Rounding)),
)
order_lines = st.lists(
    st.tuples(st.integers(0, 10_000_000), st.sampled_from(CATEGORIES), st.integers(1, 5)), max_size=12
).map(
    lambda rows: [
        line(str(index), amount, category, quantity=q) for index, (amount, category, q) in enumerate(rows)
    ]
)
multipliers = st.decimals(min_value="0.1", max_value="5", places=2)
campaigns = st.lists(
    st.tuples(multipliers, st.sets(st.sampled_from(CATEGORIES), max_size=2)).map(
        lambda pair: campaign("c", str(pair[0]), only_categories=pair[1])
    ),
    max_size=3,
)
tier_multipliers = st.decimals(min_value="0", max_value="3", places=2)
NO_GIFT = exclusion("no-gift", excluded_categories={"Gift cards"})


def exact_points(rate: EarnRate, amount: int, multiplier: Decimal) -> Fraction:
    return Fraction(amount * rate.points, rate.per_amount) * Fraction(multiplier)


@settings(max_examples=300, deadline=None)
@given(rates, order_lines, campaigns, tier_multipliers)
def test_by_line_sums_to_a_non_negative_total(
    rate: EarnRate, lines: list[OrderLine], rules: list[PurchaseRule], tier_multiplier: Decimal
) -> None:
    result = points_for_order([rate], [NO_GIFT, *rules], order(lines), tier_multiplier)
    assert result.total >= 0
    assert all(points >= 0 for points in result.by_line.values())
    assert sum(result.by_line.values()) == result.total
    assert set(result.by_line) == {item.line_id for item in lines}


@settings(max_examples=300, deadline=None)
@given(rates, order_lines, tier_multipliers)
def test_each_line_gets_its_exact_points_rounded_one_way_or_the_other(
    rate: EarnRate, lines: list[OrderLine], tier_multiplier: Decimal
) -> None:
    result = points_for_order([rate], [], order(lines), tier_multiplier)
    for item in lines:
        exact = exact_points(rate, item.net_amount, tier_multiplier)
        assert exact - 1 < result.by_line[item.line_id] < exact + 1


@settings(max_examples=300, deadline=None)
@given(rates, order_lines, campaigns, st.integers(0, 10_000_000), st.integers(0, 1000))
def test_adding_an_excluded_line_never_changes_the_total(
    rate: EarnRate, lines: list[OrderLine], rules: list[PurchaseRule], gift_amount: int, shipping: int
) -> None:
    before = points_for_order([rate], [NO_GIFT, *rules], order(lines, total=shipping))
    gift = line("gift", gift_amount, "Gift cards")
    after = points_for_order([rate], [NO_GIFT, *rules], order([*lines, gift], total=shipping))
    assert after.total == before.total
    assert after.by_line["gift"] == 0


@settings(max_examples=300, deadline=None)
@given(rates, rates, order_lines, campaigns, tier_multipliers)
def test_a_higher_rate_never_earns_fewer_points(
    first: EarnRate, second: EarnRate, lines: list[OrderLine], rules: list[PurchaseRule], tier: Decimal
) -> None:
    low, high = sorted([first, second], key=lambda rate: Fraction(rate.points, rate.per_amount))
    high = EarnRate(high.points, high.per_amount, "EUR", low.rounding)
    the_order = order(lines)
    assert points_for_order([high], rules, the_order, tier).total >= (
        points_for_order([low], rules, the_order, tier).total
    )


@settings(max_examples=200, deadline=None)
@given(rates, order_lines, tier_multipliers, tier_multipliers)
def test_a_higher_tier_multiplier_never_earns_fewer_points(
    rate: EarnRate, lines: list[OrderLine], first: Decimal, second: Decimal
) -> None:
    low, high = sorted([first, second])
    the_order = order(lines)
    assert (
        points_for_order([rate], [], the_order, high).total
        >= points_for_order([rate], [], the_order, low).total
    )


# --- actions -------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def award(rule: ActionRule, *instants: datetime, **context: Any) -> ActionPoints:
    fields: dict[str, Any] = {"action": rule.action, "now": NOW, **context}
    return points_for_action(rule, history=ActionHistory(instants), **fields)


def test_signup_is_awarded() -> None:
    rule = ActionRule("s", "Signup bonus", Action.SIGNUP, 100, max_times_per_customer=1)
    assert award(rule) == ActionPoints(100, True, "Signup bonus: 100 points")


def test_another_action_is_not_this_rules() -> None:
    rule = ActionRule("r", "Review", Action.REVIEW, 20)
    result = points_for_action(rule, action="signup", now=NOW)
    assert result == ActionPoints(0, False, "this rule rewards review, not signup")
    with pytest.raises(Invalid) as error:
        points_for_action(rule, action="dance", now=NOW)
    assert invalid_field(error) == "action"


def test_custom_events_are_matched_by_exact_name() -> None:
    rule = ActionRule("v", "Watched a video", Action.CUSTOM, 5, custom_event="watched_video")
    assert award(rule, event_name="watched_video").awarded
    refused = award(rule, event_name="Watched_Video")
    assert refused == ActionPoints(
        0, False, "this rule rewards the custom event 'watched_video', not 'Watched_Video'"
    )
    assert not award(rule).awarded  # no name at all


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": Action.CUSTOM, "points": 5}, "custom_event"),
        ({"action": Action.REVIEW, "points": 5, "custom_event": "x"}, "custom_event"),
        ({"action": Action.REVIEW, "points": 0}, "points"),
        ({"action": Action.REVIEW, "points": 5, "max_times_per_customer": 0}, "max_times_per_customer"),
        ({"action": Action.REVIEW, "points": 5, "frequency": timedelta(0)}, "frequency"),
        ({"action": Action.REVIEW, "points": 5, "ends_at": datetime(2026, 1, 1)}, "ends_at"),
        ({"action": "dance", "points": 5}, "action"),
    ],
)
def test_bad_action_rules_are_refused(fields: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as error:
        ActionRule("x", "X", **fields)  # type: ignore[arg-type]
    assert invalid_field(error) == field


def test_bad_action_inputs_are_refused() -> None:
    rule = ActionRule("r", "Review", Action.REVIEW, 20)
    with pytest.raises(Invalid) as error:
        points_for_action(rule, action=Action.REVIEW, now=datetime(2026, 1, 1))
    assert invalid_field(error) == "now"
    with pytest.raises(Invalid) as error:
        ActionHistory((datetime(2026, 1, 1),))
    assert invalid_field(error) == "history.awarded_at"
    with pytest.raises(Invalid) as error:
        PeriodCap(0, Period.DAY)
    assert invalid_field(error) == "period_cap.count"


def test_lifetime_cap() -> None:
    once = ActionRule("n", "Newsletter", Action.NEWSLETTER, 50, max_times_per_customer=1)
    assert award(once, NOW - timedelta(days=400)) == ActionPoints(0, False, "already awarded 1 time, limit 1")
    thrice = ActionRule("r", "Review", Action.REVIEW, 20, max_times_per_customer=3)
    earlier = [NOW - timedelta(days=days) for days in (1, 2)]
    assert award(thrice, *earlier).awarded
    assert award(thrice, *earlier, NOW - timedelta(days=3)).reason == "already awarded 3 times, limit 3"


def test_frequency_counts_from_the_last_award() -> None:
    rule = ActionRule("s", "Survey", Action.SURVEY, 30, frequency=timedelta(days=30))
    last = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    refused = award(rule, datetime(2026, 6, 1, tzinfo=UTC), last)
    assert refused == ActionPoints(
        0,
        False,
        "at most once every 30 days; next allowed from 2026-12-01 10:00 UTC",
        last + timedelta(days=30),
    )
    in_paris = award(rule, last, timezone="Europe/Paris")
    assert in_paris.reason.endswith("next allowed from 2026-12-01 11:00 Europe/Paris")
    assert award(rule, last, now=last + timedelta(days=30)).awarded  # the boundary itself is allowed
    hourly = ActionRule("f", "Follow", Action.SOCIAL_FOLLOW, 5, frequency=timedelta(hours=6))
    assert award(hourly, NOW - timedelta(hours=1)).reason.startswith("at most once every 6 hours;")


def test_birthday_once_per_calendar_year_in_the_store_time_zone() -> None:
    rule = ActionRule("b", "Birthday", Action.BIRTHDAY, 200, period_cap=PeriodCap(1, Period.YEAR))
    this_year = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    new_year_eve_tokyo = datetime(2026, 12, 31, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
    refused = award(rule, this_year, now=new_year_eve_tokyo, timezone="Asia/Tokyo")
    assert refused == ActionPoints(
        0,
        False,
        "already awarded 1 time this year, limit 1 per year; next allowed from 2027-01-01",
        datetime(2026, 12, 31, 15, 0, tzinfo=UTC),  # midnight in Tokyo
    )
    new_year_tokyo = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 01:00 on 1 January in Tokyo
    assert award(rule, this_year, now=new_year_tokyo, timezone="Asia/Tokyo").awarded
    assert not award(rule, this_year, now=new_year_tokyo, timezone="UTC").awarded


def test_a_birthday_job_running_an_hour_earlier_next_year_still_awards() -> None:
    # Why calendar periods: 2025-03-04 09:00 to 2026-03-04 08:00 is 1 hour short of 365 days.
    rule = ActionRule("b", "Birthday", Action.BIRTHDAY, 200, period_cap=PeriodCap(1, Period.YEAR))
    last_year = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert award(rule, last_year, now=datetime(2026, 3, 4, 8, 0, tzinfo=UTC)).awarded


def test_month_week_and_day_caps() -> None:
    monthly = ActionRule("r", "Review", Action.REVIEW, 20, period_cap=PeriodCap(2, Period.MONTH))
    december = [datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC)]
    refused = award(monthly, *december, now=datetime(2026, 12, 20, tzinfo=UTC))
    assert (
        refused.reason
        == "already awarded 2 times this month, limit 2 per month; next allowed from 2027-01-01"
    )
    assert award(monthly, *december, now=datetime(2027, 1, 1, tzinfo=UTC)).awarded
    assert award(monthly, december[0], now=datetime(2026, 12, 20, tzinfo=UTC)).awarded

    weekly = ActionRule(
        "w", "Weekly", Action.CUSTOM, 5, custom_event="quiz", period_cap=PeriodCap(1, Period.WEEK)
    )
    sunday, monday = datetime(2026, 3, 8, 12, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert award(weekly, sunday, now=monday, event_name="quiz").awarded  # ISO weeks start on Monday
    assert award(weekly, monday, now=sunday + timedelta(days=7), event_name="quiz").reason.endswith(
        "next allowed from 2026-03-16"
    )

    daily = ActionRule(
        "d", "Daily", Action.CUSTOM, 1, custom_event="login", period_cap=PeriodCap(1, Period.DAY)
    )
    late = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)  # 23:30 in Paris, still 9 March
    assert not award(
        daily, late, now=late + timedelta(minutes=20), event_name="login", timezone="Europe/Paris"
    ).awarded
    assert award(
        daily, late, now=late + timedelta(minutes=40), event_name="login", timezone="Europe/Paris"
    ).awarded


def test_action_window_edges() -> None:
    starts, ends = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    rule = ActionRule("r", "Review month", Action.REVIEW, 20, starts_at=starts, ends_at=ends)
    assert award(rule, now=starts).awarded
    assert award(rule, now=starts - timedelta(seconds=1)).reason == (
        "outside the rule's window: it starts 2026-11-01 00:00 UTC"
    )
    assert award(rule, now=ends - timedelta(seconds=1)).awarded
    assert award(rule, now=ends).reason == "outside the rule's window: it ended 2026-12-01 00:00 UTC"


def test_action_tier_and_segment_scope() -> None:
    rule = ActionRule("r", "Review", Action.REVIEW, 20, tier_ids=frozenset({"gold", "platinum"}))
    assert award(rule, tier_id="silver", tier_names=TIERS).reason == "only for Gold and Platinum"
    assert award(rule, tier_names=TIERS).reason == "only for Gold and Platinum"  # no tier yet
    assert award(rule, tier_id="platinum").awarded
    tagged = ActionRule("t", "Refer", Action.REFERRAL, 500, segments=frozenset({"vip", "wholesale"}))
    assert (
        award(tagged, segments=frozenset({"newsletter"})).reason == "only for customers in vip or wholesale"
    )
    assert award(tagged, segments=frozenset({"wholesale"})).awarded


def test_paused_rule_and_the_order_of_checks() -> None:
    paused = ActionRule("p", "Paused", Action.REVIEW, 20, active=False, max_times_per_customer=1)
    assert award(paused, NOW).reason == "the rule is paused"
    # Outside its window and over its cap: the window is reported first.
    rule = ActionRule("r", "R", Action.REVIEW, 20, max_times_per_customer=1, ends_at=NOW)
    assert award(rule, NOW - timedelta(days=1)).reason.startswith("outside the rule's window")


def test_tier_multipliers_do_not_touch_action_points() -> None:
    rule = ActionRule("r", "Review", Action.REVIEW, 20)
    assert award(rule, tier_id="gold").points == 20
