"""Support impact and loyalty-programme impact on what customers do next, with confidence intervals. No I/O.

Conventions:
- Each customer has an exposure window (their support experience, their membership) and an equally long
  follow-up window after it; :class:`CustomerOutcome` holds the facts of both. Choosing the windows,
  and the customer's single CSAT rating when they gave several (the lowest is a sound choice), is the
  caller's job. The figures compare groups; they show association, not proof that support caused it.
- Support groups: ``no_contact`` (no support contact in the exposure window), ``csat_4_5`` and
  ``csat_1_3`` (their rating), ``response_within_target`` and ``response_breached`` (first response
  against the target). Groups of different dimensions overlap (one customer can be in ``csat_4_5`` and
  ``response_breached``); within a dimension they are exclusive. A contacted customer without a rating
  or a measured first response is in neither group of that dimension.
- Loyalty groups: ``members`` and ``non_members``; ``redeemers`` and ``non_redeemers`` are both among
  members (non-members cannot redeem, so comparing redeemers with everyone else would mix in
  membership).
- Figures per group: the repeat purchase rate (share with at least one follow-up order), retention
  (share whose next order came within ``retention_days`` of the end of the exposure window), both with
  95% Wilson score intervals, and the mean follow-up spend (minor units, zeros included) with a 95%
  Student t interval (mean +/- t(0.975, n-1) * s / sqrt(n)). Spend is skewed, so the t interval is only
  approximate in small groups: groups with fewer than :data:`MIN_GROUP_SIZE` customers are flagged
  ``too_few_to_conclude``. Empty groups have ``None`` for every figure; a group of one has a mean but no
  spend interval.
- Differences between two groups' proportions use Newcombe's hybrid score interval (Newcombe 1998,
  method 10), built from the two Wilson intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from loyaldesk.analytics.vocab import LoyaltyGroup, SupportGroup
from loyaldesk.kernel.errors import Invalid

MIN_GROUP_SIZE = 30
CONFIDENCE = 0.95

SUPPORT_GROUPS: tuple[str, ...] = tuple(group.value for group in SupportGroup)
LOYALTY_GROUPS: tuple[str, ...] = tuple(group.value for group in LoyaltyGroup)


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class CustomerOutcome:
    """One customer's exposure facts and follow-up outcome.

    - ``contacted``: contacted support in the exposure window.
    - ``csat``: their rating 1-5 in the window, ``None`` when none (always ``None`` without contact).
    - ``response_within_target``: whether the first response met the target; ``None`` when not measured
      (always ``None`` without contact).
    - ``subsequent_orders``: orders in the follow-up window; ``subsequent_spend_minor``: their total, in
      minor currency units (cents), non-negative.
    - ``days_to_next_order``: days from the end of the exposure window to the next order; ``None`` exactly
      when there is no follow-up order.
    - ``member``: a loyalty-programme member; ``redeemed``: redeemed points in the exposure window
      (members only).
    """

    customer_id: Hashable
    contacted: bool
    csat: int | None
    response_within_target: bool | None
    subsequent_orders: int
    subsequent_spend_minor: int
    days_to_next_order: int | None
    member: bool
    redeemed: bool

    def __post_init__(self) -> None:
        for name in ("contacted", "member", "redeemed"):
            if not isinstance(getattr(self, name), bool):
                raise Invalid.field(name, "must be true or false")
        if self.csat is not None and (
            isinstance(self.csat, bool) or not isinstance(self.csat, int) or not 1 <= self.csat <= 5
        ):
            raise Invalid.field("csat", f"must be an integer rating 1-5 or None (got {self.csat!r})")
        if self.response_within_target is not None and not isinstance(self.response_within_target, bool):
            raise Invalid.field("response_within_target", "must be true, false or None")
        if not self.contacted and (self.csat is not None or self.response_within_target is not None):
            raise Invalid.field("contacted", "a customer without contact has no rating and no response")
        for name in ("subsequent_orders", "subsequent_spend_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise Invalid.field(name, f"must be a non-negative integer (got {value!r})")
        days = self.days_to_next_order
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise Invalid.field(
                "days_to_next_order", f"must be a non-negative integer or None (got {days!r})"
            )
        if (days is None) != (self.subsequent_orders == 0):
            raise Invalid.field("days_to_next_order", "is None exactly when there is no follow-up order")
        if self.redeemed and not self.member:
            raise Invalid.field("redeemed", "only members can redeem")


@dataclass(frozen=True)
class Proportion:
    """``successes`` of ``n``; ``rate`` and its Wilson interval [``low``, ``high``], ``None`` when n = 0."""

    successes: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class MeanEstimate:
    """Mean of ``n`` values with its t interval; ``mean`` is ``None`` when n = 0, the bounds when n < 2."""

    n: int
    mean: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class GroupFigures:
    """Follow-up figures of one group of customers (see the module docstring)."""

    group: str
    n: int
    repeat_purchase: Proportion
    retention: Proportion
    spend_minor: MeanEstimate
    too_few_to_conclude: bool


@dataclass(frozen=True)
class ProportionDifference:
    """``difference`` = rate of a - rate of b with its interval; ``conclusive`` when the interval excludes 0
    and neither group is too small to conclude."""

    difference: float
    low: float
    high: float
    conclusive: bool


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval of a proportion: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    with z the two-sided normal quantile of ``confidence``; ``None`` when ``n`` is 0. Clipped to [0, 1].
    Raises ``Invalid`` unless 0 <= successes <= n and 0 < confidence < 1."""
    if not (0 <= successes <= n):
        raise Invalid.field("successes", f"needs 0 <= successes <= n (got {successes} of {n})")
    z = _z(confidence)
    if n == 0:
        return None
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def proportion(successes: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """``successes`` of ``n`` with the rate and its Wilson interval (``None`` figures when n = 0)."""
    interval = wilson_interval(successes, n, confidence)
    if interval is None:
        return Proportion(successes, n, None, None, None)
    return Proportion(successes, n, successes / n, interval[0], interval[1])


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> MeanEstimate:
    """Mean with the Student t interval mean -/+ t(1 - (1 - confidence)/2, n-1) * s / sqrt(n), s the sample
    standard deviation. n = 0 gives all ``None``; n = 1 a mean without bounds; equal values a zero-width
    interval. Raises ``Invalid`` on a non-finite value."""
    _z(confidence)
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)):
        raise Invalid.field("values", "every value must be a finite number")
    n = int(array.size)
    if n == 0:
        return MeanEstimate(0, None, None, None)
    mean = float(array.sum() / n)
    if n == 1:
        return MeanEstimate(1, mean, None, None)
    standard_error = float(np.sqrt(np.sum((array - mean) ** 2) / (n - 1) / n))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * standard_error
    return MeanEstimate(n, mean, mean - half, mean + half)


