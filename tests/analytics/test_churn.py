"""Churn risk: hand-computed scores, reasons strongest first, monotone in every signal, and the
"at risk and valuable" list sorted by value at risk."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from loyaldesk.analytics.churn import (
    DEFAULT_WEIGHTS,
    ChurnCustomer,
    ChurnSignals,
    ChurnWeights,
    at_risk_and_valuable,
    churn_risk,
)
from loyaldesk.kernel.errors import Invalid


def test_without_signals_the_risk_is_one_minus_p_alive() -> None:
    for p_alive in (0.0, 0.25, 1.0):
        risk = churn_risk(p_alive, ChurnSignals())
        assert risk.score == pytest.approx(1 - p_alive)
        assert risk.base == pytest.approx(1 - p_alive)
        assert risk.reasons == ()


def test_hand_computed_score_and_reasons() -> None:
    # base 0.4; one of two open problems: bump 0.25 * 1/2 = 0.125; low CSAT: bump 0.2.
    # risk = 1 - 0.6 * (1 - 0.125) * (1 - 0.2) = 1 - 0.6 * 0.875 * 0.8 = 1 - 0.42 = 0.58
    risk = churn_risk(0.6, ChurnSignals(open_problems=1, low_csat=True))

    assert risk.score == pytest.approx(0.58)
    assert risk.base == pytest.approx(0.4)
    assert risk.reasons == ("low satisfaction (CSAT 1-3) on a recent rating", "1 open support problem")


def test_every_signal_at_full_strength() -> None:
    # Bumps: inactivity 0.3 (240 days >= 180), open problems 0.25 (5 >= 2), low CSAT 0.2, negative
    # sentiment 0.15, repeated contacts 0.15 (3 >= 3), points expiring 0.05.
    # prod(1 - bump) = 0.7 * 0.75 * 0.8 * 0.85 * 0.85 * 0.95 = 0.2882775; risk = 1 - 0.5 * 0.2882775
    signals = ChurnSignals(
        open_problems=5,
        low_csat=True,
        negative_sentiment=True,
        repeated_contacts=3,
        points_expiring_soon=120,
        days_inactive=240,
    )
    risk = churn_risk(0.5, signals)

    assert risk.score == pytest.approx(0.85586125)
    # Strongest first; equal bumps (sentiment, repeated contacts) keep the fixed signal order.
    assert risk.reasons == (
        "inactive for 240 days",
        "5 open support problems",
        "low satisfaction (CSAT 1-3) on a recent rating",
        "negative sentiment in recent messages",
        "3 repeated contacts about the same matter",
        "120 loyalty points expiring soon",
    )


def test_inactivity_ramps_between_the_grace_and_full_periods() -> None:
    # (120 - 60) / (180 - 60) = 0.5 -> bump 0.3 * 0.5 = 0.15; risk = 1 - 1.0 * 0.85
    assert churn_risk(1.0, ChurnSignals(days_inactive=120)).score == pytest.approx(0.15)
    assert churn_risk(1.0, ChurnSignals(days_inactive=60)) == churn_risk(1.0, ChurnSignals())
    assert churn_risk(1.0, ChurnSignals(days_inactive=180)).score == pytest.approx(0.3)
    assert churn_risk(1.0, ChurnSignals(days_inactive=900)).score == pytest.approx(0.3)


def test_a_certainly_lost_customer_stays_at_one() -> None:
    assert churn_risk(0.0, ChurnSignals(open_problems=3, low_csat=True)).score == 1.0


def test_more_negative_signals_never_lower_the_score() -> None:
    grid = itertools.product(
        range(4), (False, True), (False, True), range(5), (0, 50), (0, 59, 61, 120, 180, 400)
    )
    steps = {
        "open_problems": lambda s: dataclasses.replace(s, open_problems=s.open_problems + 1),
        "low_csat": lambda s: dataclasses.replace(s, low_csat=True),
        "negative_sentiment": lambda s: dataclasses.replace(s, negative_sentiment=True),
        "repeated_contacts": lambda s: dataclasses.replace(s, repeated_contacts=s.repeated_contacts + 1),
        "points_expiring_soon": lambda s: dataclasses.replace(
            s, points_expiring_soon=s.points_expiring_soon + 10
        ),
        "days_inactive": lambda s: dataclasses.replace(s, days_inactive=s.days_inactive + 7),
    }
    checked = 0
    for values in grid:
        signals = ChurnSignals(*values)
        for p_alive in (0.0, 0.3, 0.9, 1.0):
            score = churn_risk(p_alive, signals).score
            assert 0.0 <= score <= 1.0
            assert churn_risk(max(0.0, p_alive - 0.1), signals).score >= score
            for name, step in steps.items():
                assert churn_risk(p_alive, step(signals)).score >= score, (name, values, p_alive)
                checked += 1
    assert checked == 4 * 2 * 2 * 5 * 2 * 6 * 4 * 6


def test_zero_weights_silence_a_signal() -> None:
    weights = dataclasses.replace(DEFAULT_WEIGHTS, low_csat=0.0)
    risk = churn_risk(0.7, ChurnSignals(low_csat=True), weights)

    assert risk.score == pytest.approx(0.3)
    assert risk.reasons == ()


@pytest.mark.parametrize("p_alive", [-0.1, 1.5, float("nan"), True])
def test_p_alive_must_be_a_probability(p_alive: float) -> None:
    with pytest.raises(Invalid):
        churn_risk(p_alive, ChurnSignals())


@pytest.mark.parametrize(
    "changes",
    [{"open_problems": -1}, {"repeated_contacts": 1.5}, {"days_inactive": True}, {"low_csat": 1}],
)
def test_signals_are_validated(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        ChurnSignals(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [{"inactivity": 1.2}, {"low_csat": -0.1}, {"open_problems_full": 0}, {"inactive_full_days": 60}],
)
def test_weights_are_validated(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid):
        ChurnWeights(**changes)  # type: ignore[arg-type]


def test_at_risk_and_valuable_sorts_by_value_at_risk() -> None:
    customers = [
        ChurnCustomer("c-f", 0.2, 100.0, ChurnSignals()),  # risk 0.8, value at risk 80
        ChurnCustomer("c-a", 0.2, 100.0, ChurnSignals()),  # risk 0.8, value at risk 80 (tie: id order)
        ChurnCustomer("c-b", 0.5, 400.0, ChurnSignals(low_csat=True)),  # risk 1 - 0.5 * 0.8 = 0.6, 240
        ChurnCustomer("c-c", 0.9, 1000.0, ChurnSignals()),  # risk 0.1 < 0.5: left out
        ChurnCustomer("c-d", 0.0, 10.0, ChurnSignals()),  # clv 10 < 50: left out
        ChurnCustomer("c-e", 0.4, 50, ChurnSignals()),  # risk 0.6, clv exactly 50 (inclusive): 30
    ]
    rows = at_risk_and_valuable(customers, risk_threshold=0.5, value_threshold=50)

    assert [row.customer_id for row in rows] == ["c-b", "c-a", "c-f", "c-e"]
    assert [row.value_at_risk for row in rows] == pytest.approx([240, 80, 80, 30])
    assert rows[0].risk == pytest.approx(0.6)
    assert rows[0].reasons == ("low satisfaction (CSAT 1-3) on a recent rating",)
    assert at_risk_and_valuable([], 0.5, 0) == []
    # Threshold 0 and value 0 keep everyone.
    assert len(at_risk_and_valuable(customers, 0.0, 0.0)) == 6


def test_at_risk_and_valuable_rejects_bad_input() -> None:
    customer = ChurnCustomer("x", 0.5, 10.0, ChurnSignals())
    with pytest.raises(Invalid):
        at_risk_and_valuable([customer, customer], 0.5, 0)
    with pytest.raises(Invalid):
        at_risk_and_valuable([ChurnCustomer("y", 0.5, -1.0, ChurnSignals())], 0.5, 0)
    with pytest.raises(Invalid):
        at_risk_and_valuable([customer], 1.5, 0)
    with pytest.raises(Invalid):
        at_risk_and_valuable([customer], 0.5, float("inf"))
