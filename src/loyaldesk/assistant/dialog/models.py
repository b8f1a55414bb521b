"""Tables of the assistant's dialogue: the store's assistant settings and one row per conversation the
assistant took part in (its state between turns and its outcome, so that the support report is one query).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime

# None is SQL NULL here (not JSON null), so "no draft waiting" is what an index and IS NULL see.
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class AssistantSettings(Base):
    """One row per store. ``llm_api_key`` is write-only for people: pages show its last four characters."""

    __tablename__ = "assistant_settings"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str] = mapped_column(String(80), default="Assistant")
    # Tier names whose customers go straight to people (VIPs); compared without case.
    people_first_tiers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    low_confidence_limit: Mapped[int] = mapped_column(Integer, default=2)
    llm_base_url: Mapped[str | None] = mapped_column(String(500))
    llm_model: Mapped[str | None] = mapped_column(String(200))
    llm_api_key: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssistantConversation(Base):
    """The assistant's part in one conversation: ``status`` (``vocab.AssistantStatus``), what it is
    waiting for (``pending_intent`` with the slots read so far), what it did (tools, articles, orders) and
    how it ended (``handoff_reason``, ``reopened_at``)."""

    __tablename__ = "assistant_conversations"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("support_contacts.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    intent: Mapped[str | None] = mapped_column(String(80))  # the first intent it recognised
    last_intent: Mapped[str | None] = mapped_column(String(80))
    last_confidence: Mapped[float | None] = mapped_column(Float)
    pending_intent: Mapped[str | None] = mapped_column(String(80))
    pending_slot: Mapped[str | None] = mapped_column(String(40))
    resume_intent: Mapped[str | None] = mapped_column(String(80))
    slots: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    low_confidence_turns: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    intent_counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    customer_texts: Mapped[list[str]] = mapped_column(JSONType, default=list)  # the last few, for repetition
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    articles: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    order_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    last_sentiment: Mapped[float | None] = mapped_column(Float)
    # A question left to the LLM (``llm_drafts``): the message, the sources, the language; None when none.
    llm_draft: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    # The answer for the customer's latest message (the agent's suggested reply).
    last_answer: Mapped[str | None] = mapped_column(String(4000))
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
