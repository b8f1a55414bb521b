"""Customer lifetime value: BG/NBD purchases and dropout (Fader, Hardie & Lee 2005), Gamma-Gamma spend
(Fader & Hardie 2013 note), fitted by maximum likelihood. Pure, vectorised numpy; no I/O.

Per-customer inputs are the calibration summary of :mod:`loyaldesk.analytics.rfm_summary`: ``frequency``
(x, repeat purchases), ``recency`` (t_x) and ``age`` (T), in one time unit (days, weeks, ...) that every
time argument and the scale parameter ``alpha`` share; ``monetary_value`` (zbar, mean repeat spend).
Whether a fit can be shown is :mod:`loyaldesk.analytics.clv.checks`' business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from loyaldesk.kernel.errors import Invalid

FloatArray = NDArray[np.float64]
DistinctCounts = tuple[FloatArray, NDArray[np.intp]]  # distinct x values, index of each customer's x

# Log-parameters are searched inside +/- this bound (alpha and gamma relative to a data unit). A fit that
# ends on the edge found its likelihood still improving towards 0 or infinity: it has no finite optimum.
LOG_PARAMETER_BOUND = 20.0


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD estimates: purchase rates ~ Gamma(shape ``r``, rate ``alpha``), in purchases per time unit;
    dropout probability after each purchase ~ Beta(``a``, ``b``). ``log_likelihood`` is the total over the
    customers fitted; ``converged`` means the optimiser succeeded with no parameter on the search edge."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma estimates: each transaction's value ~ Gamma(shape ``p``, rate nu), nu ~ Gamma(shape
    ``q``, rate ``gamma``); the population mean spend is p*gamma/(q-1) when q > 1. ``log_likelihood`` is
    the total over the repeat buyers fitted; ``converged`` as for :class:`BgNbdParams`."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool


def bgnbd_log_likelihood(
    params: BgNbdParams | tuple[float, float, float, float],
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6) at ``params`` (a :class:`BgNbdParams` or the
    tuple (r, alpha, a, b)). Returns an array shaped like the broadcast inputs."""
    if isinstance(params, BgNbdParams):
        params = (params.r, params.alpha, params.a, params.b)
    x, recency_array, age_array = _rfm_arrays(frequency, recency, age)
    return _bgnbd_terms(params, x, recency_array, age_array, _distinct_counts(x))[0]


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> BgNbdParams:
    """Maximum-likelihood BG/NBD fit on a calibration summary (arrays with one entry per customer).

    Searches log(r), log(alpha / unit), log(a), log(b) with L-BFGS-B and the analytic gradient from
    r = a = b = 1 and alpha = one unit, the unit being total age over total repeat purchases (so alpha
    starts at the mean time between purchases whatever the time unit). Gamma and beta terms are computed
    once per distinct repeat count, not per customer. Check the result with :func:`fit_warnings`.
    """
    x, recency_array, age_array = (array.ravel() for array in _rfm_arrays(frequency, recency, age))
    if x.size == 0:
        raise Invalid.field("frequency", "needs at least one customer to fit")
    unit = max(float(age_array.sum()) / max(float(x.sum()), 1.0), 1e-12)
    scale = np.array([1.0, unit, 1.0, 1.0])
    counts = _distinct_counts(x)

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        values = np.exp(log_params) * scale
        log_density, gradient = _bgnbd_terms(tuple(values), x, recency_array, age_array, counts)
        # d/d(log theta) = theta * d/d(theta); the mean keeps tolerances independent of the sample size.
        return -float(log_density.sum()) / x.size, -gradient * values / x.size

    (r, alpha, a, b), converged = _maximize(objective, np.zeros(4), scale)
    total = float(bgnbd_log_likelihood((r, alpha, a, b), x, recency_array, age_array).sum())
    return BgNbdParams(r, alpha, a, b, total, converged)


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """P(customer still active at ``age`` | x, t_x, T) (FHL 2005, eq. 11), in [0, 1], shaped like the
    broadcast inputs. A customer with no repeat purchase is alive with probability 1: under BG/NBD
    dropout can only happen right after a repeat purchase."""
    return _probability_alive(params, *_rfm_arrays(frequency, recency, age))


