"""Shopify-format webhooks: signature check and payload mapping. Pure functions, no I/O.

Shopify signs each delivery with ``X-Shopify-Hmac-Sha256``: the base64 HMAC-SHA256 of the raw body with
the shared secret. Payloads follow Shopify's REST webhook shapes (orders/create, orders/updated,
orders/cancelled, refunds/create, customers/create, customers/update). Money comes as decimal strings in
the shop's currency.

Mapping is lenient where Shopify itself is loose (its own test notification has a line discount larger
than the line's price and a negative subtotal): line discounts are clamped to the line, optional profile
fields that do not validate (a phone such as ``555-555-BILL``) are dropped and reported, never the order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from loyaldesk.commerce.rules import OrderStatus
from loyaldesk.commerce.schemas import OrderCustomerIn, OrderIn, RefundIn
from loyaldesk.customers import CustomerProfile
from loyaldesk.kernel.email_address import Email
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency, to_minor_units
from loyaldesk.kernel.validation import invalid_from

ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled"}
)
REFUND_TOPICS = frozenset({"refunds/create"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
SUPPORTED_TOPICS = ORDER_TOPICS | REFUND_TOPICS | CUSTOMER_TOPICS

_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(secret: str, body: bytes, header_value: str | None) -> bool:
    """True when ``header_value`` is the HMAC of ``body`` under ``secret`` (constant-time compare)."""
    if not header_value:
        return False
    return hmac.compare_digest(signature(secret, body), header_value.strip())


@dataclass
class Mapped:
    """A mapped payload and the notes about optional fields that were dropped."""

    value: Any
    notes: list[str] = field(default_factory=list)


def _id(value: Any, where: str) -> str:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid.field(where, "is required")
    if not isinstance(value, int | str):
        raise Invalid.field(where, "must be a number or a string")
    return str(value).strip()


def _money(value: Any, currency: str, where: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, dict):  # a *_set object: {"shop_money": {"amount": ...}}
        value = (value.get("shop_money") or {}).get("amount")
    return to_minor_units(value, currency, where)


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def customer_profile(payload: dict[str, Any], notes: list[str], where: str = "customer") -> dict[str, Any]:
    """Profile fields from a Shopify customer object; each invalid optional field is dropped with a note."""
    consent = payload.get("accepts_marketing")
    marketing = payload.get("email_marketing_consent")
    if isinstance(marketing, dict) and marketing.get("state"):
        consent = marketing.get("state") == "subscribed"
    tags_value = payload.get("tags")
    tags = (
        [t.strip()[:64] for t in tags_value.split(",") if t.strip()] if isinstance(tags_value, str) else None
    )
    candidate: dict[str, Any] = {
        "email": _text(payload.get("email"), 320),
        "first_name": _text(payload.get("first_name"), 100),
        "last_name": _text(payload.get("last_name"), 100),
        "phone": _text(payload.get("phone"), 32),
        "locale": _text(payload.get("locale"), 35),
        "marketing_consent": bool(consent) if consent is not None else None,
        "tags": tags[:50] if tags is not None else None,
    }
    address = payload.get("default_address")
    if isinstance(address, dict) and address.get("country_code"):
        candidate["attributes"] = {"country": str(address.get("country_code"))[:64]}
    kept: dict[str, Any] = {}
    for name, value in candidate.items():
        if value is None:
            continue
        try:
            CustomerProfile.model_validate({name: value})
        except ValidationError as error:
            reason = error.errors()[0]["msg"].removeprefix("Value error, ")
            notes.append(f"{where}.{name} dropped: {reason}")
            continue
        kept[name] = value
    return kept


def _status(payload: dict[str, Any]) -> OrderStatus:
    if payload.get("cancelled_at"):
        return OrderStatus.CANCELLED
    fulfillments = [f for f in payload.get("fulfillments") or [] if isinstance(f, dict)]
    if (
        fulfillments
        and all(f.get("shipment_status") == "delivered" for f in fulfillments)
        and (payload.get("fulfillment_status") == "fulfilled")
    ):
        return OrderStatus.DELIVERED
    if payload.get("fulfillment_status") == "fulfilled":
        return OrderStatus.FULFILLED
    if payload.get("financial_status") in ("paid", "partially_refunded", "refunded", "partially_paid"):
        return OrderStatus.PAID
    return OrderStatus.PLACED


def order_from_payload(payload: dict[str, Any]) -> Mapped:
    """An ``OrderIn`` from a Shopify order payload, or ``Invalid`` naming what is missing or wrong."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify order)")
    notes: list[str] = []
    external_id = _id(payload.get("id"), "id")
    currency = check_currency(str(payload.get("currency") or ""), "currency")
    lines = []
    for index, item in enumerate(payload.get("line_items") or []):
        if not isinstance(item, dict):
            raise Invalid.field(f"line_items.{index}", "must be an object")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise Invalid.field(f"line_items.{index}.quantity", "must be a whole number")
        if quantity <= 0:
            notes.append(f"line_items.{index} skipped: quantity {quantity}")
            continue
        unit_price = _money(item.get("price"), currency, f"line_items.{index}.price")
        discount = _money(item.get("total_discount"), currency, f"line_items.{index}.total_discount")
        if discount > unit_price * quantity:
            notes.append(f"line_items.{index}.total_discount clamped to the line's price")
            discount = unit_price * quantity
        lines.append(
            {
                "external_id": _id(item.get("id"), f"line_items.{index}.id")
                if item.get("id") is not None
                else None,
                "sku": _text(item.get("sku"), 255),
                "product_id": str(item["product_id"]) if item.get("product_id") is not None else None,
                "title": _text(item.get("title") or item.get("name"), 500) or "Untitled item",
                "category": _text(item.get("product_type"), 200),
                "quantity": quantity,
                "unit_price": unit_price,
                "discount": max(discount, 0),
            }
        )
    if not lines:
        notes.append("no line items: recorded as one line worth the order total")
        lines.append({"title": "(no line items)", "quantity": 1, "unit_price": 0, "discount": 0})
    shipping = sum(
        _money(line.get("discounted_price", line.get("price")), currency, f"shipping_lines.{i}.price")
        for i, line in enumerate(payload.get("shipping_lines") or [])
        if isinstance(line, dict)
    )
    total = _money(payload.get("total_price"), currency, "total_price")
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else None
    email = _text(payload.get("email") or payload.get("contact_email"), 320)
    order_customer = None
    if customer is not None:
        profile = customer_profile(customer, notes)
        order_customer = {
            "external_id": _id(customer["id"], "customer.id") if customer.get("id") else None,
            **profile,
        }
    if email is not None:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            notes.append("email dropped: not an email address")
            email = None
    address = payload.get("shipping_address")
    shipping_address = (
        {str(k)[:64]: _text(v, 300) for k, v in list(address.items())[:20] if not isinstance(v, dict | list)}
        if isinstance(address, dict)
        else None
    )
    codes = [
        str(code.get("code"))[:100]
        for code in payload.get("discount_codes") or []
        if isinstance(code, dict) and code.get("code")
    ]
    status = _status(payload)
    fulfillments = [f for f in payload.get("fulfillments") or [] if isinstance(f, dict)]
    data = {
        "external_id": external_id,
        "number": _text(payload.get("name") or payload.get("order_number"), 64),
        "customer": order_customer,
        "email": email,
        "currency": currency,
        "lines": lines,
        "shipping_total": shipping,
        "tax_total": max(_money(payload.get("total_tax"), currency, "total_tax"), 0),
        "taxes_included": bool(payload.get("taxes_included")),
        "total": max(total, 0),
        "discount_codes": codes[:20],
        "status": status.value,
        "placed_at": payload.get("created_at") or payload.get("processed_at"),
        "paid_at": payload.get("processed_at") if status != OrderStatus.PLACED else None,
        "fulfilled_at": fulfillments[0].get("created_at") if fulfillments else None,
        "delivered_at": fulfillments[-1].get("updated_at") if status == OrderStatus.DELIVERED else None,
        "cancelled_at": payload.get("cancelled_at"),
        "cancel_reason": _text(payload.get("cancel_reason"), 200),
        "shipping_address": shipping_address,
    }
    try:
        order = OrderIn.model_validate(data)
        if order_customer is not None:
            OrderCustomerIn.model_validate(order_customer)
    except ValidationError as error:
        raise invalid_from(error, message="the Shopify order payload is not valid") from None
    return Mapped(order, notes)


