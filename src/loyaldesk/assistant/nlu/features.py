"""Word n-gram TF-IDF features, stored as plain arrays and JSON (never pickled).

They sit beside the sentence vector when a model uses them: the vector carries meaning, the n-grams carry
the exact words a domain relies on ("chargeback", "top up", "tier"). ``TfidfFeatures.fit(texts)`` learns
the vocabulary and the inverse document frequencies; ``transform(texts)`` gives L2-normalised sparse rows
(sublinear term frequency); ``to_json``/``from_json`` round-trip them exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_TOKEN_PATTERN = r"(?u)\b\w+\b"  # single letters count too ("i", "a" matter in short messages)


@dataclass(frozen=True)
class TfidfFeatures:
    vocabulary: dict[str, int]
    idf: np.ndarray  # float64, one per vocabulary entry
    ngram_max: int = 2

    @classmethod
    def fit(cls, texts: Sequence[str], *, ngram_max: int = 2, min_df: int = 2) -> TfidfFeatures:
        """Learn the vocabulary (n-grams seen in at least ``min_df`` texts) and their IDF."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            ngram_range=(1, ngram_max), min_df=min_df, sublinear_tf=True, token_pattern=_TOKEN_PATTERN
        )
        try:
            vectorizer.fit(list(texts))
        except ValueError:  # too few texts for min_df: keep every n-gram
            vectorizer.set_params(min_df=1).fit(list(texts))
        vocabulary = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
        return cls(
            vocabulary=vocabulary, idf=np.asarray(vectorizer.idf_, dtype=np.float64), ngram_max=ngram_max
        )

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        counter = CountVectorizer(
            ngram_range=(1, self.ngram_max), vocabulary=self.vocabulary, token_pattern=_TOKEN_PATTERN
        )
        counts = counter.transform(list(texts)).astype(np.float64).tocsr()
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        weighted = counts @ sparse.diags(self.idf)
        return sparse.csr_matrix(normalize(weighted, norm="l2", copy=False))

    def to_json(self) -> str:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return json.dumps({"terms": terms, "idf": self.idf.tolist(), "ngram_max": self.ngram_max})

    @classmethod
    def from_json(cls, text: str) -> TfidfFeatures:
        data = json.loads(text)
        vocabulary = {term: index for index, term in enumerate(data["terms"])}
        return cls(
            vocabulary=vocabulary, idf=np.asarray(data["idf"], dtype=np.float64), ngram_max=data["ngram_max"]
        )
