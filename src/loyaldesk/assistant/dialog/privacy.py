"""Erasing a customer removes what the assistant kept of their words: the texts it remembered, the
slots it read, the tools' answers and the last answer (the customer record's erasure step "assistant",
plugged in by the composition root beside the desk's)."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Conversation


def erase_assistant_state(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """Scrub the assistant's rows of the customer's conversations (their outcome counts stay)."""
    theirs = select(Conversation.id).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id
    )
    uow.session.execute(
        update(AssistantConversation)
        .where(
            AssistantConversation.store_id == store_id,
            or_(
                AssistantConversation.customer_id == customer_id,
                AssistantConversation.conversation_id.in_(theirs),
            ),
        )
        .values(
            customer_texts=[],
            tool_calls=[],
            slots={},
            order_ids=[],
            last_answer=None,
            llm_draft=None,
            pending_intent=None,
            pending_slot=None,
            resume_intent=None,
        )
        .execution_options(synchronize_session=False)
    )


def register() -> None:
    from loyaldesk.customers import erasure_step

    erasure_step("assistant")(erase_assistant_state)
