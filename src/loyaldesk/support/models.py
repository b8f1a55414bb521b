"""Tables of the support desk: contacts, conversations, messages, agents, teams, canned replies, CSAT.

A *contact* is whoever writes to the store on a channel: an anonymous web-chat visitor (known by a
secret visitor token kept in their browser) or a verified customer of the store. Conversations belong
to a contact and, when known, to the store's customer, so that the customer's history is one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class DeliveryState:
    """Columns of an outbox row that something outside delivers (see ``kernel/delivery.py``)."""

    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SupportSettings(Base):
    """A store's desk settings (one row per store, created with defaults on first use)."""

    __tablename__ = "support_settings"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), unique=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True)
    routing_method: Mapped[str] = mapped_column(String(16), default="least_load")
    default_capacity: Mapped[int] = mapped_column(Integer, default=5)
    # {"Gold": "high"}: conversations of members in these tiers start at this priority.
    tier_priorities: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Lifetime net spend (minor units) from which a customer counts as high value; None: off.
    high_value_threshold_minor: Mapped[int | None] = mapped_column(IdType)
    channel_priorities: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    widget_title: Mapped[str] = mapped_column(String(80), default="Chat with us")
    widget_greeting: Mapped[str] = mapped_column(String(300), default="Hi! How can we help?")
    widget_accent: Mapped[str] = mapped_column(String(16), default="#1f5fbf")
    csat_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Origins (scheme://host[:port]) whose pages may open the widget; empty: any.
    widget_allowed_origins: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The address replies by email come from (None: ``<store slug>@<LOYALDESK_MAIL_DOMAIN>``).
    support_email: Mapped[str | None] = mapped_column(String(320))
    # Goodwill points each role may give per calendar month ({"agent": 500}; a role not named: none;
    # null: no limit).
    goodwill_budgets: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Automatic service recovery: an SLA breach or a CSAT of 2 or less gives these points (once per
    # conversation) and a follow-up task for the team lead.
    recovery_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    recovery_points: Mapped[int] = mapped_column(Integer, default=0)
    # An existing mailbox polled over IMAP (``channels/email/imap_poller.py``); no host: not polled.
    # The password is kept as given (the mail server needs it back); protect database backups.
    imap_host: Mapped[str | None] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(Integer, default=993)
    imap_ssl: Mapped[bool] = mapped_column(Boolean, default=True)
    imap_username: Mapped[str | None] = mapped_column(String(320))
    imap_password: Mapped[str | None] = mapped_column(String(500))
    imap_folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    imap_last_error: Mapped[str | None] = mapped_column(String(500))
    # The store's return policy and delivery information as the assistant quotes them to shoppers: a
    # return may be started up to this many days after delivery (or fulfilment when no delivery is known).
    return_window_days: Mapped[int] = mapped_column(Integer, default=30)
    shipping_info: Mapped[str | None] = mapped_column(Text)


class Team(Base):
    __tablename__ = "support_teams"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # Who is told when an SLA of the team's conversations is breached (policy escalation "notify_lead").
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))


class TeamMember(Base):
    __tablename__ = "support_team_members"
    __table_args__ = (UniqueConstraint("team_id", "staff_account_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("support_teams.id", ondelete="CASCADE"))
    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))


