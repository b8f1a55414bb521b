"""Every change to the support desk: one function each, one transaction, events published on commit.

Customers act through a ``Contact`` (the widget proved who they are before calling); staff act as an
``Actor`` whose role is checked here. Routing runs inside the same transaction as the change that makes
it necessary (a new conversation, an agent coming online), so a conversation is never left unrouted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from loyaldesk.customers import facts_about
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.stores.models import StaffAccount, StoreMembership
from loyaldesk.stores.rules import has_permission
from loyaldesk.support import rules
from loyaldesk.support.events import (
    AgentPresenceChanged,
    ConversationAssigned,
    ConversationStarted,
    ConversationStatusChanged,
    ConversationUpdated,
    CsatRequested,
    CsatSubmitted,
    MessagePosted,
    MessagesRead,
)
from loyaldesk.support.message_format import check_message_body, render_message_html
from loyaldesk.support.models import (
    Agent,
    CannedReply,
    Contact,
    Conversation,
    CsatResponse,
    Message,
    SupportSettings,
    TeamMember,
)

CHANNELS = ("webchat", "email", "api")
# Conversations that count against an agent's capacity.
LOAD_STATUSES = ("open",)
MAX_LABELS = 20
MAX_SUBJECT = 200


# -- settings -------------------------------------------------------------------------------------
def settings_for(uow: UnitOfWork, store_id: int) -> SupportSettings:
    """The store's desk settings, created with defaults the first time."""
    found = uow.session.scalar(select(SupportSettings).where(SupportSettings.store_id == store_id))
    if found is None:
        found = default_settings(store_id)
        uow.session.add(found)
        uow.session.flush()
    return found


def default_settings(store_id: int) -> SupportSettings:
    return SupportSettings(
        store_id=store_id,
        auto_assign=True,
        routing_method=rules.RoutingMethod.LEAST_LOAD.value,
        default_capacity=5,
        tier_priorities={},
        high_value_threshold_minor=None,
        channel_priorities={},
        widget_title="Chat with us",
        widget_greeting="Hi! How can we help?",
        widget_accent="#1f5fbf",
        csat_enabled=True,
        widget_allowed_origins=[],
    )


# What ``update_settings`` may change (never the store it belongs to).
SETTING_FIELDS = frozenset(
    {
        "auto_assign",
        "routing_method",
        "default_capacity",
        "tier_priorities",
        "high_value_threshold_minor",
        "channel_priorities",
        "widget_title",
        "widget_greeting",
        "widget_accent",
        "csat_enabled",
        "widget_allowed_origins",
    }
)


def update_settings(uow: UnitOfWork, actor: Actor, store_id: int, changes: dict[str, Any]) -> SupportSettings:
    """Change the desk settings (fields of ``SupportSettings``); audited."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    settings = settings_for(uow, store_id)
    problems: list[FieldProblem] = [
        FieldProblem(key, "is not a support setting") for key in changes if key not in SETTING_FIELDS
    ]
    if "routing_method" in changes and changes["routing_method"] not in set(rules.RoutingMethod):
        problems.append(FieldProblem("routing_method", "must be round_robin or least_load"))
    if "default_capacity" in changes and not 0 <= int(changes["default_capacity"]) <= 100:
        problems.append(FieldProblem("default_capacity", "must be between 0 and 100"))
    for tier, priority in dict(changes.get("tier_priorities") or {}).items():
        if priority not in rules.PRIORITIES:
            problems.append(FieldProblem(f"tier_priorities.{tier}", "must be low, normal, high or urgent"))
    if problems:
        raise Invalid("the support settings are not valid", problems)
    for key, value in changes.items():
        setattr(settings, key, value)
    record_audit(uow, actor, "support.settings_changed", store_id=store_id, details=changes)
    return settings


# -- contacts ---------------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WidgetContact:
    contact_id: int
    customer_id: int | None
    # Set only when a new anonymous visitor was created: the secret their browser keeps.
    new_visitor_token: str | None


def identify_contact(
    uow: UnitOfWork,
    store_id: int,
    *,
    customer_id: int | None,
    visitor_token: str | None,
    name: str | None = None,
) -> WidgetContact:
    """The contact behind a widget: the verified customer's (created on first use), else the anonymous
    visitor holding ``visitor_token``, else a new anonymous visitor with a fresh token.

    An anonymous token never leads to a customer's contact, so an unverified visitor never sees an
    identified customer's conversations."""
    now = uow.now()
    if customer_id is not None:
        contact = uow.session.scalar(
            select(Contact).where(Contact.store_id == store_id, Contact.customer_id == customer_id)
        )
        if contact is None:
            contact = Contact(store_id=store_id, customer_id=customer_id, created_at=now, name=name)
            uow.session.add(contact)
        contact.last_seen_at = now
        uow.session.flush()
        return WidgetContact(contact.id, customer_id, None)
    if visitor_token:
        contact = uow.session.scalar(
            select(Contact).where(
                Contact.store_id == store_id, Contact.visitor_token_hash == _token_hash(visitor_token)
            )
        )
        if contact is not None:
            contact.last_seen_at = now
            return WidgetContact(contact.id, None, None)
    token = secrets.token_urlsafe(24)
    contact = Contact(
        store_id=store_id, visitor_token_hash=_token_hash(token), created_at=now, last_seen_at=now
    )
    uow.session.add(contact)
    uow.session.flush()
    return WidgetContact(contact.id, None, token)


