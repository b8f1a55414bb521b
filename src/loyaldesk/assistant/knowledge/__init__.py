"""The knowledge base: categories and articles (a draft beside the published version), shoppers'
searches, feedback and deflections. The help center's pages and the widget read it through
``queries``; retrieval (``assistant.retrieval``) indexes the published versions."""

from loyaldesk.assistant.knowledge.actions.articles import publish_article, save_article
from loyaldesk.assistant.knowledge.models import (
    Article,
    ArticleCategory,
    ArticleChunk,
    ArticleFeedback,
    Deflection,
    KnowledgeVersion,
    SearchLogEntry,
)
from loyaldesk.assistant.knowledge.vocab import ArticleStatus, DeflectionOutcome, SearchChannel

__all__ = [
    "Article",
    "ArticleCategory",
    "ArticleChunk",
    "ArticleFeedback",
    "ArticleStatus",
    "Deflection",
    "DeflectionOutcome",
    "KnowledgeVersion",
    "SearchChannel",
    "SearchLogEntry",
    "publish_article",
    "save_article",
]
