"""Applying an inbound Shopify-format webhook: one unit of work per delivery.

The receipt row (unique per store and ``X-Shopify-Webhook-Id``) is written in the same transaction as the
delivery's effect, so a re-delivery is recognised exactly when the first delivery's effect was committed;
a delivery that failed leaves no receipt and can be retried.

Shopify has already taken or given back the money a delivery reports, so what can be applied is applied:
an order whose amounts do not add up is kept with a warning, a refund asking for more than is left is cut
down to what is left with a warning, and the notes on the order say so (see ``shopify_amounts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.exc import IntegrityError

from loyaldesk.commerce import shopify, shopify_products
from loyaldesk.commerce.actions import ingest_orders, record_refund
from loyaldesk.commerce.actions.products import set_products_active, update_product, upsert_products
from loyaldesk.commerce.models import Order, Product, WebhookReceipt
from loyaldesk.commerce.order_notes import NoteIn, add_order_notes, resolve_warnings
from loyaldesk.commerce.revisions import apply_order_edit, record_lines_as_of, restate_lines
from loyaldesk.commerce.schemas import ProductPatchIn
from loyaldesk.commerce.shopify_fields import identifier
from loyaldesk.commerce.vocab import OrderNoteKind, OrderStatus
from loyaldesk.customers import upsert_customer
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Store


@dataclass
class WebhookOutcome:
    outcome: str  # processed | duplicate | ignored
    detail: str = ""
    notes: list[str] = field(default_factory=list)


def receive_shopify_webhook(
    uow: UnitOfWork,
    store_id: int,
    *,
    topic: str,
    webhook_id: str,
    payload: Any,
    shop_domain: str | None = None,
) -> WebhookOutcome:
    """Apply one delivery, once. Raises ``Invalid`` for a payload that cannot be understood.
    ``shop_domain`` (``X-Shopify-Shop-Domain``) makes the products' page addresses."""
    savepoint = uow.session.begin_nested()
    receipt = WebhookReceipt(
        store_id=store_id,
        source="shopify",
        webhook_id=webhook_id[:255],
        topic=topic[:64],
        outcome="processing",
        received_at=uow.now(),
    )
    try:
        uow.session.add(receipt)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return WebhookOutcome("duplicate", "this webhook id was already processed")
    actor = system_for(store_id, "Shopify webhook")
    if topic in shopify.ORDER_TOPICS:
        result = _apply_order(uow, store_id, actor, payload)
    elif topic in shopify.EDIT_TOPICS:
        result = _apply_edit(uow, store_id, actor, payload)
    elif topic in shopify.REFUND_TOPICS:
        result = _apply_refund(uow, store_id, actor, payload)
    elif topic in shopify.CUSTOMER_TOPICS:
        mapped = shopify.customer_from_payload(payload)
        external_id, profile = mapped.value
        upserted = upsert_customer(uow, actor, store_id, external_id, profile, source="shopify")
        result = WebhookOutcome(
            "processed",
            f"customer {upserted.customer.id} {'created' if upserted.created else 'updated'}",
            mapped.notes,
        )
    elif topic in shopify_products.PRODUCT_TOPICS | shopify_products.PRODUCT_DELETE_TOPICS:
        result = _apply_product(uow, store_id, actor, topic, payload, shop_domain)
    elif topic in shopify_products.INVENTORY_TOPICS:
        result = _apply_inventory_level(uow, store_id, payload)
    else:
        result = WebhookOutcome("ignored", f"topic {topic!r} is not handled")
    receipt.outcome = f"{result.outcome}: {result.detail}"[:200]
    return result


def _apply_order(uow: UnitOfWork, store_id: int, actor: Actor, payload: Any) -> WebhookOutcome:
    """Create the order or move it forward; restate its lines when they changed (an edit); record the
    refunds it carries."""
    mapped = shopify.order_from_payload(payload)
    refunds = shopify.refunds_in_order(payload, mapped.value.currency)
    [outcome] = ingest_orders(uow, actor, store_id, [mapped.value], source="shopify")
    if outcome.error is not None:
        raise outcome.error
    order_id = outcome.order_id
    assert order_id is not None
    details = [f"order {order_id} {outcome.outcome}"]
    notes = list(mapped.notes)
    order_notes: list[NoteIn] = list(mapped.order_notes)
    if outcome.outcome == "created":
        record_lines_as_of(uow, order_id, mapped.as_of)
    elif mapped.value.status == OrderStatus.CANCELLED or not mapped.states_lines:
        # A cancellation is not an edit: the order keeps the lines it was bought with, for its history.
        order_notes = []
    else:
        revision = restate_lines(uow, actor, store_id, order_id, mapped.value, as_of=mapped.as_of)
        if revision.result == "stale":
            order_notes = []  # an older statement's remarks are about amounts that are no longer the order's
            notes.append(revision.detail)
        else:
            if revision.result != "unchanged":
                details.append(revision.detail)
            _settle_warnings(uow, order_id, order_notes)
    add_order_notes(uow, store_id, order_id, order_notes)
    recorded = 0
    for refund in refunds:
        result = record_refund(uow, actor, store_id, order_id, refund.value, source="shopify", clamp=True)
        add_order_notes(uow, store_id, order_id, refund.order_notes)
        notes.extend(refund.notes)
        notes.extend(f"refund {refund.value.external_id}: {words}" for words in result.clamped)
        recorded += result.created
    if recorded:
        details.append(f"{recorded} refund(s) recorded")
    return WebhookOutcome("processed", ", ".join(details), notes)


