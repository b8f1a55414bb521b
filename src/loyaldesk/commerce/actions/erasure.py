"""Erasing a customer's personal data from their orders (GDPR erasure)."""

from __future__ import annotations

from loyaldesk.commerce.models import Order
from loyaldesk.kernel.db import UnitOfWork


def erase_order_personal_data(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """Remove the email and address from a customer's orders; amounts and dates stay for accounting."""
    from sqlalchemy import update

    uow.session.execute(
        update(Order)
        .where(Order.store_id == store_id, Order.customer_id == customer_id)
        .values(email=None, shipping_address=None, updated_at=uow.now())
    )
