"""Churn risk per customer: the purchase model's P(alive) raised by support and loyalty signals. No I/O.

Formula (a "noisy-OR": every signal independently takes away part of what is left of the customer's
chance of staying):

    risk = 1 - (1 - base) * prod_k (1 - w_k * s_k),    base = 1 - P(alive)

- ``P(alive)`` comes from the BG/NBD model (:func:`loyaldesk.analytics.clv.probability_alive`).
- ``w_k`` in [0, 1] is signal k's weight (:class:`ChurnWeights`): the share of the remaining chance of
  staying that the signal removes at full strength.
- ``s_k`` in [0, 1] is signal k's strength: open problems and repeated contacts ramp linearly up to a
  saturation count, low CSAT, negative sentiment and points expiring soon are on (1) or off (0), days
  inactive ramp linearly from a grace period (0) to a full period (1).

Hence risk is in [0, 1], equals ``base`` when no signal is present, never falls when P(alive) falls or a
signal grows (each factor is in [0, 1] and non-increasing), and does not depend on the order of signals.
The reasons name each signal that raised the risk, largest ``w_k * s_k`` first.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from loyaldesk.kernel.errors import Invalid


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class ChurnSignals:
    """One customer's recent support and loyalty signals (counts and days are non-negative integers).

    - ``open_problems``: support problems still open (tickets not resolved).
    - ``low_csat``: the customer's latest satisfaction rating was low (1-3 of 5).
    - ``negative_sentiment``: recent messages were classified negative.
    - ``repeated_contacts``: contacts beyond the first about the same matter, in the recent window.
    - ``points_expiring_soon``: loyalty points that expire within the store's warning window.
    - ``days_inactive``: days since the customer's last activity of any kind (order, login, redemption).
    """

    open_problems: int = 0
    low_csat: bool = False
    negative_sentiment: bool = False
    repeated_contacts: int = 0
    points_expiring_soon: int = 0
    days_inactive: int = 0

    def __post_init__(self) -> None:
        problems, contacts, points, days = (
            self.open_problems,
            self.repeated_contacts,
            self.points_expiring_soon,
            self.days_inactive,
        )
        # Fast path (a refresh makes one per customer): plain non-negative ints and bools are valid.
        if (
            type(problems) is int
            and type(contacts) is int
            and type(points) is int
            and type(days) is int
            and problems >= 0
            and contacts >= 0
            and points >= 0
            and days >= 0
            and type(self.low_csat) is bool
            and type(self.negative_sentiment) is bool
        ):
            return
        for name in ("open_problems", "repeated_contacts", "points_expiring_soon", "days_inactive"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise Invalid.field(name, f"must be a non-negative integer (got {value!r})")
        for name in ("low_csat", "negative_sentiment"):
            if not isinstance(getattr(self, name), bool):
                raise Invalid.field(name, "must be true or false")


NO_SIGNALS = ChurnSignals()


@dataclass(frozen=True)
class ChurnWeights:
    """Weights (each in [0, 1]) and strength ramps of the churn formula (see the module docstring)."""

    open_problems: float = 0.25
    low_csat: float = 0.20
    negative_sentiment: float = 0.15
    repeated_contacts: float = 0.15
    points_expiring_soon: float = 0.05
    inactivity: float = 0.30
    open_problems_full: int = 2  # this many open problems or more is full strength
    repeated_contacts_full: int = 3
    inactive_grace_days: int = 60  # strength 0 up to here ...
    inactive_full_days: int = 180  # ... rising linearly to 1 here

    def __post_init__(self) -> None:
        for name in (
            "open_problems",
            "low_csat",
            "negative_sentiment",
            "repeated_contacts",
            "points_expiring_soon",
            "inactivity",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise Invalid.field(name, f"weight must be a number in [0, 1] (got {value!r})")
        if self.open_problems_full < 1 or self.repeated_contacts_full < 1:
            raise Invalid.field("open_problems_full", "saturation counts must be at least 1")
        if not 0 <= self.inactive_grace_days < self.inactive_full_days:
            raise Invalid.field("inactive_full_days", "needs 0 <= inactive_grace_days < inactive_full_days")


DEFAULT_WEIGHTS = ChurnWeights()


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class ChurnRisk:
    """``score`` in [0, 1]; ``base`` = 1 - P(alive), the score without signals; ``reasons`` name the
    signals that raised it, strongest first (empty when none did)."""

    score: float
    base: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class ChurnCustomer:
    """Input of :func:`at_risk_and_valuable`: a distinct, sortable id, P(alive), predicted CLV (money,
    >= 0) and signals."""

    customer_id: Any
    p_alive: float
    predicted_clv: float
    signals: ChurnSignals


@dataclass(frozen=True, slots=True)  # one per customer: a million in a store
class AtRiskCustomer:
    """A customer on the "at risk and valuable" list: ``value_at_risk`` = ``risk`` * ``predicted_clv``."""

    customer_id: Any
    risk: float
    predicted_clv: float
    value_at_risk: float
    reasons: tuple[str, ...]


def churn_risk(p_alive: float, signals: ChurnSignals, weights: ChurnWeights = DEFAULT_WEIGHTS) -> ChurnRisk:
    """Churn risk in [0, 1] by the module's formula, with the reasons that raised it above 1 - P(alive).

    ``p_alive`` must be a finite number in [0, 1] (``Invalid`` otherwise). Monotone: a lower P(alive) or
    a stronger signal never lowers the score.
    """
    if isinstance(p_alive, bool) or not (isinstance(p_alive, int | float) and 0.0 <= p_alive <= 1.0):
        raise Invalid.field("p_alive", f"must be a probability in [0, 1] (got {p_alive!r})")
    base = 1.0 - float(p_alive)
    staying = float(p_alive)
    raised: list[tuple[float, int, str]] = []
    for order, (bump, reason) in enumerate(_bumps(signals, weights)):
        staying *= 1.0 - bump
        if bump > 0.0:
            raised.append((-bump, order, reason))
    score = min(1.0, max(0.0, 1.0 - staying))
    return ChurnRisk(score=score, base=base, reasons=tuple(reason for _, _, reason in sorted(raised)))


def churn_scores(
    p_alive: ArrayLike, signals: Sequence[ChurnSignals], weights: ChurnWeights = DEFAULT_WEIGHTS
) -> NDArray[np.float64]:
    """:func:`churn_risk`'s score of each customer at once (aligned ``p_alive`` and ``signals``), the same
    floating-point operations in the same order on arrays, hence the same numbers. Raises ``Invalid`` when
    a P(alive) is not a probability."""
    alive = np.asarray(p_alive, dtype=np.float64)
    if alive.size and not (np.all(alive >= 0.0) and np.all(alive <= 1.0)):
        bad = next(value for value in alive.tolist() if not 0.0 <= value <= 1.0)
        raise Invalid.field("p_alive", f"must be a probability in [0, 1] (got {bad!r})")
    count = len(signals)

    def column(name: str, kind: type = np.int64) -> NDArray[Any]:
        return np.fromiter((getattr(signal, name) for signal in signals), dtype=kind, count=count)

    problems = column("open_problems").astype(np.float64)
    contacts = column("repeated_contacts").astype(np.float64)
    inactive_days = column("days_inactive").astype(np.float64)
    inactive_span = weights.inactive_full_days - weights.inactive_grace_days
    inactive = np.minimum(1.0, np.maximum(0.0, (inactive_days - weights.inactive_grace_days) / inactive_span))
    bumps = (
        weights.open_problems * np.minimum(1.0, problems / weights.open_problems_full),
        weights.low_csat * column("low_csat", np.float64),
        weights.negative_sentiment * column("negative_sentiment", np.float64),
        weights.repeated_contacts * np.minimum(1.0, contacts / weights.repeated_contacts_full),
        weights.points_expiring_soon * (column("points_expiring_soon") > 0),
        weights.inactivity * inactive,
    )
    staying = alive.copy()
    for bump in bumps:  # the order of _bumps, as churn_risk multiplies them
        staying *= 1.0 - bump
    return np.minimum(1.0, np.maximum(0.0, 1.0 - staying))


def at_risk_and_valuable(
    customers: Sequence[ChurnCustomer],
    risk_threshold: float,
    value_threshold: float,
    weights: ChurnWeights = DEFAULT_WEIGHTS,
) -> list[AtRiskCustomer]:
    """Customers with churn risk >= ``risk_threshold`` and predicted CLV >= ``value_threshold`` (both
    inclusive), sorted by expected value at risk (risk * predicted CLV) descending, then by risk
    descending, then by customer id ascending (ids must be distinct and sortable).

    The predicted CLV already discounts the model's own churn, so value at risk is a ranking figure for
    whom to call first, not money certain to be lost. Raises ``Invalid`` on a threshold outside its range
    (risk in [0, 1], value finite), a non-finite or negative CLV, or duplicate customer ids.
    """
    if not (isinstance(risk_threshold, int | float) and 0.0 <= risk_threshold <= 1.0):
        raise Invalid.field("risk_threshold", "must be a number in [0, 1]")
    if not (isinstance(value_threshold, int | float) and math.isfinite(value_threshold)):
        raise Invalid.field("value_threshold", "must be a finite number")
    seen: set[Hashable] = set()
    selected: list[AtRiskCustomer] = []
    for customer in customers:
        if customer.customer_id in seen:
            raise Invalid.field("customer_id", f"appears twice ({customer.customer_id!r})")
        seen.add(customer.customer_id)
        clv = customer.predicted_clv
        if isinstance(clv, bool) or not (isinstance(clv, int | float) and math.isfinite(clv) and clv >= 0):
            raise Invalid.field("predicted_clv", f"must be a finite, non-negative amount (got {clv!r})")
        risk = churn_risk(customer.p_alive, customer.signals, weights)
        if risk.score >= risk_threshold and clv >= value_threshold:
            selected.append(
                AtRiskCustomer(customer.customer_id, risk.score, float(clv), risk.score * clv, risk.reasons)
            )
    selected.sort(key=lambda row: row.customer_id)
    selected.sort(key=lambda row: (row.value_at_risk, row.risk), reverse=True)  # stable: ids stay ascending
    return selected


def _bumps(signals: ChurnSignals, weights: ChurnWeights) -> list[tuple[float, str]]:
    """(w_k * s_k, reason) of every signal, in a fixed order (the tie-break of the reasons)."""
    inactive_span = weights.inactive_full_days - weights.inactive_grace_days
    inactive = min(1.0, max(0.0, (signals.days_inactive - weights.inactive_grace_days) / inactive_span))
    problems = signals.open_problems
    contacts = signals.repeated_contacts
    return [
        (
            weights.open_problems * min(1.0, problems / weights.open_problems_full),
            f"{problems} open support problem{'s' if problems != 1 else ''}",
        ),
        (weights.low_csat * signals.low_csat, "low satisfaction (CSAT 1-3) on a recent rating"),
        (weights.negative_sentiment * signals.negative_sentiment, "negative sentiment in recent messages"),
        (
            weights.repeated_contacts * min(1.0, contacts / weights.repeated_contacts_full),
            f"{contacts} repeated contact{'s' if contacts != 1 else ''} about the same matter",
        ),
        (
            weights.points_expiring_soon * (signals.points_expiring_soon > 0),
            f"{signals.points_expiring_soon} loyalty points expiring soon",
        ),
        (weights.inactivity * inactive, f"inactive for {signals.days_inactive} days"),
    ]
