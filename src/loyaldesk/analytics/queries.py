"""What analytics reads from the other capabilities: orders as ``OrderFact`` values, loyalty members and
satisfaction ratings. Read only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.analytics.churn import ChurnSignals
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.commerce.models import Order
from loyaldesk.loyalty.models import Member
from loyaldesk.stores.models import Store
from loyaldesk.support.models import CsatResponse


def order_facts(session: Session, store: Store, until: datetime) -> list[OrderFact]:
    """The store's orders placed before ``until`` by known customers, in the store's currency, net of
    refunds; cancelled orders are left out (they were never a purchase)."""
    rows = session.execute(
        select(Order.id, Order.customer_id, Order.placed_at, Order.total, Order.refunded_total).where(
            Order.store_id == store.id,
            Order.customer_id.is_not(None),
            Order.currency == store.currency,
            Order.cancelled_at.is_(None),
            Order.placed_at < until,
        )
    )
    return [
        OrderFact(
            customer_id=int(customer_id or 0),
            order_id=int(order_id),
            placed_at=placed_at,
            net_amount_minor=max(int(total) - int(refunded or 0), 0),
        )
        for order_id, customer_id, placed_at, total, refunded in rows
    ]


def member_customer_ids(session: Session, store_id: int) -> frozenset[int]:
    return frozenset(
        int(customer_id)
        for customer_id in session.scalars(select(Member.customer_id).where(Member.store_id == store_id))
    )


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
    session: Session, store_id: int, orders: list[OrderFact], as_of_end: datetime
) -> dict[int, ChurnSignals]:
    """Support and loyalty signals per customer as of ``as_of_end``: open conversations (open or pending),
    a latest rating of 3 or less, conversations in the last 90 days beyond the first, and days since the
    last order. Not yet read: message sentiment and points about to expire (both stay off)."""
    from collections import Counter
    from datetime import timedelta

    from loyaldesk.support.models import Conversation

    last_order: dict[int, datetime] = {}
    for order in orders:
        if order.placed_at < as_of_end:
            last_order[order.customer_id] = max(
                last_order.get(order.customer_id, order.placed_at), order.placed_at
            )
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
        if created_at >= as_of_end - timedelta(days=90):
            recent[customer_id] += 1
    latest_rating: dict[int, int] = {}
    for customer_id, rating in session.execute(
        select(CsatResponse.customer_id, CsatResponse.rating)
        .where(
            CsatResponse.store_id == store_id,
            CsatResponse.rating.is_not(None),
            CsatResponse.customer_id.is_not(None),
        )
        .order_by(CsatResponse.answered_at)
    ):
        if customer_id is not None and rating is not None:
            latest_rating[customer_id] = rating
    return {
        customer: ChurnSignals(
            open_problems=open_problems.get(customer, 0),
            low_csat=latest_rating.get(customer, 5) <= 3,
            repeated_contacts=max(recent.get(customer, 0) - 1, 0),
            days_inactive=max((as_of_end - placed).days, 0),
        )
        for customer, placed in last_order.items()
    }
