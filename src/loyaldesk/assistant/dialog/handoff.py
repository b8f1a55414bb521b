"""Handing a conversation to people, and an agent handing it back.

``hand_off`` tells the shopper a person will answer (or, outside business hours, from when), writes ONE
internal note, the hand-off packet (why, the intent, a short extractive summary of the shopper's words,
the tools called with their results, the orders involved, the articles tried, the sentiment), and puts
the conversation in the desk's normal queue (``support.actions.assistant_turns.release_to_people``). From
then on the assistant says nothing in that conversation until ``hand_back`` (an agent, in the inbox or
through the API).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from loyaldesk.assistant.dialog import replies
from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.settings import AssistantConfig, assistant_config
from loyaldesk.assistant.dialog.state import state_of
from loyaldesk.assistant.dialog.vocab import HANDOFF_LABELS, AssistantStatus, HandoffReason
from loyaldesk.commerce import Order
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission, Store, record_audit
from loyaldesk.support import BusinessCalendarRow, Conversation, calendar_of, is_open, post_system_note
from loyaldesk.support.actions.assistant_turns import (
    post_assistant_message,
    release_to_people,
    return_to_assistant,
)
from loyaldesk.support.actions.staff_access import require_staff
from loyaldesk.support.business_hours import next_opening

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FACTUAL = re.compile(r"\d|@")
SUMMARY_SENTENCES = 3


def summary(texts: Sequence[str]) -> str:
    """An extractive summary: up to three of the shopper's sentences, in their order, preferring the first
    and the last and those with facts in them (numbers, addresses)."""
    sentences: list[tuple[int, str]] = []
    for text in texts:
        for sentence in _SENTENCE.split(text):
            cleaned = " ".join(sentence.split())
            if cleaned and cleaned not in (s for _, s in sentences):
                sentences.append((len(sentences), cleaned))
    if not sentences:
        return ""
    last = len(sentences) - 1

    def score(item: tuple[int, str]) -> float:
        position, sentence = item
        words = len(sentence.split())
        return (
            (2 if _FACTUAL.search(sentence) else 0)
            + (1.5 if position == 0 else 0)
            + (1 if position == last else 0)
            + (0.5 if 4 <= words <= 40 else 0)
        )

    chosen = sorted(sorted(sentences, key=score, reverse=True)[:SUMMARY_SENTENCES])
    return " … ".join(f"“{sentence[:200]}”" for _, sentence in chosen)


def _order_numbers(uow: UnitOfWork, store_id: int, order_ids: Sequence[int]) -> list[str]:
    if not order_ids:
        return []
    rows = uow.session.execute(
        select(Order.id, Order.number).where(Order.store_id == store_id, Order.id.in_(list(order_ids)))
    ).all()
    numbers = {order_id: str(number) for order_id, number in rows}

    def shown(number: str) -> str:  # as the shop shows it: "#1001", never "##1001"
        return number if number.startswith("#") else f"#{number}"

    return [shown(numbers[order_id]) if order_id in numbers else f"id {order_id}" for order_id in order_ids]


def packet(uow: UnitOfWork, state: AssistantConversation, reason: HandoffReason, sentiment: str) -> str:
    """The hand-off note's text (staff read it; Markdown)."""
    lines = [f"**Handed to a person by the assistant**: {HANDOFF_LABELS[reason]}.", ""]
    intent = state.last_intent or state.intent
    confidence = f" (confidence {state.last_confidence:.2f})" if state.last_confidence is not None else ""
    lines.append(f"- Intent: {intent or 'not recognised'}{confidence}")
    lines.append(f"- Summary: {summary(state.customer_texts or []) or '(no words)'}")
    calls = state.tool_calls or []
    if calls:
        lines.append("- Tools:")
        for call in calls:
            facts = ", ".join(f"{key}={value}" for key, value in (call.get("facts") or {}).items())
            lines.append(
                f"  - {call['tool']} ({call['intent']}): {call['status']}: {call['text'][:300]}"
                + (f" [{facts[:300]}]" if facts else "")
            )
    else:
        lines.append("- Tools: none called")
    numbers = _order_numbers(uow, state.store_id, state.order_ids or [])
    lines.append(f"- Orders: {', '.join(numbers) if numbers else 'none'}")
    articles = state.articles or []
    if articles:
        lines.append("- Articles tried: " + "; ".join(f"[{a['title']}]({a['url']})" for a in articles))
    else:
        lines.append("- Articles tried: none")
    lines.append(f"- Sentiment: {sentiment}")
    return "\n".join(lines)


