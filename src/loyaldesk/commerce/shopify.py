"""Shopify-format webhooks: signature check and payload mapping. Pure functions, no I/O.

Shopify signs each delivery with ``X-Shopify-Hmac-Sha256``: the base64 HMAC-SHA256 of the raw body with
the shared secret. Payloads follow Shopify's REST webhook shapes, API versions 2023-01 to 2024-10
(orders/create, orders/updated, orders/edited, orders/cancelled, refunds/create, customers/create,
customers/update). Money comes as decimal strings in the shop's currency; how an order's amounts are read
and checked is in ``shopify_amounts``.

Mapping is lenient where Shopify itself is loose (its own test notification has a line discount larger
than the line's price and a negative subtotal): line discounts are clamped to the line, optional profile
fields that do not validate (a phone such as ``555-555-BILL``) are dropped and reported, a malformed
optional timestamp is dropped (the delivery's time stands in), NUL characters in text are removed;
never the order. What concerns the order's money is also kept as notes on the order (``order_notes``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from loyaldesk.commerce.order_notes import NoteIn
from loyaldesk.commerce.revisions import OrderEdit
from loyaldesk.commerce.schemas import OrderCustomerIn, OrderIn, RefundIn
from loyaldesk.commerce.shopify_amounts import read_order_amounts
from loyaldesk.commerce.shopify_fields import (
    clean,
    identifier,
    money,
    text,
    timestamp,
    whole_number,
)
from loyaldesk.commerce.vocab import OrderNoteKind, OrderStatus
from loyaldesk.customers import CustomerProfile
from loyaldesk.kernel.email_address import Email
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency
from loyaldesk.kernel.validation import invalid_from

ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled"}
)
EDIT_TOPICS = frozenset({"orders/edited"})
REFUND_TOPICS = frozenset({"refunds/create"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
SUPPORTED_TOPICS = ORDER_TOPICS | EDIT_TOPICS | REFUND_TOPICS | CUSTOMER_TOPICS

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
    """A mapped payload; ``notes`` for the response (what was dropped or cut), ``order_notes`` to keep on
    the order (what concerns its money), ``as_of`` when the store stated it (its ``updated_at``)."""

    value: Any
    notes: list[str] = field(default_factory=list)
    order_notes: list[NoteIn] = field(default_factory=list)
    as_of: datetime | None = None
    states_lines: bool = True  # False: the payload counts no line (a cancelled order may have none left)


RECEIVED = "the time it was received stands in"


def _time_notes(notes: list[str], what: str, fallback: str = RECEIVED) -> list[NoteIn]:
    return [NoteIn(OrderNoteKind.NOTE, "timestamps", f"{what}: {note}; {fallback}.") for note in notes]


def customer_profile(payload: dict[str, Any], notes: list[str], where: str = "customer") -> dict[str, Any]:
    """Profile fields from a Shopify customer object; each invalid optional field is dropped with a note."""
    consent = payload.get("accepts_marketing")
    marketing = payload.get("email_marketing_consent")
    if isinstance(marketing, dict) and marketing.get("state"):
        consent = marketing.get("state") == "subscribed"
    tags_value = payload.get("tags")
    tags = (
        [clean(t).strip()[:64] for t in tags_value.split(",") if clean(t).strip()]
        if isinstance(tags_value, str)
        else None
    )
    candidate: dict[str, Any] = {
        "email": text(payload.get("email"), 320),
        "first_name": text(payload.get("first_name"), 100),
        "last_name": text(payload.get("last_name"), 100),
        "phone": text(payload.get("phone"), 32),
        "locale": text(payload.get("locale"), 35),
        "marketing_consent": bool(consent) if consent is not None else None,
        "tags": tags[:50] if tags is not None else None,
    }
    address = payload.get("default_address")
    country = text(address.get("country_code"), 64) if isinstance(address, dict) else None
    if country:
        candidate["attributes"] = {"country": country}
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


def _shipment(fulfillment: dict[str, Any]) -> dict[str, Any]:
    """The latest fulfillment's carrier and tracking, as the assistant quotes them (a tracking URL that is
    not a plain http(s) address is left out rather than refusing the order)."""
    url = text(fulfillment.get("tracking_url"), 500)
    return {
        "carrier": text(fulfillment.get("tracking_company"), 100),
        "tracking_number": text(fulfillment.get("tracking_number"), 200),
        "tracking_url": url if url and re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url) else None,
    }


def order_from_payload(payload: dict[str, Any]) -> Mapped:
    """An ``OrderIn`` from a Shopify order payload, or ``Invalid`` naming what is missing or wrong."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify order)")
    notes: list[str] = []
    external_id = identifier(payload.get("id"), "id")
    currency = check_currency(clean(str(payload.get("currency") or "")), "currency")
    amounts = read_order_amounts(payload, currency, notes)
    lines = amounts.lines or [{"title": "(no line items)", "quantity": 1, "unit_price": 0, "discount": 0}]
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else None
    email = text(payload.get("email") or payload.get("contact_email"), 320)
    order_customer = None
    if customer is not None:
        profile = customer_profile(customer, notes)
        order_customer = {
            "external_id": identifier(customer["id"], "customer.id") if customer.get("id") else None,
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
        {
            clean(str(key))[:64]: text(value, 300)
            for key, value in list(address.items())[:20]
            if not isinstance(value, dict | list)
        }
        if isinstance(address, dict)
        else None
    )
    codes = [
        code_text
        for code in payload.get("discount_codes") or []
        if isinstance(code, dict) and (code_text := text(code.get("code"), 100))
    ]
    status = _status(payload)
    fulfillments = [f for f in payload.get("fulfillments") or [] if isinstance(f, dict)]
    times: list[str] = []
    created_at = timestamp(payload.get("created_at"), "created_at", times)
    processed_at = timestamp(payload.get("processed_at"), "processed_at", times)
    updated_at = timestamp(payload.get("updated_at"), "updated_at", times)
    data = {
        "external_id": external_id,
        "number": text(payload.get("name") or payload.get("order_number"), 64),
        "customer": order_customer,
        "email": email,
        "currency": currency,
        "lines": lines,
        "order_discount": amounts.order_discount,
        "shipping_total": amounts.shipping_total,
        "tax_total": amounts.tax_total,
        "taxes_included": amounts.taxes_included,
        "total": amounts.total,
        "discount_codes": codes[:20],
        "status": status.value,
        "placed_at": created_at or processed_at,
        "paid_at": processed_at if status != OrderStatus.PLACED else None,
        "fulfilled_at": timestamp(fulfillments[0].get("created_at"), "fulfillments.0.created_at", times)
        if fulfillments
        else None,
        "delivered_at": timestamp(
            fulfillments[-1].get("updated_at"), f"fulfillments.{len(fulfillments) - 1}.updated_at", times
        )
        if status == OrderStatus.DELIVERED
        else None,
        "cancelled_at": timestamp(payload.get("cancelled_at"), "cancelled_at", times),
        "cancel_reason": text(payload.get("cancel_reason"), 200),
        "shipping_address": shipping_address,
        **_shipment(fulfillments[-1] if fulfillments else {}),
    }
    try:
        order = OrderIn.model_validate(data)
        if order_customer is not None:
            OrderCustomerIn.model_validate(order_customer)
    except ValidationError as error:
        raise invalid_from(error, message="the Shopify order payload is not valid") from None
    notes.extend(times)
    return Mapped(
        order,
        notes,
        [
            *amounts.order_notes,
            *_time_notes(
                times,
                f"Order {order.number or external_id}",
                "the order's other dates stand in (or the time it was received)",
            ),
        ],
        updated_at or created_at,
        states_lines=bool(amounts.lines),
    )


