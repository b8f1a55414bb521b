"""Events of the knowledge base: an article's published version changed (published, re-published or
withdrawn). The retrieval index follows the store's knowledge version, not these events."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _ArticleEvent(DomainEvent):
    subject_type = "article"
    article_id: int

    def subject_id(self) -> int | None:
        return self.article_id


class ArticlePublished(_ArticleEvent):
    event_type = "article.published"
    version: int
    language: str


class ArticleUnpublished(_ArticleEvent):
    event_type = "article.unpublished"