def _settle_warnings(uow: UnitOfWork, order_id: int, statement_notes: list[NoteIn]) -> None:
    """A newer full statement of the order settles what earlier warnings waited for: edits it could not
    price are now counted, and amounts that did not add up do now (unless this statement warns again)."""
    when = uow.now().strftime("%d %b %Y %H:%M UTC")
    resolve_warnings(
        uow,
        order_id,
        topic="edit",
        key_like="edit:%:unpriced",
        resolution=f"Settled: counted with the updated order received {when}.",
    )
    if not any(note.kind == OrderNoteKind.WARNING and note.topic == "amounts" for note in statement_notes):
        resolve_warnings(
            uow,
            order_id,
            topic="amounts",
            resolution=f"Settled: the order as the store sent it on {when} adds up.",
        )


def _apply_edit(uow: UnitOfWork, store_id: int, actor: Actor, payload: Any) -> WebhookOutcome:
    mapped = shopify.order_edit_from_payload(payload)
    revision = apply_order_edit(uow, actor, store_id, mapped.value)
    if mapped.order_notes:
        order_id = uow.session.scalar(
            select(Order.id).where(
                Order.store_id == store_id, Order.external_id == mapped.value.order_external_id
            )
        )
        if order_id is not None:
            add_order_notes(uow, store_id, order_id, mapped.order_notes)
    return WebhookOutcome("processed", revision.detail, mapped.notes)


def _apply_refund(uow: UnitOfWork, store_id: int, actor: Actor, payload: Any) -> WebhookOutcome:
    if not isinstance(payload, dict) or payload.get("order_id") in (None, ""):
        raise Invalid.field("order_id", "is required")
    order_external_id = identifier(payload["order_id"], "order_id")
    order = uow.session.scalar(
        select(Order).where(Order.store_id == store_id, Order.external_id == order_external_id)
    )
    if order is None:
        raise Conflict(f"order {order_external_id} has not been received yet; deliver it first, then retry")
    mapped = shopify.refund_from_payload(payload, order.currency)
    outcome = record_refund(uow, actor, store_id, order.id, mapped.value, source="shopify", clamp=True)
    add_order_notes(uow, store_id, order.id, mapped.order_notes)
    if outcome.created:
        detail = f"refund recorded on order {order.id}"
    elif outcome.refund is None:
        detail = f"refund not recorded on order {order.id}: nothing was left to refund"
    else:
        detail = f"refund already known on order {order.id}"
    notes = [*mapped.notes, *outcome.clamped]
    return WebhookOutcome("processed", detail, notes)


def _apply_product(
    uow: UnitOfWork, store_id: int, actor: Actor, topic: str, payload: Any, shop_domain: str | None
) -> WebhookOutcome:
    """A created or updated product into the catalogue; a deleted one made inactive (its history stays)."""
    if topic in shopify_products.PRODUCT_DELETE_TOPICS:
        external_id = shopify_products.deleted_product_id(payload)
        changed = set_products_active(uow, store_id, [external_id], active=False)
        if not changed:
            return WebhookOutcome("processed", f"product {external_id} is not in the catalogue (or inactive)")
        return WebhookOutcome("processed", f"product {external_id} deleted at the store: inactive")
    store = uow.session.get(Store, store_id)
    assert store is not None
    mapped = shopify_products.product_from_payload(payload, store.currency, shop_domain)
    result = upsert_products(uow, actor, store_id, [mapped.product])
    product = result.products[0]
    verb = "created" if result.created else "updated" if result.updated else "unchanged"
    state = "" if product.active else " (inactive)"
    return WebhookOutcome("processed", f"product {product.id} {verb}{state}", mapped.notes)


def _apply_inventory_level(uow: UnitOfWork, store_id: int, payload: Any) -> WebhookOutcome:
    """An inventory item's new level onto its product's stock, found by the items its products/create or
    products/update listed; an item of no known product is ignored (its product has not arrived yet)."""
    item, available = shopify_products.inventory_level(payload)
    key = f"{shopify_products.INVENTORY_KEY}{item}"
    # The JSON text holds the key in quotes on both backends; the match is confirmed on the row.
    candidates = uow.session.scalars(
        select(Product).where(
            Product.store_id == store_id, cast(Product.attributes, String).like(f'%"{key}"%')
        )
    )
    product = next((row for row in candidates if key in (row.attributes or {})), None)
    if product is None:
        return WebhookOutcome("ignored", f"inventory item {item} belongs to no product in the catalogue")
    attributes = dict(product.attributes)
    if attributes[key] != shopify_products.CONTINUE:
        attributes[key] = shopify_products.UNTRACKED if available is None else available
    items = {
        name.removeprefix(shopify_products.INVENTORY_KEY): value
        for name, value in attributes.items()
        if name.startswith(shopify_products.INVENTORY_KEY)
    }
    in_stock, quantity = shopify_products.stock_of(items)
    changes = ProductPatchIn.model_validate(
        {"attributes": attributes, "in_stock": in_stock, "inventory_quantity": quantity}
    )
    actor = system_for(store_id, "Shopify webhook")
    update_product(uow, actor, store_id, product.external_id, changes)
    return WebhookOutcome(
        "processed", f"product {product.id} stock: {quantity} ({'in' if in_stock else 'out of'} stock)"
    )
