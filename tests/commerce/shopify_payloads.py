"""Shopify webhook deliveries built the way Shopify builds them, for tests.

``ShopifyOrder`` keeps an order's state (lines, discounts, shipping, tax, tip, refunds, edits) and writes
the bodies Shopify's REST Admin API sends for it in versions 2023-01 and 2024-10 (orders/create and
orders/updated, refunds/create, orders/edited); ``envelope`` wraps a body in the HTTP delivery (Shopify's
headers and HMAC signature). The shapes follow Shopify's documented webhook examples; the differences
between the two versions that matter here: from 2024-01 a line has ``current_quantity`` (units left after
removals and refunds), from 2024-04 a shipping line has ``is_removed``, and from 2024-07 an order edit has
``committed_at``.

The amounts follow Shopify's rules as documented:
- a discount application is allocated to its target lines: a percentage on each line's price (rounded per
  line), a fixed amount ``across`` the lines in proportion to their price (largest remainder first),
  ``each`` once per unit; each allocation names its application by ``discount_application_index``;
- the deprecated line ``total_discount`` stays "0.00" (Shopify leaves it at 0 for discount codes);
- ``total_discounts`` is every discount (lines and shipping); ``subtotal_price`` the lines after theirs;
- ``total_price`` is subtotal + shipping after its discounts + tax (unless prices include it) + tip;
  ``current_*`` figures are after refunds.
Money is kept in cents and written as decimal strings, as Shopify does.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from loyaldesk.commerce.shopify import signature

VERSIONS = ("2023-01", "2024-10")
BERLIN = ZoneInfo("Europe/Berlin")
_deliveries = itertools.count(1)
SHOP_DOMAIN = "acme-garden.myshopify.com"


def amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def money_set(cents: int, currency: str) -> dict[str, Any]:
    value = {"amount": amount(cents), "currency_code": currency}
    return {"shop_money": value, "presentment_money": dict(value)}


def when(instant: datetime) -> str:
    """Shopify writes instants in the shop's time zone with their offset (here: Berlin)."""
    return instant.astimezone(BERLIN).isoformat(timespec="seconds")


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Line:
    id: int
    title: str
    sku: str
    price: int  # cents per unit
    quantity: int  # as ordered (and as added by edits)
    tax_rate: Decimal = Decimal(0)
    removed: int = 0  # units an edit removed
    refunded: int = 0
    allocations: list[tuple[int, int]] = field(default_factory=list)  # (application index, cents)

    @property
    def discount(self) -> int:
        return sum(cents for _, cents in self.allocations)

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.removed - self.refunded

    def counted_discount(self) -> int:
        """The discount of the units still ordered (edits' removals take their share)."""
        kept = self.quantity - self.removed
        return self.discount * kept // self.quantity

    def net(self) -> int:
        return self.price * (self.quantity - self.removed) - self.counted_discount()

    def tax(self, included: bool) -> int:
        if not self.tax_rate:
            return 0
        net = Decimal(self.net())
        if included:
            return _round(net - net / (1 + self.tax_rate))
        return _round(net * self.tax_rate)


@dataclass
class Application:
    kind: str  # discount_code | automatic | manual | script
    name: str  # the code, or the title
    value_type: str  # fixed_amount | percentage
    value: Decimal
    target_type: str = "line_item"  # line_item | shipping_line
    allocation_method: str = "across"  # across | each
    target_selection: str = "all"  # all | entitled | explicit


@dataclass
class ShippingLine:
    id: int
    title: str
    price: int
    allocations: list[tuple[int, int]] = field(default_factory=list)
    removed: bool = False

    @property
    def discount(self) -> int:
        return sum(cents for _, cents in self.allocations)


