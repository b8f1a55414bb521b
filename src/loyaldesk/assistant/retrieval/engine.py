"""The hybrid ranking: BM25 over words (bm25s) and cosine similarity of sentence embeddings, fused as a
weighted sum of scores on one scale, best passage per document.

Scales: the dense score is the cosine (the embedder's rows have unit length; for this model unrelated
texts sit near 0.0-0.2, paraphrases above ~0.5); BM25's unbounded score is squashed to 0..1 by
``s / (s + bm25_half)`` (``bm25_half`` is the raw score that counts as half a match), so that both keep
their absolute meaning: a query that matches nothing scores low in both and falls under ``min_score``,
which a per-query min-max normalisation would hide (the best of nothing would always be 1.0).

BM25 is kept beside the embeddings for what a sentence model blurs: order numbers, SKUs, policy terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

_TOKEN = re.compile(r"[\w#-]+", re.UNICODE)
# Words too common in shop questions to say what one is about (bm25s' own lists cover the rest).
_STOPWORDS = {
    "en": "en",
    "de": "de",
}


@dataclass(frozen=True)
class RetrievalWeights:
    """How the two scores are fused and when a result is good enough (tuned on bench/data, decision 0030)."""

    dense: float = 0.8
    lexical: float = 0.2
    bm25_half: float = 4.0
    min_score: float = 0.24


DEFAULT_WEIGHTS = RetrievalWeights()


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; digits and ``#``/``-`` kept inside a token (``#1001``, ``SKU-42``)."""
    return [token.strip("-") for token in _TOKEN.findall(text.lower()) if token.strip("-")]


class HybridIndex:
    """Passages (``texts``) of documents (``doc_ids``, one per passage, repeated for several passages)
    with their unit embeddings (``vectors``, shape (n, d)). Immutable once built; safe to share between
    threads (search reads only)."""

    def __init__(
        self,
        doc_ids: Sequence[int],
        texts: Sequence[str],
        vectors: np.ndarray,
        *,
        language: str = "en",
        weights: RetrievalWeights = DEFAULT_WEIGHTS,
    ) -> None:
        if not (len(doc_ids) == len(texts) == len(vectors)):
            raise ValueError("doc_ids, texts and vectors must have the same length")
        self.doc_ids = np.asarray(doc_ids, dtype=np.int64)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.weights = weights
        self._stopwords = _STOPWORDS.get(language)
        self._bm25: bm25s.BM25 | None = None
        if texts:
            self._bm25 = bm25s.BM25()
            self._bm25.index([self._words(text) or ["_"] for text in texts], show_progress=False)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def _words(self, text: str) -> list[str]:
        words = tokenize(text)
        if self._stopwords:
            stop = _stopword_set(self._stopwords)
            words = [w for w in words if w not in stop]
        return words

    def passage_scores(self, text: str, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) scores of every passage for the query, each on 0..1 (dense may dip below 0)."""
        dense = self.vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)
        lexical = np.zeros(len(self), dtype=np.float32)
        words = self._words(text)
        if self._bm25 is not None and words:
            raw = np.asarray(self._bm25.get_scores(words), dtype=np.float32)
            lexical = raw / (raw + self.weights.bm25_half)
        return dense, lexical

    def search(
        self,
        text: str,
        vector: np.ndarray,
        limit: int,
        *,
        weights: RetrievalWeights | None = None,
        apply_minimum: bool = True,
    ) -> list[tuple[int, float]]:
        """The best ``limit`` documents as ``(doc_id, score)``, best first, each scored by its best
        passage; those under ``min_score`` are left out (unless ``apply_minimum`` is False)."""
        if not len(self) or limit <= 0:
            return []
        w = weights or self.weights
        dense, lexical = self.passage_scores(text, vector)
        fused = w.dense * dense + w.lexical * lexical
        best: dict[int, float] = {}
        for doc_id, score in zip(self.doc_ids.tolist(), fused.tolist(), strict=True):
            if score > best.get(doc_id, -np.inf):
                best[doc_id] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        if apply_minimum:
            ranked = [(d, s) for d, s in ranked if s >= w.min_score]
        return ranked[:limit]


_STOP_CACHE: dict[str, frozenset[str]] = {}


def _stopword_set(language: str) -> frozenset[str]:
    if language not in _STOP_CACHE:
        from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

        words = {"en": STOPWORDS_EN, "de": STOPWORDS_GERMAN}.get(language, ())
        _STOP_CACHE[language] = frozenset(words)
    return _STOP_CACHE[language]
