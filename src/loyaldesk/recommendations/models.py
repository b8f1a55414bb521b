"""Recommendations' tables: the store's settings (filters and blend), each fit of the models with its
serialised artefacts, the picks stored per customer (served by primary key, re-ranked at read time by what
changes between fits: stock, points, churn risk), what customers told the store they prefer, and personal
offers with the random split that measures them.

An *item key* names what is recommended: an order line's ``product_external_id`` when the store sends one,
else its ``sku`` (``rules.items.item_key``). A catalogue product matches a key by its ``external_id``, else
by its ``sku``; a key without a product still has the title and category of its latest order line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class RecommendationSettings(Base):
    """One store's rules for what may be picked. Created with the store (a setup step)."""

    __tablename__ = "recommendation_settings"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    in_stock_only: Mapped[bool] = mapped_column(Boolean, default=True)  # unknown stock counts as in stock
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)  # allowed; empty: every category
    # A non-consumable bought in the last N days is not picked again (0: never excluded).
    exclude_bought_days: Mapped[int] = mapped_column(Integer, default=180)
    # Categories the store says are bought again (besides items the history shows are re-bought).
    consumable_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Method -> weight of the blend; empty: the weights chosen by ``rules.blend.DEFAULT_WEIGHTS``.
    weights: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    stored_picks: Mapped[int] = mapped_column(Integer, default=40)  # candidates kept per customer
    refit_hours: Mapped[int] = mapped_column(Integer, default=24)
    widget_greeting: Mapped[bool] = mapped_column(Boolean, default=True)  # the greeting for known shoppers
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecommendationFit(Base):
    """One fit of the store's models on its order history. ``model`` holds what serving needs without
    the history (item index, item factors, neighbours, repurchase intervals, popularity) as an ``.npz``;
    the newest succeeded fit serves, a failed one leaves the previous in place."""

    __tablename__ = "recommendation_fits"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    customers_count: Mapped[int] = mapped_column(Integer, default=0)
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    fit_seconds: Mapped[float | None] = mapped_column(Float)
    weights: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_recommendation_fits_store", "store_id", "started_at"),)


class CustomerPick(Base):
    """One stored candidate for a customer, in rank order, as the fit (or the update after a new order)
    scored it. Read by primary key; filters and re-ranking by stock, margin, points and churn risk happen
    at read time (``rules.reranking``), so a pick never shows an item out of stock since."""

    __tablename__ = "recommendation_picks"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_key: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))  # the method that contributed most
    reason_kind: Mapped[str] = mapped_column(String(32))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fit_id: Mapped[int | None] = mapped_column(IdType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomerPreferences(Base):
    """What a customer told the store they like: sizes by kind of product, interests and categories to
    leave out (both category names), and the channels they would rather hear on. Shapes their picks; they
    see and change it on the member page. In their GDPR export; erased with them."""

    __tablename__ = "recommendation_preferences"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    sizes: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)  # e.g. {"shoes": "42"}
    interests: Mapped[list[str]] = mapped_column(JSONType, default=list)
    excluded_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)  # journeys channels, preferred first
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Offer(Base):
    """A personal offer: a loyalty reward (bonus points on an order with the target, or a personal
    discount code for it) for the customers of a segment, with a random ``holdout_percent`` kept back.
    Launching assigns every targeted customer to a group (``OfferAssignment``) and tells the treatment
    group through journeys; results compare the groups' conversion and revenue per customer."""

    __tablename__ = "recommendation_offers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[int] = mapped_column(Integer)  # points, percent, or minor units (by kind)
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(255))  # an item key or a category name
    # An analytics segment key (``analytics`` RFM segments), "picked" (customers whose picks include the
    # target), or None: every customer with an order.
    segment: Mapped[str | None] = mapped_column(String(64))
    holdout_percent: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    channel: Mapped[str] = mapped_column(String(16), default="email")
    reward_id: Mapped[int | None] = mapped_column(IdType)  # the loyalty reward behind a discount's codes
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    treatment_count: Mapped[int] = mapped_column(Integer, default=0)
    holdout_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfferAssignment(Base):
    """A targeted customer's group in an offer, and what happened: the personal code issued (discounts),
    the first qualifying order before the offer ended (``converted_at``) and the bonus entry it earned."""

    __tablename__ = "recommendation_offer_assignments"

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation_offers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reward_code_id: Mapped[int | None] = mapped_column(IdType)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conversion_order_id: Mapped[int | None] = mapped_column(IdType)
    bonus_entry_id: Mapped[int | None] = mapped_column(IdType)
    # When the telling job issued the code (discounts) and queued the message (treatment only; None:
    # not told yet, or the holdout).
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_recommendation_offer_assignments_customer", "store_id", "customer_id"),
        # The telling job's queue: treatment members not told yet (empties as telling goes on).
        Index(
            "ix_recommendation_offer_assignments_untold",
            "offer_id",
            "customer_id",
            postgresql_where=text("\"group\" = 'treatment' AND told_at IS NULL"),
            sqlite_where=text("\"group\" = 'treatment' AND told_at IS NULL"),
        ),
    )
