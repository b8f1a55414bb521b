"""An accepted answer becomes a knowledge-base article in one click, so that the help center and the
assistant (which retrieves published articles) can use it.

The article is written and published through the assistant's knowledge actions (``save_article``,
``publish_article``: they check the actor's ``Permission.MANAGE_KNOWLEDGE``, write their own audit rows,
store the passages with their embeddings and move the store's knowledge version on). Its title is the
question's, its body the accepted answer's Markdown source (the knowledge base renders and sanitises it
itself). Once per thread: the thread keeps the article's id, and a second click returns the same article
(while it exists; a deleted one is written again). The thread's row is locked first, so two clicks at
once make one article.
"""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.assistant.knowledge import Article, publish_article, save_article
from loyaldesk.community.actions.common import staff
from loyaldesk.community.events import AnswerPublishedAsArticle
from loyaldesk.community.models import Post, Thread
from loyaldesk.community.rules.words import slugify
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.stores import Permission, record_audit, store_by_id

ARTICLE_LANGUAGES = ("en", "de")  # the knowledge base's languages (assistant.knowledge.vocab)


def publish_answer_as_article(uow: UnitOfWork, *, store_id: int, actor: Actor, thread_id: int) -> int:
    """Publish the thread's accepted answer as a knowledge-base article; returns the article's id (the
    same one on every later call). Refused: ``NotFound`` for a thread not of the store, ``Conflict`` when
    it has no accepted answer (or the answer is hidden), ``PermissionDenied`` without
    ``Permission.MANAGE_KNOWLEDGE``."""
    staff(actor, store_id, Permission.MANAGE_KNOWLEDGE)
    query = select(Thread).where(Thread.id == thread_id, Thread.store_id == store_id)
    if uow.is_postgresql:
        query = query.with_for_update()
    thread = uow.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if thread is None:
        raise NotFound("no such thread")
    if thread.article_id is not None and uow.session.get(Article, thread.article_id) is not None:
        return int(thread.article_id)
    if thread.accepted_post_id is None:
        raise Conflict("this thread has no accepted answer yet")
    answer = uow.session.scalar(
        select(Post).where(Post.id == thread.accepted_post_id, Post.thread_id == thread.id)
    )
    if answer is None or answer.hidden or thread.hidden:
        raise Conflict("the accepted answer is hidden")
    store = store_by_id(uow.session, store_id)
    language = (store.default_language or "en").split("-")[0]
    if language not in ARTICLE_LANGUAGES:
        language = "en"
    slug = f"{slugify(thread.title, max_length=100) or 'question'}-{thread.id}"
    article = save_article(
        uow, actor, store_id, title=thread.title, body=answer.body, language=language, slug=slug
    )
    publish_article(uow, actor, store_id, article.id)
    thread.article_id = article.id
    thread.updated_at = uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "community.answer_published",
        store_id=store_id,
        target_type="community_thread",
        target_id=thread.id,
        details={"article_id": article.id, "post_id": answer.id},
    )
    uow.emit(
        AnswerPublishedAsArticle(
            store_id=store_id, thread_id=thread.id, post_id=answer.id, article_id=article.id
        )
    )
    return int(article.id)
