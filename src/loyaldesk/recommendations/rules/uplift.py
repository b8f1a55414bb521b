"""What a personal offer changed: the treatment group against the random holdout, with 95% intervals.

Pure (no I/O). Two figures per group and their difference (treatment - holdout):

* **Conversion** (the share of a group's customers who placed a qualifying order before the offer ended).
  Each group's rate gets the Wilson score interval; the difference gets **Newcombe's hybrid score interval**
  (Newcombe 1998, method 10), built from the two Wilson intervals. Chosen over the normal approximation
  (Wald) because it keeps its 95% coverage with small groups and rates near 0 or 1, which offers have
  (a 10% holdout of a small segment; conversion rates of a few percent), never leaves [-1, 1] and needs
  no continuity fudge. Newcombe's own example (56/70 vs 48/80) gives 0.0524 to 0.3339; the tests check it.
* **Revenue per customer** (net order totals in the offer's window divided by the group's customers,
  buyers and non-buyers alike). The difference of the means gets **Welch's t interval** (unequal
  variances, Welch-Satterthwaite degrees of freedom): the groups differ in size by design and revenue is
  skewed, so the pooled-variance t would be wrong; with hundreds of customers a group the mean is close
  enough to normal. The inputs are sums (count, sum, sum of squares), so the database aggregates and no
  per-customer list is held; the tests check against ``scipy.stats.ttest_ind(equal_var=False)``.

An interval that does not contain 0 is a difference at the 5% level (``significant``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from scipy.stats import norm
from scipy.stats import t as student_t

Z95 = float(norm.ppf(0.975))  # 1.959963984540054


def assignment_draw(offer_id: int, customer_id: int) -> float:
    """A uniform number in [0, 1) fixed by the offer and the customer: the customer's side of the split is
    the same on every launch attempt, on every machine (SHA-256 of both ids, not Python's ``hash``)."""
    digest = hashlib.sha256(f"offer:{offer_id}:customer:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def in_holdout(offer_id: int, customer_id: int, holdout_percent: int) -> bool:
    """Whether the customer is kept back: their draw falls below ``holdout_percent`` / 100."""
    return assignment_draw(offer_id, customer_id) < holdout_percent / 100


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def wilson(successes: int, total: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of ``successes`` / ``total`` (None for an empty group)."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError("successes must be between 0 and total")
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe_difference(
    successes_a: int, total_a: int, successes_b: int, total_b: int, z: float = Z95
) -> Interval | None:
    """Newcombe's hybrid score interval for p_a - p_b (method 10); None when a group is empty."""
    interval_a, interval_b = wilson(successes_a, total_a, z), wilson(successes_b, total_b, z)
    if interval_a is None or interval_b is None:
        return None
    p_a, p_b = successes_a / total_a, successes_b / total_b
    difference = p_a - p_b
    low = difference - math.sqrt((p_a - interval_a.low) ** 2 + (interval_b.high - p_b) ** 2)
    high = difference + math.sqrt((interval_a.high - p_a) ** 2 + (p_b - interval_b.low) ** 2)
    return Interval(low, high)


@dataclass(frozen=True)
class Sums:
    """A group's per-customer values summarised: how many customers, the sum and the sum of squares."""

    count: int
    total: float
    squares: float

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def variance(self) -> float | None:
        """The sample variance (n - 1); None below two customers."""
        if self.count < 2:
            return None
        value = (self.squares - self.total * self.total / self.count) / (self.count - 1)
        return max(0.0, value)  # rounding can take a constant group a hair below zero


def sums_of(values: list[float] | list[int]) -> Sums:
    return Sums(len(values), float(sum(values)), float(sum(v * v for v in values)))


@dataclass(frozen=True)
class WelchResult:
    difference: float
    interval: Interval
    degrees_of_freedom: float
    standard_error: float


def welch_difference(a: Sums, b: Sums, confidence: float = 0.95) -> WelchResult | None:
    """Welch's interval for mean_a - mean_b; None when a group has fewer than two customers. When both
    groups are constant the interval is the difference itself (no spread to speak of)."""
    var_a, var_b = a.variance, b.variance
    if var_a is None or var_b is None or a.mean is None or b.mean is None:
        return None
    difference = a.mean - b.mean
    part_a, part_b = var_a / a.count, var_b / b.count
    standard_error = math.sqrt(part_a + part_b)
    if standard_error == 0:
        return WelchResult(difference, Interval(difference, difference), float("inf"), 0.0)
    degrees = (part_a + part_b) ** 2 / (part_a**2 / (a.count - 1) + part_b**2 / (b.count - 1))
    quantile = float(student_t.ppf(0.5 + confidence / 2, degrees))
    return WelchResult(
        difference,
        Interval(difference - quantile * standard_error, difference + quantile * standard_error),
        degrees,
        standard_error,
    )


@dataclass(frozen=True)
class GroupFigures:
    """One group's results: customers, converted customers, revenue per customer (minor units) and the
    conversion rate with its Wilson interval."""

    customers: int
    converted: int
    revenue: Sums
    conversion_interval: Interval | None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.customers if self.customers else None

    @property
    def revenue_per_customer(self) -> float | None:
        return self.revenue.mean


@dataclass(frozen=True)
class Uplift:
    """Treatment against holdout: each group's figures, and the differences with their 95% intervals
    (None where a group is too small to say)."""

    treatment: GroupFigures
    holdout: GroupFigures
    conversion_difference: float | None
    conversion_interval: Interval | None
    revenue_difference: float | None
    revenue_interval: Interval | None


def group_figures(customers: int, converted: int, revenue: Sums) -> GroupFigures:
    if revenue.count != customers:
        raise ValueError("the revenue sums must cover every customer of the group")
    return GroupFigures(customers, converted, revenue, wilson(converted, customers))


def uplift(treatment: GroupFigures, holdout: GroupFigures) -> Uplift:
    """The differences treatment - holdout: conversion (Newcombe) and revenue per customer (Welch)."""
    conversion = newcombe_difference(
        treatment.converted, treatment.customers, holdout.converted, holdout.customers
    )
    difference = (
        treatment.conversion_rate - holdout.conversion_rate
        if treatment.conversion_rate is not None and holdout.conversion_rate is not None
        else None
    )
    welch = welch_difference(treatment.revenue, holdout.revenue)
    return Uplift(
        treatment,
        holdout,
        difference,
        conversion,
        welch.difference if welch else None,
        welch.interval if welch else None,
    )
