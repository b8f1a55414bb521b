"""The SMS channel's fixtures: a fake provider, a store whose SMS settings point at it, customers with
phones, and a send the provider's receipts can find."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from loyaldesk.channels.sms.adapter import SmsAdapter
from loyaldesk.channels.sms.config import save_sms_settings
from loyaldesk.customers import Customer
from loyaldesk.journeys import (
    Channel,
    MessageCategory,
    OutgoingMessage,
    Recipient,
    Send,
    SendStatus,
)
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.outbound import OutboundPolicy
from tests.channels.sms.fake_provider import SID, TOKEN, FakeProvider, fake_provider
from tests.factories import StoreHandle

SENDER = "+4930901820"
PUBLIC = "https://desk.example.com"


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as running:
        yield running


def configure(db: Database, store: StoreHandle, base_url: str, **overrides: Any) -> None:
    values: dict[str, Any] = {
        "base_url": base_url,
        "account_sid": SID,
        "auth_token": TOKEN,
        "sender": SENDER,
        "default_region": "DE",
        "enabled": True,
        "policy": OutboundPolicy(allow_private_network=True),
    }
    db.write(save_sms_settings, store.actor, store.id, **(values | overrides))


@pytest.fixture
def sms_store(db: Database, store: StoreHandle, provider: FakeProvider) -> StoreHandle:
    configure(db, store, provider.base_url)
    return store


@pytest.fixture
def adapter(db: Database) -> SmsAdapter:
    return SmsAdapter(
        public_base_url=PUBLIC, policy=OutboundPolicy(allow_private_network=True), database=db, timeout=2.0
    )


def add_customer(db: Database, store: StoreHandle, phone: str | None, **fields: Any) -> int:
    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        customer = Customer(
            store_id=store.id,
            phone=phone,
            source="api",
            created_at=now,
            updated_at=now,
            tags=[],
            attributes=fields.pop("attributes", {}),
            preferences={},
            **fields,
        )
        uow.session.add(customer)
        uow.session.flush()
        return customer.id

    return db.write(create)


@pytest.fixture
def customer_factory(db: Database) -> Callable[..., int]:
    return lambda store, phone, **fields: add_customer(db, store, phone, **fields)


def message_to(
    store: StoreHandle, address: str, *, key: str = "rule:1:step:0:cust:1:occ:1", send_id: int = 1
) -> OutgoingMessage:
    return OutgoingMessage(
        store_id=store.id,
        send_id=send_id,
        idempotency_key=key,
        channel=Channel.SMS,
        category=MessageCategory.MARKETING,
        recipient=Recipient(customer_id=1, address=address),
        subject="",
        text="Your points expire in 7 days.",
    )


def make_send(db: Database, store: StoreHandle, customer_id: int, provider_id: str | None, key: str) -> int:
    """A send as the engine leaves it after the provider accepted it."""

    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        send = Send(
            store_id=store.id,
            customer_id=customer_id,
            channel=Channel.SMS.value,
            category=MessageCategory.MARKETING.value,
            content={"text": "hello"},
            idempotency_key=key,
            status=SendStatus.SENT.value,
            due_at=now - timedelta(minutes=1),
            attempts=1,
            provider_id=provider_id,
            created_at=now,
            sent_at=now,
        )
        uow.session.add(send)
        uow.session.flush()
        return send.id

    return db.write(create)
