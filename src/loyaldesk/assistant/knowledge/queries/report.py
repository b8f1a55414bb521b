"""The knowledge base's report: searches that found nothing (content gaps), the articles that deflected
most conversations, and how helpful shoppers found each article; and a draft started from a resolved
conversation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from loyaldesk.assistant.knowledge.models import Article, ArticleFeedback, Deflection, SearchLogEntry
from loyaldesk.assistant.knowledge.vocab import DeflectionOutcome
from loyaldesk.kernel.errors import Conflict, NotFound


@dataclass(frozen=True)
class ContentGap:
    query: str
    language: str
    searches: int
    last_searched_at: datetime


@dataclass(frozen=True)
class DeflectionRow:
    article_id: int
    title: str
    opened: int
    deflected: int
    contacted: int


@dataclass(frozen=True)
class HelpfulnessRow:
    article_id: int
    title: str
    helpful: int
    not_helpful: int

    @property
    def share_helpful(self) -> float | None:
        total = self.helpful + self.not_helpful
        return self.helpful / total if total else None


def content_gaps(session: Session, store_id: int, since: datetime, limit: int = 50) -> list[ContentGap]:
    """Searches since ``since`` that found nothing, grouped by their lower-cased text, most asked first."""
    text = func.lower(SearchLogEntry.query)
    rows = session.execute(
        select(text, SearchLogEntry.language, func.count(), func.max(SearchLogEntry.created_at))
        .where(
            SearchLogEntry.store_id == store_id,
            SearchLogEntry.results_count == 0,
            SearchLogEntry.created_at >= since,
        )
        .group_by(text, SearchLogEntry.language)
        .order_by(func.count().desc(), text)
        .limit(limit)
    )
    return [ContentGap(query=q, language=lang, searches=n, last_searched_at=at) for q, lang, n, at in rows]


def deflections(session: Session, store_id: int, since: datetime, limit: int = 20) -> list[DeflectionRow]:
    """Articles opened in the widget since ``since``, most deflected conversations first."""
    deflected = func.sum(case((Deflection.outcome == DeflectionOutcome.DEFLECTED, 1), else_=0))
    contacted = func.sum(case((Deflection.outcome == DeflectionOutcome.CONTACTED, 1), else_=0))
    rows = session.execute(
        select(Article.id, Article.title, func.count(), deflected, contacted)
        .join(Article, Article.id == Deflection.article_id)
        .where(Deflection.store_id == store_id, Deflection.opened_at >= since)
        .group_by(Article.id, Article.title)
        .order_by(deflected.desc(), func.count().desc())
        .limit(limit)
    )
    return [
        DeflectionRow(article_id=i, title=t, opened=n, deflected=int(d or 0), contacted=int(c or 0))
        for i, t, n, d, c in rows
    ]


def helpfulness(session: Session, store_id: int, since: datetime) -> list[HelpfulnessRow]:
    """Each article's "did this help?" answers since ``since``, most answered first."""
    helpful = func.sum(func.cast(ArticleFeedback.helpful, Integer))
    total = func.count()
    rows = session.execute(
        select(Article.id, Article.title, helpful, total)
        .join(Article, Article.id == ArticleFeedback.article_id)
        .where(ArticleFeedback.store_id == store_id, ArticleFeedback.created_at >= since)
        .group_by(Article.id, Article.title)
        .order_by(total.desc(), Article.title)
    )
    return [
        HelpfulnessRow(article_id=i, title=t, helpful=int(h or 0), not_helpful=int(n) - int(h or 0))
        for i, t, h, n in rows
    ]


@dataclass(frozen=True)
class DraftStart:
    title: str
    body: str


def draft_from_conversation(session: Session, store_id: int, conversation_id: int) -> DraftStart:
    """A draft pre-filled from a resolved conversation: the customer's first message as the title's
    question and the agents' public answers as the body. ``Conflict`` unless it is resolved or closed."""
    from loyaldesk.support import Conversation, Message

    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.store_id != store_id:
        raise NotFound("no such conversation")
    if conversation.status not in ("resolved", "closed"):
        raise Conflict("start an article from a resolved conversation")
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.internal.is_(False))
            .order_by(Message.created_at, Message.id)
        )
    )
    question = next((m.body for m in messages if m.author_kind == "customer"), conversation.subject)
    answers = [m.body for m in messages if m.author_kind == "agent"]
    first_line = " ".join((question or "").split())
    title = first_line[:120].rstrip() if first_line else "New article"
    body = f"## {title}\n\n" + ("\n\n".join(answers) if answers else "")
    return DraftStart(title=title, body=body.strip())
