"""An accepted answer becomes a published knowledge-base article in one click (the question its title),
once per thread: a second click returns the same article."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loyaldesk import community
from loyaldesk.assistant.knowledge import Article, ArticleChunk, ArticleStatus
from loyaldesk.kernel.errors import Conflict, PermissionDenied
from loyaldesk.stores.models import AuditLogEntry
from tests.community.conftest import GRINDER, Forum


def test_an_accepted_answer_becomes_one_published_article(forum: Forum) -> None:
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="How do I clean the grinder burrs?",
        body="They get oily.",
        space_kind="product_qa",
        product_id=GRINDER,
        customer_id=forum.people["ann"],
    )
    post_id = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Run **rice-free** cleaning tablets through it, then brush the burrs.",
        customer_id=forum.people["bob"],
    )
    with pytest.raises(Conflict):  # nothing accepted yet
        forum.write(
            community.publish_answer_as_article,
            store_id=forum.store.id,
            actor=forum.admin,
            thread_id=thread_id,
        )
    forum.write(
        community.accept_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        post_id=post_id,
        customer_id=forum.people["ann"],
    )
    with pytest.raises(PermissionDenied):  # agents do not edit the knowledge base
        forum.write(
            community.publish_answer_as_article,
            store_id=forum.store.id,
            actor=forum.agent,
            thread_id=thread_id,
        )
    first = forum.write(
        community.publish_answer_as_article, store_id=forum.store.id, actor=forum.admin, thread_id=thread_id
    )
    second = forum.write(
        community.publish_answer_as_article, store_id=forum.store.id, actor=forum.admin, thread_id=thread_id
    )
    assert first == second
    with forum.db.read() as session:
        articles = session.scalars(select(Article)).all()
        chunks = session.scalar(
            select(func.count()).select_from(ArticleChunk).where(ArticleChunk.article_id == first)
        )
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
        published = session.scalars(
            select(AuditLogEntry.action).where(AuditLogEntry.action == "community.answer_published")
        ).all()
    assert len(articles) == 1
    article = articles[0]
    assert (article.published_title, article.status) == (
        "How do I clean the grinder burrs?",
        ArticleStatus.PUBLISHED,
    )
    assert article.published_body == "Run **rice-free** cleaning tablets through it, then brush the burrs."
    assert chunks and chunks > 0  # passages the assistant retrieves
    assert view.article_id == first
    assert published == ["community.answer_published"]
