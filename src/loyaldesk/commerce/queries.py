"""Reads of commerce: orders with their lines and refunds, products, a customer's purchase summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce.models import Order, OrderLine, OrderNote, Product, Refund, RefundLine
from loyaldesk.commerce.schemas import (
    OrderLineOut,
    OrderNoteOut,
    OrderOut,
    ProductOut,
    RefundLineOut,
    RefundOut,
)
from loyaldesk.commerce.vocab import RefundKind
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.pagination import page_of


def orders_out(session: Session, orders: list[Order]) -> list[OrderOut]:
    """Orders with their lines, refunds and notes, loaded in a few queries whatever the number of orders."""
    if not orders:
        return []
    ids = [order.id for order in orders]
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in session.scalars(
        select(OrderLine).where(OrderLine.order_id.in_(ids)).order_by(OrderLine.position)
    ):
        lines[line.order_id].append(line)
    refunds: dict[int, list[Refund]] = defaultdict(list)
    refund_rows = list(session.scalars(select(Refund).where(Refund.order_id.in_(ids)).order_by(Refund.id)))
    for refund in refund_rows:
        refunds[refund.order_id].append(refund)
    refund_lines: dict[int, list[RefundLine]] = defaultdict(list)
    if refund_rows:
        for refund_line in session.scalars(
            select(RefundLine)
            .where(RefundLine.refund_id.in_([r.id for r in refund_rows]))
            .order_by(RefundLine.id)
        ):
            refund_lines[refund_line.refund_id].append(refund_line)
    notes: dict[int, list[OrderNote]] = defaultdict(list)
    for note in session.scalars(select(OrderNote).where(OrderNote.order_id.in_(ids)).order_by(OrderNote.id)):
        notes[note.order_id].append(note)
    return [
        OrderOut(
            id=order.id,
            external_id=order.external_id,
            number=order.number,
            customer_id=order.customer_id,
            email=order.email,
            currency=order.currency,
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            shipping_total=order.shipping_total,
            tax_total=order.tax_total,
            taxes_included=order.taxes_included,
            total=order.total,
            refunded_total=order.refunded_total,
            status=order.status,  # type: ignore[arg-type]
            refund_status=order.refund_status,  # type: ignore[arg-type]
            discount_codes=order.discount_codes or [],
            placed_at=order.placed_at,
            paid_at=order.paid_at,
            fulfilled_at=order.fulfilled_at,
            delivered_at=order.delivered_at,
            cancelled_at=order.cancelled_at,
            cancel_reason=order.cancel_reason,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            tracking_url=order.tracking_url,
            source=order.source,
            revision=order.revision,
            lines=[
                OrderLineOut(
                    id=line.id,
                    external_id=line.external_id,
                    sku=line.sku,
                    product_id=line.product_external_id,
                    title=line.title,
                    category=line.category,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    total=line.total,
                    refunded_quantity=line.refunded_quantity,
                    refunded_amount=line.refunded_amount,
                )
                for line in lines[order.id]
            ],
            refunds=[
                RefundOut(
                    id=refund.id,
                    external_id=refund.external_id,
                    kind=RefundKind(refund.kind),
                    amount=refund.amount,
                    reason=refund.reason,
                    occurred_at=refund.occurred_at,
                    lines=[
                        RefundLineOut(order_line_id=rl.order_line_id, quantity=rl.quantity, amount=rl.amount)
                        for rl in refund_lines[refund.id]
                    ],
                )
                for refund in refunds[order.id]
            ],
            notes=[
                OrderNoteOut(
                    kind=note.kind,  # type: ignore[arg-type]
                    topic=note.topic,
                    message=note.message,
                    created_at=note.created_at,
                )
                for note in notes[order.id]
            ],
        )
        for order in orders
    ]


def order_out_from_rows(row: dict[str, Any], lines: list[dict[str, Any]]) -> OrderOut:
    """A just-inserted order (its row and line rows, ids included) as the API shows it."""
    fields = {name: row[name] for name in OrderOut.model_fields if name in row}
    return OrderOut.model_validate(
        {
            **fields,
            "lines": [{**line, "product_id": line["product_external_id"]} for line in lines],
            "refunds": [],
        }
    )


def get_order(session: Session, store_id: int, order_id: int) -> OrderOut:
    order = session.scalar(select(Order).where(Order.id == order_id, Order.store_id == store_id))
    if order is None:
        raise NotFound(f"no order {order_id} in this store")
    return orders_out(session, [order])[0]


def get_order_by_external_id(session: Session, store_id: int, external_id: str) -> OrderOut:
    order = session.scalar(select(Order).where(Order.store_id == store_id, Order.external_id == external_id))
    if order is None:
        raise NotFound(f"no order with external_id {external_id!r} in this store")
    return orders_out(session, [order])[0]


def order_id_for(session: Session, store_id: int, order_id: int) -> int:
    """``order_id`` if that order belongs to the store, else ``NotFound``."""
    found = session.scalar(select(Order.id).where(Order.id == order_id, Order.store_id == store_id))
    if found is None:
        raise NotFound(f"no order {order_id} in this store")
    return found


def list_orders(
    session: Session,
    store_id: int,
    *,
    customer_id: int | None = None,
    status: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[OrderOut], str | None]:
    """Orders of the store, newest first, filtered; returns the page and the next cursor."""
    query = select(Order).where(Order.store_id == store_id)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if status is not None:
        query = query.where(Order.status == status)
    if placed_from is not None:
        query = query.where(Order.placed_at >= placed_from)
    if placed_to is not None:
        query = query.where(Order.placed_at < placed_to)
    if before_id is not None:
        query = query.where(Order.id < before_id)
    rows = list(session.scalars(query.order_by(Order.id.desc()).limit(limit + 1)))
    page, cursor = page_of(rows, limit, lambda order: order.id)
    return orders_out(session, page), cursor


def recent_orders_of_customer(
    session: Session, store_id: int, customer_id: int, limit: int = 20
) -> list[OrderOut]:
    rows = list(
        session.scalars(
            select(Order)
            .where(Order.store_id == store_id, Order.customer_id == customer_id)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
    return orders_out(session, rows)


@dataclass(frozen=True)
class PurchaseSummary:
    """A customer's orders in one line: how many, what they spent net of refunds, first and last."""

    order_count: int
    net_spent_by_currency: dict[str, int]
    first_order_at: datetime | None
    last_order_at: datetime | None


