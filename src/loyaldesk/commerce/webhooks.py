"""Applying an inbound Shopify-format webhook: one unit of work per delivery.

The receipt row (unique per store and ``X-Shopify-Webhook-Id``) is written in the same transaction as the
delivery's effect, so a re-delivery is recognised exactly when the first delivery's effect was committed;
a delivery that failed leaves no receipt and can be retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.commerce import shopify
from loyaldesk.commerce.actions import ingest_orders, record_refund
from loyaldesk.commerce.models import Order, WebhookReceipt
from loyaldesk.customers import upsert_customer
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid


@dataclass
class WebhookOutcome:
    outcome: str  # processed | duplicate | ignored
    detail: str = ""
    notes: list[str] = field(default_factory=list)


def receive_shopify_webhook(
    uow: UnitOfWork, store_id: int, *, topic: str, webhook_id: str, payload: Any
) -> WebhookOutcome:
    """Apply one delivery, once. Raises ``Invalid`` for a payload that cannot be understood."""
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
    else:
        result = WebhookOutcome("ignored", f"topic {topic!r} is not handled")
    receipt.outcome = f"{result.outcome}: {result.detail}"[:200]
    return result


def _apply_order(uow: UnitOfWork, store_id: int, actor: Any, payload: Any) -> WebhookOutcome:
    mapped = shopify.order_from_payload(payload)
    [outcome] = ingest_orders(uow, actor, store_id, [mapped.value], source="shopify")
    if outcome.error is not None:
        raise outcome.error
    assert outcome.order_id is not None
    refunds_recorded = 0
    for refund in shopify.refunds_in_order(payload, mapped.value.currency):
        if record_refund(uow, actor, store_id, outcome.order_id, refund, source="shopify").created:
            refunds_recorded += 1
    detail = f"order {outcome.order_id} {outcome.outcome}"
    if refunds_recorded:
        detail += f", {refunds_recorded} refund(s) recorded"
    return WebhookOutcome("processed", detail, mapped.notes)


def _apply_refund(uow: UnitOfWork, store_id: int, actor: Any, payload: Any) -> WebhookOutcome:
    if not isinstance(payload, dict) or payload.get("order_id") in (None, ""):
        raise Invalid.field("order_id", "is required")
    order = uow.session.scalar(
        select(Order).where(Order.store_id == store_id, Order.external_id == str(payload["order_id"]))
    )
    if order is None:
        raise Conflict(f"order {payload['order_id']} has not been received yet; deliver it first, then retry")
    refund = shopify.refund_from_payload(payload, order.currency)
    outcome = record_refund(uow, actor, store_id, order.id, refund, source="shopify")
    return WebhookOutcome(
        "processed", f"refund {'recorded' if outcome.created else 'already known'} on order {order.id}"
    )
