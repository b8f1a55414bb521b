"""How a journey or campaign is doing: sent, delivered, opened, clicked, converted (an order within the
rule's ``conversion_days`` of entering), revenue and unsubscribes, against its holdout group, with a 95%
interval on the difference in conversion (normal approximation to two proportions)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order
from loyaldesk.journeys.models import Enrollment, JourneyRule, Send
from loyaldesk.journeys.vocab import EnrollmentStatus, SendStatus

Z95 = 1.959964


@dataclass(frozen=True)
class GroupResult:
    customers: int
    converted: int
    revenue_minor: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.customers if self.customers else None


@dataclass(frozen=True)
class RuleResults:
    entered: int
    treated: GroupResult
    holdout: GroupResult
    queued: int
    deferred: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    failed: int
    suppressed: int
    dropped: int
    unknown: int
    uplift: float | None  # treated rate minus holdout rate
    uplift_low: float | None
    uplift_high: float | None
    currency: str | None


def _group(session: Session, rule: JourneyRule, held_out: bool) -> tuple[GroupResult, str | None]:
    status = (
        Enrollment.status == EnrollmentStatus.HELD_OUT
        if held_out
        else Enrollment.status != EnrollmentStatus.HELD_OUT
    )
    customers = int(
        session.scalar(
            select(func.count(func.distinct(Enrollment.customer_id))).where(
                Enrollment.rule_id == rule.id, status
            )
        )
        or 0
    )
    window = timedelta(days=rule.conversion_days)
    rows = _orders_in_window(session, rule, status, window)
    converted = len({customer_id for _, customer_id, _, _ in rows})
    revenue = sum(int(total) for _, _, total, _ in rows)
    currency = rows[0][3] if rows else None
    return GroupResult(customers, converted, revenue), currency


def _orders_in_window(session: Session, rule: JourneyRule, status, window: timedelta):  # type: ignore[no-untyped-def]
    # Joined in Python over the rule's runs (the same on both databases); an order counts once.
    runs = session.execute(
        select(Enrollment.customer_id, Enrollment.created_at).where(Enrollment.rule_id == rule.id, status)
    ).all()
    if not runs:
        return []
    starts: dict[int, list] = {}  # type: ignore[type-arg]
    for customer_id, created_at in runs:
        starts.setdefault(customer_id, []).append(created_at)
    found = {}
    ids = list(starts)
    for offset in range(0, len(ids), 500):
        for order_id, buyer_id, total, currency, placed_at in session.execute(
            select(Order.id, Order.customer_id, Order.total, Order.currency, Order.placed_at).where(
                Order.customer_id.in_(ids[offset : offset + 500]), Order.status != "cancelled"
            )
        ):
            if buyer_id is not None and any(
                start <= placed_at < start + window for start in starts[buyer_id]
            ):
                found[order_id] = (order_id, buyer_id, total, currency)
    return list(found.values())


def results_of(session: Session, rule: JourneyRule) -> RuleResults:
    treated, currency = _group(session, rule, held_out=False)
    holdout, holdout_currency = _group(session, rule, held_out=True)
    counts: dict[str, int] = {
        status: int(number)
        for status, number in session.execute(
            select(Send.status, func.count()).where(Send.rule_id == rule.id).group_by(Send.status)
        ).all()
    }
    marks = session.execute(
        select(
            func.count(Send.delivered_at),
            func.count(Send.opened_at),
            func.count(Send.clicked_at),
            func.count(Send.unsubscribed_at),
        ).where(Send.rule_id == rule.id)
    ).one()
    uplift = low = high = None
    if treated.rate is not None and holdout.rate is not None:
        uplift = treated.rate - holdout.rate
        spread = math.sqrt(
            treated.rate * (1 - treated.rate) / treated.customers
            + holdout.rate * (1 - holdout.rate) / holdout.customers
        )
        low, high = uplift - Z95 * spread, uplift + Z95 * spread

    def count(*statuses: SendStatus) -> int:
        return sum(int(counts.get(status.value, 0)) for status in statuses)

    return RuleResults(
        entered=treated.customers + holdout.customers,
        treated=treated,
        holdout=holdout,
        queued=count(SendStatus.QUEUED, SendStatus.CLAIMED, SendStatus.SENDING),
        deferred=count(SendStatus.DEFERRED),
        sent=count(SendStatus.SENT, SendStatus.DELIVERED),
        delivered=int(marks[0]),
        opened=int(marks[1]),
        clicked=int(marks[2]),
        unsubscribed=int(marks[3]),
        failed=count(SendStatus.FAILED),
        suppressed=count(SendStatus.SUPPRESSED),
        dropped=count(SendStatus.DROPPED),
        unknown=count(SendStatus.UNKNOWN),
        uplift=uplift,
        uplift_low=low,
        uplift_high=high,
        currency=currency or holdout_currency,
    )