def purchase_summary(session: Session, store_id: int, customer_id: int) -> PurchaseSummary:
    rows = session.execute(
        select(
            Order.currency,
            func.count(Order.id),
            func.sum(Order.total - Order.refunded_total),
            func.min(Order.placed_at),
            func.max(Order.placed_at),
        )
        .where(Order.store_id == store_id, Order.customer_id == customer_id, Order.status != "cancelled")
        .group_by(Order.currency)
    ).all()
    count = sum(int(row[1]) for row in rows)
    firsts = [_aware(row[3]) for row in rows if row[3] is not None]
    lasts = [_aware(row[4]) for row in rows if row[4] is not None]
    return PurchaseSummary(
        order_count=count,
        net_spent_by_currency={row[0]: int(row[2] or 0) for row in rows},
        first_order_at=min(firsts) if firsts else None,
        last_order_at=max(lasts) if lasts else None,
    )


def _aware(value: Any) -> datetime:
    # Aggregates bypass the column type on SQLite and come back as naive datetimes or strings.
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.id,
        external_id=product.external_id,
        sku=product.sku,
        title=product.title,
        category=product.category,
        price=product.price,
        currency=product.currency,
        attributes=product.attributes or {},
        url=product.url,
        image_url=product.image_url,
        in_stock=product.in_stock,
        inventory_quantity=product.inventory_quantity,
        cost=product.cost,
        consumable=product.consumable,
        active=product.active if product.active is not None else True,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def list_products(
    session: Session, store_id: int, *, before_id: int | None = None, limit: int = 50
) -> tuple[list[ProductOut], str | None]:
    query = select(Product).where(Product.store_id == store_id)
    if before_id is not None:
        query = query.where(Product.id < before_id)
    rows = list(session.scalars(query.order_by(Product.id.desc()).limit(limit + 1)))
    page, cursor = page_of(rows, limit, lambda product: product.id)
    return [product_out(product) for product in page], cursor


def get_product(session: Session, store_id: int, product_id: int) -> ProductOut:
    product = session.scalar(select(Product).where(Product.id == product_id, Product.store_id == store_id))
    if product is None:
        raise NotFound(f"no product {product_id} in this store")
    return product_out(product)


@dataclass(frozen=True)
class CustomerOrderStats:
    order_count: int
    net_spent: int
    currency: str
    last_order_at: datetime | None


def order_stats_for_customers(
    session: Session, store_id: int, customer_ids: list[int]
) -> dict[int, CustomerOrderStats]:
    """Per customer: orders (not cancelled), net spent and last order, for a page of a customer list.

    Spend is summed in the customer's most used currency (stores rarely mix currencies per customer).
    """
    if not customer_ids:
        return {}
    rows = session.execute(
        select(
            Order.customer_id,
            Order.currency,
            func.count(Order.id),
            func.sum(Order.total - Order.refunded_total),
            func.max(Order.placed_at),
        )
        .where(Order.store_id == store_id, Order.customer_id.in_(customer_ids), Order.status != "cancelled")
        .group_by(Order.customer_id, Order.currency)
    ).all()
    stats: dict[int, CustomerOrderStats] = {}
    for customer_id, currency, count, net, last in rows:
        if customer_id is None:
            continue
        current = stats.get(customer_id)
        if current is None or count > current.order_count:
            stats[customer_id] = CustomerOrderStats(
                int(count), int(net or 0), currency, _aware(last) if last is not None else None
            )
    return stats


@dataclass(frozen=True)
class LineFacts:
    id: int
    sku: str | None
    title: str
    category: str | None
    quantity: int
    total: int
    revision: int = 0  # the order's revision in which the line last changed


