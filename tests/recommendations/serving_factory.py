"""A small factory for serving tests: catalogue products and stored picks written directly (the engine
that fills ``recommendation_picks`` is tested on its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyaldesk.commerce import Product
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.recommendations import CustomerPick
from tests.factories import StoreHandle


def make_product(db: Database, store: StoreHandle, key: str, title: str, **facts: Any) -> int:
    """A catalogue product whose external id is ``key`` (price 1000 EUR cents unless given)."""

    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        values: dict[str, Any] = {
            "price": 1000,
            "currency": "EUR",
            "attributes": {},
            "active": True,
            **facts,
        }
        product = Product(
            store_id=store.id, external_id=key, title=title, created_at=now, updated_at=now, **values
        )
        uow.session.add(product)
        uow.session.flush()
        return int(product.id)

    return db.write(create)


def make_customer(db: Database, store: StoreHandle, external_id: str, locale: str | None = None) -> int:
    profile = CustomerProfile(first_name="Ada", email=f"{external_id}@example.com", locale=locale)
    return int(db.write(upsert_customer, store.actor, store.id, external_id, profile).customer.id)


def store_picks(
    db: Database,
    store: StoreHandle,
    customer_id: int,
    picks: list[tuple[str, float, str, dict[str, Any]]],
    computed_at: datetime | None = None,
) -> None:
    """Replace the customer's stored picks with ``(item_key, score, reason_kind, reason_params)`` in
    rank order."""

    def write(uow: UnitOfWork) -> None:
        uow.session.query(CustomerPick).filter_by(store_id=store.id, customer_id=customer_id).delete()
        for rank, (key, score, kind, params) in enumerate(picks):
            uow.session.add(
                CustomerPick(
                    store_id=store.id,
                    customer_id=customer_id,
                    rank=rank,
                    item_key=key,
                    score=score,
                    method="blend",
                    reason_kind=kind,
                    reason_params=params,
                    fit_id=None,
                    computed_at=computed_at or uow.now(),
                )
            )

    db.write(write)
