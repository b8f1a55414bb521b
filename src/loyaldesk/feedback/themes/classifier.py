"""The theme classifier: one logistic regression per theme (one-vs-rest) on the assistant's sentence
vectors, each with its own decision threshold, so that a comment gets zero, one or several themes.

Contract of ``train_theme_classifier(vectors, labels, keys, ...) -> (ThemeClassifier, report)``:
- ``vectors``: ``(n, 384)`` unit sentence vectors; ``labels``: ``(n, len(keys))`` with 1 (the comment is
  about the theme), 0 (it is not) or -1 (unknown: the row does not train that theme). ``ValueError``
  naming the argument when the shapes disagree or no theme can be trained.
- A theme is trained only with at least ``min_positives`` positive and 2 negative rows; the others are
  listed in ``report["waiting"]`` ({key: positives}) and never predicted.
- Each trained theme's threshold is the one that maximises F1 on out-of-fold probabilities of the
  TRAINING rows (stratified k-fold, fixed seed); ``report["per_theme"][key]`` holds that cross-validated
  F1 with its precision, recall, threshold and counts; ``macro_f1`` and ``micro_f1`` pool them. The
  threshold is tuned on the same folds it is scored on, so these figures lean optimistic; the held-out
  figure (``loyaldesk feedback evaluate-themes``) is the honest one.
- ``ThemeClassifier.to_bytes()``/``from_bytes()`` round-trip it as NumPy arrays and JSON (an ``.npz``,
  loaded with ``allow_pickle=False``); predicting needs NumPy only (scikit-learn trains).
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from loyaldesk.assistant.nlu.embedding_cache import Embedder
from loyaldesk.assistant.nlu.embeddings import default_embedder

#: Regularisation of every theme's regression (unit vectors: C is large-ish). Chosen by 5-fold
#: cross-validated macro F1 on data/themes.csv among 1, 4 and 16 (docs/benchmarks.md).
DEFAULT_C = 4.0
MIN_POSITIVES = 5  # a theme with fewer labelled answers is not predicted yet
FOLDS = 5
_FORMAT = "loyaldesk-theme-model/1"
_CANDIDATE_THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.025), 3)


@dataclass
class ThemeClassifier:
    """Weights and threshold per trained theme (``keys`` in weight order)."""

    keys: tuple[str, ...]
    coef: np.ndarray  # (themes, 384) float32
    intercept: np.ndarray  # (themes,) float32
    thresholds: np.ndarray  # (themes,) float32
    info: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Each theme's probability (columns in ``keys`` order) for each row of ``vectors``."""
        if not self.keys:
            return np.zeros((len(vectors), 0))
        scores = np.asarray(vectors, dtype=np.float32) @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-scores.astype(np.float64)))

    def predict_vectors(self, vectors: np.ndarray) -> list[list[tuple[str, float]]]:
        """Per row, the themes over their thresholds as ``(key, probability)``, most likely first."""
        found = []
        for row in self.probabilities(vectors):
            chosen = [(self.keys[i], float(row[i])) for i in np.argsort(-row) if row[i] >= self.thresholds[i]]
            found.append(chosen)
        return found

    def predict(
        self, texts: Sequence[str], embedder: Embedder | None = None
    ) -> list[list[tuple[str, float]]]:
        """Themes of each text (``predict_vectors`` after embedding with ``embedder`` or the default)."""
        if not texts:
            return []
        return self.predict_vectors((embedder or default_embedder()).embed(list(texts)))

    def to_bytes(self) -> bytes:
        header = {"format": _FORMAT, "keys": list(self.keys), "info": self.info}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            coef=self.coef,
            intercept=self.intercept,
            thresholds=self.thresholds,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ThemeClassifier:
        """The classifier ``to_bytes`` wrote; ``ValueError`` if ``data`` is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                header = json.loads(archive["header"].tobytes().decode())
                coef, intercept = archive["coef"], archive["intercept"]
                thresholds = archive["thresholds"]
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"data: not a theme model ({error})") from error
        if header.get("format") != _FORMAT:
            raise ValueError(f"data: unknown theme model format {header.get('format')!r}")
        return cls(tuple(header["keys"]), coef, intercept, thresholds, header.get("info") or {})


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=c, tol=1e-3, max_iter=1000, class_weight="balanced")
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        regression.fit(x, y)
    return regression.coef_[0].astype(np.float32), float(regression.intercept_[0])


def _out_of_fold(x: np.ndarray, y: np.ndarray, c: float, folds: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    result = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_rows, test_rows in splitter.split(np.zeros(len(y)), y):
        coef, intercept = _fit(x[train_rows], y[train_rows], c)
        result[test_rows] = 1.0 / (1.0 + np.exp(-(x[test_rows] @ coef + intercept)))
    return result


def counts_at(probabilities: np.ndarray, truth: np.ndarray, threshold: float) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of ``probabilities >= threshold``."""
    predicted = probabilities >= threshold
    actual = truth == 1
    return int((predicted & actual).sum()), int((predicted & ~actual).sum()), int((~predicted & actual).sum())


