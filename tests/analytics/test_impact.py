"""Support and loyalty impact: Wilson and t intervals against textbook values, groups of a hand-made fixture,
empty and small groups, and Newcombe's interval for a difference of proportions."""

from __future__ import annotations

import dataclasses
import math

import pytest

from loyaldesk.analytics.impact import (
    LOYALTY_GROUPS,
    MIN_GROUP_SIZE,
    SUPPORT_GROUPS,
    CustomerOutcome,
    difference_in_proportions,
    group_figures,
    loyalty_groups,
    loyalty_impact,
    mean_interval,
    proportion,
    support_groups,
    support_impact,
    wilson_interval,
)
from loyaldesk.kernel.errors import Invalid


def outcome(
    customer_id: str,
    *,
    contacted: bool = False,
    csat: int | None = None,
    within_target: bool | None = None,
    orders: int = 0,
    spend: int = 0,
    days: int | None = None,
    member: bool = False,
    redeemed: bool = False,
) -> CustomerOutcome:
    return CustomerOutcome(customer_id, contacted, csat, within_target, orders, spend, days, member, redeemed)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # 8 of 10: p = 0.8, z = 1.95996; centre (0.8 + 0.19207) / 1.38415 = 0.71674,
        # half 1.95996 / 1.38415 * sqrt(0.016 + 0.0096037) = 0.22658 -> [0.4902, 0.9433].
        (8, 10, 0.4902, 0.9433),
        # Newcombe (1998), Stat Med 17:857, Table I, method 3 (Wilson score without continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_textbook_values(successes: int, n: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, n)
    assert interval is not None
    assert interval == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 5) == (0.0, pytest.approx(0.4345, abs=5e-5))
    assert wilson_interval(5, 5) == (pytest.approx(0.5655, abs=5e-5), 1.0)
    # A wider confidence gives a wider interval.
    narrow, wide = wilson_interval(8, 10, 0.90), wilson_interval(8, 10, 0.99)
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    for bad in ((11, 10), (-1, 10)):
        with pytest.raises(Invalid):
            wilson_interval(*bad)
    with pytest.raises(Invalid):
        wilson_interval(1, 2, confidence=1.0)


def test_mean_interval_by_hand() -> None:
    # Values 10, 20, 30, 40: mean 25, s^2 = (225 + 25 + 25 + 225) / 3 = 166.67, s / sqrt(4) = 6.4550;
    # t(0.975, 3) = 3.18245 -> half 20.5426 -> [4.4574, 45.5426].
    estimate = mean_interval([10, 20, 30, 40])

    assert estimate.n == 4
    assert estimate.mean == pytest.approx(25.0)
    assert (estimate.low, estimate.high) == pytest.approx((4.4574, 45.5426), abs=5e-5)


def test_mean_interval_small_and_degenerate_samples() -> None:
    assert mean_interval([]) == mean_interval(()) == mean_interval([])
    assert mean_interval([]).mean is None and mean_interval([]).low is None
    single = mean_interval([700])
    assert (single.n, single.mean, single.low, single.high) == (1, 700.0, None, None)
    constant = mean_interval([5, 5, 5])
    assert (constant.mean, constant.low, constant.high) == (5.0, 5.0, 5.0)
    with pytest.raises(Invalid):
        mean_interval([1.0, math.inf])


# Exposure facts and follow-up of eight customers (spend in cents).
FIXTURE = [
    outcome("a", orders=2, spend=3000, days=20, member=True, redeemed=True),
    outcome("b", orders=0),
    outcome("c", contacted=True, csat=5, within_target=True, orders=1, spend=1000, days=30, member=True),
    outcome("d", contacted=True, csat=4, within_target=False, orders=3, spend=4500, days=120, member=True),
    outcome("e", contacted=True, csat=2, within_target=False, orders=0, member=True, redeemed=True),
    outcome("f", contacted=True, csat=1, within_target=True, orders=1, spend=2500, days=10),
    outcome("g", contacted=True, within_target=True),
    outcome("h", contacted=True, csat=3),
]


def test_support_groups_of_the_fixture() -> None:
    groups = support_groups(FIXTURE)

    assert list(groups) == list(SUPPORT_GROUPS)
    assert {name: [c.customer_id for c in members] for name, members in groups.items()} == {
        "no_contact": ["a", "b"],
        "csat_4_5": ["c", "d"],
        "csat_1_3": ["e", "f", "h"],
        "response_within_target": ["c", "f", "g"],
        "response_breached": ["d", "e"],
    }


def test_loyalty_groups_of_the_fixture() -> None:
    groups = loyalty_groups(FIXTURE)

    assert list(groups) == list(LOYALTY_GROUPS)
    assert {name: [c.customer_id for c in members] for name, members in groups.items()} == {
        "members": ["a", "c", "d", "e"],
        "non_members": ["b", "f", "g", "h"],
        "redeemers": ["a", "e"],
        "non_redeemers": ["c", "d"],  # members who did not redeem; non-members are not in it
    }


