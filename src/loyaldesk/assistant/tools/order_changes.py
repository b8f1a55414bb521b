"""``cancel_order`` and ``change_address``: before an order is fulfilled the shopper may ask to cancel it
or to ship it elsewhere. The tool does not change the order itself (the store's backend owns it): it
creates a task for the team (journeys' ``TeamTask``, on the tasks page) and emits
``assistant.order_change_requested``, which reaches the store's backend through its outgoing webhooks
(signed, retried) when an endpoint subscribes to it. Once the order is fulfilled it is ``REFUSED``, with
the reason. Safe to repeat: one task per request key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.assistant.tools.common import (
    in_language,
    order_asked_about,
    order_facts,
    order_name,
)
from loyaldesk.assistant.tools.events import OrderChangeRequested
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.assistant.tools.vocab import OrderChangeKind
from loyaldesk.commerce import Order, OrderStatus
from loyaldesk.journeys import TeamTask
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _

OPEN_STAGES = frozenset({OrderStatus.PLACED, OrderStatus.PAID})
MAX_ADDRESS = 500


def _refusal(order: Order) -> str:
    name = order_name(order)
    if order.status == OrderStatus.CANCELLED:
        return _("Order {order} is already cancelled.", order=name)
    return _(
        "Order {order} has already been shipped, so it can no longer be changed or cancelled. Once it "
        "arrives you can start a return.",
        order=name,
    )


def _request_change(uow: UnitOfWork, asker: Asker, request: ToolRequest, kind: OrderChangeKind) -> ToolResult:
    tool = kind.value if kind is OrderChangeKind.CHANGE_ADDRESS else "cancel_order"
    session = uow.session
    order = order_asked_about(uow, asker, request, tool)
    if isinstance(order, ToolResult):
        return order
    facts = order_facts(order)
    if OrderStatus(order.status) not in OPEN_STAGES:
        return ToolResult(tool, ToolStatus.REFUSED, _refusal(order), facts, (order.id,))
    address = (request.slots.get("address") or "").strip()[:MAX_ADDRESS]
    if kind is OrderChangeKind.CHANGE_ADDRESS and not address:
        return ToolResult(
            tool,
            ToolStatus.NEEDS_SLOT,
            _(
                "Where should order {order} go instead? Please write the full new address.",
                order=order_name(order),
            ),
            facts,
            (order.id,),
            missing="address",
        )
    reason = (request.slots.get("reason") or "").strip()[:1000]
    key = request.idempotency_key or f"conversation:{asker.conversation_id}:{order.id}"
    task_key = f"assistant:{asker.store_id}:{kind.value}:{key}"[:200]
    task_id = session.scalar(select(TeamTask.id).where(TeamTask.idempotency_key == task_key))
    if task_id is None:
        details = [f"Order {order_name(order)} (id {order.id}), asked in the chat"]
        if asker.conversation_id is not None:
            details.append(f"conversation #{asker.conversation_id}")
        if address:
            details.append(f"new address: {address}")
        if reason:
            details.append(f"reason: {reason}")
        task = TeamTask(
            store_id=asker.store_id,
            rule_id=None,
            customer_id=order.customer_id,
            title=f"{kind.label}: order {order_name(order)}",
            details="; ".join(details),
            status="open",
            idempotency_key=task_key,
            created_at=uow.now(),
        )
        session.add(task)
        session.flush()
        task_id = task.id
        uow.emit(
            OrderChangeRequested(
                store_id=asker.store_id,
                customer_id=order.customer_id,
                order_id=order.id,
                order_number=order_name(order),
                kind=kind.value,
                team_task_id=task.id,
                conversation_id=asker.conversation_id,
            )
        )
    if kind is OrderChangeKind.CANCEL:
        text = _(
            "I have asked the team to cancel order {order}. You will hear from us as soon as it is done.",
            order=order_name(order),
        )
    else:
        text = _(
            "I have asked the team to send order {order} to the new address. You will hear from us once it "
            "is changed.",
            order=order_name(order),
        )
    return ToolResult(
        tool, ToolStatus.DONE, text, {**facts, "kind": kind.value, "team_task_id": task_id}, (order.id,)
    )


@dataclass
class CancelOrderTool:
    """Ask the team (and the store's backend) to cancel an unfulfilled order."""

    name: str = "cancel_order"
    intents: tuple[str, ...] = ("cancel_order",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(lambda u, a, r: _request_change(u, a, r, OrderChangeKind.CANCEL))(
            uow, asker, request
        )


@dataclass
class ChangeAddressTool:
    """Ask the team (and the store's backend) to ship an unfulfilled order to a new address."""

    name: str = "change_address"
    intents: tuple[str, ...] = ("change_address",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(lambda u, a, r: _request_change(u, a, r, OrderChangeKind.CHANGE_ADDRESS))(
            uow, asker, request
        )
