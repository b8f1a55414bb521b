"""The dashboards' intervals (feedback.rules.statistics) against independent computations: the NPS
interval against a bootstrap of the answers done here with numpy, CSAT's Wilson interval and CES's t
interval against textbook values, and the edge cases (no answers, one answer, all promoters)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loyaldesk.feedback.rules.statistics import (
    MIN_ANSWERS,
    csat,
    mean_of_counts,
    mean_t,
    nps,
    nps_of_scores,
    wilson,
)

# Realistic score distributions (0..10): a liked store, a struggling one, a polarised one.
LIKED = [3, 1, 2, 2, 3, 5, 8, 12, 20, 22, 22]
STRUGGLING = [10, 6, 7, 8, 8, 10, 12, 12, 10, 8, 9]
POLARISED = [15, 5, 3, 2, 2, 3, 3, 4, 8, 20, 35]
SAMPLES = [
    (100, LIKED),
    (150, STRUGGLING),
    (250, POLARISED),
    (400, LIKED),
    (1000, STRUGGLING),
    (3000, POLARISED),
]
RESAMPLES = 20_000


def _bootstrap(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NPS of RESAMPLES resamples (with replacement, the size of the sample) of the raw scores."""
    n = len(scores)
    values = []
    for _ in range(RESAMPLES // 2000):
        resampled = scores[rng.integers(0, n, size=(2000, n))]
        values.append(100 * ((resampled >= 9).mean(axis=1) - (resampled <= 6).mean(axis=1)))
    return np.concatenate(values)


@pytest.mark.parametrize(("n", "weights"), SAMPLES)
def test_nps_interval_agrees_with_a_bootstrap(n: int, weights: list[int]) -> None:
    rng = np.random.default_rng(1600 + n)
    probabilities = np.array(weights, dtype=float) / sum(weights)
    scores = rng.choice(np.arange(11), size=n, p=probabilities)
    estimate = nps_of_scores(scores.tolist())
    assert estimate.low is not None and estimate.high is not None and estimate.value is not None
    boot = _bootstrap(scores, rng)
    # The bootstrap's standard error interval: the spread of the resampled NPS, measured, not derived.
    spread = 1.959964 * boot.std(ddof=1)
    assert abs(estimate.low - (estimate.value - spread)) < 0.5
    assert abs(estimate.high - (estimate.value + spread)) < 0.5
    # The percentile interval: a resampled NPS moves in steps of 100/n points, so with 100-200 answers
    # its ends sit on that grid; beyond, they agree within half a point.
    low, high = np.percentile(boot, [2.5, 97.5])
    tolerance = max(0.5, 100 / n)
    assert abs(estimate.low - low) < tolerance, (estimate, low)
    assert abs(estimate.high - high) < tolerance, (estimate, high)
    assert estimate.low < estimate.value < estimate.high


def test_nps_from_counts_matches_the_formula() -> None:
    estimate = nps(50, 30, 20)
    assert estimate.value == pytest.approx(30.0)
    variance = (0.5 + 0.2 - 0.3**2) / 100
    assert estimate.high == pytest.approx(30 + 100 * 1.959964 * math.sqrt(variance), abs=1e-3)
    assert not estimate.too_few


def test_no_answers_has_no_score() -> None:
    for estimate in (nps(0, 0, 0), csat(0, 0), mean_t([]), mean_of_counts({})):
        assert estimate.n == 0 and estimate.value is None and estimate.low is None and estimate.high is None
        assert estimate.too_few


def test_all_promoters_gives_an_interval_not_a_point() -> None:
    five = nps(5, 0, 0)
    assert five.value == 100 and five.high == 100
    assert five.low is not None and five.low < 80  # five answers prove little
    many = nps(500, 0, 0)
    assert many.value == 100 and many.low is not None and 98 < many.low < 100
    assert nps(0, 0, 40).value == -100 and nps(0, 0, 40).high is not None and nps(0, 0, 40).high > -100


def test_one_answer() -> None:
    one = nps(0, 1, 0)
    assert one.value == 0 and one.low is not None and one.high is not None and one.low < 0 < one.high
    assert one.too_few and MIN_ANSWERS > 1
    assert mean_t([6]).value == 6 and mean_t([6]).low is None
    single = csat(1, 1)
    assert (
        single.value == 100
        and single.low is not None
        and single.low < 50
        and single.high == pytest.approx(100)
    )


def test_wilson_against_a_textbook_value() -> None:
    # 81 of 263 (Wilson 1927 as worked in Newcombe 1998, table I): 0.2553 to 0.3662.
    estimate = wilson(81, 263)
    assert estimate.low == pytest.approx(25.53, abs=0.01)
    assert estimate.high == pytest.approx(36.62, abs=0.01)
    assert wilson(0, 10).low == pytest.approx(0, abs=1e-9)
    assert wilson(10, 10).high == pytest.approx(100)


def test_ces_mean_has_a_t_interval() -> None:
    values = [7, 6, 6, 5, 4, 7, 3, 6, 5, 6]
    estimate = mean_t(values)
    sd = float(np.std(values, ddof=1))
    assert estimate.value == pytest.approx(5.5)
    assert estimate.high == pytest.approx(5.5 + 2.262157 * sd / math.sqrt(10), abs=1e-4)
    histogram = mean_of_counts({7: 2, 6: 4, 5: 2, 4: 1, 3: 1})
    assert histogram.low == pytest.approx(estimate.low) and histogram.high == pytest.approx(estimate.high)


def test_counts_must_be_whole_and_not_negative() -> None:
    with pytest.raises(ValueError, match="promoters"):
        nps(-1, 0, 0)
    with pytest.raises(ValueError, match="exceed"):
        wilson(3, 2)
