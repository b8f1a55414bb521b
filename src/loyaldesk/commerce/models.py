"""Tables of commerce: products, orders with their lines, refunds and returns, webhook receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime

Money = BigInteger  # integer minor units (cents); the currency is on the row or its order


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # What recommendations need beyond the title and price. None: the store did not say.
    url: Mapped[str | None] = mapped_column(String(2000))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    in_stock: Mapped[bool | None] = mapped_column(Boolean)  # None: unknown (treated as in stock)
    inventory_quantity: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[int | None] = mapped_column(Money)  # what the store pays (for the margin), minor units
    consumable: Mapped[bool | None] = mapped_column(Boolean)  # None: learned from repurchases
    active: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )  # False: archived or deleted at the store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_products_store_sku", "store_id", "sku"),
    )


class Order(Base):
    """An order. ``status`` is its lifecycle stage; refunds and returns are tracked beside it.

    Amounts are minor units of ``currency``. ``total`` is what the customer paid; ``refunded_total``
    is what has been given back, so net revenue is ``total - refunded_total``. ``revision`` counts the
    edits applied to its lines since it was received (0: as first received); ``lines_as_of`` is when the
    store last stated its lines (Shopify's ``updated_at``), so that an older statement never undoes a
    newer one.
    """

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(Money)
    discount_total: Mapped[int] = mapped_column(Money)
    shipping_total: Mapped[int] = mapped_column(Money)
    tax_total: Mapped[int] = mapped_column(Money)
    taxes_included: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Money)
    refunded_total: Mapped[int] = mapped_column(Money, default=0)
    status: Mapped[str] = mapped_column(String(16))
    refund_status: Mapped[str] = mapped_column(String(16), default="none")
    discount_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # The shipment as the store last stated it (the assistant quotes it: "shipped with DHL, tracking ...").
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(200))
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    lines_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
        Index("ix_orders_store_placed", "store_id", "placed_at"),
        Index("ix_orders_store_id_id", "store_id", "id"),
    )


class OrderLine(Base):
    """One line of an order. ``revision`` is the order's revision in which the line last changed (0: as
    first received), so that loyalty re-prices only the lines an edit touched."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(255))
    product_external_id: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Money)
    discount: Mapped[int] = mapped_column(Money)
    total: Mapped[int] = mapped_column(Money)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Money, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class OrderNote(Base):
    """Something a person should know about an order's amounts, kept with the order and shown with it.

    A ``warning`` says loyaldesk could not take the store's figures as they were (amounts that do not add
    up, a refund clamped to what was left, an edit that could not be applied); a ``note`` says how it read
    them (a discount spread over the lines, a tip, an edit applied). ``key`` makes the same note, met
    again in a re-sent payload, be written once.
    """

    __tablename__ = "order_notes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    # No index of its own: the unique (order_id, key) serves every read, which is by order.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("order_id", "key"),)


class Refund(Base):
    """Money given back on an order: a refund, or a return when goods came back."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Money)
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "external_id"),)


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Money)


class WebhookReceipt(Base):
    """One inbound webhook delivery, kept to ignore re-deliveries of the same webhook id."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    webhook_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "source", "webhook_id"),)
