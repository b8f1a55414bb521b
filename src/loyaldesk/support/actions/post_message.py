"""Posting messages: a customer's message (opening their conversation when they have none on the channel),
the offline form, an agent's reply or internal note, loyaldesk's own notes. One function each, one
transaction, ``MessagePosted`` published on commit.

Customers act through a ``Contact`` (the widget, the email or API channel proved who they are before
calling); staff act as an ``Actor`` whose role is checked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import DomainError, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.stores.models import StaffAccount
from loyaldesk.support import rules
from loyaldesk.support.actions import sla
from loyaldesk.support.actions.attachments import (
    CheckedAttachment,
    NewAttachment,
    check_attachments,
    store_attachments,
)
from loyaldesk.support.actions.change_conversation import set_status
from loyaldesk.support.actions.open_conversation import customer_conversation, start_conversation
from loyaldesk.support.actions.routing import assign_to, route_waiting
from loyaldesk.support.actions.staff_access import require_staff
from loyaldesk.support.events import (
    MessagePosted,
)
from loyaldesk.support.message_format import (
    check_message_body,
    check_message_body_or_empty,
    render_message_html,
    render_plain_text_html,
)
from loyaldesk.support.models import Contact, Conversation, Message

if TYPE_CHECKING:
    from loyaldesk.support.actions.customer_messages import CustomerMessage


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


def check_client_message_id(client_message_id: str | None) -> str | None:
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
    the text may be empty. ``plain_text`` (an email) shows the text as written instead of as Markdown.

    One item of ``customer_messages.post_customer_messages`` (the same code path as the widget's
    batched messages); raises the error that refused the message."""
    from loyaldesk.support.actions.customer_messages import CustomerMessage, post_customer_messages

    item = CustomerMessage(
        contact_id,
        body,
        client_message_id=client_message_id,
        conversation_id=conversation_id,
        channel=channel,
        subject=subject,
        files=files,
        source_key=source_key,
        new_thread=new_thread,
        plain_text=plain_text,
    )
    [result] = post_customer_messages(uow, [item])
    if isinstance(result, DomainError):
        raise result
    message = uow.session.get(Message, result.id)
    assert message is not None
    return message


def post_one(
    uow: UnitOfWork,
    contact_id: int,
    item: CustomerMessage,
    client_message_id: str | None,
    dedupe_key: str | None,
    *,
    look_up: bool = True,
) -> Message:
    """The message of ``item`` that may change its conversation's state (see ``customer_messages``):
    a duplicate returns the first message (unless not ``look_up``: the caller knows none is stored);
    else it is stored with ORM objects, opening, reopening, routing and refreshing the SLA as needed.
    ``client_message_id`` is checked already."""
    contact = uow.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    existing = _existing(uow, contact.store_id, dedupe_key) if look_up else None
    if existing is not None:
        return existing
    text, checked = _check_content(item.body, item.files)
    conversation_id = item.conversation_id
    conversation = (
        None
        if item.new_thread and conversation_id is None
        else customer_conversation(uow, contact, conversation_id, item.channel)
    )
    started = conversation is None
    if conversation is None:
        first_line = text or (checked[0].filename if checked else "")
        conversation = start_conversation(
            uow, contact, channel=item.channel, subject=item.subject or first_line[:80]
        )
    message = _append_message(
        uow,
        conversation,
        author_kind="customer",
        author_name=_display_name(uow, contact),
        body=text,
        client_message_id=client_message_id,
        dedupe_key=dedupe_key,
        files=checked,
        plain_text=item.plain_text,
    )
    now = uow.now()
    if conversation.waiting_since is None:
        conversation.waiting_since = now
    reopened = rules.status_after_customer_message(conversation.status)
    if reopened != conversation.status:
        set_status(uow, conversation, reopened)
        started = True
    if started and conversation.assignee_id is None:
        route_waiting(uow, conversation.store_id)
    sla.refresh(uow, conversation)
    return message


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
    conversation = start_conversation(uow, contact, channel="webchat", subject=text[:80], reply_by_email=True)
    _append_message(uow, conversation, author_kind="customer", author_name=name, body=text)
    conversation.waiting_since = uow.now()
    route_waiting(uow, store_id)
    sla.refresh(uow, conversation)
    return conversation


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
    conversation = require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    client_message_id = check_client_message_id(client_message_id)
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
