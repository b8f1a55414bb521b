"""A customer's first message: a new conversation and its message with Core statements.

``customer_messages.post_customer_messages`` sends here a message that starts a conversation (no
conversation named, none open on the channel or a new thread asked for) and carries no files. What the
general path (``post_message.post_one``: ``start_conversation``, ``_append_message``, routing,
``sla.refresh``) does with ORM objects is done with two inserts, and the results are the same: the row of
the conversation (priority and its reason from the same ``new_conversation_priority``, whether the
assistant takes it, waiting since now, its last message and count) and of the message, then the same
events in the same order (``ConversationStarted``, ``MessagePosted``, what routing assigns, any SLA
warning), routing by the one ``route_waiting`` and the SLA by the one ``sla.refresh`` on the ORM copy of
the conversation when the store has a policy.

``FullDesks`` keeps, within one batch, the stores where routing found nobody to give a conversation to
(routing off, nobody online, nobody with room): a customer's message can only add to agents' loads, so
routing again there for the batch's next new conversation would assign nothing, and is skipped. Whoever
runs anything else in the batch (the general path, which may be rolled back) forgets it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert
from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.support import rules
from loyaldesk.support.actions import sla
from loyaldesk.support.actions.desk_settings import desk_facts
from loyaldesk.support.actions.open_conversation import MAX_SUBJECT, new_conversation_priority
from loyaldesk.support.actions.routing import route_waiting_until_full
from loyaldesk.support.events import ConversationStarted, MessagePosted
from loyaldesk.support.first_line import assistant_takes
from loyaldesk.support.message_format import check_message_body, render_message_html, render_plain_text_html
from loyaldesk.support.models import Contact, Conversation, Message

_CONVERSATIONS = cast(Table, Conversation.__table__)
_MESSAGES = cast(Table, Message.__table__)
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_MESSAGE = insert(_MESSAGES)
_OPEN = rules.ConversationStatus.OPEN.value


class FullDesks:
    """Stores where routing, within this batch, found nobody to assign to (see the module)."""

    def __init__(self) -> None:
        self._stores: set[int] = set()

    def route(self, uow: UnitOfWork, store_id: int) -> None:
        """``routing.route_waiting`` for ``store_id`` unless it found the desk full earlier in the batch."""
        if store_id in self._stores:
            return
        if route_waiting_until_full(uow, store_id):
            self._stores.add(store_id)

    def forget(self) -> None:
        self._stores.clear()


def check_first_message(item: Any) -> str:
    """The cleaned text of a first message (``item`` a ``CustomerMessage`` without files), or the error
    the general path would give; nothing is written before this passes."""
    text = check_message_body(item.body)
    if item.channel not in rules.CHANNELS:
        raise Invalid(
            "unknown channel", [FieldProblem("channel", f"must be one of {', '.join(rules.CHANNELS)}")]
        )
    return text


def start_with_message(
    uow: UnitOfWork,
    contact: Any,
    item: Any,
    text: str,
    *,
    author_name: str,
    client_message_id: str | None,
    dedupe_key: str | None,
    full_desks: FullDesks,
) -> tuple[int, int]:
    """A new conversation of ``contact`` (a row: id, store_id, customer_id) opened by ``item``'s message
    with the checked ``text`` (``check_first_message``), routed and its SLA set as ``post_one`` does.
    Returns (message id, conversation id)."""
    session = uow.session
    store_id = contact.store_id
    settings = desk_facts(uow, store_id)
    # Both read only the contact's store and customer: the row stands for the ORM object.
    as_contact = cast(Contact, contact)
    priority, reason = new_conversation_priority(uow, settings, as_contact, item.channel)
    assistant_active = assistant_takes(session, as_contact, item.channel)
    first_line = text
    subject = item.subject or first_line[:80]
    html = render_plain_text_html(text) if item.plain_text else render_message_html(text)
    now = uow.now()
    conversation_id = _insert(
        session,
        _INSERT_CONVERSATION,
        {
            "store_id": store_id,
            "contact_id": contact.id,
            "customer_id": contact.customer_id,
            "channel": item.channel,
            "subject": subject[:MAX_SUBJECT],
            "status": _OPEN,
            "priority": priority.value,
            "priority_rank": rules.priority_rank(priority),
            "priority_reason": reason[:120],
            "labels": [],
            "reply_by_email": False,
            "waiting_since": now,
            "last_message_at": now,
            "last_message_preview": " ".join(text.split())[:140],
            "message_count": 1,
            "created_at": now,
            "updated_at": now,
            "sla_pauses": [],
            "sla_fired": [],
            "assistant_active": assistant_active,
        },
    )
    uow.emit(
        ConversationStarted(
            store_id=store_id,
            customer_id=contact.customer_id,
            conversation_id=conversation_id,
            channel=item.channel,
            priority=priority.value,
            contact_id=contact.id,
        )
    )
    message_id = _insert(
        session,
        _INSERT_MESSAGE,
        {
            "store_id": store_id,
            "conversation_id": conversation_id,
            "author_kind": "customer",
            "author_staff_id": None,
            "author_name": author_name,
            "body": text,
            "body_html": html,
            "internal": False,
            "client_message_id": client_message_id,
            "dedupe_key": dedupe_key,
            "created_at": now,
        },
    )
    uow.emit(
        MessagePosted(
            store_id=store_id,
            customer_id=contact.customer_id,
            conversation_id=conversation_id,
            internal=False,
            message=customer_message_view(
                message_id, conversation_id, author_name, html, client_message_id, now
            ),
        )
    )
    full_desks.route(uow, store_id)
    # A new conversation has no SLA yet: ``sla.refresh`` changes nothing while the assistant answers it or
    # when the store has no policy; else it runs on the ORM copy (routing may have loaded it already).
    if not assistant_active and not sla.store_has_no_policy(uow, store_id):
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        sla.refresh(uow, conversation)
    return message_id, conversation_id


def _insert(session: Session, statement: Any, values: dict[str, Any]) -> int:
    result = cast(CursorResult[Any], session.execute(statement, values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def customer_message_view(
    message_id: int,
    conversation_id: int,
    author_name: str,
    html: str,
    client_message_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """``post_message.message_view`` of a customer's public message without files."""
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "author_kind": "customer",
        "author_name": author_name,
        "body_html": html,
        "internal": False,
        "client_message_id": client_message_id,
        "created_at": now.isoformat(),
        "attachments": [],
    }
