"""Fixtures of the assistant's tools: a store driven through its API (``tests.loyalty.shop.Shop``),
chats opened the way the widget opens them, tools called with a unit of work as the dialogue calls them,
and the points ledger's invariants checked after every test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loyaldesk.assistant.tools import verified_orders
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, tool_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.support.actions import post_customer_message
from loyaldesk.support.actions.contacts import identify_contact
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop


@pytest.fixture
def shop(client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    return shop


@pytest.fixture(autouse=True)
def ledger_invariants_hold(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used a database, every invariant of the points ledger holds."""
    yield
    url = request.node.funcargs.get("database_url")
    if url is None:
        return
    database = Database(url)
    try:
        with database.read() as session:
            assert check_ledger(session) == [], "the ledger's invariants are broken after this test"
    finally:
        database.dispose()


@dataclass
class Chat:
    """One chat as the dialogue would hold it: the store, the conversation, who is asking."""

    db: Database
    store_id: int
    conversation_id: int
    customer_id: int | None
    language: str = "en"
    calls: list[ToolResult] = field(default_factory=list)

    def asker(self, **overrides: Any) -> Asker:
        with self.db.read() as session:
            proven = verified_orders(session, self.conversation_id)
        values: dict[str, Any] = {
            "store_id": self.store_id,
            "conversation_id": self.conversation_id,
            "customer_id": self.customer_id,
            "verified_order_ids": proven,
            "language": self.language,
        }
        values.update(overrides)
        return Asker(**values)

    def ask(self, intent: str, text: str = "", key: str | None = None, asker: Asker | None = None,
            **slots: str) -> ToolResult:  # fmt: skip
        """Call the tool registered for ``intent`` in one write transaction, as the dialogue does."""
        tool = tool_for(intent)
        assert tool is not None, f"no tool for {intent}"
        request = ToolRequest(intent=intent, text=text or intent, slots=slots, idempotency_key=key)
        who = asker or self.asker()
        result = self.db.write(lambda uow: tool(uow, who, request))
        self.calls.append(result)
        return result


def open_chat(db: Database, store_id: int, customer_id: int | None, language: str = "en") -> Chat:
    """A chat opened from the widget: a verified customer's, or an anonymous visitor's."""

    def start(uow):  # type: ignore[no-untyped-def]
        contact = identify_contact(uow, store_id, customer_id=customer_id, visitor_token=None)
        message = post_customer_message(uow, contact.contact_id, body="Hello")
        return message.conversation_id

    conversation_id = db.write(start)
    return Chat(db, store_id, conversation_id, customer_id, language)
