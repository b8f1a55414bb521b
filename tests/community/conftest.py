"""Fixtures of the community tests: a store with staff, customers who bought the grinder (verified
buyers), customers who did not, all members of the loyalty program, and the clock moved a month past
their arrival (so that they are not "new members" unless a test makes one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from loyaldesk.commerce import OrderIn, ingest_orders
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.loyalty import check_ledger
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.program import ensure_program
from loyaldesk.stores import StaffAccount
from tests.factories import StoreHandle, make_staff

GRINDER = "GRINDER-1"
BEANS = "BEANS-1"


def order(external_id: str, customer: str, placed_at: datetime, skus: list[str], **extra: Any) -> OrderIn:
    return OrderIn.model_validate(
        {
            "external_id": external_id,
            "customer": {
                "external_id": customer,
                "email": f"{customer}@example.com",
                "first_name": customer.title(),
                "last_name": "Tester",
                "marketing_consent": True,
            },
            "currency": "EUR",
            "lines": [
                {"sku": sku, "product_id": sku, "title": f"Item {sku}", "quantity": 1, "unit_price": 2000}
                for sku in skus
            ],
            "status": "paid",
            "placed_at": placed_at.isoformat(),
            **extra,
        }
    )


@dataclass
class Forum:
    """One store's community world: ``people`` by name (customer ids), staff actors."""

    db: Database
    clock: FakeClock
    store: StoreHandle
    admin: Actor
    agent: Actor
    analyst: Actor
    people: dict[str, int] = field(default_factory=dict)

    def write(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.db.write(fn, *args, **kwargs)

    def add_customer(self, name: str, *, orders: list[list[str]] | None = None, member: bool = True) -> int:
        """A customer (with orders of those SKUs placed a week ago), a loyalty member unless told."""
        now = self.clock.now()

        def create(uow: UnitOfWork) -> int:
            ensure_program(uow, self.store.id)
            batch = [
                order(f"{name}-{n}", name, now - timedelta(days=7 + n), skus)
                for n, skus in enumerate(orders or [])
            ]
            if batch:
                ingest_orders(uow, system_for(self.store.id), self.store.id, batch)
                customer_id = uow.session.scalar(
                    select(Customer.id).where(
                        Customer.store_id == self.store.id, Customer.external_id == name
                    )
                )
            else:
                from loyaldesk.customers import CustomerRef, resolve_customers

                [customer_id] = resolve_customers(
                    uow, self.store.id, [CustomerRef(external_id=name)], source="api"
                )
                customer = uow.session.get(Customer, customer_id)
                assert customer is not None
                customer.first_name, customer.last_name = name.title(), "Tester"
                customer.email = f"{name}@example.com"
            assert customer_id is not None
            if member:
                enroll_many(uow, self.store.id, {int(customer_id): now})
            return int(customer_id)

        customer_id = self.db.write(create)
        self.people[name] = customer_id
        return customer_id

    def ledger_clean(self) -> None:
        with self.db.read() as session:
            assert check_ledger(session, self.store.id) == []


def _staff_actor(db: Database, store: StoreHandle, role: str, password_hash: str) -> Actor:
    email = make_staff(db, store, role, password_hash)
    with db.read() as session:
        staff_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    return Actor(kind="staff", id=staff_id, store_id=store.id, label=role.title(), role=role)


@pytest.fixture
def forum(db: Database, clock: FakeClock, store: StoreHandle, password_hash: str) -> Forum:
    """Ann asks; Bob, Cleo, Dan, Eve, Fay and Gus bought the grinder (Gus long ago); Hal bought only
    beans; Ivy never ordered. Then a month passes."""
    world = Forum(
        db,
        clock,
        store,
        admin=_staff_actor(db, store, "admin", password_hash),
        agent=_staff_actor(db, store, "agent", password_hash),
        analyst=_staff_actor(db, store, "analyst", password_hash),
    )
    world.add_customer("ann", orders=[[BEANS]])
    for name in ("bob", "cleo", "dan", "eve", "fay", "gus"):
        world.add_customer(name, orders=[[GRINDER, BEANS]])
    world.add_customer("hal", orders=[[BEANS]])
    world.add_customer("ivy")
    clock.advance(timedelta(days=30))
    return world