def test_figures_of_one_group_by_hand() -> None:
    # Members a, c, d, e: follow-up orders 2, 1, 3, 0 -> repeat 3 of 4; next order after 20, 30, 120 days
    # and never -> retained within 90 days 2 of 4; spend 3000, 1000, 4500, 0 -> mean 2125,
    # s^2 = (875^2 + 1125^2 + 2375^2 + 2125^2) / 3 = 12187500 / 3 = 4062500, se = sqrt(4062500 / 4)
    # = 1007.78, t(0.975, 3) = 3.18245 -> half 3207.21.
    figures = {f.group: f for f in loyalty_impact(FIXTURE, retention_days=90)}["members"]

    assert figures.n == 4
    assert figures.too_few_to_conclude
    assert (figures.repeat_purchase.successes, figures.repeat_purchase.n) == (3, 4)
    assert figures.repeat_purchase.rate == pytest.approx(0.75)
    assert (figures.repeat_purchase.low, figures.repeat_purchase.high) == pytest.approx(wilson_interval(3, 4))
    assert (figures.retention.successes, figures.retention.rate) == (2, 0.5)
    assert figures.spend_minor.mean == pytest.approx(2125.0)
    assert figures.spend_minor.low == pytest.approx(2125.0 - 3207.21, abs=0.01)
    assert figures.spend_minor.high == pytest.approx(2125.0 + 3207.21, abs=0.01)
    # A 120-day window also retains d.
    longer = {f.group: f for f in loyalty_impact(FIXTURE, retention_days=120)}["members"]
    assert longer.retention.successes == 3


def test_support_impact_reports_every_group_in_order() -> None:
    figures = support_impact(FIXTURE)

    assert [f.group for f in figures] == list(SUPPORT_GROUPS)
    assert [f.n for f in figures] == [2, 2, 3, 3, 2]
    # csat_1_3: e (no order), f (1 order after 10 days, 2500), h (no order).
    low_csat = figures[2]
    assert (low_csat.repeat_purchase.successes, low_csat.retention.successes) == (1, 1)
    assert low_csat.spend_minor.mean == pytest.approx(2500 / 3)


def test_empty_groups_have_none_figures_and_no_warnings() -> None:
    figures = support_impact([outcome("only", orders=1, spend=100, days=5)])
    empty = {f.group: f for f in figures}["csat_4_5"]

    assert empty.n == 0
    assert empty.too_few_to_conclude
    assert empty.repeat_purchase == proportion(0, 0)
    assert (empty.repeat_purchase.rate, empty.repeat_purchase.low, empty.repeat_purchase.high) == (None,) * 3
    assert (empty.retention.rate, empty.spend_minor.mean, empty.spend_minor.low) == (None, None, None)
    assert all(f.n == 0 for f in support_impact([]))
    assert difference_in_proportions(empty.repeat_purchase, proportion(3, 4)) is None


def test_groups_of_thirty_or_more_are_not_flagged() -> None:
    customers = [outcome(f"c{i}", orders=i % 2, days=(5 if i % 2 else None)) for i in range(MIN_GROUP_SIZE)]
    figures = group_figures("all", customers, retention_days=90)

    assert figures.n == 30
    assert not figures.too_few_to_conclude
    assert group_figures("fewer", customers[:29], retention_days=90).too_few_to_conclude


def test_difference_in_proportions_matches_newcombe() -> None:
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 - 48/80 = 0.2, method 10 -> [0.0524, 0.3339].
    difference = difference_in_proportions(proportion(56, 70), proportion(48, 80))

    assert difference is not None
    assert difference.difference == pytest.approx(0.2)
    assert (difference.low, difference.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert difference.conclusive


def test_difference_in_proportions_needs_an_interval_off_zero_and_big_groups() -> None:
    # 9/10 vs 3/10 excludes zero but the groups are too small to conclude.
    small = difference_in_proportions(proportion(9, 10), proportion(3, 10))
    assert small is not None and small.low > 0 and not small.conclusive
    # 31/60 vs 30/60: the interval straddles zero.
    even = difference_in_proportions(proportion(31, 60), proportion(30, 60))
    assert even is not None and even.low < 0 < even.high and not even.conclusive
    # Reversing the groups mirrors the interval.
    forward = difference_in_proportions(proportion(56, 70), proportion(48, 80))
    backward = difference_in_proportions(proportion(48, 80), proportion(56, 70))
    assert forward is not None and backward is not None
    assert (backward.low, backward.high) == pytest.approx((-forward.high, -forward.low))


@pytest.mark.parametrize(
    "changes",
    [
        {"csat": 6},
        {"csat": 3},  # a rating without contact
        {"within_target": False},  # a response without contact
        {"orders": 1},  # an order without days to it
        {"days": 4},  # days without an order
        {"spend": -1},
        {"redeemed": True},  # a non-member redeeming
        {"orders": -1},
    ],
)
def test_customer_outcomes_are_validated(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        outcome("x", **changes)  # type: ignore[arg-type]


def test_duplicates_and_bad_windows_are_rejected() -> None:
    customer = outcome("x")
    with pytest.raises(Invalid):
        support_impact([customer, dataclasses.replace(customer)])
    with pytest.raises(Invalid):
        loyalty_impact([customer], retention_days=-1)
