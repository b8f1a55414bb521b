"""Helpers for the dialogue's tests: the store's assistant switched on, a small intent reader and article
finder standing in for the model and the help center (the contracts of ``assistant.ports``), small tools
registered for one test, and the shopper's widget over its WebSocket."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from loyaldesk.assistant import ports
from loyaldesk.assistant.dialog.settings import save_assistant_settings
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.support import Message
from tests.factories import StoreHandle
from tests.support.desk import receive_until

ASSISTANT_NAME = "Juno"


def enable_assistant(db: Database, store: StoreHandle, **changes: Any) -> None:
    values: dict[str, Any] = {
        "enabled": True,
        "display_name": ASSISTANT_NAME,
        "people_first_tiers": [],
        "low_confidence_limit": 2,
    }
    values.update(changes)
    db.write(
        save_assistant_settings,
        store.actor,
        store.id,
        policy=OutboundPolicy(allow_private_network=True),
        **values,
    )


# Keyword → intent, as a trained model would read these test sentences.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("person", "talk_to_person"),
    ("order", "order_status"),
    ("parcel", "order_status"),
    ("points", "points_balance"),
    ("ship", "delivery_options"),
    ("return", "returns"),
    ("damaged", "returns"),
)


def fake_intents(session: Session, store_id: int, texts: Sequence[str]) -> list[ports.Prediction]:
    predictions = []
    for text in texts:
        folded = text.casefold()
        intent = next((name for word, name in KEYWORDS if word in folded), None)
        predictions.append(ports.Prediction(intent, 0.9 if intent else 0.2))
    return predictions


SHIPPING = ports.ArticleHit(
    article_id=12,
    title="Shipping times",
    url="https://help.example.com/acme/articles/12-shipping-times",
    snippet="We ship every order within 2 working days from our warehouse in Leipzig.",
    score=0.8,
)


def fake_articles(
    session: Session, store_id: int, text: str, language: str, limit: int
) -> list[ports.ArticleHit]:
    folded = text.casefold()
    return [SHIPPING][:limit] if "ship" in folded or "deliver" in folded else []


@dataclass
class FakeTool:
    """A tool answering ``intents`` with ``answer(asker, request)``; it keeps what it was asked."""

    name: str
    intents: tuple[str, ...]
    answer: Callable[[Asker, ToolRequest], ToolResult]
    calls: list[tuple[Asker, ToolRequest]] = field(default_factory=list)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        self.calls.append((asker, request))
        return self.answer(asker, request)


def order_status_answer(asker: Asker, request: ToolRequest) -> ToolResult:
    """Fake data: order 1001 of the verified shopper; the number is asked for when missing."""
    if asker.customer_id is None:
        return ToolResult("order_status", ToolStatus.NEEDS_IDENTITY, "Please sign in first.")
    number = request.slots.get("order_number")
    if number is None:
        return ToolResult("order_status", ToolStatus.NEEDS_SLOT, "", missing="order_number")
    if number != "1001":
        return ToolResult("order_status", ToolStatus.NOT_FOUND, "I can't find that order on your account.")
    return ToolResult(
        "order_status",
        ToolStatus.ANSWERED,
        "Order #1001 was shipped on 3 Dec with DHL, tracking 00340434161094042557.",
        facts={"order_number": "1001", "status": "shipped", "carrier": "DHL", "shipped_on": "3 Dec"},
        order_ids=(),
    )


def replies_after(ws: WebSocketTestSession, db: Database) -> dict[str, Any]:
    """Let the assistant react (the server's background runner does this right after the commit), then
    the message it posted, as the widget receives it."""
    dispatch_until_idle(db)
    frame = receive_until(
        ws,
        lambda f: (
            f.get("type") == "event"
            and f.get("event") == "conversation.message_posted"
            and f["data"]["message"]["author_kind"] == "assistant"
        ),
    )
    return frame["data"]["message"]  # type: ignore[no-any-return]


def messages_of(db: Database, conversation_id: int) -> list[Message]:
    with db.read() as session:
        rows = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        ).all()
        session.expunge_all()
        return list(rows)


@contextmanager
def widget(client: Any, store: StoreHandle) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect(f"/ws/widget/{store.slug}") as ws:
        yield ws
