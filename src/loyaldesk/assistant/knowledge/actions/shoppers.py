"""What shoppers leave in the knowledge base: their searches (the content-gap report), the articles they
opened from the widget (deflection records) and whether an article helped. Anonymous visitors may do
all three; the routes rate limit them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import ColumnElement, or_, select, update

from loyaldesk.assistant.knowledge.models import Article, ArticleFeedback, Deflection, SearchLogEntry
from loyaldesk.assistant.knowledge.vocab import ArticleStatus, DeflectionOutcome, SearchChannel
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound

# How long a visitor who opened an article must stay away from the chat for it to count as deflected.
DEFLECTION_WINDOW = timedelta(minutes=30)
MAX_QUERY = 300
MAX_COMMENT = 2000


def visitor_hash(token: str | None) -> str | None:
    """The widget visitor token as the support desk keeps it (SHA-256 hex), or None."""
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def record_search(
    uow: UnitOfWork,
    store_id: int,
    *,
    query: str,
    language: str,
    channel: SearchChannel,
    results_count: int,
    top_article_id: int | None,
    customer_id: int | None = None,
) -> int:
    """Log one search; returns its id (the widget sends it back with the article opened)."""
    entry = SearchLogEntry(
        store_id=store_id,
        customer_id=customer_id,
        query=" ".join(query.split())[:MAX_QUERY],
        language=language,
        channel=channel,
        results_count=results_count,
        top_article_id=top_article_id,
        created_at=uow.now(),
    )
    uow.session.add(entry)
    uow.session.flush()
    return entry.id


def record_article_opened(
    uow: UnitOfWork,
    store_id: int,
    article_id: int,
    *,
    search_id: int | None,
    visitor_token: str | None,
    customer_id: int | None = None,
) -> Deflection:
    """A widget visitor opened ``article_id`` (from the search ``search_id``, if any): its search records
    the click, and a deflection record waits ``DEFLECTION_WINDOW`` to see whether they start a
    conversation anyway. ``NotFound`` for an article the store's shoppers cannot see."""
    article = uow.session.get(Article, article_id)
    if article is None or article.store_id != store_id or article.status != ArticleStatus.PUBLISHED:
        raise NotFound("no such article")
    if search_id is not None:
        uow.session.execute(
            update(SearchLogEntry)
            .where(SearchLogEntry.id == search_id, SearchLogEntry.store_id == store_id)
            .values(clicked_article_id=article_id)
        )
    now = uow.now()
    record = Deflection(
        store_id=store_id,
        article_id=article_id,
        search_id=search_id,
        customer_id=customer_id,
        visitor_token_hash=visitor_hash(visitor_token),
        opened_at=now,
        decide_after=now + DEFLECTION_WINDOW,
        outcome=DeflectionOutcome.PENDING,
    )
    uow.session.add(record)
    uow.session.flush()
    return record


def give_feedback(
    uow: UnitOfWork,
    store_id: int,
    article_id: int,
    *,
    helpful: bool,
    comment: str = "",
    customer_id: int | None = None,
) -> ArticleFeedback:
    """A shopper says whether the published version of an article helped, with an optional comment."""
    article = uow.session.get(Article, article_id)
    if article is None or article.store_id != store_id or article.status != ArticleStatus.PUBLISHED:
        raise NotFound("no such article")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(
            "the feedback is not valid", [FieldProblem("comment", f"at most {MAX_COMMENT} characters")]
        )
    feedback = ArticleFeedback(
        store_id=store_id,
        article_id=article_id,
        customer_id=customer_id,
        article_version=article.version,
        helpful=helpful,
        comment=comment,
        created_at=uow.now(),
    )
    uow.session.add(feedback)
    uow.session.flush()
    return feedback


def decide_deflections(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Settle the deflection records whose waiting time is over: ``contacted`` when the visitor (by
    their widget token) or the customer started a conversation since opening the article, else
    ``deflected``. Returns how many were settled."""
    from loyaldesk.support import Contact, Conversation

    now = uow.now()
    due = list(
        uow.session.scalars(
            select(Deflection)
            .where(Deflection.outcome == DeflectionOutcome.PENDING, Deflection.decide_after <= now)
            .order_by(Deflection.id)
            .limit(limit)
        )
    )
    for record in due:
        started = select(Conversation.id).where(
            Conversation.store_id == record.store_id,
            Conversation.created_at >= record.opened_at,
            Conversation.created_at <= record.decide_after,
        )
        who: list[ColumnElement[bool]] = []
        if record.visitor_token_hash:
            who.append(
                Conversation.contact_id.in_(
                    select(Contact.id).where(
                        Contact.store_id == record.store_id,
                        Contact.visitor_token_hash == record.visitor_token_hash,
                    )
                )
            )
        if record.customer_id:
            who.append(Conversation.customer_id == record.customer_id)
        contacted = False
        if who:
            contacted = uow.session.scalar(started.where(or_(*who)).limit(1)) is not None
        record.outcome = DeflectionOutcome.CONTACTED if contacted else DeflectionOutcome.DEFLECTED
    return len(due)
