"""Fixtures of the journeys tests: a store, a way to write rules, a recording channel, and the engine's
passes (dispatch, run, deliver, scan) driven by hand with the fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.journeys import DeliveryResult, DeliveryStatus, OutgoingMessage, register_adapter
from loyaldesk.journeys.actions.deliver import DeliveryConfig, deliver_due
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.actions.run_steps import run_due
from loyaldesk.journeys.actions.scan import scan_rules
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from tests.factories import StoreHandle

CONFIG = DeliveryConfig(base_url="https://desk.example.com", secret_source=lambda: "test-secret")


@dataclass
class RecordingChannel:
    """A channel that records what it was handed and answers what the test tells it to."""

    channel: str
    answers: list[DeliveryStatus] = field(default_factory=list)
    delivered: list[OutgoingMessage] = field(default_factory=list)
    address: str | None = "somewhere"

    def address_of(self, session: Any, store_id: int, customer_id: int, /) -> str | None:
        return self.address

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        status = self.answers.pop(0) if self.answers else DeliveryStatus.SENT
        if status is DeliveryStatus.SENT:
            self.delivered.append(message)
        return DeliveryResult(
            status, provider_id=f"p-{message.send_id}", error=None if status is DeliveryStatus.SENT else "no"
        )


@pytest.fixture
def webhook_channel() -> Iterator[RecordingChannel]:
    saved = ADAPTERS.get("webhook")
    channel = RecordingChannel("webhook")
    register_adapter(channel)
    yield channel
    if saved is not None:
        register_adapter(saved)


@dataclass
class Engine:
    db: Database
    clock: FakeClock
    store: StoreHandle

    def rule(self, **fields: Any) -> int:
        data = RuleIn(**{"name": "Test rule", "enabled": True, **fields})
        return self.db.write(save_rule, self.store.actor, self.store.id, data).id

    def customer(self, external_id: str = "c-1", **profile: Any) -> int:
        result = self.db.write(
            upsert_customer, self.store.actor, self.store.id, external_id, CustomerProfile(**profile)
        )
        return int(result.customer.id)

    def settle(self) -> None:
        """Everything due now: events handled, runs advanced, messages delivered (until quiet)."""
        for _ in range(10):
            done = dispatch_until_idle(self.db)
            done += self.db.write(run_due)
            done += deliver_due(self.db, CONFIG)
            if not done:
                return

    def scan(self) -> int:
        return self.db.write(scan_rules)

    def later(self, **delta: float) -> None:
        from datetime import timedelta

        self.clock.advance(timedelta(**delta))
        self.settle()


@pytest.fixture
def engine(db: Database, clock: FakeClock, store: StoreHandle) -> Engine:
    return Engine(db, clock, store)
