"""How commerce plugs into the customer record: timeline lines, GDPR export and erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.commerce.actions import erase_order_personal_data
from loyaldesk.commerce.models import Order
from loyaldesk.commerce.queries import orders_out
from loyaldesk.customers import TimelineEntry, erasure_step, export_section, timeline_entry
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.money import format_money


@export_section("orders")
def export_orders(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]]:
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.store_id == store_id, Order.customer_id == customer_id)
            .order_by(Order.id)
        )
    )
    return [order.model_dump(mode="json") for order in orders_out(session, orders)]


@erasure_step("orders")
def erase_orders(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    erase_order_personal_data(uow, store_id, customer_id)


def _money(payload: dict[str, Any], key: str) -> str:
    return format_money(int(payload.get(key) or 0), str(payload.get("currency") or "EUR"))


def _link(event: StoredEvent) -> str | None:
    return f"orders/{event.subject_id}" if event.subject_id else None


@timeline_entry("order.placed")
def _placed(event: StoredEvent) -> TimelineEntry:
    count = event.payload.get("line_count", 0)
    items = f"{count} line{'s' if count != 1 else ''}"
    return TimelineEntry(
        title=f"Placed order {event.payload.get('number')}",
        detail=f"{_money(event.payload, 'total')}, {items}",
        link=_link(event),
    )


# order.paid is not on the timeline: payment nearly always comes with the order, and the order page
# shows when it was paid.


@timeline_entry("order.fulfilled")
def _fulfilled(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title=f"Order {event.payload.get('number')} shipped", link=_link(event))


@timeline_entry("order.delivered")
def _delivered(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title=f"Order {event.payload.get('number')} delivered", link=_link(event))


@timeline_entry("order.cancelled")
def _cancelled(event: StoredEvent) -> TimelineEntry:
    reason = event.payload.get("reason")
    return TimelineEntry(
        title=f"Order {event.payload.get('number')} cancelled", detail=reason, link=_link(event)
    )


@timeline_entry("order.edited")
def _edited(event: StoredEvent) -> TimelineEntry:
    before, after = _money(event.payload, "total_before"), _money(event.payload, "total")
    changes = "; ".join(event.payload.get("changes") or [])
    return TimelineEntry(
        title=f"Order {event.payload.get('number')} edited",
        detail=f"{changes} (total {before} → {after})",
        link=_link(event),
    )


@timeline_entry("order.refunded")
def _refunded(event: StoredEvent) -> TimelineEntry:
    what = "Returned goods from" if event.payload.get("kind") == "return" else "Refund on"
    detail = _money(event.payload, "amount")
    if event.payload.get("fully_refunded"):
        detail += " (order fully refunded)"
    return TimelineEntry(
        title=f"{what} order {event.payload.get('number')}", detail=detail, link=_link(event)
    )