def _opening(uow: UnitOfWork, store_id: int) -> tuple[bool, object]:
    row = uow.session.scalar(
        select(BusinessCalendarRow)
        .where(BusinessCalendarRow.store_id == store_id)
        .order_by(BusinessCalendarRow.id)
        .limit(1)
    )
    calendar = calendar_of(row)
    now = uow.now()
    if is_open(calendar, now):
        return True, None
    return False, next_opening(calendar, now)


def hand_off(
    uow: UnitOfWork,
    conversation: Conversation,
    state: AssistantConversation,
    config: AssistantConfig,
    reason: HandoffReason,
    *,
    language: str,
    sentiment: str = "not measured",
    apology: str | None = None,
) -> None:
    """Give the conversation to people (see the module). Call inside ``use_language(language)``."""
    store = uow.session.get(Store, conversation.store_id)
    open_now, opening = _opening(uow, conversation.store_id)
    words = (
        replies.handing_off()
        if open_now or store is None
        else replies.away_until(opening, store.timezone, language)  # type: ignore[arg-type]
    )
    post_assistant_message(uow, conversation, config.display_name, f"{apology} {words}" if apology else words)
    post_assistant_message(
        uow, conversation, config.display_name, packet(uow, state, reason, sentiment), internal=True
    )
    now = uow.now()
    state.status = AssistantStatus.HANDED_OFF.value
    state.handoff_reason = reason.value
    state.handed_off_at = now
    state.pending_intent = state.pending_slot = state.resume_intent = None
    state.updated_at = now
    release_to_people(uow, conversation)


def hand_back(uow: UnitOfWork, actor: Actor, conversation_id: int) -> AssistantConversation:
    """An agent gives the conversation back to the assistant: it answers the shopper's next message again
    (counters of the earlier turns start over). Refused, naming ``assistant``, when the store's assistant is
    switched off or already answers there."""
    conversation = require_staff(uow, actor, conversation_id, Permission.ANSWER_CONVERSATIONS)
    config = assistant_config(uow.session, conversation.store_id)
    if not config.enabled:
        raise Invalid(
            "the assistant is switched off", [FieldProblem("assistant", "switch it on in the settings")]
        )
    if conversation.channel not in ("webchat", "api"):
        raise Invalid(
            "the assistant does not answer on this channel",
            [FieldProblem("assistant", "it answers chat and API conversations")],
        )
    state = state_of(uow, conversation)
    if conversation.assistant_active and state.status == AssistantStatus.ACTIVE:
        raise Invalid("the assistant already answers here", [FieldProblem("assistant", "already active")])
    now = uow.now()
    state.status = AssistantStatus.ACTIVE.value
    state.handed_back_at = now
    state.low_confidence_turns = 0
    state.intent_counts = {}
    state.customer_texts = []
    state.pending_intent = state.pending_slot = state.resume_intent = None
    state.slots = {}
    state.updated_at = now
    return_to_assistant(uow, conversation)
    post_system_note(uow, conversation, f"Handed back to {config.display_name} by {actor.label or 'staff'}.")
    record_audit(
        uow,
        actor,
        "assistant.handed_back",
        store_id=conversation.store_id,
        target_type="conversation",
        target_id=conversation.id,
    )
    return state
