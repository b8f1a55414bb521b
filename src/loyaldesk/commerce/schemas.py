"""API models of commerce. ``OrderIn`` and ``RefundIn`` are also what Shopify webhooks and imports map to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
)

from loyaldesk.commerce.vocab import OrderNoteKind, OrderStatus, RefundKind, RefundStatus, WriteOutcome
from loyaldesk.customers import CustomerProfile
from loyaldesk.kernel.email_address import Email
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import check_currency


def _currency_code(value: str) -> str:
    try:
        return check_currency(value)
    except Invalid as error:
        raise ValueError(error.problems[0].reason) from None


ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
MinorUnits = Annotated[int, Field(ge=0, le=10**15, description="Integer minor units (cents).")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderCustomerIn(CustomerProfile):
    """The order's customer: matched on ``external_id``, else on ``email``; created if new."""

    external_id: ExternalId | None = None


class OrderLineIn(_Strict):
    external_id: ExternalId | None = Field(default=None, description="The store's id for the line.")
    sku: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    product_id: ExternalId | None = Field(default=None, description="The store's id for the product.")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    category: Text200 | None = None
    quantity: int = Field(ge=1, le=1_000_000)
    unit_price: MinorUnits
    discount: MinorUnits = Field(default=0, description="Discount on this line, in minor units.")


