"""Scores with their 95% intervals, pure (no I/O): NPS, CSAT and CES as the dashboards show them.

- **NPS** = 100 (p+ - p-), with p+ and p- the shares of promoters (9-10) and detractors (0-6) among the
  n answers. Each answer is a draw of a variable worth +1 (promoter), 0 (passive) or -1 (detractor)
  whose mean is p+ - p-, so its variance (multinomial) is Var = (p+ + p- - (p+ - p-)^2) / n, and the
  interval is the normal approximation NPS +/- 100 z sqrt(Var), clipped to [-100, 100].
  *Small n*: the normal approximation is poor below :data:`MIN_ANSWERS` answers, so such estimates are
  flagged ``too_few`` (the dashboards grey them). And where every answer falls in one bucket (all
  promoters, say) the observed variance is 0 and the interval would be a single point; then the
  variance is taken from the counts with one answer added to each bucket (a Laplace-style adjustment),
  so that 5 promoters out of 5 reads "100, somewhere from about 20 to 100", not "exactly 100". With
  n = 0 there is no estimate (``value`` None).
- **CSAT** is the share of satisfied answers (4-5 on 1-5) with a Wilson score interval, which stays
  inside [0, 1] and behaves at 0 and 1 and for small n.
- **CES** is the mean effort score (1-7) with a Student t interval (mean +/- t(0.975, n-1) s / sqrt(n));
  one answer has a mean but no interval. ``easy`` (% 5-7) is a proportion with a Wilson interval.

Percentages are given in percent (0-100), NPS in points (-100..100).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats

CONFIDENCE = 0.95
Z = 1.959963984540054  # the two-sided 95% normal quantile
MIN_ANSWERS = 30  # below this, an estimate is shown greyed: "too few to conclude"


@dataclass(frozen=True)
class Estimate:
    """A score from ``n`` answers and its 95% interval [``low``, ``high``]. ``value`` is None without
    answers; ``low``/``high`` are None when no interval can be given (n = 0, or one answer of a mean).
    ``too_few`` when n < :data:`MIN_ANSWERS`: shown, but not to be read into."""

    n: int
    value: float | None
    low: float | None
    high: float | None

    @property
    def too_few(self) -> bool:
        return self.n < MIN_ANSWERS

    def as_dict(self) -> dict[str, float | int | bool | None]:
        return {
            "n": self.n,
            "value": _round(self.value),
            "low": _round(self.low),
            "high": _round(self.high),
            "too_few": self.too_few,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


EMPTY = Estimate(0, None, None, None)


def _check_counts(**counts: int) -> None:
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a non-negative whole number (got {count!r})")


def nps(promoters: int, passives: int, detractors: int) -> Estimate:
    """The NPS of these counts with its 95% interval (see the module docstring for the variance and
    what happens with few answers). Raises ``ValueError`` for a negative or non-integer count."""
    _check_counts(promoters=promoters, passives=passives, detractors=detractors)
    n = promoters + passives + detractors
    if n == 0:
        return EMPTY
    plus, minus = promoters / n, detractors / n
    value = plus - minus
    variance = (plus + minus - value**2) / n
    if variance <= 0:
        adjusted = n + 3
        plus_a, minus_a = (promoters + 1) / adjusted, (detractors + 1) / adjusted
        variance = (plus_a + minus_a - (plus_a - minus_a) ** 2) / adjusted
    half = Z * math.sqrt(variance)
    return Estimate(n, 100 * value, max(-100.0, 100 * (value - half)), min(100.0, 100 * (value + half)))


def nps_of_scores(scores: Iterable[int]) -> Estimate:
    """The NPS of raw 0-10 scores (9-10 promoters, 7-8 passives, 0-6 detractors)."""
    promoters = passives = detractors = 0
    for score in scores:
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    return nps(promoters, passives, detractors)


def wilson(successes: int, n: int) -> Estimate:
    """The share ``successes`` / ``n`` in percent with its 95% Wilson score interval:
    (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n). Raises ``ValueError`` unless
    0 <= successes <= n."""
    _check_counts(successes=successes, n=n)
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
    if n == 0:
        return EMPTY
    p = successes / n
    z2 = Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(n, 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def csat(satisfied: int, n: int) -> Estimate:
    """CSAT: the percentage of answers 4 or 5 (``satisfied``) among ``n``, Wilson interval."""
    return wilson(satisfied, n)


def mean_t(values: Iterable[float]) -> Estimate:
    """The mean of ``values`` with its 95% Student t interval; one value: the mean without interval."""
    data = [float(value) for value in values]
    n = len(data)
    if n == 0:
        return EMPTY
    mean = math.fsum(data) / n
    if n == 1:
        return Estimate(1, mean, None, None)
    variance = math.fsum((value - mean) ** 2 for value in data) / (n - 1)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * math.sqrt(variance / n)
    return Estimate(n, mean, mean - half, mean + half)


def mean_of_counts(counts: dict[int, int]) -> Estimate:
    """:func:`mean_t` of a histogram (score -> how many), without expanding it."""
    n = sum(counts.values())
    if n == 0:
        return EMPTY
    mean = sum(score * count for score, count in counts.items()) / n
    if n == 1:
        return Estimate(1, mean, None, None)
    variance = sum(count * (score - mean) ** 2 for score, count in counts.items()) / (n - 1)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * math.sqrt(variance / n)
    return Estimate(n, mean, mean - half, mean + half)