class ShopifyOrder:
    """An order at Shopify; its ``payload()`` is the order webhook body in ``version``."""

    def __init__(
        self,
        version: str = "2024-10",
        *,
        order_id: int = 5_501_218_045_978,
        number: int = 1042,
        currency: str = "EUR",
        taxes_included: bool = False,
        placed_at: datetime = datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        customer_id: int = 7_339_826_479_386,
        email: str = "ines.moreau@example.com",
    ) -> None:
        assert version in VERSIONS, version
        self.version = version
        self.id, self.number, self.currency = order_id, number, currency
        self.taxes_included = taxes_included
        self.placed_at = self.updated_at = placed_at
        self.customer_id, self.email = customer_id, email
        self.lines: list[Line] = []
        self.applications: list[Application] = []
        self.shipping_lines: list[ShippingLine] = []
        self.tip = 0
        self.financial_status = "paid"
        self.fulfillment_status: str | None = None
        self.fulfillments: list[dict[str, Any]] = []
        self.refunds: list[dict[str, Any]] = []
        self._ids = iter(range(self.id + 1000, self.id + 100_000, 7))

    # -- building ---------------------------------------------------------------------------------
    def line(
        self, title: str, price: int, quantity: int = 1, *, sku: str | None = None, tax_rate: str = "0"
    ) -> int:
        line = Line(next(self._ids), title, sku or title.upper().replace(" ", "-")[:20], price, quantity)
        line.tax_rate = Decimal(tax_rate)
        self.lines.append(line)
        return line.id

    def shipping(self, title: str, price: int) -> int:
        line = ShippingLine(next(self._ids), title, price)
        self.shipping_lines.append(line)
        return line.id

    def _apply(self, application: Application, targets: list[Line] | list[ShippingLine]) -> None:
        index = len(self.applications)
        self.applications.append(application)
        if application.target_type == "shipping_line":
            bases = [line.price for line in targets]  # type: ignore[union-attr]
        else:
            bases = [line.price * line.quantity for line in targets]  # type: ignore[union-attr]
        if application.value_type == "percentage":
            shares = [_round(Decimal(base) * application.value / 100) for base in bases]
        elif application.allocation_method == "each":
            cents = _round(application.value * 100)
            shares = [cents * line.quantity for line in targets]  # type: ignore[union-attr]
        else:  # fixed amount across the targets, in proportion to their price, largest remainder first
            cents = _round(application.value * 100)
            total = sum(bases)
            shares = [cents * base // total for base in bases]
            order = sorted(range(len(bases)), key=lambda i: (-(cents * bases[i] % total), i))
            for position in order[: cents - sum(shares)]:
                shares[position] += 1
        for line, share in zip(targets, shares, strict=True):
            share = min(share, line.price * getattr(line, "quantity", 1) - line.discount)
            if share > 0:
                line.allocations.append((index, share))

    def discount_code(
        self,
        code: str,
        *,
        percent: str | None = None,
        fixed: str | None = None,
        lines: list[int] | None = None,
    ) -> None:
        """A code the customer typed at checkout (on every line, or the ``lines`` it is entitled to)."""
        targets = [line for line in self.lines if lines is None or line.id in lines]
        self._apply(
            Application(
                "discount_code",
                code,
                "percentage" if percent else "fixed_amount",
                Decimal(percent or fixed or "0"),
                target_selection="all" if lines is None else "entitled",
            ),
            targets,
        )

    def automatic_discount(self, title: str, *, percent: str, lines: list[int] | None = None) -> None:
        targets = [line for line in self.lines if lines is None or line.id in lines]
        self._apply(
            Application(
                "automatic",
                title,
                "percentage",
                Decimal(percent),
                target_selection="all" if lines is None else "entitled",
            ),
            targets,
        )

    def manual_discount(self, title: str, line_id: int, fixed: str) -> None:
        """A discount a staff member gave one line (in the admin or at the POS)."""
        targets = [line for line in self.lines if line.id == line_id]
        self._apply(
            Application("manual", title, "fixed_amount", Decimal(fixed), target_selection="explicit"), targets
        )

    def free_shipping(self, code: str) -> None:
        self._apply(
            Application("discount_code", code, "percentage", Decimal(100), target_type="shipping_line"),
            [line for line in self.shipping_lines if not line.removed],
        )

    def fulfil(self, at: datetime, *, delivered: bool = False) -> None:
        self.fulfillment_status = "fulfilled"
        self.fulfillments = [
            {
                "id": next(self._ids),
                "created_at": when(at),
                "updated_at": when(at + timedelta(days=2)),
                "shipment_status": "delivered" if delivered else "in_transit",
                "status": "success",
            }
        ]
        self.updated_at = at

    # -- the figures Shopify computes --------------------------------------------------------------
    def subtotal(self) -> int:
        return sum(line.net() for line in self.lines)

    def shipping_charged(self) -> int:
        return sum(line.price - line.discount for line in self.shipping_lines if not line.removed)

    def total_tax(self) -> int:
        return sum(line.tax(self.taxes_included) for line in self.lines)

    def total_discounts(self) -> int:
        return sum(line.counted_discount() for line in self.lines) + sum(
            line.discount for line in self.shipping_lines if not line.removed
        )

    def total_price(self) -> int:
        added_tax = 0 if self.taxes_included else self.total_tax()
        return self.subtotal() + self.shipping_charged() + added_tax + self.tip

    def refunded(self) -> int:
        return sum(
            int(Decimal(t["amount"]) * 100)
            for refund in self.refunds
            for t in refund["transactions"]
            if t["kind"] == "refund" and t["status"] == "success"
        )

    # -- bodies -------------------------------------------------------------------------------------
    def _line_item(self, line: Line) -> dict[str, Any]:
        tax = line.tax(self.taxes_included)
        item: dict[str, Any] = {
            "id": line.id,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{line.id}",
            "attributed_staffs": [],
            "fulfillable_quantity": max(line.current_quantity, 0) if self.fulfillment_status is None else 0,
            "fulfillment_service": "manual",
            "fulfillment_status": self.fulfillment_status,
            "gift_card": False,
            "grams": 500,
            "name": line.title,
            "price": amount(line.price),
            "price_set": money_set(line.price, self.currency),
            "product_exists": True,
            "product_id": line.id // 10,
            "properties": [],
            "quantity": line.quantity,
            "requires_shipping": True,
            "sku": line.sku,
            "taxable": bool(line.tax_rate),
            "title": line.title,
            "total_discount": "0.00",
            "total_discount_set": money_set(0, self.currency),
            "variant_id": line.id + 1,
            "variant_inventory_management": "shopify",
            "variant_title": None,
            "vendor": "Acme Garden",
            "tax_lines": [
                {
                    "channel_liable": False,
                    "price": amount(tax),
                    "price_set": money_set(tax, self.currency),
                    "rate": float(line.tax_rate),
                    "title": "MwSt.",
                }
            ]
            if line.tax_rate
            else [],
            "duties": [],
            "discount_allocations": [
                {
                    "amount": amount(cents),
                    "amount_set": money_set(cents, self.currency),
                    "discount_application_index": index,
                }
                for index, cents in line.allocations
            ],
        }
        if self.version >= "2024-01":
            item["current_quantity"] = line.current_quantity
        return item

    def _application(self, application: Application) -> dict[str, Any]:
        body: dict[str, Any] = {
            "target_type": application.target_type,
            "type": application.kind,
            "value": str(application.value),
            "value_type": application.value_type,
            "allocation_method": application.allocation_method,
            "target_selection": application.target_selection,
        }
        if application.kind == "discount_code":
            body["code"] = application.name
        else:
            body["title"] = body["description"] = application.name
        return body

    def _shipping_line(self, line: ShippingLine) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": line.id,
            "carrier_identifier": None,
            "code": line.title,
            "discounted_price": amount(line.price - line.discount),
            "discounted_price_set": money_set(line.price - line.discount, self.currency),
            "phone": None,
            "price": amount(line.price),
            "price_set": money_set(line.price, self.currency),
            "requested_fulfillment_service_id": None,
            "source": "shopify",
            "title": line.title,
            "tax_lines": [],
            "discount_allocations": [
                {
                    "amount": amount(cents),
                    "amount_set": money_set(cents, self.currency),
                    "discount_application_index": index,
                }
                for index, cents in line.allocations
            ],
        }
        if self.version >= "2024-04":
            body["is_removed"] = line.removed
        return body

    def payload(self) -> dict[str, Any]:
        """The orders/create (and orders/updated, orders/paid, ...) body as things stand."""
        refunded_lines = sum(
            Decimal(str(item["subtotal"])) * 100
            for refund in self.refunds
            for item in refund["refund_line_items"]
        )
        codes = [
            {
                "code": application.name,
                "amount": amount(
                    sum(
                        cents
                        for line in [*self.lines, *self.shipping_lines]
                        for i, cents in line.allocations
                        if i == index
                    )
                ),
                "type": "shipping" if application.target_type == "shipping_line" else application.value_type,
            }
            for index, application in enumerate(self.applications)
            if application.kind == "discount_code"
        ]
        total, tax = self.total_price(), self.total_tax()
        body: dict[str, Any] = {
            "id": self.id,
            "admin_graphql_api_id": f"gid://shopify/Order/{self.id}",
            "app_id": 580111,
            "browser_ip": "203.0.113.7",
            "buyer_accepts_marketing": True,
            "cancel_reason": None,
            "cancelled_at": None,
            "cart_token": "hWN2zWbkSTTmZAZxNuSATH1o",
            "checkout_id": self.id + 1,
            "checkout_token": "bd5a8aa1ecd019dd3520ff791ee3a24c",
            "client_details": None,
            "closed_at": None,
            "confirmation_number": "K7ZQ2RD8M",
            "confirmed": True,
            "contact_email": self.email,
            "created_at": when(self.placed_at),
            "currency": self.currency,
            "current_subtotal_price": amount(self.subtotal() - int(refunded_lines)),
            "current_subtotal_price_set": money_set(self.subtotal() - int(refunded_lines), self.currency),
            "current_total_discounts": amount(self.total_discounts()),
            "current_total_discounts_set": money_set(self.total_discounts(), self.currency),
            "current_total_duties_set": None,
            "current_total_price": amount(total - self.refunded()),
            "current_total_price_set": money_set(total - self.refunded(), self.currency),
            "current_total_tax": amount(tax),
            "current_total_tax_set": money_set(tax, self.currency),
            "customer_locale": "de-DE",
            "device_id": None,
            "discount_codes": codes,
            "email": self.email,
            "estimated_taxes": False,
            "financial_status": self.financial_status,
            "fulfillment_status": self.fulfillment_status,
            "landing_site": "/",
            "landing_site_ref": None,
            "location_id": None,
            "merchant_of_record_app_id": None,
            "name": f"#{self.number}",
            "note": None,
            "note_attributes": [],
            "number": self.number - 1000,
            "order_number": self.number,
            "order_status_url": f"https://{SHOP_DOMAIN}/60810264858/orders/abc{self.number}/authenticate?key=x",
            "original_total_duties_set": None,
            "payment_gateway_names": ["shopify_payments"],
            "phone": None,
            "po_number": None,
            "presentment_currency": self.currency,
            "processed_at": when(self.placed_at),
            "reference": None,
            "referring_site": None,
            "source_identifier": None,
            "source_name": "web",
            "source_url": None,
            "subtotal_price": amount(self.subtotal()),
            "subtotal_price_set": money_set(self.subtotal(), self.currency),
            "tags": "",
            "tax_exempt": False,
            "tax_lines": [],
            "taxes_included": self.taxes_included,
            "test": False,
            "token": "a9b8f3b6ad7a4c7e0ddca4b7a1c8e2f0",
            "total_discounts": amount(self.total_discounts()),
            "total_discounts_set": money_set(self.total_discounts(), self.currency),
            "total_line_items_price": amount(sum(line.price * line.quantity for line in self.lines)),
            "total_line_items_price_set": money_set(
                sum(line.price * line.quantity for line in self.lines), self.currency
            ),
            "total_outstanding": "0.00",
            "total_price": amount(total),
            "total_price_set": money_set(total, self.currency),
            "total_shipping_price_set": money_set(self.shipping_charged(), self.currency),
            "total_tax": amount(tax),
            "total_tax_set": money_set(tax, self.currency),
            "total_tip_received": amount(self.tip),
            "total_weight": 500 * sum(line.quantity for line in self.lines),
            "updated_at": when(self.updated_at),
            "user_id": None,
            "billing_address": {
                "first_name": "Inès",
                "address1": "Gartenstraße 12",
                "phone": "+49 30 1234567",
                "city": "Berlin",
                "zip": "10115",
                "country": "Germany",
                "last_name": "Moreau",
                "country_code": "DE",
            },
            "customer": {
                "id": self.customer_id,
                "email": self.email,
                "created_at": when(self.placed_at - timedelta(days=30)),
                "updated_at": when(self.placed_at),
                "first_name": "Inès",
                "last_name": "Moreau",
                "state": "enabled",
                "note": None,
                "verified_email": True,
                "multipass_identifier": None,
                "tax_exempt": False,
                "phone": None,
                "email_marketing_consent": {
                    "state": "subscribed",
                    "opt_in_level": "single_opt_in",
                    "consent_updated_at": when(self.placed_at - timedelta(days=30)),
                },
                "sms_marketing_consent": None,
                "tags": "garden, newsletter",
                "currency": self.currency,
                "tax_exemptions": [],
                "admin_graphql_api_id": f"gid://shopify/Customer/{self.customer_id}",
                "default_address": {"id": self.customer_id + 1, "country_code": "DE", "default": True},
            },
            "discount_applications": [self._application(application) for application in self.applications],
            "fulfillments": self.fulfillments,
            "line_items": [self._line_item(line) for line in self.lines],
            "payment_terms": None,
            "refunds": self.refunds,
            "shipping_address": {
                "first_name": "Inès",
                "address1": "Gartenstraße 12",
                "city": "Berlin",
                "zip": "10115",
                "country": "Germany",
                "last_name": "Moreau",
                "country_code": "DE",
            },
            "shipping_lines": [self._shipping_line(line) for line in self.shipping_lines],
        }
        if self.version >= "2024-01":
            for name in ("original_total_additional_fees_set", "current_total_additional_fees_set"):
                body[name] = None
        return body

    def refund(
        self,
        units: dict[int, int],
        *,
        at: datetime,
        restock_type: str = "return",
        shipping: int = 0,
        note: str | None = "Arrived damaged",
    ) -> dict[str, Any]:
        """Give back ``units`` (line id -> quantity) and ``shipping`` cents: the refunds/create body, also
        kept on the order (``payload()["refunds"]``)."""
        refund_id = next(self._ids)
        items = []
        money_back = shipping
        for line_id, quantity in units.items():
            line = next(line for line in self.lines if line.id == line_id)
            before = line.refunded
            kept = line.quantity - line.removed
            subtotal = line.net() * (before + quantity) // kept - line.net() * before // kept
            tax = line.tax(self.taxes_included) * quantity // kept
            line.refunded += quantity
            money_back += subtotal + (0 if self.taxes_included else tax)
            items.append(
                {
                    "id": next(self._ids),
                    "line_item_id": line.id,
                    "location_id": 60_810_264_858,
                    "quantity": quantity,
                    "restock_type": restock_type,
                    "subtotal": float(Decimal(subtotal) / 100),
                    "subtotal_set": money_set(subtotal, self.currency),
                    "total_tax": float(Decimal(tax) / 100),
                    "total_tax_set": money_set(tax, self.currency),
                    "line_item": self._line_item(line),
                }
            )
        body = {
            "id": refund_id,
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
            "created_at": when(at),
            "note": note,
            "order_id": self.id,
            "processed_at": when(at),
            "restock": restock_type in ("return", "cancel"),
            "total_duties_set": money_set(0, self.currency),
            "user_id": 82_012_345_678,
            "order_adjustments": [],
            "transactions": [
                {
                    "id": next(self._ids),
                    "admin_graphql_api_id": "gid://shopify/OrderTransaction/1",
                    "amount": amount(money_back),
                    "authorization": None,
                    "created_at": when(at),
                    "currency": self.currency,
                    "device_id": None,
                    "error_code": None,
                    "gateway": "shopify_payments",
                    "kind": "refund",
                    "location_id": None,
                    "message": "Transaction approved",
                    "order_id": self.id,
                    "parent_id": self.id + 3,
                    "processed_at": when(at),
                    "receipt": {},
                    "source_name": "web",
                    "status": "success",
                    "test": False,
                    "user_id": None,
                }
            ],
            "refund_line_items": items,
            "duties": [],
        }
        self.refunds.append(body)
        self.financial_status = "refunded" if self.refunded() >= self.total_price() else "partially_refunded"
        self.updated_at = at
        return body

    def edit(
        self,
        *,
        at: datetime,
        remove: dict[int, int] | None = None,
        add: dict[int, int] | None = None,
        new_lines: list[tuple[str, int, int]] | None = None,
    ) -> dict[str, Any]:
        """An order edit committed at ``at``: units removed from or added to lines, new lines (title,
        unit price, quantity). Returns the orders/edited body; the order's payload follows the edit."""
        additions = []
        removals = []
        for line_id, delta in (remove or {}).items():
            next(line for line in self.lines if line.id == line_id).removed += delta
            removals.append({"id": line_id, "delta": delta})
        for line_id, delta in (add or {}).items():
            next(line for line in self.lines if line.id == line_id).quantity += delta
            additions.append({"id": line_id, "delta": delta})
        for title, price, quantity in new_lines or []:
            additions.append({"id": self.line(title, price, quantity), "delta": quantity})
        edit: dict[str, Any] = {
            "id": next(self._ids),
            "app_id": None,
            "created_at": when(at - timedelta(minutes=3)),
            "notify_customer": False,
            "order_id": self.id,
            "staff_note": "Customer called to change the order",
            "user_id": 82_012_345_678,
            "line_items": {"additions": additions, "removals": removals},
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": [], "removals": []},
        }
        if self.version >= "2024-07":
            edit["committed_at"] = when(at)
        self.updated_at = at
        return {"order_edit": edit}


def envelope(
    topic: str,
    body: dict[str, Any] | bytes,
    *,
    secret: str,
    version: str = "2024-10",
    webhook_id: str | None = None,
    triggered_at: datetime = datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
) -> tuple[bytes, dict[str, str]]:
    """The HTTP delivery of ``body``: its bytes and Shopify's headers, signed with ``secret``."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    number = next(_deliveries)
    identifier = webhook_id or f"b54557e4-bdd9-4b37-8a5f-{number:012d}"
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature(secret, raw),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": version,
        "X-Shopify-Webhook-Id": identifier,
        "X-Shopify-Triggered-At": triggered_at.isoformat().replace("+00:00", "Z"),
        "X-Shopify-Event-Id": f"98880550-7158-44d4-b7cd-{number:012d}",
    }
    return raw, headers
