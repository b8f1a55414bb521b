"""The assistant's row for a conversation (``AssistantConversation``): found or started, and what the
dialogue remembers between turns."""

from __future__ import annotations

from typing import Any

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.vocab import AssistantStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Conversation

KEEP_TEXTS = 6  # the customer's last messages kept for repetition and the hand-off summary
KEEP_CALLS = 20


def state_of(uow: UnitOfWork, conversation: Conversation) -> AssistantConversation:
    """The conversation's assistant row, created (active) on the assistant's first turn; locked for this
    turn on PostgreSQL so that two messages of one conversation are answered one after the other."""
    query = uow.session.query(AssistantConversation).filter_by(conversation_id=conversation.id)
    if uow.is_postgresql:
        query = query.with_for_update()
    state = query.one_or_none()
    if state is None:
        now = uow.now()
        state = AssistantConversation(
            conversation_id=conversation.id,
            store_id=conversation.store_id,
            contact_id=conversation.contact_id,
            customer_id=conversation.customer_id,
            status=AssistantStatus.ACTIVE.value,
            slots={},
            intent_counts={},
            customer_texts=[],
            tool_calls=[],
            articles=[],
            order_ids=[],
            low_confidence_turns=0,
            misses=0,
            answers=0,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(state)
        uow.session.flush()
    return state


def remember_text(state: AssistantConversation, text: str) -> list[str]:
    """Keep ``text`` among the last few; returns the earlier ones."""
    earlier = list(state.customer_texts or [])
    state.customer_texts = [*earlier, text[:1000]][-KEEP_TEXTS:]
    return earlier


def count_intent(state: AssistantConversation, intent: str) -> int:
    """Count one more turn with ``intent``; returns how many there were before."""
    counts = dict(state.intent_counts or {})
    before = int(counts.get(intent, 0))
    counts[intent] = before + 1
    state.intent_counts = counts
    return before


def remember_tool_call(
    state: AssistantConversation, call: dict[str, Any], order_ids: tuple[int, ...]
) -> None:
    state.tool_calls = [*(state.tool_calls or []), call][-KEEP_CALLS:]
    known = list(state.order_ids or [])
    state.order_ids = known + [order_id for order_id in order_ids if order_id not in known]


def remember_articles(state: AssistantConversation, hits: list[dict[str, Any]]) -> None:
    known = {article["id"] for article in state.articles or []}
    state.articles = [*(state.articles or []), *(hit for hit in hits if hit["id"] not in known)][-KEEP_CALLS:]


def clear_pending(state: AssistantConversation) -> None:
    state.pending_intent = state.pending_slot = state.resume_intent = None
    state.slots = {}
