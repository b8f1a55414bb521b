"""Conversations and messages: contacts, customer and agent messages, status, assignment, details and
read receipts. One function each, one transaction, events published on commit.

Customers act through a ``Contact`` (the widget proved who they are before calling); staff act as an
``Actor`` whose role is checked here. Settings, routing, CSAT and canned replies have their own modules
(``desk_settings``, ``routing``, ``csat``, ``canned_replies``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from loyaldesk.customers import facts_about
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize
from loyaldesk.stores.models import StaffAccount
from loyaldesk.support import rules, sla
from loyaldesk.support.attachments import (
    CheckedAttachment,
    NewAttachment,
    check_attachments,
    store_attachments,
)
from loyaldesk.support.csat import request_csat
from loyaldesk.support.desk_settings import settings_for
from loyaldesk.support.events import (
    ConversationStarted,
    ConversationStatusChanged,
    ConversationUpdated,
    MessagePosted,
    MessagesRead,
)
from loyaldesk.support.message_format import (
    check_message_body,
    check_message_body_or_empty,
    render_message_html,
    render_plain_text_html,
)
from loyaldesk.support.models import Contact, Conversation, Message, SupportSettings, Team
from loyaldesk.support.routing import assign_to, is_desk_member, route_waiting

CHANNELS = rules.CHANNELS
MAX_LABELS = 20
MAX_SUBJECT = 200


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
    files: Sequence[CheckedAttachment] = (),
    plain_text: bool = False,
) -> Message:
    now = uow.now()
    message = Message(
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        author_kind=author_kind,
        author_staff_id=author_staff_id,
        author_name=author_name,
        body=body,
        body_html=render_plain_text_html(body) if plain_text else render_message_html(body),
        internal=internal,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    uow.session.add(message)
    uow.session.flush()
    attachments = store_attachments(uow.session, message, files)
    if not internal:
        conversation.last_message_at = now
        # In words, not an emoji: a system without emoji fonts would show a box.
        shown = body or "File: " + ", ".join(file.filename for file in files)
        conversation.last_message_preview = " ".join(shown.split())[:140]
    conversation.message_count += 1
    conversation.updated_at = now
    uow.emit(
        MessagePosted(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            internal=internal,
            message=message_view(message, attachments),
        )
    )
    return message


def _check_content(body: str, files: Sequence[NewAttachment]) -> tuple[str, list[CheckedAttachment]]:
    """The cleaned text and the checked files of a message; text may be empty only beside a file."""
    checked = check_attachments(files)
    return (check_message_body_or_empty(body) if checked else check_message_body(body)), checked


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
    files: Sequence[NewAttachment] = (),
    source_key: str | None = None,
    new_thread: bool = False,
    plain_text: bool = False,
) -> Message:
    """A customer's message: into ``conversation_id`` (which must be theirs), else (unless
    ``new_thread``, as for an email that answers nothing) their latest conversation that is not closed,
    else a new one (prioritised and routed). A retry with the same ``client_message_id`` (or the same
    ``source_key`` from another channel, such as an email's Message-ID) returns the first message and
    changes nothing. Reopens a conversation that was pending, snoozed, resolved or closed. With ``files``
    the text may be empty. ``plain_text`` (an email) shows the text as written instead of as Markdown."""
    contact = uow.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    client_message_id = _check_client_message_id(client_message_id)
    dedupe_key = source_key or (f"contact:{contact.id}:{client_message_id}" if client_message_id else None)
    existing = _existing(uow, contact.store_id, dedupe_key)
    if existing is not None:
        return existing
    text, checked = _check_content(body, files)
    conversation = (
        None
        if new_thread and conversation_id is None
        else _customer_conversation(uow, contact, conversation_id, channel)
    )
    started = conversation is None
    if conversation is None:
        first_line = text or (checked[0].filename if checked else "")
        conversation = _start_conversation(uow, contact, channel=channel, subject=subject or first_line[:80])
    message = _append_message(
        uow,
        conversation,
        author_kind="customer",
        author_name=_display_name(uow, contact),
        body=text,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
        files=checked,
        plain_text=plain_text,
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
    sla.refresh(uow, conversation)
    return message


def _customer_conversation(
    uow: UnitOfWork, contact: Contact, conversation_id: int | None, channel: str
) -> Conversation | None:
    """``conversation_id`` if it is the contact's, else their latest open one on ``channel`` (a chat does
    not continue an email thread)."""
    if conversation_id is not None:
        conversation = uow.session.get(Conversation, conversation_id)
        if conversation is None or conversation.contact_id != contact.id:
            raise NotFound("no such conversation")
        return conversation
    return uow.session.scalar(
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.status != "closed",
            Conversation.channel == channel,
        )
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
        loyalty = facts_about(uow.session, contact.store_id, contact.customer_id).loyalty
        if loyalty is not None:
            tier_name = loyalty.tier
            perks = list(loyalty.tier_perks)
            # The tier's own support priority (set in the loyalty program) unless the desk overrides it.
            if (
                tier_name
                and tier_name not in tier_priorities
                and loyalty.support_priority in rules.PRIORITIES
            ):
                tier_priorities[tier_name] = rules.Priority(loyalty.support_priority)
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
    sla.refresh(uow, conversation)
    return conversation


def _require_staff(
    uow: UnitOfWork, actor: Actor, conversation_id: int, permission: Permission
) -> Conversation:
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or not _may_know(actor, conversation.store_id):
        # Another store's conversation is answered like a missing one: its id tells nothing.
        raise NotFound("no such conversation")
    authorize(
        actor,
        conversation.store_id,
        scope="conversations:write" if permission != Permission.VIEW_CONVERSATIONS else "conversations:read",
        permission=permission,
    )
    return conversation


def _may_know(actor: Actor, store_id: int) -> bool:
    """Whether ``actor`` acts for ``store_id`` at all (the system acting for every store does)."""
    return actor.store_id == store_id or (actor.kind == "system" and actor.store_id is None)


def staff_name(uow: UnitOfWork, staff_id: int | None) -> str:
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
    files: Sequence[NewAttachment] = (),
) -> Message:
    """An agent's reply (seen by the customer) or internal note (staff only), with up to three
    ``files``. A reply to an unassigned conversation assigns it to the agent; it ends the customer's wait
    and counts as the first response."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    client_message_id = _check_client_message_id(client_message_id)
    author = f"staff:{actor.id}" if actor.kind == "staff" else f"{actor.kind}:{actor.id}"
    dedupe_key = f"{author}:{client_message_id}" if client_message_id else None
    existing = _existing(uow, conversation.store_id, dedupe_key)
    if existing is not None:
        return existing
    text, checked = _check_content(body, files)
    staff_id = actor.id if actor.kind == "staff" else None
    message = _append_message(
        uow,
        conversation,
        author_kind="agent",
        author_name=staff_name(uow, staff_id),
        author_staff_id=staff_id,
        body=text,
        internal=internal,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
        files=checked,
    )
    if not internal:
        now = uow.now()
        conversation.waiting_since = None
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        if conversation.assignee_id is None and staff_id is not None:
            assign_to(uow, conversation, staff_id, automatic=False)
        sla.refresh(uow, conversation)
    return message


