"""What analytics reads from the other capabilities: orders as ``OrderFact`` values, loyalty members,
redemptions and expiring points, support conversations, ratings and messages. Read only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.analytics import sentiment
from loyaldesk.analytics.churn import ChurnSignals
from loyaldesk.analytics.columns import MICROSECONDS_PER_DAY, OrderColumns, microseconds
from loyaldesk.analytics.metrics import DistinctOrders, OrderFact
from loyaldesk.analytics.order_columns import order_columns
from loyaldesk.analytics.reports.impact import SupportExperience
from loyaldesk.analytics.segment_advice import StoreFacts
from loyaldesk.commerce import Order
from loyaldesk.loyalty import LedgerEntry, LoyaltyProgram, Member, PointLot, Tier
from loyaldesk.stores import Store
from loyaldesk.support import Conversation, CsatResponse, Message

RECENT_DAYS = 90  # support contacts and sentiment are read over this many days before the date
EXPIRY_HORIZON_DAYS = 30


def order_facts(session: Session, store: Store, until: datetime | None = None) -> DistinctOrders:
    """The store's orders placed before ``until`` (all when ``None``) by known customers, in the store's
    currency, net of refunds, as distinct orders sorted by time; cancelled orders are left out (they were
    never a purchase)."""
    return order_columns(session, store, until).facts()


def last_order_at(session: Session, store: Store) -> datetime | None:
    """When the store's last order that analytics counts (as :func:`order_facts` reads them) was placed;
    None when it has none."""
    return session.scalar(
        select(Order.placed_at)
        .where(
            Order.store_id == store.id,
            Order.customer_id.is_not(None),
            Order.currency == store.currency,
            Order.cancelled_at.is_(None),
        )
        .order_by(Order.placed_at.desc())
        .limit(1)
    )


class OrderHistory:
    """The store's orders read once, column-wise, for several reports computed together (each cuts them
    at its own instant with ``OrderColumns.before``)."""

    def __init__(self) -> None:
        self._columns: OrderColumns | None = None

    def columns(self, session: Session, store: Store) -> OrderColumns:
        if self._columns is None:
            self._columns = order_columns(session, store)
        return self._columns


def member_customer_ids(session: Session, store_id: int) -> frozenset[int]:
    return frozenset(
        int(customer_id)
        for customer_id in session.scalars(select(Member.customer_id).where(Member.store_id == store_id))
    )


def store_facts(session: Session, store_id: int) -> StoreFacts:
    """What the segments page's advice needs to know of the store: whether its loyalty program runs
    (set up and switched on) and has tiers above the base one."""
    enabled = session.scalar(select(LoyaltyProgram.enabled).where(LoyaltyProgram.store_id == store_id))
    tiers = session.scalar(select(func.count(Tier.id)).where(Tier.store_id == store_id, Tier.threshold > 0))
    return StoreFacts(program=bool(enabled), tiers=bool(enabled) and bool(tiers))


def csat_ratings(
    session: Session, store_id: int, start: datetime, end: datetime
) -> list[tuple[int | None, int]]:
    """(customer id, rating) of the satisfaction answers given in ``[start, end)``."""
    rows = session.execute(
        select(CsatResponse.customer_id, CsatResponse.rating).where(
            CsatResponse.store_id == store_id,
            CsatResponse.rating.is_not(None),
            CsatResponse.answered_at >= start,
            CsatResponse.answered_at < end,
        )
    )
    return [(customer_id, int(rating)) for customer_id, rating in rows if rating is not None]


def customer_names(
    session: Session, store_id: int, customer_ids: list[int]
) -> dict[int, tuple[str, str | None]]:
    """Customer id -> (display name, email) for the given customers of the store."""
    from loyaldesk.customers import Customer

    if not customer_ids:
        return {}
    rows = session.scalars(
        select(Customer).where(Customer.store_id == store_id, Customer.id.in_(customer_ids))
    )
    return {customer.id: (customer.display_name, customer.email) for customer in rows}


def churn_signals(
    session: Session, store_id: int, orders: Sequence[OrderFact] | OrderColumns, as_of_end: datetime
) -> dict[int, ChurnSignals]:
    """Support and loyalty signals per customer who ordered before ``as_of_end``: open conversations (open
    or pending), a latest rating of 3 or less, conversations in the last 90 days beyond the first, negative
    sentiment of their messages in those 90 days (``sentiment``), points expiring in the next
    :data:`EXPIRY_HORIZON_DAYS` days, and days since the last order."""
    before = OrderColumns.of(orders).before(as_of_end)
    customers, inverse = np.unique(before.customer_id, return_inverse=True)
    last = np.full(customers.shape[0], np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, inverse, before.placed_at_us)
    inactive = np.maximum((microseconds(as_of_end) - last) // MICROSECONDS_PER_DAY, 0)
    recent_start = as_of_end - timedelta(days=RECENT_DAYS)
    open_problems: Counter[int] = Counter()
    recent: Counter[int] = Counter()
    for customer_id, status, created_at in session.execute(
        select(Conversation.customer_id, Conversation.status, Conversation.created_at).where(
            Conversation.store_id == store_id,
            Conversation.customer_id.is_not(None),
            Conversation.created_at < as_of_end,
        )
    ):
        if customer_id is None:
            continue
        if status in ("open", "pending"):
            open_problems[customer_id] += 1
        if created_at >= recent_start:
            recent[customer_id] += 1
    latest_rating: dict[int, int] = {}
    for customer_id, rating in session.execute(
        select(CsatResponse.customer_id, CsatResponse.rating)
        .where(
            CsatResponse.store_id == store_id,
            CsatResponse.rating.is_not(None),
            CsatResponse.customer_id.is_not(None),
            CsatResponse.answered_at < as_of_end,
        )
        .order_by(CsatResponse.answered_at)
    ):
        if customer_id is not None and rating is not None:
            latest_rating[customer_id] = rating
    negative = sentiment.negative_customers(customer_messages(session, store_id, recent_start, as_of_end))
    expiring = points_expiring(session, store_id, as_of_end, as_of_end + timedelta(days=EXPIRY_HORIZON_DAYS))
    return {
        customer: ChurnSignals(
            open_problems=open_problems.get(customer, 0),
            low_csat=latest_rating.get(customer, 5) <= 3,
            negative_sentiment=customer in negative,
            repeated_contacts=max(recent.get(customer, 0) - 1, 0),
            points_expiring_soon=expiring.get(customer, 0),
            days_inactive=days,
        )
        for customer, days in zip(customers.tolist(), inactive.tolist(), strict=True)
    }


def customer_messages(
    session: Session, store_id: int, start: datetime, end: datetime
) -> list[tuple[int, str]]:
    """(customer id, text) of the messages customers wrote in ``[start, end)``."""
    rows = session.execute(
        select(Conversation.customer_id, Message.body)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.store_id == store_id,
            Message.author_kind == "customer",
            Message.created_at >= start,
            Message.created_at < end,
            Conversation.customer_id.is_not(None),
        )
    )
    return [(int(customer_id), body) for customer_id, body in rows if customer_id is not None]


def points_expiring(session: Session, store_id: int, start: datetime, end: datetime) -> dict[int, int]:
    """Customer id -> points of their available lots that expire in ``[start, end)``."""
    rows = session.execute(
        select(Member.customer_id, func.sum(PointLot.remaining))
        .join(Member, Member.id == PointLot.member_id)
        .where(
            PointLot.store_id == store_id,
            PointLot.status == "available",
            PointLot.remaining > 0,
            PointLot.expires_at >= start,
            PointLot.expires_at < end,
        )
        .group_by(Member.customer_id)
    )
    return {int(customer_id): int(points or 0) for customer_id, points in rows}


def members_enrolled_before(session: Session, store_id: int, end: datetime) -> frozenset[int]:
    return frozenset(
        int(customer_id)
        for customer_id in session.scalars(
            select(Member.customer_id).where(Member.store_id == store_id, Member.enrolled_at < end)
        )
    )


def redeemers(session: Session, store_id: int, start: datetime, end: datetime) -> frozenset[int]:
    """Customers whose membership redeemed points in ``[start, end)``."""
    return frozenset(
        int(customer_id)
        for customer_id in session.scalars(
            select(Member.customer_id)
            .join(LedgerEntry, LedgerEntry.member_id == Member.id)
            .where(
                LedgerEntry.store_id == store_id,
                LedgerEntry.kind == "redeem",
                LedgerEntry.created_at >= start,
                LedgerEntry.created_at < end,
            )
            .distinct()
        )
    )


def support_experiences(
    session: Session, store_id: int, start: datetime, end: datetime
) -> tuple[frozenset[int], dict[int, SupportExperience]]:
    """The customers with a conversation opened in ``[start, end)`` and their experience: the lowest rating
    given in the period, and whether every first response measured against an SLA target met it."""
    contacted: set[int] = set()
    within: dict[int, bool] = {}
    for customer_id, policy_id, fired, first_response_at in session.execute(
        select(
            Conversation.customer_id,
            Conversation.sla_policy_id,
            Conversation.sla_fired,
            Conversation.first_response_at,
        ).where(
            Conversation.store_id == store_id,
            Conversation.customer_id.is_not(None),
            Conversation.created_at >= start,
            Conversation.created_at < end,
        )
    ):
        if customer_id is None:
            continue
        contacted.add(customer_id)
        breached = any(step[0] == "first_response" and step[1] == "breach" for step in fired or [])
        if breached:
            within[customer_id] = False
        elif policy_id is not None and first_response_at is not None:
            within.setdefault(customer_id, True)
    lowest: dict[int, int] = {}
    for customer_id, rating in session.execute(
        select(CsatResponse.customer_id, CsatResponse.rating).where(
            CsatResponse.store_id == store_id,
            CsatResponse.rating.is_not(None),
            CsatResponse.customer_id.is_not(None),
            CsatResponse.answered_at >= start,
            CsatResponse.answered_at < end,
        )
    ):
        if customer_id is not None and rating is not None:
            lowest[customer_id] = min(lowest.get(customer_id, rating), rating)
    experiences = {
        customer: SupportExperience(lowest.get(customer), within.get(customer)) for customer in contacted
    }
    return frozenset(contacted), experiences
