"""The uplift statistics of personal offers against published and independently computed values: the
Wilson interval (Newcombe 1998, table I), Newcombe's hybrid score interval for a difference of
proportions (Newcombe 1998, table II, method 10), Welch's interval against ``scipy.stats.ttest_ind``
(``equal_var=False``), and the seeded split."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from loyaldesk.recommendations.rules.uplift import (
    Sums,
    assignment_draw,
    group_figures,
    in_holdout,
    newcombe_difference,
    sums_of,
    uplift,
    welch_difference,
    wilson,
)


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        # Newcombe (1998) "Two-sided confidence intervals for the single proportion", table I, method 3.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_table(successes: int, total: int, low: float, high: float) -> None:
    interval = wilson(successes, total)
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=6e-5)
    assert interval.high == pytest.approx(high, abs=6e-5)


def test_wilson_matches_statsmodels_formula_by_hand() -> None:
    # By hand: p = 0.3, n = 50, z = 1.96: centre (0.3 + 1.96²/100) / (1 + 1.96²/50), half-width as below.
    z = stats.norm.ppf(0.975)
    p, n = 0.3, 50
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    interval = wilson(15, 50)
    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_wilson_of_an_empty_group_is_none_and_bad_counts_are_refused() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(5, 4)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        # Newcombe (1998) "Interval estimation for the difference between independent proportions",
        # table II, method 10 (score, no continuity correction).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_newcombe_matches_the_published_examples(
    a: int, m: int, b: int, n: int, low: float, high: float
) -> None:
    interval = newcombe_difference(a, m, b, n)
    assert interval is not None
    assert interval.low == pytest.approx(low, abs=6e-5)
    assert interval.high == pytest.approx(high, abs=6e-5)


def test_newcombe_needs_both_groups() -> None:
    assert newcombe_difference(1, 10, 0, 0) is None


@pytest.mark.parametrize("seed", range(6))
def test_welch_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Revenue-like: most customers buy nothing, buyers' totals are skewed; groups of unequal size.
    a = np.where(rng.random(400) < 0.3, rng.lognormal(8, 1, 400), 0.0).round()
    b = np.where(rng.random(57) < 0.2, rng.lognormal(7.5, 1.2, 57), 0.0).round()
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    result = welch_difference(sums_of(list(a)), sums_of(list(b)))
    assert result is not None
    assert result.difference == pytest.approx(a.mean() - b.mean(), rel=1e-9)
    assert result.interval.low == pytest.approx(expected.low, rel=1e-6)
    assert result.interval.high == pytest.approx(expected.high, rel=1e-6)
    assert result.standard_error == pytest.approx(
        math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)), rel=1e-9
    )


def test_welch_by_hand() -> None:
    # a = 1, 2, 3, 4 (mean 2.5, var 5/3); b = 2, 4 (mean 3, var 2). se² = 5/12 + 1 = 17/12;
    # df = (17/12)² / ((5/12)²/3 + 1²/1) = 1.9327...; t(0.975, df) = 4.4037...
    result = welch_difference(sums_of([1, 2, 3, 4]), sums_of([2, 4]))
    assert result is not None
    se = math.sqrt(17 / 12)
    df = (17 / 12) ** 2 / ((5 / 12) ** 2 / 3 + 1)
    assert result.degrees_of_freedom == pytest.approx(df, rel=1e-12)
    half = stats.t.ppf(0.975, df) * se
    assert (result.interval.low, result.interval.high) == pytest.approx((-0.5 - half, -0.5 + half))


def test_welch_edge_cases() -> None:
    assert welch_difference(Sums(1, 5.0, 25.0), sums_of([1, 2])) is None  # one customer: no variance
    constant = welch_difference(sums_of([0, 0, 0]), sums_of([0, 0]))
    assert constant is not None
    assert (constant.interval.low, constant.interval.high) == (0.0, 0.0)


def test_uplift_puts_it_together() -> None:
    treatment = group_figures(70, 56, sums_of([100.0] * 56 + [0.0] * 14))
    holdout = group_figures(80, 48, sums_of([100.0] * 48 + [0.0] * 32))
    found = uplift(treatment, holdout)
    assert found.conversion_difference == pytest.approx(0.2)
    assert found.conversion_interval is not None
    assert found.conversion_interval.low == pytest.approx(0.0524, abs=6e-5)
    assert found.conversion_interval.excludes_zero
    assert found.revenue_difference == pytest.approx(20.0)
    assert found.treatment.conversion_rate == pytest.approx(0.8)
    with pytest.raises(ValueError):
        group_figures(3, 1, sums_of([1.0]))


def test_an_empty_holdout_gives_no_differences() -> None:
    found = uplift(group_figures(5, 1, sums_of([0, 0, 0, 0, 10])), group_figures(0, 0, Sums(0, 0, 0)))
    assert found.conversion_interval is None and found.revenue_interval is None
    assert found.holdout.conversion_rate is None


def test_the_split_is_reproducible_uniform_and_independent_per_offer() -> None:
    draws = [assignment_draw(7, customer) for customer in range(1, 20_001)]
    assert draws == [assignment_draw(7, customer) for customer in range(1, 20_001)]
    assert all(0 <= draw < 1 for draw in draws)
    # Uniform: Kolmogorov-Smirnov against U(0, 1) does not reject at 1%.
    assert stats.kstest(draws, "uniform").pvalue > 0.01
    held = sum(in_holdout(7, customer, 10) for customer in range(1, 20_001))
    assert abs(held / 20_000 - 0.10) < 4 * math.sqrt(0.1 * 0.9 / 20_000)
    other = [in_holdout(8, customer, 10) for customer in range(1, 20_001)]
    same = sum(in_holdout(7, c, 10) == other[c - 1] for c in range(1, 20_001))
    assert same < 20_000  # another offer splits the same customers differently
    assert not any(in_holdout(7, customer, 0) for customer in range(1, 1000))