class OrderIn(_Strict):
    """An order as the store's backend sends it. Sending it again with the same ``external_id`` updates
    its status (and never duplicates it); lines are fixed when the order is first received."""

    external_id: ExternalId
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = (
        None
    )
    customer: OrderCustomerIn | None = None
    customer_id: int | None = Field(
        default=None, ge=1, le=2**62, description="loyaldesk's id of a known customer."
    )
    email: Email | None = None
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)]
    lines: list[OrderLineIn] = Field(min_length=1, max_length=2000)
    order_discount: MinorUnits = Field(default=0, description="Order-level discount, spread over the lines.")
    shipping_total: MinorUnits = 0
    tax_total: MinorUnits = 0
    taxes_included: bool = False
    total: MinorUnits | None = Field(default=None, description="Defaults to lines + shipping + tax.")
    discount_codes: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    status: OrderStatus = OrderStatus.PLACED
    placed_at: AwareDatetime | None = None
    paid_at: AwareDatetime | None = None
    fulfilled_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: Text200 | None = None
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    tracking_url: HttpUrl | None = Field(default=None, description="Where the shopper follows the parcel.")
    shipping_address: dict[str, Annotated[str, StringConstraints(max_length=300)] | None] | None = Field(
        default=None, max_length=20
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return _currency_code(value)


class OrderBatchIn(_Strict):
    orders: list[OrderIn] = Field(min_length=1, description="Up to the server's max_batch_orders (1,000).")


class OrderLineOut(BaseModel):
    id: int
    external_id: str | None
    sku: str | None
    product_id: str | None
    title: str
    category: str | None
    quantity: int
    unit_price: int
    discount: int
    total: int
    refunded_quantity: int
    refunded_amount: int


class RefundLineOut(BaseModel):
    order_line_id: int
    quantity: int
    amount: int


class RefundOut(BaseModel):
    id: int
    external_id: str
    kind: RefundKind
    amount: int
    reason: str | None
    occurred_at: datetime
    lines: list[RefundLineOut]


class OrderNoteOut(BaseModel):
    """A warning or note about the order's amounts (see ``docs/api.md``)."""

    kind: OrderNoteKind
    topic: str
    message: str
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    external_id: str
    number: str
    customer_id: int | None
    email: str | None
    currency: str
    subtotal: int
    discount_total: int
    shipping_total: int
    tax_total: int
    taxes_included: bool
    total: int
    refunded_total: int
    status: OrderStatus
    refund_status: RefundStatus
    discount_codes: list[str]
    placed_at: datetime
    paid_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    source: str
    revision: int = Field(default=0, description="Edits applied to the lines since the order was received.")
    lines: list[OrderLineOut]
    refunds: list[RefundOut]
    notes: list[OrderNoteOut] = Field(
        default_factory=list,
        description="Warnings and notes about the order's amounts (amounts that do not add up, a refund cut "
        "to what was left, an edit applied or not), oldest first.",
    )


class OrderWriteResult(BaseModel):
    # The outcomes of one order written alone (a refused one answers with an error status instead); spelled
    # as strings for the routes' sake, kept equal to WriteOutcome by tests/commerce/test_vocab.py.
    outcome: Literal["created", "updated", "unchanged", "stale"]
    order: OrderOut


class BatchItemError(BaseModel):
    code: str
    message: str
    fields: list[dict[str, str]] = Field(default_factory=list)


class BatchItemResult(BaseModel):
    index: int
    external_id: str
    outcome: WriteOutcome
    order_id: int | None = None
    error: BatchItemError | None = None


class OrderBatchResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: int
    results: list[BatchItemResult]


class StatusChangeIn(_Strict):
    status: OrderStatus
    occurred_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")
    reason: Text200 | None = Field(default=None, description="Why it was cancelled, for example.")
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    tracking_url: HttpUrl | None = Field(default=None, description="Where the shopper follows the parcel.")


class RefundLineIn(_Strict):
    line_id: int | None = Field(default=None, ge=1, le=2**62, description="loyaldesk's id of the order line.")
    line_external_id: ExternalId | None = Field(default=None, description="The store's id of the line.")
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None = None
    quantity: int = Field(ge=0, le=1_000_000)
    amount: MinorUnits | None = Field(default=None, description="Defaults to the units' share of the line.")


class RefundIn(_Strict):
    """A refund (money back) or a return (goods back, money back). Idempotent on ``external_id``."""

    external_id: ExternalId
    kind: RefundKind = RefundKind.REFUND
    lines: list[RefundLineIn] = Field(default_factory=list, max_length=500)
    amount: MinorUnits | None = Field(default=None, description="Defaults to the sum of the lines.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    occurred_at: AwareDatetime | None = None


class RefundWriteResult(BaseModel):
    created: bool
    order: OrderOut


def _web_address(value: str | None) -> str | None:
    """An absolute http(s) address with a host, as the store sent it (not rewritten)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an http:// or https:// address with a host")
    return value


WebAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_web_address)
]
ProductTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ProductSku = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Quantity = Annotated[
    int, Field(ge=-(10**9), le=10**9, description="Units on hand (may be negative: oversold).")
]
ProductAttributes = dict[
    Annotated[str, StringConstraints(min_length=1, max_length=64)], str | int | float | bool | None
]

# What recommendations read beyond the title and price. On an update, a field left out keeps its stored
# value (null clears it); see ``docs/api.md`` ("Products").
CATALOGUE_FIELDS = ("url", "image_url", "in_stock", "inventory_quantity", "cost", "consumable", "active")


class _ProductCatalogue(_Strict):
    url: WebAddress | None = Field(default=None, description="The product's page on the store (http/https).")
    image_url: WebAddress | None = Field(default=None, description="Its main image (http/https).")
    in_stock: bool | None = Field(
        default=None,
        description="Whether it can be bought now; null: unknown. Derived from inventory_quantity > 0 when "
        "left out and inventory_quantity is given.",
    )
    inventory_quantity: Quantity | None = None
    cost: MinorUnits | None = Field(default=None, description="What the store pays for it (for the margin).")
    consumable: bool | None = Field(
        default=None, description="Bought again and again (coffee, soap); null: learned from repurchases."
    )


class ProductIn(_ProductCatalogue):
    """A product as the store's backend sends it, created or updated by ``external_id``.

    ``sku``, ``category`` and ``attributes`` are replaced by what is sent (left out: cleared), as before;
    the catalogue fields (``url``, ``image_url``, ``in_stock``, ``inventory_quantity``, ``cost``,
    ``consumable``, ``active``) keep their stored value when left out, so that a feed which does not know
    them does not wipe what another source said. To change only stock or price, use
    ``PATCH /api/v1/products/by-external-id/{external_id}``."""

    external_id: ExternalId
    sku: ProductSku | None = None
    title: ProductTitle
    category: Text200 | None = None
    price: MinorUnits
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)]
    attributes: ProductAttributes = Field(default_factory=dict, max_length=50)
    active: bool = Field(default=True, description="False: archived or deleted at the store (never picked).")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return _currency_code(value)

    def catalogue_changes(self) -> dict[str, Any]:
        """The catalogue fields this statement sets: those sent, and ``in_stock`` derived from the
        quantity when only the quantity was sent."""
        return _catalogue_changes(self)


class ProductPatchIn(_ProductCatalogue):
    """A partial update of a known product: only the fields sent change (stock, price, ...)."""

    sku: ProductSku | None = None
    title: ProductTitle | None = None
    category: Text200 | None = None
    price: MinorUnits | None = None
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = None
    attributes: ProductAttributes | None = Field(default=None, max_length=50)
    active: bool | None = Field(default=None, description="False: archived or deleted at the store.")

    @field_validator("title", "price", "currency", "active")
    @classmethod
    def _kept(cls, value: Any) -> Any:
        # Validators run only on fields that were sent: null for one of these is an attempt to clear it.
        if value is None:
            raise ValueError("cannot be cleared (leave it out to keep it)")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return _currency_code(value)

    def changes(self) -> dict[str, Any]:
        """Every field sent, with ``in_stock`` derived from the quantity when only the quantity was sent."""
        sent = {name: getattr(self, name) for name in self.model_fields_set if name not in CATALOGUE_FIELDS}
        if "attributes" in sent and sent["attributes"] is None:
            sent["attributes"] = {}
        return {**sent, **_catalogue_changes(self)}


def _catalogue_changes(product: _ProductCatalogue) -> dict[str, Any]:
    sent = {name: getattr(product, name) for name in CATALOGUE_FIELDS if name in product.model_fields_set}
    if "in_stock" not in sent and sent.get("inventory_quantity") is not None:
        sent["in_stock"] = sent["inventory_quantity"] > 0
    return sent


class ProductBatchIn(_Strict):
    products: list[ProductIn] = Field(min_length=1, max_length=1000)


class ProductOut(BaseModel):
    id: int
    external_id: str
    sku: str | None
    title: str
    category: str | None
    price: int
    currency: str
    attributes: dict[str, Any]
    url: str | None = None
    image_url: str | None = None
    in_stock: bool | None = Field(
        default=None, description="null: the store has not said (counts as in stock)."
    )
    inventory_quantity: int | None = None
    cost: int | None = None
    consumable: bool | None = None
    active: bool = True
    created_at: datetime
    updated_at: datetime


class ProductBatchResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    products: list[ProductOut]
