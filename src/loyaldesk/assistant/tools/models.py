"""Tables of the assistant's tools: the returns shoppers start in the chat, and the one-time codes by
which an anonymous visitor proves an order is theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime


class ReturnRequest(Base):
    """A return a shopper started (in the chat, through the assistant), for the team to handle.

    ``request_key`` is the idempotency key of the tool call that created it (a retry finds the same row);
    ``conversation_id`` is where the shopper asked, so the team can answer there.
    """

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    request_key: Mapped[str] = mapped_column(String(200))
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "request_key"),
        Index("ix_return_requests_store_created", "store_id", "created_at"),
    )


class OrderProof(Base):
    """One request of an anonymous visitor to prove an order (order number + the order's email).

    Every request is kept, matched or not (``order_id`` None: nothing matched), so that the limit per
    conversation counts the same whether an order exists or not. ``code_hash`` is an HMAC of the 6-digit
    code under a key derived from the store's secret (the code itself is only in the mail); ``attempts``
    counts wrong codes (5 end it); ``verified_at`` marks the order as proven for ``conversation_id``.
    """

    __tablename__ = "order_proofs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_order_proofs_conversation_created", "conversation_id", "created_at"),)
