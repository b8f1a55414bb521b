"""What analytics reads from the other capabilities: orders as ``OrderFact`` values, loyalty members and
satisfaction ratings. Read only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
