"""Journeys' tables: rules, each customer's run of a rule (its timer), the sends, the explain record,
message templates, consent per channel, the team's tasks and the segment memberships rules watch.

Times are rows, not sleeping threads: an enrollment's ``due_at`` and a send's ``due_at`` are what the
jobs claim when they fall due, so every wait survives restarts and several workers share the work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class JourneyRule(Base):
    """One rule: when (``trigger``) → if (``conditions``) → then (``steps``), as validated JSON
    (``journeys.rules.definition``). ``version`` grows with every saved change; runs keep the version they
    started with in the explain record. ``builtin_key`` names a journey from the built-in catalogue."""

    __tablename__ = "journey_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    builtin_key: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    holdout_percent: Mapped[int] = mapped_column(Integer, default=0)
    # "once" (a customer enters once ever) or "per_occurrence" (once per event/date/schedule run).
    reentry: Mapped[str] = mapped_column(String(16), default="per_occurrence")
    conversion_days: Mapped[int] = mapped_column(Integer, default=7)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when the engine stopped a chain of rules at the depth limit (shown on the rule until cleared).
    alert: Mapped[str | None] = mapped_column(Text)
    # Schedules (campaigns, date scans): when the engine last looked, and when it will next.
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "builtin_key"),
        Index("ix_journey_rules_store_enabled", "store_id", "enabled"),
    )


class Enrollment(Base):
    """One customer's run of one rule for one occurrence (an event, a date, a campaign run).

    The unique (rule, customer, occurrence) makes a duplicate event or a second worker harmless: the run
    exists once. ``due_at`` is the timer; ``step_index`` the next step to run; ``depth`` how many rule
    firings led here (loops stop at the limit)."""

    __tablename__ = "journey_enrollments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    rule_id: Mapped[int] = mapped_column(ForeignKey("journey_rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(IdType)
    occurrence: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waiting_event: Mapped[str | None] = mapped_column(String(64))
    variant: Mapped[str | None] = mapped_column(String(16))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    steps_run: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("rule_id", "customer_id", "occurrence"),
        Index(
            "ix_journey_enrollments_due",
            "due_at",
            postgresql_where=text("status = 'due'"),
            sqlite_where=text("status = 'due'"),
        ),
        Index("ix_journey_enrollments_customer", "customer_id", "status"),
        Index("ix_journey_enrollments_rule", "rule_id", "created_at"),
    )


class Send(Base):
    """One message to one customer on one channel. ``idempotency_key`` (rule, step, customer,
    occurrence) is unique: whatever repeats upstream, the message exists once; a worker claims it by
    moving it to ``sending`` (committed before the channel is called), so it is never handed to a
    channel twice."""

    __tablename__ = "journey_sends"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    rule_id: Mapped[int | None] = mapped_column(IdType)
    enrollment_id: Mapped[int | None] = mapped_column(IdType)
    step_index: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(IdType)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    template_key: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    variant: Mapped[str | None] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_journey_sends_due",
            "due_at",
            postgresql_where=text("status IN ('queued', 'deferred')"),
            sqlite_where=text("status IN ('queued', 'deferred')"),
        ),
        # Frequency caps count a customer's recent marketing sends.
        Index("ix_journey_sends_customer_sent", "customer_id", "category", "sent_at"),
        Index("ix_journey_sends_rule", "rule_id", "created_at"),
        Index("ix_journey_sends_provider", "channel", "provider_id"),
    )


class Decision(Base):
    """One line of the explain record: what the engine decided about a customer and a rule, and why."""

    __tablename__ = "journey_decisions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    rule_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType)
    enrollment_id: Mapped[int | None] = mapped_column(IdType)
    send_id: Mapped[int | None] = mapped_column(IdType)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_journey_decisions_customer_rule", "customer_id", "rule_id", "at"),)


class MessageTemplate(Base):
    """A store's message: subject, preview text and body with ``{{ variables }}``; email bodies are
    Markdown laid out in the store's MJML frame (``mjml`` overrides the frame entirely when set)."""

    __tablename__ = "journey_templates"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300), default="")
    preheader: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    button_label: Mapped[str] = mapped_column(String(100), default="")
    button_url: Mapped[str] = mapped_column(String(500), default="")
    mjml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "key"),)


class ChannelConsent(Base):
    """A customer's marketing consent on one channel, with where it came from. No row: the customer's
    profile-wide ``marketing_consent`` decides for email; other channels need their own opt-in."""

    __tablename__ = "journey_consents"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int] = mapped_column(IdType)
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("customer_id", "channel"),)


class AudienceMembership(Base):
    """Whether a customer was inside a segment-or-attribute rule's audience at its last scan, so that
    "entered the segment" fires on the way in only."""

    __tablename__ = "journey_audience"

    rule_id: Mapped[int] = mapped_column(ForeignKey("journey_rules.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamTask(Base):
    """Something a rule asks the team to do (call a VIP, check a damaged delivery)."""

    __tablename__ = "journey_tasks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    rule_id: Mapped[int | None] = mapped_column(IdType)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_journey_tasks_store_status", "store_id", "status"),)


class StoreMessaging(Base):
    """A store's messaging settings: caps, quiet hours, sender, colours, holidays."""

    __tablename__ = "journey_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    # Marketing caps: at most one per ``min_gap_hours`` across channels, and ``per_week`` in 7 days.
    min_gap_hours: Mapped[int] = mapped_column(Integer, default=16)
    per_week: Mapped[int] = mapped_column(Integer, default=3)
    per_channel_per_week: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    quiet_start_hour: Mapped[int] = mapped_column(Integer, default=21)
    quiet_end_hour: Mapped[int] = mapped_column(Integer, default=9)
    respect_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # How long a deferred marketing message may wait before it is dropped (its moment has passed).
    max_defer_hours: Mapped[int] = mapped_column(Integer, default=72)
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    sender_email: Mapped[str] = mapped_column(String(320), default="")
    brand_color: Mapped[str] = mapped_column(String(7), default="#1f5fbf")
    logo_url: Mapped[str] = mapped_column(String(500), default="")
    postal_address: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
