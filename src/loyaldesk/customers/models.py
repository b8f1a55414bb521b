"""The customer profile: one row per shopper per store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class Customer(Base):
    """A shopper of one store.

    ``external_id`` is the store's own id for the customer (unique per store). ``preferences`` holds what
    the customer told us about themselves (zero-party data: sizes, interests); ``attributes`` holds what
    the store's systems know (country, segment). After erasure every personal field is null and
    ``erased_at`` is set; the row stays so that orders and ledgers keep balancing without an identity.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    birthday: Mapped[date | None] = mapped_column(Date)
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    marketing_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index("ix_customers_store_email", "store_id", "email"),
        Index("ix_customers_store_id_id", "store_id", "id"),
    )

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return f"Erased customer #{self.id}"
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.email or self.external_id or f"Customer #{self.id}"
