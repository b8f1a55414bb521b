"""Fixtures of the calls tests: a store with an agent, an analyst (who does not answer conversations), a
customer with a widget contact and an open conversation, and another store's agent and conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores import StaffAccount
from loyaldesk.support import Contact, identify_contact
from loyaldesk.support.actions.open_conversation import start_conversation
from tests.factories import StoreHandle, make_staff


@dataclass
class CallDesk:
    db: Database
    clock: FakeClock
    store: StoreHandle
    agent: Actor
    second_agent: Actor
    analyst: Actor
    customer_id: int
    contact_id: int
    conversation_id: int
    other_agent: Actor
    other_conversation_id: int

    def write(self, action: Any, **kwargs: Any) -> Any:
        return self.db.write(lambda uow: action(uow, store_id=self.store.id, **kwargs))

    def read(self, query: Any, *args: Any) -> Any:
        with self.db.read() as session:
            return query(session, self.store.id, *args)


def staff_actor(db: Database, store: StoreHandle, role: str, password_hash: str, email: str) -> Actor:
    make_staff(db, store, role, password_hash, email)
    with db.read() as session:
        staff_id = session.scalar(select(StaffAccount.id).where(StaffAccount.email == email))
    return Actor(kind="staff", id=staff_id, store_id=store.id, label=email, role=role)


def customer_conversation(db: Database, store: StoreHandle, external_id: str) -> tuple[int, int, int]:
    """A customer, their widget contact and an open chat conversation: (customer, contact, conversation)."""

    def create(uow):  # type: ignore[no-untyped-def]
        customer = Customer(
            store_id=store.id, external_id=external_id, email=f"{external_id}@example.com",
            source="api", created_at=uow.now(), updated_at=uow.now(),
        )  # fmt: skip
        uow.session.add(customer)
        uow.session.flush()
        widget = identify_contact(uow, store.id, customer_id=customer.id, visitor_token=None)
        contact = uow.session.get(Contact, widget.contact_id)
        conversation = start_conversation(uow, contact, channel="webchat", subject="Help")
        return customer.id, contact.id, conversation.id

    return tuple(db.write(create))  # type: ignore[return-value]


@pytest.fixture
def desk(
    db: Database, clock: FakeClock, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> CallDesk:
    agent = staff_actor(db, store, "agent", password_hash, "agent@acme.example.com")
    second = staff_actor(db, store, "agent", password_hash, "agent2@acme.example.com")
    analyst = staff_actor(db, store, "analyst", password_hash, "analyst@acme.example.com")
    other_agent = staff_actor(db, other_store, "agent", password_hash, "agent@globex.example.com")
    customer_id, contact_id, conversation_id = customer_conversation(db, store, "c-1")
    _, _, other_conversation_id = customer_conversation(db, other_store, "g-1")
    return CallDesk(
        db, clock, store, agent, second, analyst, customer_id, contact_id, conversation_id,
        other_agent, other_conversation_id,
    )  # fmt: skip