# -- messages ---------------------------------------------------------------------------------------
def message_view(message: Message, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A message as every client sees it (the shape in ``MessagePosted`` and the history APIs)."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "author_kind": message.author_kind,
        "author_name": message.author_name,
        "body_html": message.body_html,
        "internal": message.internal,
        "client_message_id": message.client_message_id,
        "created_at": message.created_at.isoformat(),
        "attachments": attachments or [],
    }


def _check_client_message_id(client_message_id: str | None) -> str | None:
    if client_message_id is None:
        return None
    value = client_message_id.strip()
    if not value or len(value) > 64 or not value.isprintable():
        raise Invalid(
            "the client message id is not valid",
            [FieldProblem("client_message_id", "must be 1 to 64 printable characters")],
        )
    return value


def _existing(uow: UnitOfWork, store_id: int, dedupe_key: str | None) -> Message | None:
    if dedupe_key is None:
        return None
    return uow.session.scalar(
        select(Message).where(Message.store_id == store_id, Message.dedupe_key == dedupe_key)
    )


def _append_message(
    uow: UnitOfWork,
    conversation: Conversation,
    *,
    author_kind: str,
    author_name: str,
    body: str,
    internal: bool = False,
    author_staff_id: int | None = None,
    client_message_id: str | None = None,
    dedupe_key: str | None = None,
) -> Message:
    now = uow.now()
    message = Message(
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        author_kind=author_kind,
        author_staff_id=author_staff_id,
        author_name=author_name,
        body=body,
        body_html=render_message_html(body),
        internal=internal,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    uow.session.add(message)
    uow.session.flush()
    if not internal:
        conversation.last_message_at = now
        conversation.last_message_preview = " ".join(body.split())[:140]
    conversation.message_count += 1
    conversation.updated_at = now
    uow.emit(
        MessagePosted(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            internal=internal,
            message=message_view(message),
        )
    )
    return message


def _display_name(uow: UnitOfWork, contact: Contact) -> str:
    if contact.customer_id is not None:
        from loyaldesk.customers import Customer

        customer = uow.session.get(Customer, contact.customer_id)
        if customer is not None:
            name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
            if name:
                return name
    return contact.name or "Visitor"


def post_customer_message(
    uow: UnitOfWork,
    contact_id: int,
    *,
    body: str,
    client_message_id: str | None = None,
    conversation_id: int | None = None,
    channel: str = "webchat",
    subject: str = "",
) -> Message:
    """A customer's message: into ``conversation_id`` (which must be theirs), else their latest
    conversation that is not closed, else a new one (prioritised and routed). A retry with the same
    ``client_message_id`` returns the first message and changes nothing. Reopens a conversation that
    was pending, snoozed, resolved or closed."""
    contact = uow.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    client_message_id = _check_client_message_id(client_message_id)
    dedupe_key = f"contact:{contact.id}:{client_message_id}" if client_message_id else None
    existing = _existing(uow, contact.store_id, dedupe_key)
    if existing is not None:
        return existing
    text = check_message_body(body)
    conversation = _customer_conversation(uow, contact, conversation_id)
    started = conversation is None
    if conversation is None:
        conversation = _start_conversation(uow, contact, channel=channel, subject=subject or text[:80])
    message = _append_message(
        uow,
        conversation,
        author_kind="customer",
        author_name=_display_name(uow, contact),
        body=text,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
    )
    now = uow.now()
    if conversation.waiting_since is None:
        conversation.waiting_since = now
    reopened = rules.status_after_customer_message(conversation.status)
    if reopened != conversation.status:
        _set_status(uow, conversation, reopened)
        started = True
    if started and conversation.assignee_id is None:
        route_waiting(uow, conversation.store_id)
    return message


def _customer_conversation(
    uow: UnitOfWork, contact: Contact, conversation_id: int | None
) -> Conversation | None:
    if conversation_id is not None:
        conversation = uow.session.get(Conversation, conversation_id)
        if conversation is None or conversation.contact_id != contact.id:
            raise NotFound("no such conversation")
        return conversation
    return uow.session.scalar(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.status != "closed")
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def _start_conversation(
    uow: UnitOfWork, contact: Contact, *, channel: str, subject: str, reply_by_email: bool = False
) -> Conversation:
    if channel not in CHANNELS:
        raise Invalid("unknown channel", [FieldProblem("channel", f"must be one of {', '.join(CHANNELS)}")])
    settings = settings_for(uow, contact.store_id)
    priority, reason = _priority_for(uow, settings, contact, channel)
    now = uow.now()
    conversation = Conversation(
        store_id=contact.store_id,
        contact_id=contact.id,
        customer_id=contact.customer_id,
        channel=channel,
        subject=subject[:MAX_SUBJECT],
        status=rules.ConversationStatus.OPEN.value,
        priority=priority.value,
        priority_rank=rules.priority_rank(priority),
        priority_reason=reason[:120],
        labels=[],
        reply_by_email=reply_by_email,
        message_count=0,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(conversation)
    uow.session.flush()
    uow.emit(
        ConversationStarted(
            store_id=contact.store_id,
            customer_id=contact.customer_id,
            conversation_id=conversation.id,
            channel=channel,
            priority=priority.value,
            contact_id=contact.id,
        )
    )
    return conversation


def _priority_for(
    uow: UnitOfWork, settings: SupportSettings, contact: Contact, channel: str
) -> tuple[rules.Priority, str]:
    tier_priorities = {k: rules.Priority(v) for k, v in (settings.tier_priorities or {}).items()}
    tier_name: str | None = None
    perks: list[str] = []
    spend = 0
    if contact.customer_id is not None:
        facts = facts_about(uow.session, contact.store_id, contact.customer_id)
        loyalty = facts.get("loyalty") or {}
        tier_name = loyalty.get("tier")
        perks = list(loyalty.get("tier_perks") or [])
        # The tier's own support priority (set in the loyalty program) unless the desk overrides it.
        if (
            tier_name
            and tier_name not in tier_priorities
            and loyalty.get("support_priority") in rules.PRIORITIES
        ):
            tier_priorities[tier_name] = rules.Priority(loyalty["support_priority"])
        if settings.high_value_threshold_minor is not None:
            from loyaldesk.commerce import purchase_summary

            summary = purchase_summary(uow.session, contact.store_id, contact.customer_id)
            spend = max(summary.net_spent_by_currency.values(), default=0)
    policy = rules.PriorityPolicy(
        tier_priorities=tier_priorities,
        high_value_threshold_minor=settings.high_value_threshold_minor,
        channel_priorities={k: rules.Priority(v) for k, v in (settings.channel_priorities or {}).items()},
    )
    return rules.priority_for(
        policy, tier_name=tier_name, tier_perks=perks, lifetime_spend_minor=spend, channel=channel
    )


def submit_offline_message(
    uow: UnitOfWork, store_id: int, contact_id: int, *, name: str, email: str, body: str
) -> Conversation:
    """The widget's form when no agent is online: a conversation the desk answers by email."""
    from loyaldesk.kernel.email_address import normalise_email

    problems = []
    name = name.strip()
    if not name or len(name) > 200:
        problems.append(FieldProblem("name", "give your name (at most 200 characters)"))
    try:
        address = normalise_email(email)
    except ValueError:
        address = ""
        problems.append(FieldProblem("email", "is not an email address we can answer"))
    if problems:
        raise Invalid("the message could not be sent", problems)
    contact = uow.session.get(Contact, contact_id)
    if contact is None or contact.store_id != store_id:
        raise NotFound("no such contact")
    contact.name = contact.name or name
    contact.email = address
    text = check_message_body(body)
    conversation = _start_conversation(
        uow, contact, channel="webchat", subject=text[:80], reply_by_email=True
    )
    _append_message(uow, conversation, author_kind="customer", author_name=name, body=text)
    conversation.waiting_since = uow.now()
    route_waiting(uow, store_id)
    return conversation


def _require_staff(
    uow: UnitOfWork, actor: Actor, conversation_id: int, permission: Permission
) -> Conversation:
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("no such conversation")
    authorize(
        actor,
        conversation.store_id,
        scope="conversations:write" if permission != Permission.VIEW_CONVERSATIONS else "conversations:read",
        permission=permission,
    )
    return conversation


def _staff_name(uow: UnitOfWork, staff_id: int | None) -> str:
    if staff_id is None:
        return "Support"
    account = uow.session.get(StaffAccount, staff_id)
    return account.name if account is not None and account.name else "Support"


def post_agent_message(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    body: str,
    internal: bool = False,
    client_message_id: str | None = None,
) -> Message:
    """An agent's reply (seen by the customer) or internal note (staff only). A reply to an unassigned
    conversation assigns it to the agent; it ends the customer's wait and counts as the first response."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    client_message_id = _check_client_message_id(client_message_id)
    author = f"staff:{actor.id}" if actor.kind == "staff" else f"{actor.kind}:{actor.id}"
    dedupe_key = f"{author}:{client_message_id}" if client_message_id else None
    existing = _existing(uow, conversation.store_id, dedupe_key)
    if existing is not None:
        return existing
    text = check_message_body(body)
    staff_id = actor.id if actor.kind == "staff" else None
    message = _append_message(
        uow,
        conversation,
        author_kind="agent",
        author_name=_staff_name(uow, staff_id),
        author_staff_id=staff_id,
        body=text,
        internal=internal,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
    )
    if not internal:
        now = uow.now()
        conversation.waiting_since = None
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        if conversation.assignee_id is None and staff_id is not None:
            _assign(uow, conversation, staff_id, automatic=False)
    return message


# -- status, assignment, details ---------------------------------------------------------------------
def _set_status(
    uow: UnitOfWork,
    conversation: Conversation,
    status: rules.ConversationStatus,
    until: datetime | None = None,
) -> None:
    previous = conversation.status
    conversation.status = status.value
    conversation.snoozed_until = until if status == rules.ConversationStatus.SNOOZED else None
    conversation.updated_at = uow.now()
    if status == rules.ConversationStatus.RESOLVED:
        conversation.resolved_at = uow.now()
    uow.emit(
        ConversationStatusChanged(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            from_status=previous,
            to_status=status.value,
            snoozed_until=until.isoformat() if until else None,
        )
    )


def change_status(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    status: str,
    *,
    snoozed_until: datetime | None = None,
) -> Conversation:
    """Move a conversation to ``status``; snoozing needs ``snoozed_until``. Resolving asks the customer
    to rate the conversation (when CSAT is on)."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    target = rules.check_status_change(conversation.status, status)
    until = None
    if target == rules.ConversationStatus.SNOOZED:
        if snoozed_until is None:
            raise Invalid("say until when", [FieldProblem("snoozed_until", "is required to snooze")])
        until = rules.check_snooze_until(snoozed_until, uow.now())
    if target.value == conversation.status and until is None:
        return conversation
    _set_status(uow, conversation, target, until)
    if target == rules.ConversationStatus.RESOLVED:
        _request_csat(uow, conversation)
    return conversation


def _request_csat(uow: UnitOfWork, conversation: Conversation) -> None:
    settings = settings_for(uow, conversation.store_id)
    if not settings.csat_enabled or conversation.message_count == 0:
        return
    response = uow.session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation.id))
    if response is None:
        response = CsatResponse(
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            requested_at=uow.now(),
        )
        uow.session.add(response)
    response.agent_id = conversation.assignee_id
    uow.emit(
        CsatRequested(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
        )
    )


