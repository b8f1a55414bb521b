"""Ingesting orders: create new orders and move known ones forward, in one batch.

Ingestion is idempotent on the store's own ids: an order sent twice is stored once, and sending an order
again with a later status moves it forward (emitting that stage's event). ``ingest_orders`` works on a
batch with bulk statements, so that one order and ten thousand take the same code path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce.actions.status import (
    STAGE_TIMESTAMP_COLUMN,
    advance_order,
    locked_order,
    set_shipment,
    stage_event,
)
from loyaldesk.commerce.events import (
    OrderPlaced,
)
from loyaldesk.commerce.models import Order, OrderLine
from loyaldesk.commerce.queries import order_out_from_rows
from loyaldesk.commerce.rules import (
    LineAmounts,
    TransitionKind,
    order_totals,
    stages_reached,
)
from loyaldesk.commerce.schemas import OrderIn, OrderOut
from loyaldesk.commerce.vocab import OrderStatus, RefundStatus, WriteOutcome
from loyaldesk.customers import Customer, CustomerProfile, CustomerRef, resolve_customers
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.bulk import bulk_insert, lookup_by_keys
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_inline
from loyaldesk.kernel.errors import DomainError, Invalid
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.stores import authorize

# What an order already stored becomes when it is sent again, by the transition its status asks for.
_OUTCOME_OF_TRANSITION: dict[TransitionKind, WriteOutcome] = {
    TransitionKind.ADVANCE: WriteOutcome.UPDATED,
    TransitionKind.NOOP: WriteOutcome.UNCHANGED,
    TransitionKind.STALE: WriteOutcome.STALE,
}


@dataclass
class IngestOutcome:
    """What became of one order of a batch."""

    index: int
    external_id: str
    outcome: WriteOutcome
    order_id: int | None = None
    error: DomainError | None = None
    # For a created order, its inserted row and line rows, to show it without reading it back.
    inserted: tuple[dict[str, Any], list[dict[str, Any]]] | None = None

    def created_order(self) -> OrderOut | None:
        """The created order as the API shows it (None unless this outcome created it)."""
        return order_out_from_rows(*self.inserted) if self.inserted else None


@dataclass
class _Prepared:
    index: int
    order: OrderIn
    row: dict[str, Any]
    lines: list[dict[str, Any]]
    stage_times: dict[OrderStatus, datetime]
    customer_ref: CustomerRef | None
    explicit_customer_id: int | None = None


def _stage_times(order: OrderIn, placed_at: datetime) -> dict[OrderStatus, datetime]:
    """When each stage of a new order happened: as sent, else as soon as the stage before it."""
    times = {OrderStatus.PLACED: placed_at}
    previous = placed_at
    for stage in stages_reached(order.status)[1:]:
        given = getattr(order, STAGE_TIMESTAMP_COLUMN[stage])
        previous = given if given is not None else previous
        times[stage] = previous
    return times


def _prepare(index: int, store_id: int, order: OrderIn, now: datetime, source: str) -> _Prepared:
    totals = order_totals(
        [LineAmounts(line.quantity, line.unit_price, line.discount) for line in order.lines],
        order_discount=order.order_discount,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        taxes_included=order.taxes_included,
        total=order.total,
    )
    placed_at = order.placed_at or now
    times = _stage_times(order, placed_at)
    email = order.email or (order.customer.email if order.customer else None)
    ref: CustomerRef | None = None
    if order.customer_id is None:
        if order.customer is not None and (order.customer.external_id or order.customer.email or email):
            # Already validated as part of the order: used as it is rather than validated again.
            profile: CustomerProfile = order.customer
            ref = CustomerRef(
                external_id=order.customer.external_id,
                email=order.customer.email or email,
                profile=profile,
                first_seen_at=placed_at,
            )
        elif email:
            ref = CustomerRef(email=email, first_seen_at=placed_at)
    row = {
        "store_id": store_id,
        "external_id": order.external_id,
        "number": order.number or f"#{order.external_id}",
        "customer_id": order.customer_id,
        "email": email,
        "currency": order.currency,
        "subtotal": totals.subtotal,
        "discount_total": totals.discount_total,
        "shipping_total": totals.shipping_total,
        "tax_total": totals.tax_total,
        "taxes_included": order.taxes_included,
        "total": totals.total,
        "refunded_total": 0,
        "status": order.status.value,
        "refund_status": RefundStatus.NONE.value,
        "discount_codes": list(order.discount_codes),
        "shipping_address": order.shipping_address,
        "source": source,
        "placed_at": placed_at,
        "paid_at": times.get(OrderStatus.PAID),
        "fulfilled_at": times.get(OrderStatus.FULFILLED),
        "delivered_at": times.get(OrderStatus.DELIVERED),
        "cancelled_at": times.get(OrderStatus.CANCELLED),
        "cancel_reason": order.cancel_reason if order.status == OrderStatus.CANCELLED else None,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": str(order.tracking_url) if order.tracking_url else None,
        "revision": 0,
        "lines_as_of": None,
        "created_at": now,
        "updated_at": now,
    }
    lines = [
        {
            "external_id": line.external_id,
            "position": position,
            "sku": line.sku,
            "product_external_id": line.product_id,
            "title": line.title,
            "category": line.category,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": discount,
            "total": line_total,
            "refunded_quantity": 0,
            "refunded_amount": 0,
            "revision": 0,
        }
        for position, (line, discount, line_total) in enumerate(
            zip(order.lines, totals.line_discounts, totals.line_totals, strict=True)
        )
    ]
    return _Prepared(index, order, row, lines, times, ref, order.customer_id)


def ingest_orders(
    uow: UnitOfWork, actor: Actor, store_id: int, orders: Sequence[OrderIn], *, source: str = "api"
) -> list[IngestOutcome]:
    """Create new orders and move known ones forward, all in this unit of work.

    Each order gets an outcome: created, updated (moved to a later stage), unchanged, stale (an older
    status than the one already recorded: ignored, as webhooks arrive out of order) or error (with the
    reason; the other orders of the batch are still stored).
    """
    authorize(actor, store_id, scope="orders:write", permission=None)
    now = uow.now()
    outcomes: list[IngestOutcome | None] = [None] * len(orders)
    prepared: list[_Prepared] = []
    for index, order in enumerate(orders):
        try:
            prepared.append(_prepare(index, store_id, order, now, source))
        except DomainError as error:
            outcomes[index] = IngestOutcome(index, order.external_id, WriteOutcome.ERROR, error=error)

    existing = _existing_orders(uow, store_id, [item.order.external_id for item in prepared])
    to_create: list[_Prepared] = []
    to_update: list[_Prepared] = []
    first_seen: set[str] = set()
    for item in prepared:
        external_id = item.order.external_id
        if external_id in existing or external_id in first_seen:
            to_update.append(item)
        else:
            first_seen.add(external_id)
            to_create.append(item)

    _check_explicit_customers(uow, store_id, to_create, outcomes)
    to_create = [item for item in to_create if outcomes[item.index] is None]
    _create_orders(uow, store_id, to_create, source, outcomes)
    for item in to_update:
        if outcomes[item.index] is None:
            outcomes[item.index] = _update_existing(uow, store_id, item)
    return [outcome for outcome in outcomes if outcome is not None]


def _existing_orders(uow: UnitOfWork, store_id: int, external_ids: list[str]) -> set[str]:
    rows = lookup_by_keys(uow, Order.__table__, store_id, "external_id", external_ids, ())
    return {row[0] for row in rows}


def _check_explicit_customers(
    uow: UnitOfWork, store_id: int, items: list[_Prepared], outcomes: list[IngestOutcome | None]
) -> None:
    wanted = {item.explicit_customer_id for item in items if item.explicit_customer_id is not None}
    if not wanted:
        return
    known = set(
        uow.session.scalars(select(Customer.id).where(Customer.store_id == store_id, Customer.id.in_(wanted)))
    )
    for item in items:
        if item.explicit_customer_id is not None and item.explicit_customer_id not in known:
            error = Invalid.field("customer_id", f"no customer {item.explicit_customer_id} in this store")
            outcomes[item.index] = IngestOutcome(
                item.index, item.order.external_id, WriteOutcome.ERROR, error=error
            )


def _create_orders(
    uow: UnitOfWork, store_id: int, items: list[_Prepared], source: str, outcomes: list[IngestOutcome | None]
) -> None:
    if not items:
        return
    customer_ids = resolve_customers(uow, store_id, [item.customer_ref for item in items], source=source)
    for item, customer_id in zip(items, customer_ids, strict=True):
        if item.explicit_customer_id is None:
            item.row["customer_id"] = customer_id
    order_ids = reserve_ids(uow, Order.__table__, len(items))
    for item, order_id in zip(items, order_ids, strict=True):
        item.row["id"] = order_id
    bulk_insert(uow, Order.__table__, [item.row for item in items])
    line_rows: list[dict[str, Any]] = []
    line_ids = iter(reserve_ids(uow, OrderLine.__table__, sum(len(item.lines) for item in items)))
    for item, order_id in zip(items, order_ids, strict=True):
        for line in item.lines:
            line["id"] = next(line_ids)
            line["order_id"] = order_id
            line_rows.append(line)
    if line_rows:
        bulk_insert(uow, OrderLine.__table__, line_rows)
    for item, order_id in zip(items, order_ids, strict=True):
        row = item.row
        uow.emit(
            OrderPlaced(
                store_id=store_id,
                customer_id=row["customer_id"],
                order_id=order_id,
                number=row["number"],
                total=row["total"],
                currency=row["currency"],
                line_count=len(item.lines),
                source=source,
                occurred_at=row["placed_at"],
            )
        )
        for stage in stages_reached(OrderStatus(row["status"]))[1:]:
            uow.emit(stage_event(stage, row, order_id, item.stage_times[stage]))
        outcomes[item.index] = IngestOutcome(
            item.index,
            item.order.external_id,
            WriteOutcome.CREATED,
            order_id=order_id,
            inserted=(row, item.lines),
        )


def _update_existing(uow: UnitOfWork, store_id: int, item: _Prepared) -> IngestOutcome:
    external_id = item.order.external_id
    try:
        order = locked_order(uow, store_id, external_id=external_id)
        given = {stage: getattr(item.order, name) for stage, name in STAGE_TIMESTAMP_COLUMN.items()}
        kind = advance_order(
            uow, order, item.order.status, uow.now(), item.order.cancel_reason, given_times=given
        )
        set_shipment(order, item.order)
    except DomainError as error:
        return IngestOutcome(item.index, external_id, WriteOutcome.ERROR, error=error)
    return IngestOutcome(item.index, external_id, _OUTCOME_OF_TRANSITION[kind], order_id=order.id)


def ingest_orders_and_react(
    uow: UnitOfWork, actor: Actor, store_id: int, orders: Sequence[OrderIn]
) -> list[IngestOutcome]:
    """``ingest_orders``, then the reactions to what it emitted (the orders' points, the journeys' reaction
    to those) in the same transaction (``dispatcher.dispatch_inline``): an order and its points share one
    durable commit, and with the write queue coalescing concurrent requests, with their neighbours'. For
    the API's orders as they happen, one at a time or in batches; imports keep ``ingest_orders`` and
    leave the reactions to the background runner. A reaction that fails is left to that runner and never
    fails the ingestion."""
    outcomes = ingest_orders(uow, actor, store_id, orders)
    dispatch_inline(uow)
    return outcomes
