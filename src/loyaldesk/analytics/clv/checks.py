"""Whether a CLV fit can be shown: warnings about the fit and the data (:func:`fit_warnings`, to call
before showing any number) and the forecast checked against a holdout window (:func:`holdout_calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from loyaldesk.analytics.clv.models import (
    BgNbdParams,
    FloatArray,
    GammaGammaParams,
    _non_negative,
    _probability_alive,
    _rfm_arrays,
    expected_purchases,
)
from loyaldesk.kernel.errors import Invalid

# Thresholds of fit_warnings.
NEAR_ZERO, HUGE = 0.01, 1000.0  # a beta parameter outside these has run away
MIN_REPEAT_BUYERS = 100
ALIVE_CERTAIN, ALIVE_CERTAIN_SHARE = 0.99, 0.95
MAX_SPEND_FREQUENCY_CORRELATION = 0.3


def fit_warnings(
    params: BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    spend_params: GammaGammaParams | None = None,
    monetary_value: ArrayLike | None = None,
) -> list[str]:
    """Plain-language reasons not to trust the fits; an empty list when none was found.

    Inputs: the BG/NBD fit and the summary it was fitted on; optionally the Gamma-Gamma fit and the mean
    repeat spend per customer. Warns when: a fit did not converge (or ran to the search edge); fewer than
    ``MIN_REPEAT_BUYERS`` repeat buyers; a or b is below ``NEAR_ZERO`` or above ``HUGE`` (no dropout, or
    dropout after every purchase); P(alive) > ``ALIVE_CERTAIN`` for more than ``ALIVE_CERTAIN_SHARE`` of
    repeat buyers (the model sees no dropout and cannot rank churn risk); Gamma-Gamma's q <= 1 (infinite
    mean spend); |Pearson r| of frequency and spend among repeat buyers above
    ``MAX_SPEND_FREQUENCY_CORRELATION`` (Gamma-Gamma assumes them independent).
    """
    x, recency_array, age_array = (array.ravel() for array in _rfm_arrays(frequency, recency, age))
    repeat = x > 0
    a, b = params.a, params.b
    warnings: list[str] = []
    if not params.converged:
        warnings.append("The purchase model (BG/NBD) fit found no finite optimum: forecasts are unreliable.")
    if repeat.sum() < MIN_REPEAT_BUYERS:
        warnings.append(
            f"Only {int(repeat.sum())} of {x.size} customers bought more than once; at least "
            f"{MIN_REPEAT_BUYERS} repeat buyers are needed to estimate purchase and dropout rates."
        )
    if a < NEAR_ZERO or b > HUGE:
        warnings.append(
            f"The dropout parameters (a={a:.3g}, b={b:.3g}) say customers almost never stop buying, so the "
            "model cannot tell lapsed from active customers and forecasts keep growing. Usual causes: too "
            "short a history, or customers who pause rather than leave."
        )
    if b < NEAR_ZERO or a > HUGE:
        warnings.append(
            f"The dropout parameters (a={a:.3g}, b={b:.3g}) say nearly every customer stops right after a "
            "purchase: the fit is degenerate and its forecasts are not credible."
        )
    if repeat.any():
        alive = _probability_alive(params, x[repeat], recency_array[repeat], age_array[repeat])
        certain_share = float(np.mean(alive > ALIVE_CERTAIN))
        if certain_share > ALIVE_CERTAIN_SHARE:
            warnings.append(
                f"P(alive) is above {ALIVE_CERTAIN} for {certain_share:.0%} of repeat buyers: the model sees "
                "almost no dropout, so it cannot flag churn risk."
            )
    if spend_params is not None:
        warnings.extend(_spend_warnings(spend_params, x, monetary_value))
    return warnings


@dataclass(frozen=True)
class FrequencyGroupCalibration:
    """Customers sharing a calibration frequency (``label`` "0", "1", ... or "7+" for the top group):
    their mean holdout purchases as predicted and as observed."""

    label: str
    customers: int
    predicted_mean: float
    actual_mean: float


@dataclass(frozen=True)
class HoldoutCalibration:
    """Forecast against reality in the holdout window. ``mean_absolute_error`` is per customer (it holds
    each customer's own Poisson noise, so it never reaches 0); ``group_mean_absolute_error`` is the mean
    over frequency groups of |predicted mean - actual mean|."""

    customers: int
    predicted_total: float
    actual_total: float
    mean_absolute_error: float
    group_mean_absolute_error: float
    groups: tuple[FrequencyGroupCalibration, ...]
    warnings: tuple[str, ...]


def holdout_calibration(
    params: BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    holdout_frequency: ArrayLike,
    holdout_duration: ArrayLike,
    *,
    tolerance: float = 0.2,
    top_group: int = 7,
) -> HoldoutCalibration:
    """Compare the purchases a calibration fit predicts for the holdout window with those observed.

    Inputs: the fit, its calibration summary, each customer's holdout purchase count and the holdout
    length in time units (scalar or per customer). Groups are calibration frequencies 0 .. ``top_group``-1
    and ``top_group``+. Warns when the total is off by more than ``tolerance`` (a fraction of the actual
    total), and for each group whose mean is off by more than ``tolerance`` of its actual mean and by more
    than two standard errors of that mean (so that a handful of customers cannot trigger it).
    """
    x, recency_array, age_array = (array.ravel() for array in _rfm_arrays(frequency, recency, age))
    actual = np.asarray(holdout_frequency, dtype=np.float64).ravel()
    if actual.shape != x.shape or not np.all(actual >= 0):
        raise Invalid.field("holdout_frequency", "needs one non-negative count per customer")
    if x.size == 0:
        raise Invalid.field("frequency", "needs at least one customer")
    duration = np.broadcast_to(_non_negative(holdout_duration, "holdout_duration"), x.shape)
    predicted = expected_purchases(params, duration, x, recency_array, age_array)
    predicted_total, actual_total = float(predicted.sum()), float(actual.sum())
    warnings: list[str] = []
    if abs(predicted_total - actual_total) > tolerance * actual_total:
        warnings.append(
            f"The model predicts {predicted_total:.0f} holdout purchases where customers made "
            f"{actual_total:.0f}, off by more than the {tolerance:.0%} tolerance."
        )
    group = np.minimum(x, top_group).astype(np.intp)
    groups: list[FrequencyGroupCalibration] = []
    for value in np.unique(group):
        members = actual[group == value]
        label = f"{value}+" if value == top_group else str(value)
        predicted_mean, actual_mean = float(predicted[group == value].mean()), float(members.mean())
        groups.append(FrequencyGroupCalibration(label, int(members.size), predicted_mean, actual_mean))
        gap = abs(predicted_mean - actual_mean)
        standard_error = float(members.std(ddof=1)) / np.sqrt(members.size) if members.size > 1 else np.inf
        if gap > tolerance * actual_mean and gap > 2 * standard_error:
            warnings.append(
                f"Customers with calibration frequency {label}: predicted {predicted_mean:.2f} purchases "
                f"each, observed {actual_mean:.2f}, off by more than the {tolerance:.0%} tolerance."
            )
    group_gaps = [abs(group_.predicted_mean - group_.actual_mean) for group_ in groups]
    return HoldoutCalibration(
        customers=int(x.size),
        predicted_total=predicted_total,
        actual_total=actual_total,
        mean_absolute_error=float(np.abs(predicted - actual).mean()),
        group_mean_absolute_error=float(np.mean(group_gaps)),
        groups=tuple(groups),
        warnings=tuple(warnings),
    )


def _spend_warnings(params: GammaGammaParams, x: FloatArray, monetary_value: ArrayLike | None) -> list[str]:
    warnings: list[str] = []
    if not params.converged:
        warnings.append("The spend model (Gamma-Gamma) fit did not converge to a finite optimum.")
    if params.q <= 1:
        warnings.append(
            f"The spend model's q={params.q:.3g} is at most 1: its population mean spend is infinite, so "
            "customers without repeat purchases have no expected spend."
        )
    if monetary_value is not None:
        spend = np.asarray(monetary_value, dtype=np.float64).ravel()
        repeat = (x > 0) & (spend > 0)
        if repeat.sum() > 2 and np.ptp(x[repeat]) > 0 and np.ptp(spend[repeat]) > 0:
            correlation = float(np.corrcoef(x[repeat], spend[repeat])[0, 1])
            if abs(correlation) > MAX_SPEND_FREQUENCY_CORRELATION:
                warnings.append(
                    "Among repeat buyers, mean spend and purchase frequency are correlated "
                    f"(r={correlation:.2f}); the spend model assumes they are independent, so expected spend "
                    "and CLV are biased."
                )
    return warnings
