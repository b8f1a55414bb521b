"""Web push's tables: each store's VAPID key pair, and the browsers that subscribed to its notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime


class PushKeys(Base):
    """A store's VAPID key pair (RFC 8292), made when the store switches web push on. Browsers tie each
    subscription to the public key it was made with, so the pair is kept for good: a new pair would
    orphan every subscription. ``enabled`` is the store's switch (the widget offers push only when on)."""

    __tablename__ = "push_keys"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    # The uncompressed P-256 point, URL-safe base64 without padding: the widget's applicationServerKey.
    public_key: Mapped[str] = mapped_column(String(128))
    private_key_pem: Mapped[str] = mapped_column(Text)
    # Who push services may contact about this sender: a mailto: or https: URL (the JWT's "sub").
    subject: Mapped[str] = mapped_column(String(320))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PushSubscription(Base):
    """One browser's subscription (the W3C Push API's ``PushSubscription``): where to post, and the keys
    the message is encrypted for. Tied to the shopper who subscribed through the widget."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(IdType)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failed deliveries in a row (a success sets it back to 0).
    failures: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_push_subscriptions_customer", "store_id", "customer_id"),)