def expected_purchases(
    params: BgNbdParams, horizon: ArrayLike, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Expected purchases of each customer in the next ``horizon`` time units given their history,
    E[Y(t) | x, t_x, T] (FHL 2005, eq. 10). ``horizon`` >= 0 broadcasts against the customers. Returns
    (unrounded) purchase counts shaped like the broadcast inputs."""
    x, recency_array, age_array = _rfm_arrays(frequency, recency, age)
    horizon_array = _non_negative(horizon, "horizon")
    alive = _probability_alive(params, x, recency_array, age_array)
    return alive * _purchases_if_alive(params, x, age_array, horizon_array)


def expected_purchases_new_customer(params: BgNbdParams, time: ArrayLike) -> FloatArray:
    """Expected repeat purchases of a randomly chosen customer in the first ``time`` units after their first
    purchase, E[X(t)] (FHL 2005, eq. 9). ``time`` >= 0, any shape; returns the same shape."""
    time_array = _non_negative(time, "time")
    return _purchases_if_alive(params, np.zeros_like(time_array), np.zeros_like(time_array), time_array)


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma fit on the repeat buyers of a summary (Fader & Hardie 2013, eq. 5).

    Inputs: per-customer ``frequency`` (repeat purchases) and ``monetary_value`` (mean repeat spend, any
    money unit). Customers without repeat purchases carry no spend information and a non-positive mean
    spend cannot be gamma-distributed: both are left out. Searches log(p), log(q), log(gamma / mean spend)
    from p = 1, q = 2, gamma = mean spend (whose implied population mean is the observed one). The model
    assumes spend independent of frequency: check with :func:`fit_warnings`.
    """
    x, spend = (np.asarray(value, dtype=np.float64).ravel() for value in (frequency, monetary_value))
    if x.shape != spend.shape or not (np.all(np.isfinite(x)) and np.all(np.isfinite(spend))):
        raise Invalid.field("monetary_value", "needs one finite number per customer, like frequency")
    usable = (x > 0) & (spend > 0)
    x, spend = x[usable], spend[usable]
    if x.size == 0:
        raise Invalid.field("frequency", "needs at least one repeat buyer with a positive spend to fit")
    scale = np.array([1.0, 1.0, float(spend.mean())])

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        values = np.exp(log_params) * scale
        total, gradient = _gamma_gamma_terms(tuple(values), x, spend)
        return -total / x.size, -gradient * values / x.size

    (p, q, gamma), converged = _maximize(objective, np.array([0.0, np.log(2.0), 0.0]), scale)
    return GammaGammaParams(p, q, gamma, _gamma_gamma_terms((p, q, gamma), x, spend)[0], converged)


def expected_average_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Expected mean value of each customer's future transactions, E[M | p, q, gamma, x, zbar] (Fader &
    Hardie 2013, eq. 7) = p (gamma + x zbar) / (p x + q - 1): the population mean p*gamma/(q-1) and the
    customer's own zbar, weighted by x. Customers with x = 0 get the population mean (their
    ``monetary_value`` is ignored), NaN when q <= 1 where it is infinite. Money unit of the fit; shaped
    like the broadcast inputs."""
    x, spend = np.broadcast_arrays(np.asarray(frequency, np.float64), np.asarray(monetary_value, np.float64))
    numerator = params.p * (params.gamma + x * np.where(x > 0, spend, 0.0))
    denominator = params.p * x + params.q - 1.0
    return np.divide(numerator, denominator, out=np.full(x.shape, np.nan), where=denominator > 0)


def customer_lifetime_value(
    params: BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    expected_spend: ArrayLike,
    *,
    steps: int,
    step_length: float,
    discount_rate: float,
) -> FloatArray:
    """Discounted expected value of each customer's purchases over the next ``steps`` steps:

        CLV_i = sum_{k=1..steps} spend_i * (E[Y(k L) | x_i, t_x_i, T_i] - E[Y((k-1) L) | ...]) / (1 + d)^k

    with L = ``step_length`` in the model's time unit (4.345 weeks or 30.44 days for monthly steps),
    d = ``discount_rate`` per step (e.g. 0.01 a month) and ``expected_spend`` the expected value of one
    transaction (usually :func:`expected_average_spend`). A step's purchases are discounted as if made at
    its end. Returns money in the unit of ``expected_spend``, per customer (broadcast shape).
    """
    if steps < 0 or not (step_length > 0) or not (discount_rate > -1):
        raise Invalid.field("steps", "needs steps >= 0, step_length > 0 and discount_rate > -1")
    x, recency_array, age_array = _rfm_arrays(frequency, recency, age)
    spend = np.asarray(expected_spend, dtype=np.float64)
    alive = _probability_alive(params, x, recency_array, age_array)
    value, previous = np.zeros(np.broadcast_shapes(x.shape, spend.shape)), np.zeros_like(x)
    for step in range(1, steps + 1):
        cumulative = alive * _purchases_if_alive(params, x, age_array, np.full_like(x, step * step_length))
        value = value + spend * (cumulative - previous) / (1.0 + discount_rate) ** step
        previous = cumulative
    return value


def _bgnbd_terms(
    params: Sequence[float], x: FloatArray, recency: FloatArray, age: FloatArray, counts: DistinctCounts
) -> tuple[FloatArray, FloatArray]:
    """Per-customer log-likelihood and its gradient in ``params`` = (r, alpha, a, b), summed over customers.

    L = B(a, b+x)/B(a, b) G(r+x) alpha^r / G(r) [(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)]
    using B(a+1, b+x-1) = B(a, b+x) a/(b+x-1). The bracket is summed in log space (logaddexp) so large x
    or T never overflow.
    """
    r, alpha, a, b = params
    x_values, x_index = counts
    repeat_values = x_values > 0
    shift = np.where(repeat_values, b + x_values - 1.0, 1.0)  # b+x-1, only ever used when x > 0
    per_count = (
        gammaln(r + x_values) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x_values) - betaln(a, b)
    )
    log_repeat_weight = np.where(repeat_values, np.log(a) - np.log(shift), -np.inf)
    log_alpha_age, log_alpha_recency = np.log(alpha + age), np.log(alpha + recency)
    alive_term = -(r + x) * log_alpha_age
    dropped_term = log_repeat_weight[x_index] - (r + x) * log_alpha_recency
    log_bracket = np.logaddexp(alive_term, dropped_term)
    log_density = per_count[x_index] + log_bracket
    dropped_share = np.exp(dropped_term - log_bracket)  # share of the bracket's second term; 0 when x = 0
    alive_share = 1.0 - dropped_share
    weights = np.bincount(x_index.ravel(), minlength=x_values.size)
    psi_abx = digamma(a + b + x_values)
    d_r = weights @ (digamma(r + x_values) - digamma(r) + np.log(alpha)) - np.sum(
        alive_share * log_alpha_age + dropped_share * log_alpha_recency
    )
    d_alpha = x.size * r / alpha - np.sum(
        (r + x) * (alive_share / (alpha + age) + dropped_share / (alpha + recency))
    )
    d_a = weights @ (digamma(a + b) - psi_abx) + np.sum(dropped_share) / a
    d_b = weights @ (digamma(b + x_values) - psi_abx - digamma(b) + digamma(a + b)) - np.sum(
        dropped_share / shift[x_index]
    )
    return log_density, np.array([d_r, d_alpha, d_a, d_b], dtype=np.float64)


def _gamma_gamma_terms(params: Sequence[float], x: FloatArray, spend: FloatArray) -> tuple[float, FloatArray]:
    """Total log-likelihood of repeat buyers' mean spends and its gradient in (p, q, gamma). The mean of
    x Gamma(p, nu) values with nu ~ Gamma(q, gamma) has log density log G(px+q) - log G(px) - log G(q)
    + q log gamma + (px-1) log zbar + px log x - (px+q) log(gamma + x zbar)."""
    p, q, gamma = params
    shape = p * x
    log_pooled = np.log(gamma + x * spend)
    log_spend, log_x = np.log(spend), np.log(x)
    total = np.sum(
        gammaln(shape + q) - gammaln(shape) - gammaln(q) + q * np.log(gamma) + (shape - 1.0) * log_spend
        + shape * log_x - (shape + q) * log_pooled
    )  # fmt: skip
    psi_pooled = digamma(shape + q)
    d_p = np.sum(x * (psi_pooled - digamma(shape) + log_spend + log_x - log_pooled))
    d_q = np.sum(psi_pooled - digamma(q) + np.log(gamma) - log_pooled)
    d_gamma = np.sum(q / gamma - (shape + q) / (gamma + x * spend))
    return float(total), np.array([d_p, d_q, d_gamma], dtype=np.float64)


def _distinct_counts(x: FloatArray) -> DistinctCounts:
    x_values, x_index = np.unique(x, return_inverse=True)
    return x_values, x_index.reshape(x.shape)


def _probability_alive(
    params: BgNbdParams, x: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    # 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = expit(-log odds); log space never overflows.
    shift = np.where(x > 0, params.b + x - 1.0, 1.0)
    log_alpha_ratio = np.log(params.alpha + age) - np.log(params.alpha + recency)
    log_odds = np.log(params.a) - np.log(shift) + (params.r + x) * log_alpha_ratio
    return np.where(x > 0, expit(-log_odds), 1.0)


def _purchases_if_alive(
    params: BgNbdParams, x: FloatArray, age: FloatArray, horizon: FloatArray
) -> FloatArray:
    """(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)], z = t/(alpha+T+t).

    E[Y(t) | x, t_x, T] / P(alive) (FHL 2005, eq. 10), and E[X(t)] (eq. 9) at x = T = 0. Euler's
    transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the product into
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose upper parameters do not grow with x: scipy's hyp2f1
    stays accurate and nothing overflows for heavy buyers. At a = 1 the ratio is 0/0 and near it the
    bracket loses digits (hyp2f1 error / |a-1|, ~1e-14 / |a-1|); within ``step`` = 1e-5 of a = 1 it is
    interpolated linearly between a = 1 -/+ step (smooth in a: error ~ step^2 + 1e-14 / step).
    """
    x, age, horizon = np.broadcast_arrays(x, age, horizon)
    r, alpha, b, step = params.r, params.alpha, params.b, 1e-5
    log_complement = np.log(alpha + age) - np.log(alpha + age + horizon)  # log(1 - z)
    z = horizon / (alpha + age + horizon)

    def at_shape(a: float) -> FloatArray:
        series = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        return (a + b + x - 1.0) / (a - 1.0) * (1.0 - np.exp((a - 1.0) * log_complement) * series)

    if abs(params.a - 1.0) >= step:
        return at_shape(params.a)
    below, above = at_shape(1.0 - step), at_shape(1.0 + step)
    return below + (params.a - 1.0 + step) / (2 * step) * (above - below)


def _maximize(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], start: FloatArray, scale: FloatArray
) -> tuple[tuple[float, ...], bool]:
    """Minimise ``objective`` over log-parameters in the search box; returns (parameters, converged)."""
    edge = LOG_PARAMETER_BOUND - 1e-3
    # Far from the optimum the gamma functions can overflow; L-BFGS-B backtracks from inf on its own.
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * start.size,
            options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
        )
    # A line search that fails at machine precision next to a zero gradient has still found the optimum.
    stationary = bool(result.success) or bool(np.max(np.abs(result.jac)) < 1e-6)
    converged = stationary and bool(np.all(np.abs(result.x) < edge))
    return tuple(float(value) for value in np.exp(result.x) * scale), converged


def _rfm_arrays(
    frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated float arrays (x, t_x, T) broadcast to one shape."""
    x, recency_array, age_array = np.broadcast_arrays(
        *(np.asarray(value, dtype=np.float64) for value in (frequency, recency, age))
    )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(recency_array)) and np.all(np.isfinite(age_array))):
        raise Invalid.field("frequency", "frequency, recency and age must be finite numbers")
    if np.any(x < 0):
        raise Invalid.field("frequency", "must not be negative")
    if np.any(recency_array < 0):
        raise Invalid.field("recency", "must not be negative")
    # Tolerate float noise from unit conversions (days / 7), not real inconsistencies.
    if np.any(recency_array > age_array + 1e-6):
        raise Invalid.field("recency", "must not exceed age (the last purchase cannot follow the end)")
    return x, recency_array, age_array


def _non_negative(value: ArrayLike, field: str) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
        raise Invalid.field(field, "must be a finite, non-negative number of time units")
    return array
