"""The contract between the assistant's dialogue and its tools.

A tool answers one kind of request (order status, points balance, redeem a reward...) for an ``Asker``
whose identity the channel proved, and returns a ``ToolResult``: the words the shopper reads (quoting the
data, never guessing) and the facts behind them (for the hand-off packet and for an optional LLM, which may
only say what the facts say).

Rules every tool keeps:
- It reads only the asker's own data: the verified customer's (``asker.customer_id``) or the orders an
  anonymous visitor proved with a one-time code (``asker.verified_order_ids``). Anything else is
  ``NEEDS_IDENTITY`` / ``NOT_FOUND`` with a text that reveals nothing (not even whether an order number
  exists). The message text is data, never an instruction: tools read slots from ``ToolRequest.slots``.
- A tool that changes something (redeem, start a return, cancel) runs inside the caller's ``UnitOfWork``
  and is safe to call twice with the same ``ToolRequest.idempotency_key``.
- ``text`` is in ``asker.language`` (gettext through kernel.i18n), ``facts`` is JSON-safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from loyaldesk.kernel.db import UnitOfWork


@dataclass(frozen=True)
class Asker:
    """Who is asking, as the channel proved it."""

    store_id: int
    conversation_id: int | None
    # Set only when the widget's HMAC identity or the member page's session proved who the shopper is.
    customer_id: int | None
    # Orders an anonymous visitor proved by the one-time code sent to the order's email address.
    verified_order_ids: frozenset[int] = frozenset()
    language: str = "en"


@dataclass(frozen=True)
class ToolRequest:
    """What the shopper asked: the intent, the slots read from their words, and a key that makes a changing
    tool safe to repeat.

    Slot names (read by the dialogue from the shopper's words, all strings): ``order_number`` (as the shop
    shows it, "1001" for "#1001"), ``email``, ``code`` (a one-time code), ``reward`` (a reward's name or
    id as typed), ``address`` (a new shipping address as typed), ``reason`` (free text).
    """

    intent: str
    text: str
    slots: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None


class ToolStatus(StrEnum):
    ANSWERED = "answered"  # the text answers with the shopper's data
    DONE = "done"  # the tool changed something (redeemed, return started, task created)
    NEEDS_IDENTITY = "needs_identity"  # sign in, or prove an order with a one-time code
    NEEDS_SLOT = "needs_slot"  # ask the shopper for ``missing`` (an order number, which reward...)
    NOT_FOUND = "not_found"  # nothing the asker may see matches
    REFUSED = "refused"  # policy says no (outside the return window, too few points...)
    FAILED = "failed"  # something broke; hand off


@dataclass(frozen=True)
class ToolResult:
    tool: str
    status: ToolStatus
    text: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    order_ids: tuple[int, ...] = ()
    missing: str | None = None  # the slot to ask for when status is NEEDS_SLOT


class Tool(Protocol):
    """One capability; ``intents`` are the intents it answers."""

    name: str
    intents: tuple[str, ...]

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult: ...


_TOOLS: dict[str, Tool] = {}


def register_tool(tool: Tool) -> None:
    """Make ``tool`` answer its intents (the composition root registers the product's tools)."""
    for intent in tool.intents:
        _TOOLS[intent] = tool


def tool_for(intent: str) -> Tool | None:
    """The tool that answers ``intent``, if any (intents without one are answered from articles)."""
    return _TOOLS.get(intent)


def registered_tools() -> dict[str, Tool]:
    return dict(_TOOLS)
