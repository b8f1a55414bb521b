"""Shops for the personal-offer tests: customers with orders, members of the loyalty program."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce import OrderIn, ingest_orders
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.program import ensure_program
from loyaldesk.recommendations.actions.offer_launch import launch_offer
from loyaldesk.recommendations.actions.offer_telling import tell_offer_groups
from loyaldesk.recommendations.actions.offers import create_offer
from loyaldesk.recommendations.offer_schemas import OfferIn
from tests.factories import StoreHandle


def line(
    sku: str = "BEANS-1", category: str = "Coffee", price: int = 1500, quantity: int = 1
) -> dict[str, Any]:
    return {
        "sku": sku,
        "title": f"Item {sku}",
        "category": category,
        "quantity": quantity,
        "unit_price": price,
    }


def order(
    external_id: str, customer: str, placed_at: datetime, lines: list[dict[str, Any]], **extra: Any
) -> OrderIn:
    return OrderIn.model_validate(
        {
            "external_id": external_id,
            "customer": {
                "external_id": customer,
                "email": f"{customer}@example.com",
                "first_name": customer.title(),
                "marketing_consent": True,
            },
            "currency": "EUR",
            "lines": lines,
            "status": "paid",
            "placed_at": placed_at.isoformat(),
            **extra,
        }
    )


def shop(db: Database, store: StoreHandle, customers: int, placed_at: datetime) -> list[int]:
    """``customers`` customers, each with one paid order (coffee beans or tea), all loyalty members;
    their ids in order. The orders' events are left undispatched (the split needs none)."""
    orders = [
        order(
            f"o-{n}",
            f"c{n}",
            placed_at - timedelta(minutes=n % 500),
            [line("BEANS-1", "Coffee") if n % 2 else line("TEA-1", "Tea", 900)],
        )
        for n in range(1, customers + 1)
    ]

    def write(uow: UnitOfWork) -> list[int]:
        ensure_program(uow, store.id)
        for start in range(0, len(orders), 500):
            ingest_orders(uow, system_for(store.id), store.id, orders[start : start + 500])
        ids = list(
            uow.session.scalars(
                select(Customer.id).where(Customer.store_id == store.id).order_by(Customer.id)
            )
        )
        enroll_many(uow, store.id, dict.fromkeys(ids, placed_at))
        return ids

    return db.write(write)


def offer_in(ends_at: datetime, **overrides: Any) -> OfferIn:
    values: dict[str, Any] = {
        "name": "Beans bonus",
        "kind": "bonus_points",
        "value": 150,
        "target_kind": "category",
        "target": "Coffee",
        "holdout_percent": 20,
        "ends_at": ends_at,
    }
    values.update(overrides)
    return OfferIn.model_validate(values)


def tell(db: Database) -> int:
    """Run the telling job (``recommendations.tell_offers``) until nobody is left to tell."""
    told = 0
    while done := tell_offer_groups(db):
        told += done
    return told


def launched(
    db: Database, store: StoreHandle, ends_at: datetime, *, told: bool = True, **overrides: Any
) -> int:
    """A launched offer's id; its treatment group told by the job (unless ``told`` is False)."""
    offer = db.write(create_offer, store.actor, store.id, offer_in(ends_at, **overrides))
    db.write(launch_offer, store.actor, store.id, offer.id)
    if told:
        tell(db)
    return int(offer.id)
