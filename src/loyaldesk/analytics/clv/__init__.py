"""Customer lifetime value: BG/NBD purchases and dropout (Fader, Hardie & Lee 2005), Gamma-Gamma spend
(Fader & Hardie 2013 note), fitted by maximum likelihood. Pure, vectorised numpy; no I/O.

Per-customer inputs are the calibration summary of :mod:`loyaldesk.analytics.rfm_summary`: ``frequency``
(x, repeat purchases), ``recency`` (t_x) and ``age`` (T), in one time unit (days, weeks, ...) that every
time argument and the scale parameter ``alpha`` share; ``monetary_value`` (zbar, mean repeat spend).
Before showing any number, call :func:`fit_warnings`; :func:`holdout_calibration` checks forecasts against
what customers really did after the calibration window.

The models and their fits are in ``models``; the checks of a fit in ``checks``.
"""

from loyaldesk.analytics.clv.checks import (
    ALIVE_CERTAIN,
    ALIVE_CERTAIN_SHARE,
    HUGE,
    MAX_SPEND_FREQUENCY_CORRELATION,
    MIN_REPEAT_BUYERS,
    NEAR_ZERO,
    FrequencyGroupCalibration,
    HoldoutCalibration,
    fit_warnings,
    holdout_calibration,
)
from loyaldesk.analytics.clv.models import (
    LOG_PARAMETER_BOUND,
    BgNbdParams,
    GammaGammaParams,
    bgnbd_log_likelihood,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
)

__all__ = [
    "ALIVE_CERTAIN",
    "ALIVE_CERTAIN_SHARE",
    "HUGE",
    "LOG_PARAMETER_BOUND",
    "MAX_SPEND_FREQUENCY_CORRELATION",
    "MIN_REPEAT_BUYERS",
    "NEAR_ZERO",
    "BgNbdParams",
    "FrequencyGroupCalibration",
    "GammaGammaParams",
    "HoldoutCalibration",
    "bgnbd_log_likelihood",
    "customer_lifetime_value",
    "expected_average_spend",
    "expected_purchases",
    "expected_purchases_new_customer",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_warnings",
    "holdout_calibration",
    "probability_alive",
]
