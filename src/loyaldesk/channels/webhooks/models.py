"""Outgoing webhooks' tables: the store's endpoints, each event's delivery to each of them (the outbox
and the delivery log in one), and the fan-out cursor over ``domain_events``.

Customer erasure has nothing to do here: a delivery's payload is the event's ``as_message()`` (ids and
facts; ``DomainEvent`` payloads carry no names, emails or addresses), so no personal data is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class WebhookEndpoint(Base):
    """A URL of the store's own systems that receives the store's events, signed with ``secret``.

    ``event_types`` is ``["*"]`` (every event, including types added later) or a list of type names.
    ``start_after_event_id``: the endpoint receives events after this one only (the newest event when
    it was created or last enabled), never the store's history. ``failing_since``: when the first of
    the failed attempts since the last success was made; None while it works.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_store", "store_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_after_event_id: Mapped[int] = mapped_column(IdType, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One message to one endpoint: an event (``event_id``), a replay of an earlier delivery
    (``replay_of_id``) or a test ping (neither). ``message_id`` is the ``webhook-id`` header: the same
    for every attempt and every replay of one event, so that receivers drop repeats."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # Exactly one original delivery per endpoint and event, however often the fan-out runs.
        Index(
            "uq_webhook_deliveries_endpoint_event",
            "endpoint_id",
            "event_id",
            unique=True,
            postgresql_where=text("replay_of_id IS NULL"),
            sqlite_where=text("replay_of_id IS NULL"),
        ),
        Index("ix_webhook_deliveries_log", "endpoint_id", "id"),
        # The sender claims only what is waiting.
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
            sqlite_where=text("status IN ('pending', 'failed')"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(IdType, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(IdType)
    event_type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    replay_of_id: Mapped[int | None] = mapped_column(IdType)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_response_excerpt: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookFanOutCursor(Base):
    """One row: how far the fan-out has read ``domain_events``.

    Every event up to ``last_event_id`` has been given to the endpoints enabled at the time. On
    PostgreSQL an event id can become visible after a higher one (ids are taken just before commit,
    by concurrent transactions); the fan-out stops at such a gap (``gap_event_id``, first seen at
    ``gap_seen_at``) until the missing id appears or the gap is old enough to be an id that will never
    commit (a rolled-back transaction)."""

    __tablename__ = "webhook_fan_out_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(IdType, default=0)
    gap_event_id: Mapped[int | None] = mapped_column(IdType)
    gap_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
