"""Retrieval over the help center's published articles: BM25 (bm25s) fused with sentence embeddings.

``search_articles(session, store_id, text, language, limit)`` is the ``assistant.ports.ArticleFinder``
the composition root provides; ``evaluate_retrieval`` measures a ranking on a file of articles and
queries (``loyaldesk assistant evaluate-retrieval``)."""

from loyaldesk.assistant.retrieval.engine import DEFAULT_WEIGHTS, HybridIndex, RetrievalWeights
from loyaldesk.assistant.retrieval.evaluate import evaluate_retrieval
from loyaldesk.assistant.retrieval.search import search_articles

__all__ = ["DEFAULT_WEIGHTS", "HybridIndex", "RetrievalWeights", "evaluate_retrieval", "search_articles"]