def f1_of(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def choose_threshold(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The candidate threshold with the best F1 (the middle one of equally good candidates)."""
    scores = np.array([f1_of(*counts_at(probabilities, truth, t)) for t in _CANDIDATE_THRESHOLDS])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(_CANDIDATE_THRESHOLDS[best[len(best) // 2]])


def train_theme_classifier(
    vectors: np.ndarray,
    labels: np.ndarray,
    keys: Sequence[str],
    *,
    c: float = DEFAULT_C,
    folds: int = FOLDS,
    min_positives: int = MIN_POSITIVES,
) -> tuple[ThemeClassifier, dict[str, Any]]:
    """Train one regression per theme and report its cross-validated F1 (the module's contract)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    labels = np.asarray(labels)
    keys = list(keys)
    if vectors.ndim != 2 or labels.shape != (len(vectors), len(keys)):
        raise ValueError(f"labels: expected shape ({len(vectors)}, {len(keys)}), got {labels.shape}")
    trained: list[str] = []
    coefs, intercepts, thresholds = [], [], []
    per_theme: dict[str, dict[str, Any]] = {}
    waiting: dict[str, int] = {}
    pooled = [0, 0, 0]
    for column, key in enumerate(keys):
        known = labels[:, column] >= 0
        y = labels[known, column].astype(int)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if positives < min_positives or negatives < 2:
            waiting[key] = positives
            continue
        x = vectors[known]
        fold_count = min(folds, positives, negatives)
        out_of_fold = _out_of_fold(x, y, c, fold_count)
        threshold = choose_threshold(out_of_fold, y)
        tp, fp, fn = counts_at(out_of_fold, y, threshold)
        pooled = [pooled[0] + tp, pooled[1] + fp, pooled[2] + fn]
        per_theme[key] = {
            "f1": round(f1_of(tp, fp, fn), 4),
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "threshold": threshold,
            "positives": positives,
            "negatives": negatives,
        }
        coef, intercept = _fit(x, y, c)
        trained.append(key)
        coefs.append(coef)
        intercepts.append(intercept)
        thresholds.append(threshold)
    if not trained:
        raise ValueError(
            f"labels: no theme has {min_positives} labelled comments about it and 2 not about it yet"
        )
    f1s = [entry["f1"] for entry in per_theme.values()]
    report: dict[str, Any] = {
        "macro_f1": round(float(np.mean(f1s)), 4),
        "micro_f1": round(f1_of(*pooled), 4),
        "per_theme": per_theme,
        "waiting": waiting,
        "folds": folds,
        "c": c,
        "examples": len(vectors),
    }
    classifier = ThemeClassifier(
        keys=tuple(trained),
        coef=np.vstack(coefs).astype(np.float32),
        intercept=np.asarray(intercepts, dtype=np.float32),
        thresholds=np.asarray(thresholds, dtype=np.float32),
        info={"c": c, "examples": len(vectors), "min_positives": min_positives},
    )
    return classifier, report


def label_matrix(label_sets: Sequence[Sequence[str]], keys: Sequence[str]) -> np.ndarray:
    """Complete labels (every theme known) as the 1/0 matrix ``train_theme_classifier`` takes."""
    index = {key: column for column, key in enumerate(keys)}
    matrix = np.zeros((len(label_sets), len(keys)), dtype=np.int8)
    for row, names in enumerate(label_sets):
        for name in names:
            if name in index:
                matrix[row, index[name]] = 1
    return matrix