def post_system_note(uow: UnitOfWork, conversation: Conversation, text: str) -> Message:
    """An internal note written by loyaldesk itself (an SLA escalation, say): staff see it, the customer
    does not."""
    return _append_message(
        uow,
        conversation,
        author_kind="system",
        author_name="loyaldesk",
        body=check_message_body(text),
        internal=True,
    )


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
    if previous != status.value:
        conversation.sla_pauses = sla.pauses_after_status_change(
            conversation.sla_pauses or [], previous, status.value, uow.now()
        )
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
        request_csat(uow, conversation)
    sla.refresh(uow, conversation)
    return conversation


# ``assign(team_id=KEEP_TEAM)`` leaves the conversation's team as it is.
KEEP_TEAM = -1


def assign(
    uow: UnitOfWork,
    actor: Actor,
    conversation_id: int,
    *,
    assignee_id: int | None,
    team_id: int | None = KEEP_TEAM,
) -> Conversation:
    """Assign (or unassign, ``None``) a conversation, and give it to a team (``None``: no team). The
    assignee must answer conversations here. A conversation moved to a team without an assignee is
    routed to that team's online agents at once."""
    conversation = _require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    if assignee_id is not None and not is_desk_member(uow, conversation.store_id, assignee_id):
        raise Invalid(
            "cannot assign to this person",
            [FieldProblem("assignee_id", "is not an agent of this store")],
        )
    team_changed = team_id != KEEP_TEAM and team_id != conversation.team_id
    if team_changed and team_id is not None:
        team = uow.session.get(Team, team_id)
        if team is None or team.store_id != conversation.store_id:
            raise Invalid("no such team", [FieldProblem("team_id", "is not a team of this store")])
    if team_changed:
        conversation.team_id = team_id
    if assignee_id != conversation.assignee_id or team_changed:
        assign_to(uow, conversation, assignee_id, automatic=False)
    if team_changed and assignee_id is None and conversation.status == "open":
        route_waiting(uow, conversation.store_id)
    if team_changed:
        sla.refresh(uow, conversation)  # a policy may apply to the team
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
        if "priority" in changes or "labels" in changes:
            sla.refresh(uow, conversation)  # another policy may apply now
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
        sla.refresh(uow, conversation)
        stores.add(conversation.store_id)
    for store_id in stores:
        route_waiting(uow, store_id)
    return len(due)
