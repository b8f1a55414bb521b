"""Searching a store's published articles in one language: the ``ArticleFinder`` of ``assistant.ports``.

The index of a store and language is built from the stored passages (``knowledge_chunks``: their texts
and the embeddings computed when the article was published, so nothing is embedded again here) and kept
in this process, keyed by the store's knowledge version: publishing, re-publishing, withdrawing or deleting
an article moves the version on, and the next search rebuilds the index. Only the query is embedded
(~20 ms on one core)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant.knowledge.models import Article, ArticleChunk, KnowledgeVersion
from loyaldesk.assistant.knowledge.rules import snippet
from loyaldesk.assistant.knowledge.vocab import ArticleStatus
from loyaldesk.assistant.ports import ArticleHit
from loyaldesk.assistant.retrieval.engine import HybridIndex

MAX_QUERY_CHARACTERS = 300
_CACHE_SIZE = 64  # (store, language) indexes kept; a few MB each at most for a help center

_lock = threading.Lock()
_cache: OrderedDict[tuple[int, str], tuple[int, HybridIndex]] = OrderedDict()


def knowledge_version(session: Session, store_id: int) -> int:
    """The store's knowledge version (0 before anything was ever published)."""
    return session.scalar(select(KnowledgeVersion.version).where(KnowledgeVersion.store_id == store_id)) or 0


def index_for(session: Session, store_id: int, language: str) -> HybridIndex:
    """The store's index for ``language`` at its current knowledge version (cached per process)."""
    version = knowledge_version(session, store_id)
    key = (store_id, language)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            _cache.move_to_end(key)
            return cached[1]
    rows = session.execute(
        select(ArticleChunk.article_id, ArticleChunk.text, ArticleChunk.embedding)
        .join(Article, Article.id == ArticleChunk.article_id)
        .where(
            ArticleChunk.store_id == store_id,
            ArticleChunk.language == language,
            Article.status == ArticleStatus.PUBLISHED,
        )
        .order_by(ArticleChunk.article_id, ArticleChunk.position)
    ).all()
    vectors = (
        np.stack([np.frombuffer(row.embedding, dtype="<f4") for row in rows])
        if rows
        else np.zeros((0, 384), dtype=np.float32)
    )
    index = HybridIndex([r.article_id for r in rows], [r.text for r in rows], vectors, language=language)
    with _lock:
        _cache[key] = (version, index)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def search_articles(
    session: Session, store_id: int, text: str, language: str = "en", limit: int = 3
) -> list[ArticleHit]:
    """The store's published articles in ``language`` that answer ``text``, best first, at most
    ``limit``, each over the retrieval's minimum score (an empty list: nothing good enough, or an empty
    query). Never another store's article, never a draft."""
    from loyaldesk.assistant.nlu.embeddings import default_embedder

    text = " ".join(text.split())[:MAX_QUERY_CHARACTERS]
    if not text or limit <= 0:
        return []
    index = index_for(session, store_id, language)
    if not len(index):
        return []
    vector = default_embedder().embed([text])[0]
    ranked = index.search(text, vector, limit)
    if not ranked:
        return []
    articles = {
        a.id: a
        for a in session.scalars(
            select(Article).where(
                Article.id.in_([doc for doc, _ in ranked]),
                Article.store_id == store_id,
                Article.status == ArticleStatus.PUBLISHED,
            )
        )
    }
    from loyaldesk.stores import Store

    store_slug = session.scalar(select(Store.slug).where(Store.id == store_id))
    hits = []
    for doc, score in ranked:
        article = articles.get(doc)
        if article is None:  # withdrawn since the index was read
            continue
        hits.append(
            ArticleHit(
                article_id=article.id,
                title=article.published_title or "",
                url=article_path(store_slug or "", article.language, article.slug),
                snippet=snippet(article.published_body or ""),
                score=round(float(score), 4),
            )
        )
    return hits


def article_path(store_slug: str, language: str, slug: str) -> str:
    """An article's address in the public help center (relative to the install's base URL)."""
    return f"/help/{store_slug}/{language}/articles/{slug}"


def clear_cache() -> None:
    """Forget every cached index (tests)."""
    with _lock:
        _cache.clear()
