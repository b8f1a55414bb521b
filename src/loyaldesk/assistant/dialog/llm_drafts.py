"""The LLM's answers, written outside any transaction.

A turn that leaves its answer to the LLM stores the request on the conversation's assistant row
(``llm_draft``: the message it answers, the question, the sources with their ids, the language). The
job ``write_drafts(database)`` (registered by the composition root to run every second, outside any
transaction) reads the waiting drafts, asks the model for each (``llm.write_answer``: at most its timeout,
with no database lock held), then in one short transaction per conversation sends the checked answer, or
hands the conversation off when the answer is refused. A draft that is no longer the conversation's (a
newer message replaced it, an agent took over) is dropped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loyaldesk.assistant.dialog import llm
from loyaldesk.assistant.dialog.handoff import hand_off
from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.settings import assistant_config
from loyaldesk.assistant.dialog.vocab import AssistantStatus, HandoffReason
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.i18n import use_language
from loyaldesk.support import Conversation
from loyaldesk.support.actions.assistant_turns import post_assistant_message

BATCH = 20


def _waiting(database: Database) -> list[tuple[int, int, dict[str, Any]]]:
    with database.read() as session:
        rows = session.execute(
            select(
                AssistantConversation.conversation_id,
                AssistantConversation.store_id,
                AssistantConversation.llm_draft,
            )
            .where(AssistantConversation.llm_draft.is_not(None))
            .order_by(AssistantConversation.updated_at)
            .limit(BATCH)
        ).all()
    return [(conversation_id, store_id, draft) for conversation_id, store_id, draft in rows if draft]


def write_drafts(database: Database) -> int:
    """Answer every waiting draft (see the module); returns how many were settled."""
    settled = 0
    for conversation_id, store_id, draft in _waiting(database):
        with database.read() as session:
            endpoint = assistant_config(session, store_id).llm
        sources = [llm.Source(**source) for source in draft.get("sources", [])]
        answer = (
            llm.write_answer(endpoint, draft["question"], sources)
            if endpoint is not None
            else llm.Answer(None, "the LLM was switched off")
        )
        settled += database.write(_settle, conversation_id, draft, answer)
    return settled


def _settle(uow: UnitOfWork, conversation_id: int, draft: dict[str, Any], answer: llm.Answer) -> int:
    state = uow.session.get(AssistantConversation, conversation_id)
    if state is None or state.llm_draft != draft:
        return 0  # replaced or gone meanwhile: the newer draft is settled on its own
    state.llm_draft = None
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.assistant_active or state.status != AssistantStatus.ACTIVE:
        return 1
    config = assistant_config(uow.session, conversation.store_id)
    language = draft.get("language", "en")
    with use_language(language):
        if answer.text is None:
            hand_off(
                uow,
                conversation,
                state,
                config,
                HandoffReason.UNSUPPORTED_ANSWER,
                language=language,
                sentiment=draft.get("sentiment", "not measured"),
            )
            return 1
        post_assistant_message(uow, conversation, config.display_name, answer.text)
        state.answers += 1
        state.last_answer = answer.text[:4000]
        state.last_answer_at = uow.now()
        state.updated_at = uow.now()
    return 1
