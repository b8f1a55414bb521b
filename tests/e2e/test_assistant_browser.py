"""The assistant in two real browsers: a signed-in shopper asks the chat widget about an order and gets
the tool's answer under the assistant's name, then asks for a person; the agent sees the hand-off packet
and the assistant's panel in the inbox and answers; the assistant says nothing after the hand-off.

The order tool is a small fake of the tools' contract (the real ones are tested with their own data);
the server's background runner is off in tests, so a thread here runs the dispatcher as it would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from loyaldesk.assistant import ports
from loyaldesk.assistant.tools import registry
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from tests.assistant.dialogue.helpers import (
    FakeTool,
    enable_assistant,
    fake_articles,
    fake_intents,
    order_status_answer,
)
from tests.e2e.test_live_chat_browser import (
    _log_in_to_the_inbox,
    _member_with_an_order,
    _open_the_conversation,
    _open_the_widget_signed_in,
    _send_from_the_widget,
)
from tests.factories import StoreHandle

pytestmark = pytest.mark.e2e


@pytest.fixture
def background(db: Database) -> Iterator[None]:
    """What the server's background runner does after each commit: run the handlers."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            dispatch_until_idle(db)
            time.sleep(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def test_the_assistant_answers_hands_off_and_then_stays_silent(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
    background: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ports, "_intent_reader", fake_intents)
    monkeypatch.setattr(ports, "_article_finder", fake_articles)
    tool = FakeTool("order_status", ("order_status",), order_status_answer)
    monkeypatch.setattr(registry, "_TOOLS", {**registry.registered_tools(), "order_status": tool})
    enable_assistant(db, store)
    _member_with_an_order(live_server, db, store)
    _log_in_to_the_inbox(page, live_server, db, store, password_hash)

    _open_the_widget_signed_in(shopper, live_server, db, store)
    _send_from_the_widget(shopper, "where is my order 1001")
    widget = shopper.locator(".ldw-messages")
    answer = widget.locator(".ldw-from-assistant[data-message-id]").filter(has_text="Order #1001 was shipped")
    answer.wait_for()
    assert "Juno" in answer.inner_text()  # under the assistant's name
    _send_from_the_widget(shopper, "Can I talk to a person please")
    widget.locator(".ldw-from-assistant").filter(has_text="passing you to a person").wait_for()

    conversation_id = _open_the_conversation(page, live_server, store)
    thread = page.locator("[data-message-list]")
    packet = thread.locator(".message-internal").filter(has_text="Handed to a person by the assistant")
    packet.wait_for()
    assert "asked for a person" in packet.inner_text() and "order_status" in packet.inner_text()
    panel = page.locator("[data-assistant-panel]")
    panel.wait_for()
    assert "Handed to people" in panel.inner_text()
    assert panel.get_by_role("button", name="Hand back to Juno").is_visible()

    page.get_by_label("Reply to Emma").fill("Hi Emma, I'm Alex from the team. How can I help?")
    page.get_by_role("button", name="Send", exact=True).click()
    widget.locator(".ldw-from-agent[data-message-id]").filter(has_text="I'm Alex").wait_for()
    assistant_messages = widget.locator(".ldw-from-assistant").count()
    _send_from_the_widget(shopper, "hi")  # a greeting the assistant would answer, were it not handed off
    thread.locator(".message-customer").filter(has_text="hi").last.wait_for()
    time.sleep(1.0)  # the dispatcher runs every 50 ms: ample time to answer, had it wanted to
    assert widget.locator(".ldw-from-assistant").count() == assistant_messages
    assert conversation_id > 0
