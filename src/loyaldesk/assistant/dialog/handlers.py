"""How the assistant reacts to the desk's events.

It answers as an event handler on ``MessagePosted`` (not inline in the request that stored the message):
the shopper's message is acknowledged at once, the answer is durable and retried like every reaction
(the dispatcher runs it right after the commit, woken by it), and the answer is a ``MessagePosted`` of its
own, delivered live to the widget and the inbox by the same path as an agent's reply. It reacts only to
customer messages, which it never writes itself, so it cannot answer itself in a loop.

A conversation reopened after it was resolved or closed is remembered on the assistant's row: the support
report's verified resolutions do not count it.
"""

from __future__ import annotations

from sqlalchemy import update

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.turn import converse
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.support import ConversationStatusChanged, MessagePosted

MAX_CHAIN_DEPTH = 5  # a customer message caused by a chain of reactions this long is not a shopper's


def answer_customer(uow: UnitOfWork, stored: StoredEvent, event: MessagePosted) -> None:
    if event.internal or event.message.get("author_kind") != "customer":
        return
    if stored.chain_depth > MAX_CHAIN_DEPTH:
        return
    converse(uow, event.conversation_id, int(event.message["id"]))


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
    handlers.on(MessagePosted)(answer_customer)
    handlers.on(ConversationStatusChanged)(remember_reopening)
