"""How the assistant reacts to the desk's events.

It answers as a batch handler of ``MessagePosted`` (not inline in the request that stored the message):
the shopper's message is acknowledged at once, the answer is durable and retried like every reaction
(the dispatcher runs it right after the commit, woken by it), and the answer is a ``MessagePosted`` of its
own, delivered live to the widget and the inbox by the same path as an agent's reply. It reacts only to
customer messages, which it never writes itself, so it cannot answer itself in a loop.

A conversation reopened after it was resolved or closed is remembered on the assistant's row: the support
report's verified resolutions do not count it.
"""

from __future__ import annotations

from sqlalchemy import select, update

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.turn import converse
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.support import Conversation, ConversationStatusChanged, MessagePosted

MAX_CHAIN_DEPTH = 5  # a customer message caused by a chain of reactions this long is not a shopper's


def answer_customers(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Batch handler of ``MessagePosted``: answer each customer message in a conversation the assistant
    is taking (one indexed query finds those among the batch's; the rest cost nothing more)."""
    asked = [
        (stored.subject_id, stored.payload.get("message") or {})
        for stored in events
        if not stored.payload.get("internal")
        and (stored.payload.get("message") or {}).get("author_kind") == "customer"
        and stored.chain_depth <= MAX_CHAIN_DEPTH
        and stored.subject_id is not None
    ]
    if not asked:
        return
    taken = set(
        uow.session.scalars(
            select(Conversation.id).where(
                Conversation.id.in_({conversation_id for conversation_id, _ in asked}),
                Conversation.assistant_active.is_(True),
            )
        )
    )
    for conversation_id, message in asked:
        if conversation_id in taken:
            converse(uow, conversation_id, int(message["id"]))


def remember_reopening(uow: UnitOfWork, stored: StoredEvent, event: ConversationStatusChanged) -> None:
    if event.from_status in ("resolved", "closed") and event.to_status == "open":
        uow.session.execute(
            update(AssistantConversation)
            .where(
                AssistantConversation.conversation_id == event.conversation_id,
                AssistantConversation.reopened_at.is_(None),
            )
            .values(reopened_at=stored.occurred_at)
        )


def register(handlers: HandlerRegistry) -> None:
    """Subscribe the assistant's reactions (the composition root calls this)."""
    handlers.on_batch(MessagePosted)(answer_customers)
    handlers.on(ConversationStatusChanged)(remember_reopening)
