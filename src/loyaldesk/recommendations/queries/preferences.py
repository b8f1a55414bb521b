"""Reading a customer's preferences, and the categories a shopper may choose from (read session only; the
caller has checked who asks)."""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import NotFound
from loyaldesk.recommendations.models import CustomerPreferences
from loyaldesk.recommendations.schemas import PreferencesOut

MAX_CHOICES = 200


def preferences_of(session: Session, store_id: int, customer_id: int) -> PreferencesOut:
    """What the customer told the store; empty (``updated_at`` None) when they have said nothing.
    ``NotFound`` for a customer not of this store."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id:
        raise NotFound("no such customer")
    row = session.get(CustomerPreferences, (store_id, customer_id))
    if row is None:
        return PreferencesOut(sizes={}, interests=[], excluded_categories=[], channels=[], updated_at=None)
    return PreferencesOut(
        sizes=dict(row.sizes or {}),
        interests=list(row.interests or []),
        excluded_categories=list(row.excluded_categories or []),
        channels=list(row.channels or []),  # type: ignore[arg-type]  # validated into Channel
        updated_at=row.updated_at,
    )


def category_choices(session: Session, store_id: int) -> list[str]:
    """The store's categories, sorted: its active products' and, for a store that sends no catalogue,
    X"""
    names = set(
        session.scalars(
            select(Product.category)
            .distinct()
            .where(Product.store_id == store_id, Product.active == true(), Product.category.is_not(None))
            .limit(MAX_CHOICES)
        )
    )
    if not names:
        names |= set(
            session.scalars(
                select(OrderLine.category)
                .distinct()
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.store_id == store_id, OrderLine.category.is_not(None))
                .limit(MAX_CHOICES)
            )
        )
    return sorted((name for name in names if name and name.strip()), key=str.casefold)[:MAX_CHOICES]
