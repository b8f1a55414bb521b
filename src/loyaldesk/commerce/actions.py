"""Every write to orders, lines, refunds and products. Each runs inside the caller's unit of work.

Ingestion is idempotent on the store's own ids: an order, refund or product sent twice is stored once,
and sending an order again with a later status moves it forward (emitting that stage's event).
``ingest_orders`` works on a batch with bulk statements, so that one order and ten thousand take the
same code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from loyaldesk.commerce.events import (
    OrderCancelled,
    OrderDelivered,
    OrderFulfilled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    ProductCreated,
    ProductUpdated,
)
from loyaldesk.commerce.models import Order, OrderLine, Product, Refund, RefundLine
from loyaldesk.commerce.order_notes import NoteIn, add_order_notes
from loyaldesk.commerce.queries import order_out_from_rows
from loyaldesk.commerce.rules import (
    LineAmounts,
    LineRefundRequest,
    LineRefundState,
    OrderNoteKind,
    OrderStatus,
    TransitionKind,
    allocate_refund,
    order_totals,
    refund_status,
    stages_reached,
    transition,
)
from loyaldesk.commerce.schemas import OrderIn, OrderOut, ProductIn, RefundIn, StatusChangeIn
from loyaldesk.customers import Customer, CustomerProfile, CustomerRef, resolve_customers
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.bulk import bulk_insert, lookup_by_keys
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, DomainError, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.events import DomainEvent
from loyaldesk.kernel.ids import reserve_ids
from loyaldesk.kernel.money import format_money
from loyaldesk.stores import authorize

Outcome = Literal["created", "updated", "unchanged", "stale", "error"]


@dataclass
class IngestOutcome:
    """What became of one order of a batch."""

    index: int
    external_id: str
    outcome: Outcome
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


_TIMESTAMP_OF = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.FULFILLED: "fulfilled_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def _stage_times(order: OrderIn, placed_at: datetime) -> dict[OrderStatus, datetime]:
    """When each stage of a new order happened: as sent, else as soon as the stage before it."""
    times = {OrderStatus.PLACED: placed_at}
    previous = placed_at
    for stage in stages_reached(order.status)[1:]:
        given = getattr(order, _TIMESTAMP_OF[stage])
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
        "refund_status": "none",
        "discount_codes": list(order.discount_codes),
        "shipping_address": order.shipping_address,
        "source": source,
        "placed_at": placed_at,
        "paid_at": times.get(OrderStatus.PAID),
        "fulfilled_at": times.get(OrderStatus.FULFILLED),
        "delivered_at": times.get(OrderStatus.DELIVERED),
        "cancelled_at": times.get(OrderStatus.CANCELLED),
        "cancel_reason": order.cancel_reason if order.status == OrderStatus.CANCELLED else None,
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


def _stage_event(stage: OrderStatus, row: dict[str, Any], order_id: int, at: datetime) -> DomainEvent:
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
            outcomes[index] = IngestOutcome(index, order.external_id, "error", error=error)

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
            outcomes[item.index] = IngestOutcome(item.index, item.order.external_id, "error", error=error)


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
            uow.emit(_stage_event(stage, row, order_id, item.stage_times[stage]))
        outcomes[item.index] = IngestOutcome(
            item.index,
            item.order.external_id,
            "created",
            order_id=order_id,
            inserted=(row, item.lines),
        )


def _locked_order(
    uow: UnitOfWork, store_id: int, *, order_id: int | None = None, external_id: str | None = None
) -> Order:
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


def _advance(
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
        setattr(order, _TIMESTAMP_OF[stage], stamped)
        uow.emit(_stage_event(stage, row, order.id, stamped))
    order.status = target.value
    if target == OrderStatus.CANCELLED:
        order.cancel_reason = reason
    order.updated_at = uow.now()
    return step.kind


def _update_existing(uow: UnitOfWork, store_id: int, item: _Prepared) -> IngestOutcome:
    external_id = item.order.external_id
    try:
        order = _locked_order(uow, store_id, external_id=external_id)
        given = {stage: getattr(item.order, name) for stage, name in _TIMESTAMP_OF.items()}
        kind = _advance(uow, order, item.order.status, uow.now(), item.order.cancel_reason, given_times=given)
    except DomainError as error:
        return IngestOutcome(item.index, external_id, "error", error=error)
    outcome: Outcome = {"advance": "updated", "noop": "unchanged", "stale": "stale"}[kind.value]  # type: ignore[assignment]
    return IngestOutcome(item.index, external_id, outcome, order_id=order.id)


def change_order_status(
    uow: UnitOfWork, actor: Actor, store_id: int, order_id: int, change: StatusChangeIn
) -> Order:
    """Move an order to a later stage, or cancel it. ``Conflict`` when that would go backwards."""
    authorize(actor, store_id, scope="orders:write", permission=None)
    order = _locked_order(uow, store_id, order_id=order_id)
    kind = _advance(uow, order, change.status, change.occurred_at or uow.now(), change.reason)
    if kind == TransitionKind.STALE:
        raise Conflict(f"the order is already {order.status}; it cannot go back to {change.status.value}")
    return order


@dataclass(frozen=True)
class RefundOutcome:
    order: Order
    refund: Refund | None  # None only when a clamped refund had nothing left to give back
    created: bool
    clamped: tuple[str, ...] = ()


def record_refund(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    order_id: int,
    refund: RefundIn,
    *,
    source: str = "api",
    clamp: bool = False,
) -> RefundOutcome:
    """Give money (and maybe goods) back on an order. Idempotent on the refund's ``external_id``.

    Strict by default: a refund asking for more than is left is ``Invalid``, naming what was asked and
    what is left. With ``clamp`` (the store has already given the money back: its refund must not be
    lost), each part is cut down to what is left, a line the order does not have is left out, and a
    warning on the order says what was cut; a refund left with nothing to give back records nothing but
    the warning.
    """
    authorize(actor, store_id, scope="orders:write", permission=None)
    order = _locked_order(uow, store_id, order_id=order_id)
    known = uow.session.scalar(
        select(Refund).where(Refund.store_id == store_id, Refund.external_id == refund.external_id)
    )
    if known is not None:
        if known.order_id != order.id:
            raise Conflict(f"refund {refund.external_id!r} belongs to another order")
        return RefundOutcome(order, known, created=False)
    lines = list(
        uow.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    )
    left_out: list[str] = []
    requests: list[LineRefundRequest] = []
    for position, request in enumerate(refund.lines):
        try:
            requests.append(_line_request(position, request, lines))
        except Invalid as error:
            if not clamp:
                raise
            left_out.append(f"{error.problems[0].reason}: left out")
    allocation = allocate_refund(
        [
            LineRefundState(line.quantity, line.total, line.refunded_quantity, line.refunded_amount)
            for line in lines
        ],
        requests,
        order_total=order.total,
        order_refunded=order.refunded_total,
        amount=refund.amount,
        clamp=clamp,
        money=lambda minor: format_money(minor, order.currency),
    )
    clamped = (*left_out, *allocation.clamped)
    if clamped:
        given = "nothing was left to refund" if not allocation.gives_back_anything else "recorded"
        add_order_notes(
            uow,
            store_id,
            order.id,
            [
                NoteIn(
                    OrderNoteKind.WARNING,
                    "refund",
                    f"Refund {refund.external_id} asked for more than was left ({given}): "
                    + "; ".join(clamped)
                    + ".",
                    key=f"refund:{refund.external_id}:clamped",
                )
            ],
        )
    if not allocation.gives_back_anything:
        return RefundOutcome(order, None, created=False, clamped=clamped)
    now = uow.now()
    row = Refund(
        store_id=store_id,
        order_id=order.id,
        external_id=refund.external_id,
        kind=refund.kind,
        amount=allocation.amount,
        reason=refund.reason,
        source=source,
        occurred_at=refund.occurred_at or now,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    refunded_lines: list[dict[str, int]] = []
    for line_index, quantity, amount in allocation.line_amounts:
        line = lines[line_index]
        line.refunded_quantity += quantity
        line.refunded_amount += amount
        uow.session.add(RefundLine(refund_id=row.id, order_line_id=line.id, quantity=quantity, amount=amount))
        refunded_lines.append({"order_line_id": line.id, "quantity": quantity, "amount": amount})
    order.refunded_total += allocation.amount
    order.refund_status = refund_status(order.total, order.refunded_total)
    order.updated_at = now
    uow.emit(
        OrderRefunded(
            store_id=store_id,
            customer_id=order.customer_id,
            order_id=order.id,
            number=order.number,
            refund_id=row.id,
            kind=refund.kind,
            amount=allocation.amount,
            currency=order.currency,
            refunded_total=order.refunded_total,
            fully_refunded=order.refund_status == "full",
            lines=refunded_lines,
            occurred_at=row.occurred_at,
        )
    )
    return RefundOutcome(order, row, created=True, clamped=clamped)


def _line_request(position: int, request: Any, lines: list[OrderLine]) -> LineRefundRequest:
    """Find the order line a refund line names (by id, the store's line id, or SKU)."""
    where = f"lines.{position}"
    if request.line_id is not None:
        matches = [i for i, line in enumerate(lines) if line.id == request.line_id]
        named = f"line_id {request.line_id}"
    elif request.line_external_id is not None:
        matches = [i for i, line in enumerate(lines) if line.external_id == request.line_external_id]
        named = f"line_external_id {request.line_external_id!r}"
    elif request.sku is not None:
        matches = [i for i, line in enumerate(lines) if line.sku == request.sku]
        named = f"sku {request.sku!r}"
    else:
        raise Invalid(
            "a refund line must name its order line",
            [FieldProblem(where, "give line_id, line_external_id or sku")],
        )
    if not matches:
        raise Invalid(
            "a refund line names no line of the order", [FieldProblem(where, f"no line with {named}")]
        )
    if len(matches) > 1 and request.sku is not None:
        # The same SKU on several lines: take the first with units left to refund.
        left = [i for i in matches if lines[i].refunded_quantity < lines[i].quantity]
        matches = left or matches
    return LineRefundRequest(matches[0], request.quantity, request.amount)


@dataclass(frozen=True)
class ProductUpsertResult:
    products: list[Product]
    created: int
    updated: int
    unchanged: int


_PRODUCT_FIELDS = ("sku", "title", "category", "price", "currency", "attributes")


def upsert_products(
    uow: UnitOfWork, actor: Actor, store_id: int, products: Sequence[ProductIn]
) -> ProductUpsertResult:
    """Create or update products by the store's ``external_id``; the last of duplicates in a batch wins."""
    authorize(actor, store_id, scope="products:write", permission=None)
    latest = {product.external_id: product for product in products}
    existing = {
        product.external_id: product
        for product in uow.session.scalars(
            select(Product).where(Product.store_id == store_id, Product.external_id.in_(list(latest)))
        )
    }
    now = uow.now()
    created = updated = unchanged = 0
    result: list[Product] = []
    for external_id, data in latest.items():
        values = data.model_dump(exclude={"external_id"})
        product = existing.get(external_id)
        if product is None:
            product = Product(
                store_id=store_id, external_id=external_id, created_at=now, updated_at=now, **values
            )
            uow.session.add(product)
            uow.session.flush()
            uow.emit(ProductCreated(store_id=store_id, product_id=product.id, sku=product.sku))
            created += 1
        else:
            changed = [name for name in _PRODUCT_FIELDS if getattr(product, name) != values[name]]
            for name in changed:
                setattr(product, name, values[name])
            if changed:
                product.updated_at = now
                uow.emit(ProductUpdated(store_id=store_id, product_id=product.id, changed_fields=changed))
                updated += 1
            else:
                unchanged += 1
        result.append(product)
    return ProductUpsertResult(result, created, updated, unchanged)


def erase_order_personal_data(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """Remove the email and address from a customer's orders; amounts and dates stay for accounting."""
    from sqlalchemy import update

    uow.session.execute(
        update(Order)
        .where(Order.store_id == store_id, Order.customer_id == customer_id)
        .values(email=None, shipping_address=None, updated_at=uow.now())
    )
