"""What every tool shares: the answers that reveal nothing (no identity, nothing found), asking for a
missing slot, and the order's words (its number and day) in the asker's language.

The texts here are deliberately the same whatever the reason: "not found" reads the same for another
customer's order and for a number that does not exist, so a guess learns nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from loyaldesk.assistant.tools.access import clean_order_number, has_identity, visible_order
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.commerce import Order
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _, format_day, use_language
from loyaldesk.stores import Store

Answer = Callable[[UnitOfWork, Asker, ToolRequest], ToolResult]


def in_language(answer: Answer) -> Answer:
    """Run ``answer`` with the asker's language active, so ``_()`` and the formatting follow it."""

    def run(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        with use_language(asker.language):
            return answer(uow, asker, request)

    return run


def order_not_found(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.NOT_FOUND,
        _(
            "I could not find that order among yours. Please check the order number, or ask for a person "
            "and we will look into it."
        ),
        {"reason": "no_visible_order"},
    )


def orders_need_identity(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.NEEDS_IDENTITY,
        _(
            "To show you an order I need to know it is yours: sign in, or tell me the order number and the "
            "email address you used, and I will send a one-time code to that address."
        ),
        {"reason": "identity_required"},
    )


def membership_needs_identity(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.NEEDS_IDENTITY,
        _("Please sign in to your account so that I can see your points and rewards."),
        {"reason": "identity_required"},
    )


def needs_order_number(tool: str) -> ToolResult:
    return ToolResult(
        tool,
        ToolStatus.NEEDS_SLOT,
        _("Which order is it about? Please tell me its order number."),
        {"reason": "order_number_missing"},
        missing="order_number",
    )


def order_asked_about(uow: UnitOfWork, asker: Asker, request: ToolRequest, tool: str) -> Order | ToolResult:
    """The order the request names, if the asker may see it; else the answer to give instead (prove who
    you are, which order, or a "not found" that reveals nothing)."""
    if not has_identity(uow.session, asker):
        return orders_need_identity(tool)
    number = clean_order_number(request.slots.get("order_number"))
    if number is None:
        return needs_order_number(tool)
    order = visible_order(uow.session, asker, number)
    return order_not_found(tool) if order is None else order


def order_name(order: Order) -> str:
    """The order as the shop shows it: ``#1001``."""
    return order.number if order.number.startswith("#") else f"#{order.number}"


def day(value: datetime | None, store: Store) -> str | None:
    """The local day of ``value`` in the store's time zone, written in the active language."""
    return format_day(value, store.timezone) if value is not None else None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_facts(order: Order) -> dict[str, Any]:
    """The order's identifying facts every order answer carries (JSON-safe)."""
    return {
        "order_id": order.id,
        "order_number": order_name(order),
        "status": order.status,
        "placed_at": iso(order.placed_at),
    }