def group_figures(
    group: str, customers: Sequence[CustomerOutcome], *, retention_days: int, confidence: float = CONFIDENCE
) -> GroupFigures:
    """The figures of one group of customers (``retention_days`` a non-negative integer)."""
    _check_retention_days(retention_days)
    n = len(customers)
    repeat = sum(1 for customer in customers if customer.subsequent_orders > 0)
    retained = sum(
        1
        for customer in customers
        if customer.days_to_next_order is not None and customer.days_to_next_order <= retention_days
    )
    return GroupFigures(
        group=group,
        n=n,
        repeat_purchase=proportion(repeat, n, confidence),
        retention=proportion(retained, n, confidence),
        spend_minor=mean_interval([customer.subsequent_spend_minor for customer in customers], confidence),
        too_few_to_conclude=n < MIN_GROUP_SIZE,
    )


def support_groups(customers: Sequence[CustomerOutcome]) -> dict[str, list[CustomerOutcome]]:
    """The customers of each support group, keyed in :data:`SUPPORT_GROUPS` order (input order kept)."""
    return _grouped(customers, _SUPPORT_RULES)


def loyalty_groups(customers: Sequence[CustomerOutcome]) -> dict[str, list[CustomerOutcome]]:
    """The customers of each loyalty group, keyed in :data:`LOYALTY_GROUPS` order (input order kept)."""
    return _grouped(customers, _LOYALTY_RULES)


