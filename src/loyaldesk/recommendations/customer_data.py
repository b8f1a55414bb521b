"""Customers' preferences in their GDPR export (what they told the store they prefer) and in their erasure
(deleted: nothing of it is kept, not even without an identity). The stored picks, derived from orders, are
the fitting's business."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from loyaldesk.customers import erasure_step, export_section
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.recommendations.models import CustomerPreferences

SECTION = "recommendation_preferences"


def export_preferences(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    row = session.get(CustomerPreferences, (store_id, customer_id))
    if row is None:
        return {"preferences": None}
    return {
        "preferences": {
            "sizes": dict(row.sizes or {}),
            "interests": list(row.interests or []),
            "excluded_categories": list(row.excluded_categories or []),
            "channels": list(row.channels or []),
            "updated_at": row.updated_at.isoformat(),
        }
    }


def erase_preferences(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    uow.session.execute(
        delete(CustomerPreferences).where(
            CustomerPreferences.store_id == store_id, CustomerPreferences.customer_id == customer_id
        )
    )


def register() -> None:
    """Plug the preferences' export section and erasure step into the customer record."""
    export_section(SECTION)(export_preferences)
    erasure_step(SECTION)(erase_preferences)
