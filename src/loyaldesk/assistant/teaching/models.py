"""Tables of store teaching: which intents a store uses (built-ins switched off, its own intents), the
examples it taught, the models trained from them, and whether it waits for a retraining."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class StoreIntent(Base):
    """A store's word on one intent: a built-in one switched on or off (``builtin``: only the switch
    counts, its label and description are the product's), or an intent of the store's own."""

    __tablename__ = "assistant_store_intents"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(48))
    builtin: Mapped[bool] = mapped_column(Boolean)
    enabled: Mapped[bool] = mapped_column(Boolean)
    label: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntentExample(Base):
    """One phrasing the store taught for an intent. The same text (normalised) is taught once per intent."""

    __tablename__ = "assistant_intent_examples"
    __table_args__ = (
        UniqueConstraint("store_id", "intent", "normalized_text"),
        Index("ix_assistant_intent_examples_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    intent: Mapped[str] = mapped_column(String(48))
    text: Mapped[str] = mapped_column(String(500))
    # Lower case, spaces collapsed: what "the same example" means (rules.normalize_example).
    normalized_text: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))  # vocab.ExampleSource
    message_id: Mapped[int | None] = mapped_column(ForeignKey("support_messages.id", ondelete="SET NULL"))
    added_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntentModelRow(Base):
    """One training of a store's intent model. The newest ``ready`` one answers; a failed training keeps
    its reason and leaves the previous model answering."""

    __tablename__ = "assistant_intent_models"
    __table_args__ = (UniqueConstraint("store_id", "version"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # vocab.ModelStatus
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)  # IntentModel.to_bytes()
    example_count: Mapped[int] = mapped_column(Integer)  # default and store examples trained on
    store_example_count: Mapped[int] = mapped_column(Integer)
    # {"overall": 0.93, "per_intent": {"order_status": 0.97, ...}, "folds": 5, "note": null}
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RetrainingRequest(Base):
    """A store whose examples changed since its last training: the retraining job trains it once
    ``due_at`` has passed (None: nothing waits). Several changes in a row make one training."""

    __tablename__ = "assistant_retraining_requests"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), unique=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
