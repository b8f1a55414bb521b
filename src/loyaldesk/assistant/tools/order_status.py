"""``order_status`` / ``track_order``: where the asker's order is: its stage, its items, when it was
shipped, with which carrier and tracking, and when it arrived; quoted from the order, never guessed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.assistant.tools.access import clean_order_number, has_identity, visible_order
from loyaldesk.assistant.tools.common import (
    day,
    in_language,
    iso,
    order_facts,
    order_name,
    order_not_found,
    orders_need_identity,
)
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.commerce import Order, OrderLine, OrderStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _
from loyaldesk.stores import Store, store_by_id


def _stage_sentence(order: Order, store: Store) -> str:
    name = order_name(order)
    status = OrderStatus(order.status)
    if status is OrderStatus.CANCELLED:
        return _("Order {order} was cancelled on {day}.", order=name, day=day(order.cancelled_at, store))
    if status is OrderStatus.DELIVERED:
        return _("Order {order} was delivered on {day}.", order=name, day=day(order.delivered_at, store))
    if status is OrderStatus.FULFILLED:
        if order.carrier:
            return _(
                "Order {order} was shipped on {day} with {carrier}.",
                order=name,
                day=day(order.fulfilled_at, store),
                carrier=order.carrier,
            )
        return _("Order {order} was shipped on {day}.", order=name, day=day(order.fulfilled_at, store))
    if status is OrderStatus.PAID:
        return _(
            "Order {order} was paid on {day} and is being prepared; it has not been shipped yet.",
            order=name,
            day=day(order.paid_at or order.placed_at, store),
        )
    return _(
        "Order {order} was placed on {day}; we are waiting for its payment.",
        order=name,
        day=day(order.placed_at, store),
    )


def answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    session = uow.session
    if not has_identity(session, asker):
        return orders_need_identity(OrderStatusTool.name)
    typed = (request.slots.get("order_number") or "").strip()
    number = clean_order_number(typed)
    # A number that cannot be one answers like any order not found (never "your latest order" instead).
    order = None if typed and number is None else visible_order(session, asker, number)
    if order is None:
        return order_not_found(OrderStatusTool.name)
    store = store_by_id(session, asker.store_id)
    lines = list(
        session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position))
    )
    sentences = [_stage_sentence(order, store)]
    if order.tracking_number and order.status in (OrderStatus.FULFILLED, OrderStatus.DELIVERED):
        sentences.append(_("Tracking number: {number}.", number=order.tracking_number))
    if order.tracking_url and order.status in (OrderStatus.FULFILLED, OrderStatus.DELIVERED):
        sentences.append(_("Follow the parcel here: {url}", url=order.tracking_url))
    if lines:
        items = ", ".join(f"{line.quantity} x {line.title}" for line in lines)
        sentences.append(_("Items: {items}.", items=items))
    facts = {
        **order_facts(order),
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.fulfilled_at),
        "delivered_at": iso(order.delivered_at),
        "cancelled_at": iso(order.cancelled_at),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "items": [{"title": line.title, "sku": line.sku, "quantity": line.quantity} for line in lines],
    }
    return ToolResult(OrderStatusTool.name, ToolStatus.ANSWERED, " ".join(sentences), facts, (order.id,))


@dataclass
class OrderStatusTool:
    """Order status and tracking for an order the asker may see (``order_number`` slot, else their
    latest order)."""

    name: str = "order_status"
    intents: tuple[str, ...] = ("order_status", "track_order")

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(answer)(uow, asker, request)
