"""Articles: editing the draft, publishing it (shoppers see the new version, its passages are embedded
and the store's knowledge version moves on), withdrawing it, deleting it.

Editing a published article changes only the draft (``title``, ``body``): what shoppers read
(``published_title``, ``published_body``) changes when the article is published again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from loyaldesk.assistant.knowledge.events import ArticlePublished, ArticleUnpublished
from loyaldesk.assistant.knowledge.models import (
    Article,
    ArticleCategory,
    ArticleChunk,
    KnowledgeVersion,
)
from loyaldesk.assistant.knowledge.rules import check_article, chunks
from loyaldesk.assistant.knowledge.vocab import ArticleStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit

WRITE_SCOPE = "knowledge:write"


def save_article(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    title: str,
    body: str,
    language: str = "en",
    slug: str = "",
    category_id: int | None = None,
    article_id: int | None = None,
) -> Article:
    """Create a draft article (``article_id`` None) or change an article's draft. ``Invalid`` naming
    the field when one is wrong; ``Conflict`` when another article in that language has the slug."""
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    title, body, language, slug = check_article(title, body, language, slug)
    if category_id is not None:
        category = uow.session.get(ArticleCategory, category_id)
        if category is None or category.store_id != store_id:
            raise Invalid("the article is not valid", [FieldProblem("category_id", "no such category")])
    clash = uow.session.scalar(
        select(Article.id).where(
            Article.store_id == store_id, Article.language == language, Article.slug == slug
        )
    )
    now = uow.now()
    if article_id is None:
        if clash is not None:
            raise Conflict(f"an article with the address {slug} exists already in this language")
        article = Article(
            store_id=store_id,
            status=ArticleStatus.DRAFT,
            version=0,
            created_at=now,
        )
        uow.session.add(article)
    else:
        article = _article(uow, store_id, article_id)
        if clash is not None and clash != article_id:
            raise Conflict(f"an article with the address {slug} exists already in this language")
        if article.status == ArticleStatus.PUBLISHED and (article.language, article.slug) != (language, slug):
            # Its public address would change under shoppers' bookmarks: withdraw it first.
            raise Invalid(
                "the article is published",
                [FieldProblem("slug", "cannot change while the article is published; unpublish it first")],
            )
    article.title, article.body, article.language, article.slug = title, body, language, slug
    article.category_id = category_id
    article.updated_by = actor.label
    article.updated_at = now
    uow.session.flush()
    record_audit(
        uow, actor, "knowledge.article_saved", store_id=store_id, target_type="article", target_id=article.id
    )
    return article


@dataclass(frozen=True)
class PreparedPassages:
    """A draft's passages embedded before the publishing transaction (``prepare_passages``), so that
    the single writer is not held while the model runs. Used only if the draft is still this text."""

    title: str
    body: str
    passages: tuple[tuple[str, bytes], ...]


def prepare_passages(title: str, body: str) -> PreparedPassages:
    """Cut ``title``/``body`` into passages and embed them (float32 little-endian bytes). No I/O."""
    from loyaldesk.assistant.nlu.embeddings import default_embedder

    texts = chunks(title, body)
    vectors = default_embedder().embed(texts)
    encoded = tuple(
        (text, vector.astype("<f4").tobytes()) for text, vector in zip(texts, vectors, strict=True)
    )
    return PreparedPassages(title, body, encoded)


def publish_article(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    article_id: int,
    *,
    prepared: PreparedPassages | None = None,
) -> Article:
    """Make the draft what shoppers see (the next ``version``), store its passages with their
    embeddings (``prepared`` when it is of this very draft, else embedded here), and move the store's
    knowledge version on so that searches use it."""
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    article = _article(uow, store_id, article_id)
    article.published_title, article.published_body = article.title, article.body
    article.status = ArticleStatus.PUBLISHED
    article.version += 1
    article.published_at = uow.now()
    article.updated_by = actor.label
    if prepared is None or (prepared.title, prepared.body) != (article.title, article.body):
        prepared = prepare_passages(article.title, article.body)
    store_passages(uow, article, prepared)
    bump_knowledge_version(uow, store_id)
    uow.emit(
        ArticlePublished(
            store_id=store_id, article_id=article.id, version=article.version, language=article.language
        )
    )
    record_audit(
        uow,
        actor,
        "knowledge.article_published",
        store_id=store_id,
        target_type="article",
        target_id=article.id,
        details={"version": article.version},
    )
    return article


def unpublish_article(uow: UnitOfWork, actor: Actor, store_id: int, article_id: int) -> Article:
    """Withdraw the article from shoppers (its draft stays); nothing finds it any more."""
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    article = _article(uow, store_id, article_id)
    if article.status != ArticleStatus.PUBLISHED:
        raise Conflict("the article is not published")
    article.status = ArticleStatus.DRAFT
    article.published_title = article.published_body = None
    article.published_at = None
    uow.session.execute(delete(ArticleChunk).where(ArticleChunk.article_id == article.id))
    bump_knowledge_version(uow, store_id)
    uow.emit(ArticleUnpublished(store_id=store_id, article_id=article.id))
    record_audit(
        uow,
        actor,
        "knowledge.article_unpublished",
        store_id=store_id,
        target_type="article",
        target_id=article.id,
    )
    return article


def delete_article(uow: UnitOfWork, actor: Actor, store_id: int, article_id: int) -> None:
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_KNOWLEDGE)
    article = _article(uow, store_id, article_id)
    was_published = article.status == ArticleStatus.PUBLISHED
    uow.session.execute(delete(ArticleChunk).where(ArticleChunk.article_id == article.id))
    uow.session.delete(article)
    if was_published:
        bump_knowledge_version(uow, store_id)
    record_audit(
        uow,
        actor,
        "knowledge.article_deleted",
        store_id=store_id,
        target_type="article",
        target_id=article_id,
    )


def store_passages(uow: UnitOfWork, article: Article, prepared: PreparedPassages) -> None:
    """Replace the article's passages with the published version's, each with its embedding."""
    uow.session.execute(delete(ArticleChunk).where(ArticleChunk.article_id == article.id))
    for position, (text, embedding) in enumerate(prepared.passages):
        uow.session.add(
            ArticleChunk(
                store_id=article.store_id,
                article_id=article.id,
                language=article.language,
                position=position,
                text=text,
                embedding=embedding,
            )
        )
    uow.session.flush()


def bump_knowledge_version(uow: UnitOfWork, store_id: int) -> None:
    """Count one change to what the store's shoppers can find (an atomic update; the row is made once)."""
    moved = uow.session.execute(
        update(KnowledgeVersion)
        .where(KnowledgeVersion.store_id == store_id)
        .values(version=KnowledgeVersion.version + 1)
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        uow.session.add(KnowledgeVersion(store_id=store_id, version=1))
        uow.session.flush()


def _article(uow: UnitOfWork, store_id: int, article_id: int) -> Article:
    article = uow.session.get(Article, article_id)
    if article is None or article.store_id != store_id:
        raise NotFound("no such article")
    return article