def refunds_in_order(payload: dict[str, Any], currency: str) -> list[RefundIn]:
    """The refunds an order payload carries (orders/updated includes them), each mapped."""
    return [
        refund_from_payload(refund, currency)
        for refund in payload.get("refunds") or []
        if isinstance(refund, dict)
    ]


def refund_from_payload(payload: dict[str, Any], currency: str) -> RefundIn:
    """A ``RefundIn`` from a Shopify refund object (the refunds/create payload)."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify refund)")
    external_id = _id(payload.get("id"), "id")
    lines: list[dict[str, Any]] = []
    is_return = False
    for index, item in enumerate(payload.get("refund_line_items") or []):
        if not isinstance(item, dict):
            continue
        if item.get("restock_type") == "return":
            is_return = True
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise Invalid.field(f"refund_line_items.{index}.quantity", "must be a whole number")
        lines.append(
            {
                "line_external_id": _id(item.get("line_item_id"), f"refund_line_items.{index}.line_item_id"),
                "quantity": quantity,
                "amount": _money(item.get("subtotal"), currency, f"refund_line_items.{index}.subtotal"),
            }
        )
    transactions = [t for t in payload.get("transactions") or [] if isinstance(t, dict)]
    refunded = [t for t in transactions if t.get("kind") == "refund" and t.get("status") in (None, "success")]
    amount = (
        sum(_money(t.get("amount"), currency, f"transactions.{i}.amount") for i, t in enumerate(refunded))
        if refunded
        else None
    )
    data = {
        "external_id": external_id,
        "kind": "return" if is_return else "refund",
        "lines": [line for line in lines if line["quantity"] > 0 or line["amount"] > 0],
        "amount": amount,
        "reason": _text(payload.get("note"), 1000),
        "occurred_at": payload.get("processed_at") or payload.get("created_at"),
    }
    try:
        return RefundIn.model_validate(data)
    except ValidationError as error:
        raise invalid_from(error, message="the Shopify refund payload is not valid") from None


def customer_from_payload(payload: dict[str, Any]) -> Mapped:
    """``(external_id, CustomerProfile)`` from a Shopify customer payload."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify customer)")
    notes: list[str] = []
    external_id = _id(payload.get("id"), "id")
    profile = CustomerProfile.model_validate(customer_profile(payload, notes, where="body"))
    return Mapped((external_id, profile), notes)
