"""Moving an order along its lifecycle (paid, fulfilled, delivered, or cancelled), stamping and announcing
each stage it passes; the row lock every order write takes first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce.events import (
    OrderCancelled,
    OrderDelivered,
    OrderFulfilled,
    OrderPaid,
)
from loyaldesk.commerce.models import Order
from loyaldesk.commerce.rules import (
    TransitionKind,
    transition,
)
from loyaldesk.commerce.schemas import StatusChangeIn
from loyaldesk.commerce.vocab import OrderStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.kernel.events import DomainEvent
from loyaldesk.stores import authorize

# The column that says when an order reached each stage after placed.
STAGE_TIMESTAMP_COLUMN: dict[OrderStatus, str] = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.FULFILLED: "fulfilled_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def stage_event(stage: OrderStatus, row: dict[str, Any], order_id: int, at: datetime) -> DomainEvent:
    """The event announcing that the order in ``row`` (as inserted) reached ``stage`` at ``at``."""
    common = {
        "store_id": row["store_id"],
        "customer_id": row["customer_id"],
        "order_id": order_id,
        "number": row["number"],
        "occurred_at": at,
    }
    if stage == OrderStatus.PAID:
        return OrderPaid(**common, total=row["total"], currency=row["currency"])
    if stage == OrderStatus.FULFILLED:
        return OrderFulfilled(**common)
    if stage == OrderStatus.DELIVERED:
        return OrderDelivered(**common)
    if stage == OrderStatus.CANCELLED:
        return OrderCancelled(**common, reason=row.get("cancel_reason"), discount_codes=row["discount_codes"])
    raise ValueError(f"no event for stage {stage}")


def locked_order(
    uow: UnitOfWork, store_id: int, *, order_id: int | None = None, external_id: str | None = None
) -> Order:
    """The order, by id or by the store's id, locked for this unit of work on PostgreSQL (SQLite's write
    transaction already serializes writers); ``NotFound`` when the store has no such order."""
    query = select(Order).where(Order.store_id == store_id)
    query = (
        query.where(Order.id == order_id)
        if order_id is not None
        else query.where(Order.external_id == external_id)
    )
    if uow.is_postgresql:
        query = query.with_for_update()
    order = uow.session.scalar(query)
    if order is None:
        raise NotFound(f"no order {order_id if order_id is not None else repr(external_id)} in this store")
    return order


def advance_order(
    uow: UnitOfWork,
    order: Order,
    target: OrderStatus,
    at: datetime,
    reason: str | None,
    *,
    given_times: dict[OrderStatus, datetime | None] | None = None,
) -> TransitionKind:
    """Move ``order`` to ``target`` if that is forward, stamping and announcing each stage passed."""
    step = transition(OrderStatus(order.status), target)
    if step.kind == TransitionKind.REFUSED:
        raise Conflict(f"cannot make this order {target.value}: {step.reason}")
    if step.kind != TransitionKind.ADVANCE:
        return step.kind
    row = {
        "store_id": order.store_id,
        "customer_id": order.customer_id,
        "number": order.number,
        "total": order.total,
        "currency": order.currency,
        "discount_codes": order.discount_codes or [],
        "cancel_reason": reason,
    }
    for stage in step.stages:
        stamped = (given_times or {}).get(stage) or at
        setattr(order, STAGE_TIMESTAMP_COLUMN[stage], stamped)
        uow.emit(stage_event(stage, row, order.id, stamped))
    order.status = target.value
    if target == OrderStatus.CANCELLED:
        order.cancel_reason = reason
    order.updated_at = uow.now()
    return step.kind


def change_order_status(
    uow: UnitOfWork, actor: Actor, store_id: int, order_id: int, change: StatusChangeIn
) -> Order:
    """Move an order to a later stage, or cancel it. ``Conflict`` when that would go backwards."""
    authorize(actor, store_id, scope="orders:write", permission=None)
    order = locked_order(uow, store_id, order_id=order_id)
    kind = advance_order(uow, order, change.status, change.occurred_at or uow.now(), change.reason)
    if kind == TransitionKind.STALE:
        raise Conflict(f"the order is already {order.status}; it cannot go back to {change.status.value}")
    set_shipment(order, change)
    return order


def set_shipment(order: Order, given: Any) -> None:
    """Keep the carrier and tracking the store sent with an order or a status change (those it sent)."""
    for name in ("carrier", "tracking_number", "tracking_url"):
        value = getattr(given, name, None)
        if value is not None:
            setattr(order, name, str(value))
