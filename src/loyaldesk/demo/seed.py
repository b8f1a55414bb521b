"""Write the demo store into a database: store, staff logins, catalogue, and the generated history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pydantic import TypeAdapter
from sqlalchemy import select

from loyaldesk.commerce.actions import ingest_orders, record_refund, upsert_products
from loyaldesk.commerce.models import Order
from loyaldesk.commerce.schemas import OrderIn, ProductIn, RefundIn
from loyaldesk.customers import CustomerProfile, CustomerRef, resolve_customers
from loyaldesk.demo.catalogue import CATALOGUE
from loyaldesk.demo.generator import generate
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.db import Database
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores.models import Store
from loyaldesk.stores.passwords import hash_password
from loyaldesk.stores.rules import DEFAULT_API_SCOPES

DEMO_SLUG = "demo"
DEMO_PASSWORD = "loyaldesk-demo"
DEMO_SHOPIFY_SECRET = "demo-shopify-webhook-secret"
DEMO_STAFF = (
    ("owner@juniper.example.com", "Olivia Owner", "owner"),
    ("admin@juniper.example.com", "Adam Admin", "admin"),
    ("agent@juniper.example.com", "Ana Agent", "agent"),
    ("analyst@juniper.example.com", "Alex Analyst", "analyst"),
)
BATCH = 1000


@dataclass(frozen=True)
class DemoSummary:
    store_slug: str
    created: bool
    customers: int
    orders: int
    refunds: int
    api_key: str | None


def demo_exists(database: Database, slug: str = DEMO_SLUG) -> bool:
    with database.read() as session:
        return session.scalar(select(Store.id).where(Store.slug == slug)) is not None


def seed_demo(
    database: Database,
    *,
    seed: int = 42,
    customers: int = 3000,
    until: date,
    slug: str = DEMO_SLUG,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo store with its staff, catalogue and history. ``progress(done, total)`` is told of
    each batch of orders. Refuses if the store exists (``Conflict``)."""
    history = generate(seed=seed, customers=customers, until=until)
    password_hash = hash_password(DEMO_PASSWORD)

    def create_store(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(
            uow,
            SYSTEM,
            slug=slug,
            name="Juniper & Oak",
            currency="EUR",
            timezone="Europe/Amsterdam",
            locale="en",
        )
        actor = system_for(store.id, "demo seeder")
        for email, name, role in DEMO_STAFF:
            store_actions.add_staff_member(
                uow, actor, store.id, email=email, name=name, role=role, password_hash=password_hash
            )
        store.shopify_webhook_secret = DEMO_SHOPIFY_SECRET
        key = store_actions.create_api_key(
            uow, actor, store.id, name="demo backend", scopes=list(DEFAULT_API_SCOPES)
        )
        products = [
            ProductIn(
                external_id=item.sku,
                sku=item.sku,
                title=item.title,
                category=item.category,
                price=item.price,
                currency="EUR",
            )
            for item in CATALOGUE
        ]
        upsert_products(uow, actor, store.id, products)
        return store.id, key.token

    store_id, token = database.write(create_store)
    actor = system_for(store_id, "demo seeder")

    # Newsletter sign-ups who never bought: customers without orders.
    buyers = {order.payload["customer"]["external_id"] for order in history.orders}
    signups = [
        CustomerRef(
            external_id=c.external_id,
            email=c.email,
            profile=CustomerProfile(
                email=c.email,
                first_name=c.first_name,
                last_name=c.last_name,
                locale=c.locale,
                timezone=c.timezone,
                marketing_consent=True,
                tags=["newsletter"],
                attributes={"country": c.country},
            ),
            first_seen_at=c.signed_up_at,
        )
        for c in history.customers
        if c.external_id not in buyers
    ]
    with database.transaction() as uow:
        resolve_customers(uow, store_id, list(signups), source="demo")

    adapter = TypeAdapter(list[OrderIn])
    total = len(history.orders)
    refunds = 0
    for start in range(0, total, BATCH):
        chunk = history.orders[start : start + BATCH]
        orders = adapter.validate_python([order.payload for order in chunk])
        with database.transaction() as uow:
            ingest_orders(uow, actor, store_id, orders, source="demo")
            with_refunds = [order for order in chunk if order.refunds]
            if with_refunds:
                ids = dict(
                    uow.session.execute(
                        select(Order.external_id, Order.id).where(
                            Order.store_id == store_id,
                            Order.external_id.in_([order.payload["external_id"] for order in with_refunds]),
                        )
                    ).all()
                )
                for order in with_refunds:
                    for refund in order.refunds:
                        record_refund(
                            uow,
                            actor,
                            store_id,
                            ids[order.payload["external_id"]],
                            RefundIn.model_validate(refund),
                            source="demo",
                        )
                        refunds += 1
        if progress is not None:
            progress(min(start + BATCH, total), total)
    return DemoSummary(
        store_slug=slug,
        created=True,
        customers=len(history.customers),
        orders=total,
        refunds=refunds,
        api_key=token,
    )
