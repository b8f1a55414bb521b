"""What happened after the answers: whether the team closed the loop with detractors, whether they
recovered, and what promoters, passives and detractors bought next.

- *Loop closure*: of the detractor answers (NPS 0-6, CSAT 1-2, CES 1-3) given in the period, the share
  the team contacted within :data:`CONTACT_DAYS` days (``contacted_at - created_at``; ``contacted_at``
  is the team's first reply in the detractor's conversation). A detractor answered fewer than 7 days
  ago and not yet contacted is still counted as not contacted: the figure is as of now.
- *Recovery*: of the detractor answers in the period whose customer answered the follow-up survey
  (an answer with ``follow_up_of_id`` = the detractor answer's id, with a score), the share whose
  follow-up is no longer a detractor's (NPS 7 or more; CSAT 3 or more; CES 4 or more).
- *What they bought next*: each customer counted once, in the bucket of their first scored answer
  (NPS, CSAT or CES: the buckets are one vocabulary, decision 0034) in the period; their orders
  (not cancelled) placed in the :data:`FOLLOW_DAYS` days after that answer: the share who bought
  (Wilson interval) and the revenue per customer (net of refunds, zeros included, t interval, minor
  units). ``observed_days`` says how much of the window has passed for the latest answers.

Reads only; the caller has checked the reader may see the store's feedback.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderStatus
from loyaldesk.feedback.models import SurveyResponse
from loyaldesk.feedback.rules import statistics
from loyaldesk.feedback.rules.scoring import is_detractor
from loyaldesk.feedback.rules.statistics import Estimate
from loyaldesk.feedback.vocab import Bucket, SurveyKind

CONTACT_DAYS = 7
FOLLOW_DAYS = 90


@dataclass(frozen=True)
class BucketPurchases:
    bucket: Bucket
    customers: int
    bought: Estimate  # % who placed an order in the window
    revenue_per_customer: Estimate  # minor units


@dataclass(frozen=True)
class Outcomes:
    detractors: int
    contacted_within: int
    loop_closure: Estimate  # % of detractors contacted within CONTACT_DAYS
    followed_up: int  # detractors with a scored follow-up answer
    recovered: int
    recovery: Estimate  # % of those whose follow-up is not a detractor's
    purchases: tuple[BucketPurchases, ...]
    follow_days: int
    observed_days: int  # days of the window already passed for the period's last day


def _bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, datetime.min.time(), zone),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), zone),
    )


def outcomes(
    session: Session, store_id: int, *, start: date, end: date, timezone: str, now: datetime
) -> Outcomes:
    """Loop closure, recovery and purchases of the answers given from ``start`` to ``end`` (store dates,
    inclusive), as of ``now``."""
    begin, finish = _bounds(start, end, timezone)
    r = SurveyResponse
    detractor_rows = session.execute(
        select(r.id, r.survey_kind, r.created_at, r.contacted_at).where(
            r.store_id == store_id,
            r.created_at >= begin,
            r.created_at < finish,
            r.bucket == Bucket.DETRACTOR.value,
            r.survey_kind.in_([SurveyKind.NPS.value, SurveyKind.CSAT.value, SurveyKind.CES.value]),
        )
    ).all()
    # Follow-ups come after the answer they follow: one range read of the store's answers since the
    # period began (feedback_responses has no index on follow_up_of_id; a join on it scans per row).
    follow_ups: dict[int, list[tuple[str, int]]] = {}
    for follow_up_of, kind, score in session.execute(
        select(r.follow_up_of_id, r.survey_kind, r.score).where(
            r.store_id == store_id,
            r.created_at >= begin,
            r.follow_up_of_id.is_not(None),
            r.score.is_not(None),
        )
    ):
        follow_ups.setdefault(int(follow_up_of or 0), []).append((kind, int(score or 0)))
    seen: dict[int, bool | None] = {}  # detractor answer -> recovered (None: no scored follow-up)
    contacted = 0
    window = timedelta(days=CONTACT_DAYS)
    for row in detractor_rows:
        if row.contacted_at is not None and row.contacted_at - row.created_at <= window:
            contacted += 1
        answers = follow_ups.get(row.id)
        seen[row.id] = None if not answers else any(not is_detractor(kind, score) for kind, score in answers)
    followed = [value for value in seen.values() if value is not None]
    recovered_count = sum(1 for value in followed if value)
    return Outcomes(
        detractors=len(seen),
        contacted_within=contacted,
        loop_closure=statistics.wilson(contacted, len(seen)),
        followed_up=len(followed),
        recovered=recovered_count,
        recovery=statistics.wilson(recovered_count, len(followed)),
        purchases=purchases(session, store_id, begin, finish),
        follow_days=FOLLOW_DAYS,
        observed_days=max(0, min(FOLLOW_DAYS, (now - finish).days)),
    )


def purchases(session: Session, store_id: int, start: datetime, end: datetime) -> tuple[BucketPurchases, ...]:
    """Per bucket, what the customers who answered in [start, end) bought in the FOLLOW_DAYS after
    their first scored answer then (see the module docstring)."""
    r = SurveyResponse
    first: dict[int, tuple[datetime, Bucket]] = {}
    rows = session.execute(
        select(r.customer_id, r.created_at, r.bucket)
        .where(
            r.store_id == store_id,
            r.created_at >= start,
            r.created_at < end,
            r.customer_id.is_not(None),
            r.bucket.is_not(None),
            r.survey_kind.in_([SurveyKind.NPS.value, SurveyKind.CSAT.value, SurveyKind.CES.value]),
        )
        .order_by(r.created_at)
    )
    for customer_id, created_at, bucket in rows:
        if customer_id is not None and bucket is not None and customer_id not in first:
            first[customer_id] = (created_at, Bucket(bucket))
    answered = (
        select(r.customer_id)
        .where(r.store_id == store_id, r.created_at >= start, r.created_at < end, r.bucket.is_not(None))
        .scalar_subquery()
    )
    spend: dict[int, list[int]] = defaultdict(list)
    if first:
        orders = session.execute(
            select(Order.customer_id, Order.placed_at, Order.total, Order.refunded_total).where(
                Order.store_id == store_id,
                Order.placed_at >= start,
                Order.placed_at < end + timedelta(days=FOLLOW_DAYS),
                Order.status != OrderStatus.CANCELLED.value,
                Order.customer_id.in_(answered),
            )
        )
        for customer_id, placed_at, total, refunded in orders:
            if customer_id is None or customer_id not in first:
                continue
            answered_at = first[customer_id][0]
            if answered_at < placed_at <= answered_at + timedelta(days=FOLLOW_DAYS):
                spend[customer_id].append(int(total) - int(refunded or 0))
    result = []
    for bucket in (Bucket.PROMOTER, Bucket.PASSIVE, Bucket.DETRACTOR):
        customers = [customer for customer, (_, b) in first.items() if b is bucket]
        bought = sum(1 for customer in customers if spend.get(customer))
        result.append(
            BucketPurchases(
                bucket,
                len(customers),
                statistics.wilson(bought, len(customers)),
                statistics.mean_t(sum(spend.get(customer, ())) for customer in customers),
            )
        )
    return tuple(result)
