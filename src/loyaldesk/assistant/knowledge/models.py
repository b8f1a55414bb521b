"""The knowledge base's tables: categories, articles (a draft beside the published version), the
published version's chunks with their embeddings, the store's knowledge version (the retrieval cache's
key), shoppers' feedback on articles, the search log and the widget's deflection records.

Personal data: feedback, searches and deflection records may name a customer (``customer_id``, when a
signed-in shopper acted); they are exported and erased with the customer (``knowledge.customer_data``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime


class ArticleCategory(Base):
    __tablename__ = "knowledge_categories"
    __table_args__ = (UniqueConstraint("store_id", "slug", name="uq_knowledge_categories_store_slug"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Article(Base):
    """An article: ``title``/``body`` are the draft the editors change; ``published_title``/
    ``published_body`` are what shoppers see (None while never published). ``version`` counts the
    publications; ``status`` is ``published`` while a published version is live."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (
        UniqueConstraint("store_id", "language", "slug", name="uq_knowledge_articles_store_language_slug"),
        Index("ix_knowledge_articles_store_status", "store_id", "status", "language"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("knowledge_categories.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(8))
    slug: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_title: Mapped[str | None] = mapped_column(String(200))
    published_body: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def has_unpublished_changes(self) -> bool:
        return self.title != self.published_title or self.body != self.published_body


class ArticleChunk(Base):
    """A passage of a published article (its title and a few paragraphs) with its sentence embedding
    (float32 little-endian bytes), so that a restart does not embed everything again."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (Index("ix_knowledge_chunks_store_language", "store_id", "language"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(IdType, ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)


class KnowledgeVersion(Base):
    """Counts the changes to what shoppers can find in a store; the retrieval's cache key."""

    __tablename__ = "knowledge_versions"

    store_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)


class ArticleFeedback(Base):
    __tablename__ = "knowledge_feedback"
    __table_args__ = (Index("ix_knowledge_feedback_article", "article_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(IdType, ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customers.id", ondelete="SET NULL"))
    article_version: Mapped[int] = mapped_column(Integer)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SearchLogEntry(Base):
    """One search a shopper made; ``results_count`` 0 is a content gap."""

    __tablename__ = "knowledge_searches"
    __table_args__ = (Index("ix_knowledge_searches_store_time", "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customers.id", ondelete="SET NULL"))
    query: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    results_count: Mapped[int] = mapped_column(Integer)
    top_article_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("knowledge_articles.id", ondelete="SET NULL")
    )
    clicked_article_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("knowledge_articles.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deflection(Base):
    """A widget visitor opened an article before any conversation; ``outcome`` is decided once
    ``decide_after`` has passed: ``contacted`` when the same visitor (or customer) started a
    conversation since ``opened_at``, ``deflected`` otherwise."""

    __tablename__ = "knowledge_deflections"
    __table_args__ = (Index("ix_knowledge_deflections_due", "outcome", "decide_after"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(IdType, ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    search_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("knowledge_searches.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customers.id", ondelete="SET NULL"))
    visitor_token_hash: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decide_after: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