@dataclass(frozen=True)
class RefundFacts:
    id: int
    kind: str
    amount: int
    occurred_at: datetime
    lines: tuple[tuple[int, int], ...]  # (order line id, quantity)


@dataclass(frozen=True)
class OrderFacts:
    """An order as other capabilities read it (loyalty earns on it): ids, amounts, stages, lines, refunds."""

    id: int
    store_id: int
    customer_id: int | None
    number: str
    currency: str
    total: int
    refunded_total: int
    refund_status: str
    status: str
    discount_codes: tuple[str, ...]
    shipping_address: dict[str, Any] | None
    placed_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: tuple[LineFacts, ...]
    refunds: tuple[RefundFacts, ...]
    revision: int = 0  # edits applied to the lines since the order was received


_ORDER_FACTS = (
    select(
        Order.id,
        Order.store_id,
        Order.customer_id,
        Order.number,
        Order.currency,
        Order.total,
        Order.refunded_total,
        Order.refund_status,
        Order.status,
        Order.discount_codes,
        Order.shipping_address,
        Order.placed_at,
        Order.paid_at,
        Order.fulfilled_at,
        Order.delivered_at,
        Order.cancelled_at,
        Order.revision,
    )
    .where(Order.store_id == bindparam("store_id"), Order.id.in_(bindparam("order_ids", expanding=True)))
    .order_by(Order.id)
)
_LINE_FACTS = (
    select(
        OrderLine.order_id,
        OrderLine.id,
        OrderLine.sku,
        OrderLine.title,
        OrderLine.category,
        OrderLine.quantity,
        OrderLine.total,
        OrderLine.revision,
    )
    .where(OrderLine.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(OrderLine.position)
)
_REFUND_FACTS = (
    select(Refund.order_id, Refund.id, Refund.kind, Refund.amount, Refund.occurred_at)
    .where(Refund.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(Refund.occurred_at, Refund.id)
)
_REFUND_LINE_FACTS = select(RefundLine.refund_id, RefundLine.order_line_id, RefundLine.quantity).where(
    RefundLine.refund_id.in_(bindparam("refund_ids", expanding=True))
)


def order_facts(session: Session, store_id: int, order_ids: list[int]) -> list[OrderFacts]:
    """The orders, with lines and refunds (oldest first), in three queries whatever their number (four
    when some were refunded). Columns, not ORM objects, with statements built once: on the path that
    turns every order into points."""
    if not order_ids:
        return []
    orders = session.execute(_ORDER_FACTS, {"store_id": store_id, "order_ids": list(order_ids)}).all()
    ids = [order[0] for order in orders]
    if not ids:
        return []
    lines: dict[int, list[LineFacts]] = defaultdict(list)
    for order_id, *line in session.execute(_LINE_FACTS, {"order_ids": ids}):
        lines[order_id].append(LineFacts(*line))  # type: ignore[arg-type]  # the columns, in the fields' order
    refunds = session.execute(_REFUND_FACTS, {"order_ids": ids}).all()
    refund_lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if refunds:
        for refund_id, order_line_id, quantity in session.execute(
            _REFUND_LINE_FACTS, {"refund_ids": [refund[1] for refund in refunds]}
        ):
            refund_lines[refund_id].append((order_line_id, quantity))
    by_order: dict[int, list[RefundFacts]] = defaultdict(list)
    for order_id, refund_id, kind, amount, occurred_at in refunds:
        by_order[order_id].append(
            RefundFacts(refund_id, kind, amount, occurred_at, tuple(refund_lines[refund_id]))
        )
    return [
        OrderFacts(
            id=order_id,
            store_id=order_store_id,
            customer_id=customer_id,
            number=number,
            currency=currency,
            total=total,
            refunded_total=refunded_total,
            refund_status=refund_status,
            status=status,
            discount_codes=tuple(discount_codes or ()),
            shipping_address=shipping_address,
            placed_at=placed_at,
            paid_at=paid_at,
            fulfilled_at=fulfilled_at,
            delivered_at=delivered_at,
            cancelled_at=cancelled_at,
            lines=tuple(lines[order_id]),
            refunds=tuple(by_order[order_id]),
            revision=revision,
        )
        for (
            order_id,
            order_store_id,
            customer_id,
            number,
            currency,
            total,
            refunded_total,
            refund_status,
            status,
            discount_codes,
            shipping_address,
            placed_at,
            paid_at,
            fulfilled_at,
            delivered_at,
            cancelled_at,
            revision,
        ) in orders
    ]


def shipping_addresses_of_customer(
    session: Session, customer_id: int, limit: int = 5
) -> list[dict[str, Any]]:
    """The shipping addresses on a customer's most recent orders (newest first, at most ``limit``)."""
    rows = session.scalars(
        select(Order.shipping_address)
        .where(Order.customer_id == customer_id, Order.shipping_address.is_not(None))
        .order_by(Order.id.desc())
        .limit(limit)
    )
    return [dict(address) for address in rows if address]
