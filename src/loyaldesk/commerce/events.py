"""Events of commerce. Amounts are minor units of the order's currency."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _OrderEvent(DomainEvent):
    subject_type = "order"
    order_id: int

    def subject_id(self) -> int | None:
        return self.order_id


class OrderPlaced(_OrderEvent):
    event_type = "order.placed"
    number: str
    total: int
    currency: str
    line_count: int
    source: str


class OrderPaid(_OrderEvent):
    event_type = "order.paid"
    number: str
    total: int
    currency: str


class OrderFulfilled(_OrderEvent):
    event_type = "order.fulfilled"
    number: str


class OrderDelivered(_OrderEvent):
    event_type = "order.delivered"
    number: str


class OrderCancelled(_OrderEvent):
    event_type = "order.cancelled"
    number: str
    reason: str | None = None
    discount_codes: list[str] = []


class OrderRefunded(_OrderEvent):
    event_type = "order.refunded"
    number: str
    refund_id: int
    kind: str
    amount: int
    currency: str
    refunded_total: int
    fully_refunded: bool
    lines: list[dict[str, int]]


class OrderEdited(_OrderEvent):
    """The order's lines or amounts changed after it was received (an edit in the store); ``changes``
    says what, in words. Its points follow (loyalty re-prices the lines the edit touched)."""

    event_type = "order.edited"
    number: str
    revision: int
    total_before: int
    total: int
    currency: str
    changes: list[str]


class ProductCreated(DomainEvent):
    event_type = "product.created"
    subject_type = "product"
    product_id: int
    sku: str | None

    def subject_id(self) -> int | None:
        return self.product_id


class ProductUpdated(DomainEvent):
    event_type = "product.updated"
    subject_type = "product"
    product_id: int
    changed_fields: list[str]

    def subject_id(self) -> int | None:
        return self.product_id
