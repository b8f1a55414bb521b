"""``return_item``: start a return of a delivered (or shipped) order within the store's return window
(``SupportSettings.return_window_days`` after delivery, or after fulfilment when no delivery is known).
It creates a ``ReturnRequest`` the team sees on the console's returns page and emits
``assistant.return_requested`` for the store's backend. Safe to repeat: one request per key, and one open
request per order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from loyaldesk.assistant.tools.access import aware
from loyaldesk.assistant.tools.common import (
    day,
    in_language,
    iso,
    order_asked_about,
    order_facts,
    order_name,
)
from loyaldesk.assistant.tools.events import ReturnRequested
from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.assistant.tools.vocab import ReturnStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _
from loyaldesk.stores import store_by_id
from loyaldesk.support import settings_for

DEFAULT_RETURN_WINDOW_DAYS = 30


def answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = ReturnItemTool.name
    session = uow.session
    order = order_asked_about(uow, asker, request, tool)
    if isinstance(order, ToolResult):
        return order
    store = store_by_id(session, asker.store_id)
    facts = order_facts(order)
    received = order.delivered_at or order.fulfilled_at
    if order.status == "cancelled" or received is None:
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _(
                "Order {order} has not been shipped, so there is nothing to return yet. If you no longer "
                "want it, I can ask the team to cancel it.",
                order=order_name(order),
            ),
            {**facts, "reason": "not_shipped"},
            (order.id,),
        )
    days = settings_for(uow, asker.store_id).return_window_days
    window_ends = aware(received) + timedelta(days=DEFAULT_RETURN_WINDOW_DAYS if days is None else days)
    facts = {**facts, "return_window_days": days, "return_window_ends_at": iso(window_ends)}
    if uow.now() > window_ends:
        return ToolResult(
            tool,
            ToolStatus.REFUSED,
            _(
                "The return window for order {order} ended on {day} ({days} days after it arrived), so I "
                "cannot start a return. A person can look at it with you if something is wrong.",
                order=order_name(order),
                day=day(window_ends, store),
                days=days,
            ),
            {**facts, "reason": "window_ended"},
            (order.id,),
        )
    key = (request.idempotency_key or f"conversation:{asker.conversation_id}:{order.id}")[:200]
    existing = session.scalar(
        select(ReturnRequest)
        .where(
            ReturnRequest.store_id == asker.store_id,
            (ReturnRequest.request_key == key)
            | ((ReturnRequest.order_id == order.id) & (ReturnRequest.status == ReturnStatus.REQUESTED.value)),
        )
        .limit(1)
    )
    if existing is None:
        now = uow.now()
        existing = ReturnRequest(
            store_id=asker.store_id,
            order_id=order.id,
            customer_id=order.customer_id,
            conversation_id=asker.conversation_id,
            status=ReturnStatus.REQUESTED.value,
            reason=(request.slots.get("reason") or "").strip()[:2000],
            request_key=key,
            window_ends_at=window_ends,
            created_at=now,
            updated_at=now,
        )
        session.add(existing)
        session.flush()
        uow.emit(
            ReturnRequested(
                store_id=asker.store_id,
                customer_id=order.customer_id,
                order_id=order.id,
                order_number=order_name(order),
                return_request_id=existing.id,
                conversation_id=asker.conversation_id,
            )
        )
    reference = "R-" + str(existing.id)  # how the team's page names it
    return ToolResult(
        tool,
        ToolStatus.DONE,
        _(
            "I have started a return for order {order} (return request {request}). The team will send you "
            "the return instructions; returns are open until {day}.",
            order=order_name(order),
            request=reference,
            day=day(window_ends, store),
        ),
        {**facts, "return_request_id": existing.id, "return_status": existing.status},
        (order.id,),
    )


@dataclass
class ReturnItemTool:
    """Start a return within the store's return window."""

    name: str = "return_item"
    intents: tuple[str, ...] = ("return_item",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(answer)(uow, asker, request)
