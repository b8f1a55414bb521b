"""Predicted customer value and churn risk for a store as of a date: BG/NBD and Gamma-Gamma fitted on the
store's whole order history (weeks as the time unit), each customer's P(alive) and 12-month discounted
CLV, churn risk from P(alive) and support signals, and the "at risk and valuable" list. Pure.

Choices: purchase days as in ``rfm_summary`` (one purchase per customer per day); CLV over 12 monthly
steps of 30.44 days discounted at 1% a month; without enough repeat buyers for the spend model, each
customer's mean order value stands in for expected spend (and a warning says so). "Valuable" means a
predicted CLV at or above the median of the customers with a positive one; "at risk" a risk of 0.5 or more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from loyaldesk.analytics import clv
from loyaldesk.analytics.churn import (
    NO_SIGNALS,
    AtRiskCustomer,
    ChurnCustomer,
    ChurnSignals,
    at_risk_and_valuable,
    churn_scores,
)
from loyaldesk.analytics.columns import EPOCH, OrderColumns
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.analytics.rfm_summary import summarize_transactions
from loyaldesk.kernel.errors import Invalid

PERIOD_DAYS = 7.0
MONTH_IN_WEEKS = 30.44 / 7
CLV_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
RISK_THRESHOLD = 0.5
LIST_LENGTH = 100
HOLDOUT_WEEKS = 26
MIN_HOLDOUT_DAYS = 28


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class CustomerValue:
    customer_id: int
    p_alive: float
    expected_purchases_90_days: float
    predicted_clv_minor: float
    churn_risk: float  # P(alive) raised by the customer's support and loyalty signals (``churn``), 0..1


@dataclass(frozen=True)
class ValueReport:
    customers: int
    repeat_buyers: int
    purchase_model: clv.BgNbdParams | None
    spend_model: clv.GammaGammaParams | None
    warnings: tuple[str, ...]
    values: tuple[CustomerValue, ...]
    at_risk: tuple[AtRiskCustomer, ...]
    total_predicted_minor: float = 0.0
    value_threshold_minor: float = 0.0
    calibration: clv.HoldoutCalibration | None = None
    holdout_weeks: float = 0.0


def value_report(
    orders: Sequence[OrderFact] | OrderColumns, as_of_end: datetime, signals: Mapping[int, ChurnSignals]
) -> ValueReport:
    """The report for orders placed before ``as_of_end``; ``signals`` by customer id (absent: none).
    Computed on the orders' columns (facts are turned into columns first)."""
    facts = OrderColumns.of(orders).before(as_of_end)
    if not len(facts):
        return ValueReport(0, 0, None, None, ("No orders yet.",), (), ())
    summary = summarize_transactions(
        facts.customer_id,
        facts.placed_at(),
        facts.net_amount_minor,
        observation_end=as_of_end,
        period_days=PERIOD_DAYS,
    )
    ids = [int(customer) for customer in summary.customer_ids]
    x, t_x, age = summary.frequency, summary.recency, summary.age
    repeat = int((x > 0).sum())
    warnings: list[str] = []
    try:
        purchase = clv.fit_bgnbd(x, t_x, age)
    except (Invalid, ValueError, FloatingPointError) as error:
        return ValueReport(
            len(ids), repeat, None, None, (f"The purchase model could not be fitted: {error}",), (), ()
        )
    spend_model = None
    if repeat >= clv.MIN_REPEAT_BUYERS:
        try:
            spend_model = clv.fit_gamma_gamma(x, summary.monetary_value)
        except (Invalid, ValueError, FloatingPointError) as error:
            warnings.append(f"The spend model could not be fitted: {error}")
    warnings.extend(clv.fit_warnings(purchase, x, t_x, age, spend_model, summary.monetary_value))
    calibration, holdout_weeks, calibration_warnings = holdout_check(facts, as_of_end)
    warnings.extend(calibration_warnings)
    if spend_model is not None and spend_model.q > 1:
        spend = clv.expected_average_spend(spend_model, x, summary.monetary_value)
    else:
        average = _average_order_value(facts)
        spend = np.array([average.get(customer, 0.0) for customer in ids])
        warnings.append("Expected spend per order is each customer's average order value (no spend model).")
    with np.errstate(all="ignore"):  # a degenerate fit overflows; its warnings above say so
        alive = np.nan_to_num(clv.probability_alive(purchase, x, t_x, age), nan=0.0)
        upcoming = np.nan_to_num(clv.expected_purchases(purchase, 90 / PERIOD_DAYS, x, t_x, age), nan=0.0)
        lifetime = clv.customer_lifetime_value(
            purchase,
            x,
            t_x,
            age,
            spend,
            steps=CLV_MONTHS,
            step_length=MONTH_IN_WEEKS,
            discount_rate=MONTHLY_DISCOUNT,
        )
    lifetime = np.nan_to_num(lifetime, nan=0.0, posinf=0.0, neginf=0.0)
    values = tuple(
        CustomerValue(customer, p_alive, expected, max(lifetime_value, 0.0), risk)
        for customer, p_alive, expected, lifetime_value, risk in zip(
            ids,
            alive.tolist(),
            upcoming.tolist(),
            lifetime.tolist(),
            churn_scores(alive, [signals.get(customer, NO_SIGNALS) for customer in ids]).tolist(),
            strict=True,
        )
    )
    positive = sorted(value.predicted_clv_minor for value in values if value.predicted_clv_minor > 0)
    if not positive:  # nobody has a predicted value: nobody is "valuable"
        return ValueReport(
            len(ids),
            repeat,
            purchase,
            spend_model,
            tuple(warnings),
            values,
            (),
            calibration=calibration,
            holdout_weeks=holdout_weeks,
        )
    threshold = positive[len(positive) // 2]
    # Only those who can pass both thresholds (the same risk as ``values`` holds) are scored again with
    # their reasons; the list is the same as from every customer.
    candidates = [
        ChurnCustomer(
            value.customer_id,
            value.p_alive,
            value.predicted_clv_minor,
            signals.get(value.customer_id, NO_SIGNALS),
        )
        for value in values
        if value.churn_risk >= RISK_THRESHOLD and value.predicted_clv_minor >= threshold
    ]
    at_risk = tuple(at_risk_and_valuable(candidates, RISK_THRESHOLD, threshold)[:LIST_LENGTH])
    return ValueReport(
        customers=len(ids),
        repeat_buyers=repeat,
        purchase_model=purchase,
        spend_model=spend_model,
        warnings=tuple(warnings),
        values=values,
        at_risk=at_risk,
        total_predicted_minor=float(sum(value.predicted_clv_minor for value in values)),
        value_threshold_minor=threshold,
        calibration=calibration,
        holdout_weeks=holdout_weeks,
    )


def holdout_check(
    orders: Sequence[OrderFact] | OrderColumns, as_of_end: datetime
) -> tuple[clv.HoldoutCalibration | None, float, list[str]]:
    """Fit the purchase model again without the last part of the history (a third of it, at most
    :data:`HOLDOUT_WEEKS` weeks) and compare its forecast of that part with what customers did. Returns the
    calibration (``None`` when the history is too short to hold any out), the holdout length in weeks and
    warnings."""
    facts = OrderColumns.of(orders).before(as_of_end)
    first = EPOCH + timedelta(microseconds=int(facts.placed_at_us.min()))
    holdout_days = min(HOLDOUT_WEEKS * 7, (as_of_end - first).days // 3)
    if holdout_days < MIN_HOLDOUT_DAYS:
        return None, 0.0, ["The history is too short to check the model on a holdout period."]
    summary = summarize_transactions(
        facts.customer_id,
        facts.placed_at(),
        facts.net_amount_minor,
        observation_end=as_of_end,
        calibration_end=as_of_end - timedelta(days=holdout_days),
        period_days=PERIOD_DAYS,
    )
    assert summary.holdout_frequency is not None and summary.holdout_duration is not None
    try:
        params = clv.fit_bgnbd(summary.frequency, summary.recency, summary.age)
        with np.errstate(all="ignore"):
            calibration = clv.holdout_calibration(
                params,
                summary.frequency,
                summary.recency,
                summary.age,
                summary.holdout_frequency,
                summary.holdout_duration,
            )
    except (Invalid, ValueError, FloatingPointError) as error:
        return None, 0.0, [f"The model could not be checked on a holdout period: {error}"]
    if not math.isfinite(calibration.predicted_total):
        # A fit on a short calibration history can forecast NaN; a cached report must hold numbers only.
        return (
            None,
            0.0,
            ["The model could not be checked on a holdout period: its forecast is not a number."],
        )
    weeks = summary.holdout_duration
    return calibration, weeks, [f"Holdout check ({weeks:.0f} weeks): {text}" for text in calibration.warnings]


def _average_order_value(facts: OrderColumns) -> dict[int, float]:
    customers, inverse = np.unique(facts.customer_id, return_inverse=True)
    totals = np.zeros(customers.shape[0], dtype=np.int64)
    np.add.at(totals, inverse, facts.net_amount_minor)
    counts = np.bincount(inverse, minlength=customers.shape[0])
    return dict(zip(customers.tolist(), (totals / counts).tolist(), strict=True))