def support_impact(
    customers: Sequence[CustomerOutcome], *, retention_days: int = 90, confidence: float = CONFIDENCE
) -> tuple[GroupFigures, ...]:
    """Figures of every support group, in :data:`SUPPORT_GROUPS` order (empty groups included)."""
    return tuple(
        group_figures(name, members, retention_days=retention_days, confidence=confidence)
        for name, members in support_groups(customers).items()
    )


def loyalty_impact(
    customers: Sequence[CustomerOutcome], *, retention_days: int = 90, confidence: float = CONFIDENCE
) -> tuple[GroupFigures, ...]:
    """Figures of every loyalty group, in :data:`LOYALTY_GROUPS` order (empty groups included)."""
    return tuple(
        group_figures(name, members, retention_days=retention_days, confidence=confidence)
        for name, members in loyalty_groups(customers).items()
    )


def difference_in_proportions(
    a: Proportion, b: Proportion, confidence: float = CONFIDENCE
) -> ProportionDifference | None:
    """Rate of ``a`` minus rate of ``b`` with Newcombe's hybrid score interval (method 10):

        low  = d - sqrt((p_a - low_a)^2 + (high_b - p_b)^2)
        high = d + sqrt((high_a - p_a)^2 + (p_b - low_b)^2)

    from the two Wilson intervals at ``confidence``. ``None`` when either group is empty. ``conclusive``
    when the interval excludes 0 and both groups have at least :data:`MIN_GROUP_SIZE` customers.
    """
    interval_a = wilson_interval(a.successes, a.n, confidence)
    interval_b = wilson_interval(b.successes, b.n, confidence)
    if interval_a is None or interval_b is None:
        return None
    p_a, p_b = a.successes / a.n, b.successes / b.n
    difference = p_a - p_b
    low = difference - math.hypot(p_a - interval_a[0], interval_b[1] - p_b)
    high = difference + math.hypot(interval_a[1] - p_a, p_b - interval_b[0])
    excludes_zero = low > 0.0 or high < 0.0
    conclusive = excludes_zero and min(a.n, b.n) >= MIN_GROUP_SIZE
    return ProportionDifference(difference, low, high, conclusive)


_SUPPORT_RULES: dict[str, Callable[[CustomerOutcome], bool]] = {
    SupportGroup.NO_CONTACT.value: lambda customer: not customer.contacted,
    SupportGroup.CSAT_4_5.value: lambda customer: customer.csat is not None and customer.csat >= 4,
    SupportGroup.CSAT_1_3.value: lambda customer: customer.csat is not None and customer.csat <= 3,
    SupportGroup.RESPONSE_WITHIN_TARGET.value: lambda customer: customer.response_within_target is True,
    SupportGroup.RESPONSE_BREACHED.value: lambda customer: customer.response_within_target is False,
}
_LOYALTY_RULES: dict[str, Callable[[CustomerOutcome], bool]] = {
    LoyaltyGroup.MEMBERS.value: lambda customer: customer.member,
    LoyaltyGroup.NON_MEMBERS.value: lambda customer: not customer.member,
    LoyaltyGroup.REDEEMERS.value: lambda customer: customer.redeemed,
    LoyaltyGroup.NON_REDEEMERS.value: lambda customer: customer.member and not customer.redeemed,
}


def _grouped(
    customers: Sequence[CustomerOutcome], rules: dict[str, Callable[[CustomerOutcome], bool]]
) -> dict[str, list[CustomerOutcome]]:
    seen: set[Hashable] = set()
    for customer in customers:
        if customer.customer_id in seen:
            raise Invalid.field("customer_id", f"appears twice ({customer.customer_id!r})")
        seen.add(customer.customer_id)
    return {name: [customer for customer in customers if rule(customer)] for name, rule in rules.items()}


def _z(confidence: float) -> float:
    if not (isinstance(confidence, int | float) and 0.0 < confidence < 1.0):
        raise Invalid.field("confidence", "must be a number strictly between 0 and 1")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _check_retention_days(retention_days: int) -> None:
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 0:
        raise Invalid.field("retention_days", "must be a non-negative integer number of days")