def refunds_in_order(payload: dict[str, Any], currency: str) -> list[Mapped]:
    """The refunds an order payload carries (orders/updated includes them), each mapped."""
    return [
        refund_from_payload(refund, currency, where=f"refunds.{index}")
        for index, refund in enumerate(payload.get("refunds") or [])
        if isinstance(refund, dict)
    ]


def refund_from_payload(payload: dict[str, Any], currency: str, where: str = "") -> Mapped:
    """A ``RefundIn`` from a Shopify refund object (the refunds/create payload).

    A refund line without ``subtotal`` (older payloads) asks for the line's own worth of those units:
    its price times the quantity less the line's discounts, pro rata, as stored with the order."""
    if not isinstance(payload, dict):
        raise Invalid.field(where or "body", "must be a JSON object (a Shopify refund)")
    prefix = f"{where}." if where else ""
    notes: list[str] = []
    kept: list[NoteIn] = []
    external_id = identifier(payload.get("id"), f"{prefix}id")
    lines: list[dict[str, Any]] = []
    is_return = False
    for index, item in enumerate(payload.get("refund_line_items") or []):
        if not isinstance(item, dict):
            continue
        place = f"{prefix}refund_line_items.{index}"
        if item.get("restock_type") == "return":
            is_return = True
        quantity = whole_number(item.get("quantity"))
        if quantity is None or quantity < 0:
            raise Invalid.field(f"{place}.quantity", "must be a whole number")
        subtotal = item.get("subtotal")
        if subtotal in (None, ""):
            subtotal = item.get("subtotal_set")
        amount = money(subtotal, currency, f"{place}.subtotal") if subtotal not in (None, "") else None
        if amount is None:
            notes.append(f"{place}.subtotal missing: derived from the line (price x quantity - discounts)")
            kept.append(
                NoteIn(
                    OrderNoteKind.NOTE,
                    "refund",
                    f"Refund {external_id}: a refunded line has no subtotal (an older payload); its amount "
                    "is the line's price times the quantity less the line's discounts, pro rata.",
                    key=f"refund:{external_id}:derived",
                )
            )
        lines.append(
            {
                "line_external_id": identifier(item.get("line_item_id"), f"{place}.line_item_id"),
                "quantity": quantity,
                "amount": amount,
            }
        )
    transactions = [t for t in payload.get("transactions") or [] if isinstance(t, dict)]
    refunded = [t for t in transactions if t.get("kind") == "refund" and t.get("status") in (None, "success")]
    amount = (
        sum(
            money(t.get("amount"), currency, f"{prefix}transactions.{i}.amount")
            for i, t in enumerate(refunded)
        )
        if refunded
        else None
    )
    times: list[str] = []
    occurred_at = timestamp(payload.get("processed_at"), f"{prefix}processed_at", times)
    if occurred_at is None:
        occurred_at = timestamp(payload.get("created_at"), f"{prefix}created_at", times)
    notes.extend(times)
    kept.extend(_time_notes(times, f"Refund {external_id}"))
    data = {
        "external_id": external_id,
        "kind": "return" if is_return else "refund",
        "lines": [line for line in lines if line["quantity"] > 0 or (line["amount"] or 0) > 0],
        "amount": amount,
        "reason": text(payload.get("note"), 1000),
        "occurred_at": occurred_at,
    }
    try:
        return Mapped(RefundIn.model_validate(data), notes, kept)
    except ValidationError as error:
        raise invalid_from(error, prefix=where, message="the Shopify refund payload is not valid") from None