class Agent(Base):
    """A staff member's life on the desk of one store: presence, capacity, last assignment."""

    __tablename__ = "support_agents"
    __table_args__ = (UniqueConstraint("store_id", "staff_account_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    # What the agent chose: online or away; "offline" while no console of theirs is connected.
    presence: Mapped[str] = mapped_column(String(8), default="offline")
    chosen_presence: Mapped[str] = mapped_column(String(8), default="online")
    # Open connections of this agent's consoles, across processes.
    connections: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int | None] = mapped_column(Integer)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    presence_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Contact(Base):
    """Whoever writes on a channel. Web-chat visitors hold a secret token; only its hash is kept."""

    __tablename__ = "support_contacts"
    __table_args__ = (
        UniqueConstraint("store_id", "visitor_token_hash"),
        UniqueConstraint("store_id", "customer_id"),
        UniqueConstraint("store_id", "external_ref"),
        # inbound mail finds the sender's contact by address (channels.email.email_contacts)
        Index("ix_support_contacts_store_email", "store_id", "email"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    visitor_token_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # "api:<channel id>:<the other app's contact id>" for contacts of an API channel.
    external_ref: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Conversation(Base):
    __tablename__ = "support_conversations"
    __table_args__ = (
        Index("ix_support_conversations_inbox", "store_id", "status", "priority_rank", "waiting_since"),
        Index("ix_support_conversations_contact", "contact_id", "id"),
        Index("ix_support_conversations_customer", "customer_id", "id"),
        Index("ix_support_conversations_assignee", "store_id", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("support_contacts.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8))
    # low 0 .. urgent 3, for ordering queues in SQL.
    priority_rank: Mapped[int] = mapped_column(Integer)
    priority_reason: Mapped[str] = mapped_column(String(120), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("support_teams.id", ondelete="SET NULL"))
    labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Since when the customer has been waiting for an answer (None: the last word was the desk's).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Answer by email: the visitor left the offline form, or the channel is not live.
    reply_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_preview: Mapped[str] = mapped_column(String(140), default="")
    customer_last_read_message_id: Mapped[int | None] = mapped_column(IdType)
    agent_last_read_message_id: Mapped[int | None] = mapped_column(IdType)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SLA (see support/sla.py): the policy that applies, the pauses of its clocks
    # ([[started, ended or null, reason], ...]), the escalation steps already fired
    # ([[metric, kind, clock started], ...]), and what the inbox shows and sorts by.
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_sla_policies.id", ondelete="SET NULL")
    )
    sla_pauses: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    sla_fired: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    sla_state: Mapped[str | None] = mapped_column(String(16))  # running, warning, breached, paused, met
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # API channel conversations: the channel, and the other app's thread id ("<channel id>:<thread>").
    api_channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_api_channels.id", ondelete="SET NULL")
    )
    external_ref: Mapped[str | None] = mapped_column(String(300), index=True)
    # The store's assistant answers it (not routed, no SLA clock) until it hands it to people.
    assistant_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class BusinessCalendarRow(Base):
    """When the desk is at work: intervals per weekday in a time zone, minus holidays."""

    __tablename__ = "support_business_calendars"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    time_zone: Mapped[str] = mapped_column(String(64))
    # ["09:00-17:00", ...] for Monday .. Sunday ("" closed; several intervals separated by commas).
    weekly_hours: Mapped[list[str]] = mapped_column(JSONType, default=list)
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)  # ISO dates, local


class SlaPolicy(Base):
    """Targets for conversations that match its conditions; the first active match by position wins."""

    __tablename__ = "support_sla_policies"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"tiers": [...], "channels": [...], "priorities": [...], "team_ids": [...], "labels": [...]}: each
    # list that is not empty must match; all empty: every conversation.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    next_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    warn_before_percent: Mapped[int] = mapped_column(Integer, default=25)
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_business_calendars.id", ondelete="SET NULL")
    )
    # On a breach: {"raise_priority": "urgent" | null, "team_id": int | null, "notify_lead": bool}.
    escalation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "support_messages"
    __table_args__ = (
        # A client's retry of the same message is the same message (per author).
        UniqueConstraint("store_id", "dedupe_key"),
        Index("ix_support_messages_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    # customer, agent, assistant or system.
    author_kind: Mapped[str] = mapped_column(String(16))
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    # "contact:<id>:<client id>" or "staff:<id>:<client id>"; None when the client sent no id.
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A file sent in a conversation. Served only as a download, never inline."""

    __tablename__ = "support_attachments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("support_messages.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CannedReply(Base):
    __tablename__ = "support_canned_replies"
    __table_args__ = (UniqueConstraint("store_id", "shortcut"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CsatResponse(Base):
    """The customer's rating of a resolved conversation (one per conversation; the last answer counts)."""

    __tablename__ = "support_csat_responses"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), unique=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboundEmail(DeliveryState, Base):
    """An agent's reply waiting to be sent by email, or sent: the mail outbox.

    Written in the transaction that posts the reply (by the ``conversation.message_posted`` handler), sent
    outside any transaction by ``channels.email.outbox.send_due`` and marked sent afterwards, so a slow or
    broken mail server never holds a database lock and nothing is lost across restarts (at least once: a crash
    between sending and marking sends it again with the same Message-ID, which mail clients de-duplicate).
    """

    __tablename__ = "support_outbound_emails"
    __table_args__ = (
        Index("ix_support_outbound_emails_due", "status", "next_attempt_at"),
        # A customer's reply names our Message-ID in In-Reply-To: find its conversation.
        Index("ix_support_outbound_emails_email_message_id", "store_id", "email_message_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), index=True
    )
    # The agent's reply this mail carries; None for the desk's own mail (a rating request).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("support_messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="reply")  # reply, csat
    # "event:<id>" of the event that queued it: handling an event twice queues one mail.
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    # The Message-ID header (without angle brackets) and the References chain, for the next reply.
    email_message_id: Mapped[str] = mapped_column(String(500))
    references: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class GoodwillGrant(Base):
    """Points given to a customer as a gesture, from a conversation: by an agent (within their role's
    monthly budget) or automatically (service recovery, ``staff_id`` None)."""

    __tablename__ = "support_goodwill_grants"
    __table_args__ = (Index("ix_support_goodwill_grants_budget", "store_id", "staff_id", "created_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer)  # for a reward code: its cost in points
    reason: Mapped[str] = mapped_column(String(300))
    # A reward code given instead of points (the loyalty program's reward id, its name and the code).
    reward_id: Mapped[int | None] = mapped_column(IdType)
    reward_name: Mapped[str | None] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(32))
    # "recovery:<conversation>" for the automatic one: at most one per conversation.
    automatic_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupportTask(Base):
    """A follow-up for someone on the desk (a lead calling back a customer after a bad experience)."""

    __tablename__ = "support_tasks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiChannel(Base):
    """Another app (a social network bridge, an SMS gateway, call notes) connected to the desk: it posts
    customers' messages to a signed webhook and gets agents' replies at its callback URL, signed."""

    __tablename__ = "support_api_channels"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    secret: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 key of both directions
    callback_url: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboundCallback(DeliveryState, Base):
    """An agent's reply waiting to be delivered to an API channel's callback URL (at least once)."""

    __tablename__ = "support_outbound_callbacks"
    __table_args__ = (Index("ix_support_outbound_callbacks_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("support_api_channels.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class DroppedEmail(Base):
    """Inbound mail, or a part of it, that did not become (all of) a conversation message, and why.

    Shown to admins on the desk settings page; at most a bounded number per store is kept (see
    ``support.dropped_mail``). When only a part was dropped (an attachment not kept, a part that could
    not be read), ``conversation_id`` is where the rest of the message went.
    """

    __tablename__ = "support_dropped_emails"
    __table_args__ = (Index("ix_support_dropped_emails_store", "store_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # smtp (the built-in receiver) or imap (the store's polled mailbox).
    path: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    # A ``support.dropped_mail.DropReason``.
    reason_kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="SET NULL")
    )
