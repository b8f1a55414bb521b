"""The dialogue's tests share one world of fakes standing in for the intent model, the help center and a
tool (their contracts: ``assistant.ports``, ``assistant.tools.registry``)."""

from __future__ import annotations

import pytest

from loyaldesk.assistant import ports
from loyaldesk.assistant.tools import registry
from tests.assistant.dialogue.helpers import FakeTool, fake_articles, fake_intents, order_status_answer


@pytest.fixture
def assistant_world(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeTool]:
    """The fake reader, finder and an order-status tool, for one test (put back afterwards)."""
    monkeypatch.setattr(ports, "_intent_reader", fake_intents)
    monkeypatch.setattr(ports, "_article_finder", fake_articles)
    tool = FakeTool("order_status", ("order_status",), order_status_answer)
    monkeypatch.setattr(registry, "_TOOLS", {**registry.registered_tools(), "order_status": tool})
    return {"order_status": tool}