def csat_link_token(secret: str, conversation_id: int) -> str:
    """The secret in a rating link for ``conversation_id`` (for channels that are not live)."""
    digest = hmac.new(secret.encode(), f"csat:{conversation_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def csat_link_matches(secret: str, conversation_id: int, token: str) -> bool:
    return hmac.compare_digest(csat_link_token(secret, conversation_id), token)


def submit_csat(
    uow: UnitOfWork, conversation_id: int, *, rating: int, comment: str | None, contact_id: int | None
) -> CsatResponse:
    """The customer's rating (1-5) of a conversation they were asked about; ``contact_id`` must own it
    (None when the caller proved ownership with a rating link). Answering again replaces the answer."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or (contact_id is not None and conversation.contact_id != contact_id):
        raise NotFound("no such conversation")
    problems = []
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        problems.append(FieldProblem("rating", "must be a whole number from 1 to 5"))
    text = (comment or "").strip()
    if len(text) > 2000:
        problems.append(FieldProblem("comment", "must be at most 2000 characters"))
    if problems:
        raise Invalid("the rating is not valid", problems)
    response = uow.session.scalar(select(CsatResponse).where(CsatResponse.conversation_id == conversation_id))
    if response is None:
        raise Conflict("this conversation has not been rated yet: it is still in progress")
    response.rating = rating
    response.comment = text or None
    response.answered_at = uow.now()
    uow.emit(
        CsatSubmitted(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            rating=rating,
            agent_id=response.agent_id,
            has_comment=bool(text),
        )
    )
    return response


def _is_desk_member(uow: UnitOfWork, store_id: int, staff_id: int) -> bool:
    role = uow.session.scalar(
        select(StoreMembership.role).where(
            StoreMembership.store_id == store_id, StoreMembership.staff_id == staff_id
        )
    )
    return role is not None and has_permission(role, Permission.ANSWER_CONVERSATIONS)


def _assign(uow: UnitOfWork, conversation: Conversation, staff_id: int | None, *, automatic: bool) -> None:
    previous = conversation.assignee_id
    conversation.assignee_id = staff_id
    conversation.updated_at = uow.now()
    if staff_id is not None:
        agent = _agent(uow, conversation.store_id, staff_id)
        agent.last_assigned_at = uow.now()
    uow.emit(
        ConversationAssigned(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            assignee_id=staff_id,
            team_id=conversation.team_id,
            previous_assignee_id=previous,
            automatic=automatic,
        )
    )


def assign(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    assignee_id: int | None,
    team_id: int | None = None,
) -> Conversation:
    """Assign (or unassign, ``None``) a conversation; the assignee must answer conversations here."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    if assignee_id is not None and not _is_desk_member(uow, conversation.store_id, assignee_id):
        raise Invalid(
            "cannot assign to this person",
            [FieldProblem("assignee_id", "is not an agent of this store")],
        )
    if team_id is not None:
        from loyaldesk.support.models import Team

        team = uow.session.get(Team, team_id)
        if team is None or team.store_id != conversation.store_id:
            raise Invalid("no such team", [FieldProblem("team_id", "is not a team of this store")])
        conversation.team_id = team_id
    if assignee_id != conversation.assignee_id or team_id is not None:
        _assign(uow, conversation, assignee_id, automatic=False)
    return conversation


def update_conversation(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    priority: str | None = None,
    labels: list[str] | None = None,
    subject: str | None = None,
) -> Conversation:
    """Change priority, labels or subject."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    changes: dict[str, Any] = {}
    if priority is not None and priority != conversation.priority:
        if priority not in rules.PRIORITIES:
            raise Invalid(
                "unknown priority", [FieldProblem("priority", "must be low, normal, high or urgent")]
            )
        conversation.priority = priority
        conversation.priority_rank = rules.priority_rank(priority)
        conversation.priority_reason = "set by an agent"
        changes["priority"] = priority
    if labels is not None:
        cleaned = sorted({label.strip().lower() for label in labels if label.strip()})
        if len(cleaned) > MAX_LABELS or any(len(label) > 40 for label in cleaned):
            raise Invalid(
                "too many or too long labels",
                [FieldProblem("labels", f"at most {MAX_LABELS} labels of at most 40 characters")],
            )
        if cleaned != list(conversation.labels or []):
            conversation.labels = cleaned
            changes["labels"] = cleaned
    if subject is not None and subject.strip() != conversation.subject:
        conversation.subject = subject.strip()[:MAX_SUBJECT]
        changes["subject"] = conversation.subject
    if changes:
        conversation.updated_at = uow.now()
        uow.emit(
            ConversationUpdated(
                store_id=conversation.store_id,
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                changes=changes,
            )
        )
    return conversation


def mark_read(
    uow: UnitOfWork, conversation_id: int, *, reader: str, message_id: int, contact_id: int | None = None
) -> None:
    """The customer (``reader="customer"``, who must own it) or the desk has read up to ``message_id``."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or (reader == "customer" and conversation.contact_id != contact_id):
        raise NotFound("no such conversation")
    column = "customer_last_read_message_id" if reader == "customer" else "agent_last_read_message_id"
    if (getattr(conversation, column) or 0) >= message_id:
        return
    setattr(conversation, column, message_id)
    uow.emit(
        MessagesRead(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            reader=reader,
            message_id=message_id,
        )
    )


# -- agents and routing ------------------------------------------------------------------------------
def _agent(uow: UnitOfWork, store_id: int, staff_id: int) -> Agent:
    agent = uow.session.scalar(
        select(Agent).where(Agent.store_id == store_id, Agent.staff_account_id == staff_id)
    )
    if agent is None:
        agent = Agent(
            store_id=store_id,
            staff_account_id=staff_id,
            presence="offline",
            chosen_presence="online",
            connections=0,
        )
        uow.session.add(agent)
        uow.session.flush()
    return agent


def agent_connected(uow: UnitOfWork, store_id: int, staff_id: int, *, delta: int) -> str:
    """A console of this agent connected (+1) or went away (-1); returns the resulting presence. An
    agent is online while a console is connected and they have not chosen "away"."""
    agent = _agent(uow, store_id, staff_id)
    uow.session.execute(
        update(Agent).where(Agent.id == agent.id).values(connections=Agent.connections + delta)
    )
    uow.session.refresh(agent)
    if agent.connections < 0:  # a process that died never said goodbye; never count below zero
        agent.connections = 0
    _update_presence(uow, agent)
    return agent.presence


def choose_presence(uow: UnitOfWork, actor: Actor, store_id: int, presence: str) -> str:
    """The agent says they are "online" or "away" (offline follows from closing every console)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    if presence not in ("online", "away"):
        raise Invalid("unknown presence", [FieldProblem("presence", "must be online or away")])
    assert actor.id is not None
    agent = _agent(uow, store_id, actor.id)
    agent.chosen_presence = presence
    _update_presence(uow, agent)
    return agent.presence


def _update_presence(uow: UnitOfWork, agent: Agent) -> None:
    presence = agent.chosen_presence if agent.connections > 0 else "offline"
    if presence == agent.presence:
        return
    agent.presence = presence
    agent.presence_changed_at = uow.now()
    uow.emit(
        AgentPresenceChanged(
            store_id=agent.store_id, staff_account_id=agent.staff_account_id, presence=presence
        )
    )
    if presence == "online":
        route_waiting(uow, agent.store_id)


def set_capacity(uow: UnitOfWork, actor: Actor, store_id: int, staff_id: int, capacity: int | None) -> None:
    """How many open conversations routing gives this agent at most (None: the store's default)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    if capacity is not None and not 0 <= capacity <= 100:
        raise Invalid("capacity out of range", [FieldProblem("capacity", "must be between 0 and 100")])
    if not _is_desk_member(uow, store_id, staff_id):
        raise NotFound("no such agent in this store")
    _agent(uow, store_id, staff_id).capacity = capacity
    record_audit(
        uow,
        actor,
        "support.capacity_changed",
        store_id=store_id,
        target_type="staff",
        target_id=staff_id,
        details={"capacity": capacity},
    )


def agent_loads(uow: UnitOfWork, store_id: int, default_capacity: int) -> list[rules.AgentLoad]:
    """Every agent of the store as routing sees them."""
    open_counts = dict(
        uow.session.execute(
            select(Conversation.assignee_id, func.count())
            .where(
                Conversation.store_id == store_id,
                Conversation.assignee_id.is_not(None),
                Conversation.status.in_(LOAD_STATUSES),
            )
            .group_by(Conversation.assignee_id)
        ).all()
    )
    teams: dict[int, set[int]] = {}
    from loyaldesk.support.models import Team

    for staff_id, team_id in uow.session.execute(
        select(TeamMember.staff_account_id, TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.store_id == store_id)
    ):
        teams.setdefault(staff_id, set()).add(team_id)
    agents = uow.session.scalars(select(Agent).where(Agent.store_id == store_id))
    return [
        rules.AgentLoad(
            agent_id=agent.staff_account_id,
            online=agent.presence == "online",
            open_conversations=int(open_counts.get(agent.staff_account_id, 0)),
            capacity=agent.capacity if agent.capacity is not None else default_capacity,
            last_assigned_at=agent.last_assigned_at,
            teams=frozenset(teams.get(agent.staff_account_id, ())),
        )
        for agent in agents
        if _is_desk_member(uow, store_id, agent.staff_account_id)
    ]


def route_waiting(uow: UnitOfWork, store_id: int, *, limit: int = 200) -> int:
    """Give unassigned open conversations, most urgent and longest waiting first, to online agents with
    room (by the store's routing method), until nobody has room. Returns how many were assigned."""
    settings = settings_for(uow, store_id)
    if not settings.auto_assign:
        return 0
    waiting = list(
        uow.session.scalars(
            select(Conversation)
            .where(
                Conversation.store_id == store_id,
                Conversation.status == "open",
                Conversation.assignee_id.is_(None),
            )
            .order_by(Conversation.priority_rank.desc(), Conversation.waiting_since, Conversation.id)
            .limit(limit)
            .with_for_update()
        )
    )
    if not waiting:
        return 0
    loads = {load.agent_id: load for load in agent_loads(uow, store_id, settings.default_capacity)}
    assigned = 0
    for conversation in waiting:
        chosen = rules.choose_agent(
            list(loads.values()), settings.routing_method, team_id=conversation.team_id
        )
        if chosen is None:
            continue
        _assign(uow, conversation, chosen, automatic=True)
        load = loads[chosen]
        loads[chosen] = rules.AgentLoad(
            agent_id=load.agent_id,
            online=load.online,
            open_conversations=load.open_conversations + 1,
            capacity=load.capacity,
            last_assigned_at=uow.now(),
            teams=load.teams,
        )
        assigned += 1
    return assigned


def wake_snoozed(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Reopen conversations whose snooze has ended (a periodic job)."""
    due = list(
        uow.session.scalars(
            select(Conversation)
            .where(Conversation.status == "snoozed", Conversation.snoozed_until <= uow.now())
            .order_by(Conversation.snoozed_until)
            .limit(limit)
        )
    )
    stores = set()
    for conversation in due:
        _set_status(uow, conversation, rules.ConversationStatus.OPEN)
        conversation.waiting_since = conversation.waiting_since or uow.now()
        stores.add(conversation.store_id)
    for store_id in stores:
        route_waiting(uow, store_id)
    return len(due)


# -- canned replies ----------------------------------------------------------------------------------
def save_canned_reply(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    shortcut: str,
    title: str,
    body: str,
    reply_id: int | None = None,
) -> CannedReply:
    """Create or change a canned reply; its variables must be ones loyaldesk knows."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    problems = []
    shortcut = shortcut.strip().lstrip("/").lower()
    if not shortcut or len(shortcut) > 40 or not all(ch.isalnum() or ch in "-_" for ch in shortcut):
        problems.append(FieldProblem("shortcut", "1 to 40 letters, digits, - or _"))
    title = title.strip()
    if not title or len(title) > 120:
        problems.append(FieldProblem("title", "is required (at most 120 characters)"))
    try:
        body = rules.check_canned_reply(body)
    except Invalid as error:
        problems.extend(error.problems)
    if problems:
        raise Invalid("the canned reply is not valid", problems)
    clash = uow.session.scalar(
        select(CannedReply).where(CannedReply.store_id == store_id, CannedReply.shortcut == shortcut)
    )
    if reply_id is None:
        if clash is not None:
            raise Conflict(f"a canned reply /{shortcut} exists already")
        reply = CannedReply(
            store_id=store_id, shortcut=shortcut, title=title, body=body, updated_at=uow.now()
        )
        uow.session.add(reply)
    else:
        found = uow.session.get(CannedReply, reply_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such canned reply")
        if clash is not None and clash.id != reply_id:
            raise Conflict(f"a canned reply /{shortcut} exists already")
        reply = found
        reply.shortcut, reply.title, reply.body, reply.updated_at = shortcut, title, body, uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.canned_reply_saved",
        store_id=store_id,
        target_type="canned_reply",
        target_id=reply.id,
    )
    return reply


def delete_canned_reply(uow: UnitOfWork, actor: Actor, store_id: int, reply_id: int) -> None:
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    reply = uow.session.get(CannedReply, reply_id)
    if reply is None or reply.store_id != store_id:
        raise NotFound("no such canned reply")
    uow.session.delete(reply)
    record_audit(
        uow,
        actor,
        "support.canned_reply_deleted",
        store_id=store_id,
        target_type="canned_reply",
        target_id=reply_id,
    )
