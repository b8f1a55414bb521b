"""Articles and categories as the console and the public help center read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.assistant.knowledge.models import Article, ArticleCategory
from loyaldesk.assistant.knowledge.vocab import ArticleStatus
from loyaldesk.kernel.errors import NotFound


def categories_of(session: Session, store_id: int) -> list[ArticleCategory]:
    """The store's categories in their order."""
    return list(
        session.scalars(
            select(ArticleCategory)
            .where(ArticleCategory.store_id == store_id)
            .order_by(ArticleCategory.position, ArticleCategory.id)
        )
    )


def articles_of(
    session: Session,
    store_id: int,
    *,
    category_id: int | None = None,
    status: str | None = None,
    language: str | None = None,
) -> list[Article]:
    """The store's articles (drafts too), filtered, newest change first."""
    query = select(Article).where(Article.store_id == store_id)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    if status:
        query = query.where(Article.status == status)
    if language:
        query = query.where(Article.language == language)
    return list(session.scalars(query.order_by(Article.updated_at.desc(), Article.id.desc())))


def article_of_store(session: Session, store_id: int, article_id: int) -> Article:
    """One article of the store (a draft too), for editors; ``NotFound`` for another store's."""
    article = session.get(Article, article_id)
    if article is None or article.store_id != store_id:
        raise NotFound("no such article")
    return article


@dataclass(frozen=True)
class PublishedArticle:
    """What shoppers see of an article: the published version only."""

    id: int
    slug: str
    language: str
    title: str
    body: str
    category_id: int | None
    version: int
    published_at: object


def _published(article: Article) -> PublishedArticle:
    return PublishedArticle(
        id=article.id,
        slug=article.slug,
        language=article.language,
        title=article.published_title or "",
        body=article.published_body or "",
        category_id=article.category_id,
        version=article.version,
        published_at=article.published_at,
    )


def published_articles(
    session: Session, store_id: int, language: str | None = None, category_id: int | None = None
) -> list[PublishedArticle]:
    """The store's published articles (optionally of one language or category), by title."""
    query = select(Article).where(Article.store_id == store_id, Article.status == ArticleStatus.PUBLISHED)
    if language:
        query = query.where(Article.language == language)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    return sorted((_published(a) for a in session.scalars(query)), key=lambda a: a.title.lower())


def published_article(session: Session, store_id: int, language: str, slug: str) -> PublishedArticle:
    """The published version of one article; ``NotFound`` for a draft or another store's article."""
    article = session.scalar(
        select(Article).where(
            Article.store_id == store_id,
            Article.language == language,
            Article.slug == slug,
            Article.status == ArticleStatus.PUBLISHED,
        )
    )
    if article is None:
        raise NotFound("no such article")
    return _published(article)


def category_by_slug(session: Session, store_id: int, slug: str) -> ArticleCategory:
    category = session.scalar(
        select(ArticleCategory).where(ArticleCategory.store_id == store_id, ArticleCategory.slug == slug)
    )
    if category is None:
        raise NotFound("no such category")
    return category


def article_language(session: Session, store_id: int, wanted: str, store_default: str | None = None) -> str:
    """The language whose articles to show a shopper who reads ``wanted``: that one when the store has
    published articles in it, else the store's default language, else the language most of its
    articles are in (a German shopper of a store that writes only English still finds answers)."""
    counts = dict(
        session.execute(
            select(Article.language, func.count())
            .where(Article.store_id == store_id, Article.status == ArticleStatus.PUBLISHED)
            .group_by(Article.language)
        ).all()
    )
    if wanted in counts or not counts:
        return wanted
    if store_default in counts:
        return str(store_default)
    return str(max(counts, key=lambda language: (counts[language], language == "en")))
