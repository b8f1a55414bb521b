"""What the inbox shows an agent beside a conversation: the assistant's state there, articles for the
customer's last message and a reply to insert (the tool's answer for that message, or the top article's
opening). Reads only; one article search and two small reads, so the panel stays fast."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant import ports
from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.settings import assistant_config
from loyaldesk.assistant.dialog.vocab import HANDOFF_LABELS, HandoffReason
from loyaldesk.support import Conversation, Message

ANSWERING_STATUSES = ("answered", "done")


@dataclass(frozen=True)
class Suggestions:
    assistant_name: str
    assistant_on: bool  # the store's assistant is switched on
    answering: bool  # it answers in this conversation now
    handoff_reason: str | None  # why it handed off, in words
    can_hand_back: bool
    articles: list[ports.ArticleHit]
    reply: str | None
    reply_source: str | None  # "tool" or "article"


def suggestions_for(session: Session, conversation: Conversation, language: str = "en") -> Suggestions:
    """The panel for ``conversation`` (the caller checked that the viewer may see it)."""
    config = assistant_config(session, conversation.store_id)
    state = session.get(AssistantConversation, conversation.id)
    last = session.execute(
        select(Message.body, Message.created_at)
        .where(
            Message.conversation_id == conversation.id,
            Message.author_kind == "customer",
            Message.internal.is_(False),
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    articles = ports.find_articles(session, conversation.store_id, last.body, language, 3) if last else []
    reply: str | None = None
    source: str | None = None
    if state is not None and last is not None:
        for call in reversed(state.tool_calls or []):
            if call.get("status") in ANSWERING_STATUSES and call.get("at", "") >= last.created_at.isoformat():
                reply, source = call.get("text") or None, "tool"
                break
    if reply is None and articles:
        top = articles[0]
        reply, source = f"{top.snippet}\n\n{top.title}: {top.url}", "article"
    reason = state.handoff_reason if state is not None else None
    return Suggestions(
        assistant_name=config.display_name,
        assistant_on=config.enabled,
        answering=conversation.assistant_active,
        handoff_reason=HANDOFF_LABELS[HandoffReason(reason)] if reason else None,
        can_hand_back=config.enabled
        and not conversation.assistant_active
        and conversation.channel in ("webchat", "api"),
        articles=articles,
        reply=reply,
        reply_source=source,
    )