def _changes(section: Any, what: str) -> list[str]:
    """Words for the additions and removals of an edit's ``discounts``/``shipping_lines`` section."""
    if not isinstance(section, dict):
        return []
    words = []
    for side in ("additions", "removals"):
        items = section.get(side)
        if isinstance(items, list) and items:
            verb = "added" if side == "additions" else "removed"
            words.append(f"{len(items)} {what} {verb}")
    return words


def order_edit_from_payload(payload: Any) -> Mapped:
    """An ``OrderEdit`` from the orders/edited payload (``{"order_edit": {...}}``; the bare object too).

    The payload names lines and quantities only: ``line_items.additions``/``removals`` as ``{id, delta}``;
    changes to discounts and shipping lines are reported as such, unpriced."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify order edit)")
    edit = payload.get("order_edit", payload)
    prefix = "order_edit." if "order_edit" in payload else ""
    if not isinstance(edit, dict):
        raise Invalid.field("order_edit", "must be an object")
    edit_id = identifier(edit.get("id"), f"{prefix}id")
    order_id = identifier(edit.get("order_id"), f"{prefix}order_id")
    changes: list[tuple[str, int]] = []
    line_items: dict[str, Any] = edit["line_items"] if isinstance(edit.get("line_items"), dict) else {}
    for side, sign in (("additions", 1), ("removals", -1)):
        for index, item in enumerate(line_items.get(side) or []):
            where = f"{prefix}line_items.{side}.{index}"
            if not isinstance(item, dict):
                raise Invalid.field(where, "must be an object")
            delta = whole_number(item.get("delta"))
            if delta is None or delta <= 0:
                raise Invalid.field(f"{where}.delta", "must be a whole number of units, at least 1")
            changes.append((identifier(item.get("id"), f"{where}.id"), sign * delta))
    discounts: dict[str, Any] = edit["discounts"] if isinstance(edit.get("discounts"), dict) else {}
    unpriced = _changes(discounts.get("line_item"), "line discount(s)") + _changes(
        edit.get("shipping_lines"), "shipping line(s)"
    )
    notes: list[str] = []
    at = timestamp(edit.get("committed_at"), f"{prefix}committed_at", notes) or timestamp(
        edit.get("created_at"), f"{prefix}created_at", notes
    )
    value = OrderEdit(edit_id, order_id, at, tuple(changes), tuple(unpriced))
    return Mapped(value, notes, _time_notes(notes, f"Edit {edit_id}"), at)


def customer_from_payload(payload: dict[str, Any]) -> Mapped:
    """``(external_id, CustomerProfile)`` from a Shopify customer payload."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify customer)")
    notes: list[str] = []
    external_id = identifier(payload.get("id"), "id")
    profile = CustomerProfile.model_validate(customer_profile(payload, notes, where="body"))
    return Mapped((external_id, profile), notes)
