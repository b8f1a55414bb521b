"""Measuring the theme classifier on labelled comments (``loyaldesk feedback evaluate-themes``).

Contract of ``evaluate_themes(train_rows, test_rows, embedder=None) -> dict``:
- ``train_rows``/``test_rows``: ``(comment, theme names)`` as ``defaults.read_labelled_csv`` reads them.
  A model is trained from scratch on the training rows only, for whatever theme names they use (at
  least ``MIN_POSITIVES`` comments each; fewer: listed in ``themes_too_rare``, never predicted).
- Every test comment is predicted; F1 per theme counts a theme as predicted or not per comment. A theme
  in the test rows that the model cannot predict (unseen in training, or too rare) scores 0 on its test
  comments; a theme with no test comment and no prediction has no F1 and is left out.
- Returns ``macro_f1`` (mean over ``per_theme``), ``micro_f1`` (pooled over all themes), ``per_theme``
  ({theme: f1}), ``support`` ({theme: test comments}), counts, ``cross_validated`` (the training
  report's macro and micro F1), ``train_seconds``.
- ``ValueError`` when the training rows cannot train any theme.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder, Embedder
from loyaldesk.feedback.themes.classifier import MIN_POSITIVES, f1_of, label_matrix, train_theme_classifier

Rows = Sequence[tuple[str, Sequence[str]]]


def evaluate_themes(train_rows: Rows, test_rows: Rows, embedder: Embedder | None = None) -> dict[str, Any]:
    """Train on ``train_rows``, score on ``test_rows`` (the module's contract)."""
    embedder = embedder or CachedEmbedder()
    seen = Counter(name for _, names in train_rows for name in names)
    keys = sorted(seen)
    if not keys:
        raise ValueError("train: no comment has a theme, so there is nothing to learn")
    started = time.perf_counter()
    vectors = embedder.embed([text for text, _ in train_rows])
    model, report = train_theme_classifier(
        vectors, label_matrix([names for _, names in train_rows], keys), keys
    )
    train_seconds = time.perf_counter() - started
    predicted = model.predict_vectors(embedder.embed([text for text, _ in test_rows]))
    truth = [set(names) for _, names in test_rows]
    guessed = [{key for key, _ in found} for found in predicted]
    themes = sorted(
        {name for names in truth for name in names} | {name for names in guessed for name in names}
    )
    per_theme: dict[str, float] = {}
    support: dict[str, int] = {}
    pooled = np.zeros(3, dtype=int)
    for theme in themes:
        tp = sum(1 for t, g in zip(truth, guessed, strict=True) if theme in t and theme in g)
        fp = sum(1 for t, g in zip(truth, guessed, strict=True) if theme not in t and theme in g)
        fn = sum(1 for t, g in zip(truth, guessed, strict=True) if theme in t and theme not in g)
        pooled += (tp, fp, fn)
        per_theme[theme] = round(f1_of(tp, fp, fn), 4)
        support[theme] = tp + fn
    exact = sum(1 for t, g in zip(truth, guessed, strict=True) if t == g)
    return {
        "macro_f1": round(float(np.mean(list(per_theme.values()))), 4) if per_theme else 0.0,
        "micro_f1": round(f1_of(*(int(v) for v in pooled)), 4),
        "per_theme": per_theme,
        "support": support,
        "train_comments": len(train_rows),
        "test_comments": len(test_rows),
        "themes_trained": list(model.keys),
        "themes_too_rare": sorted(report["waiting"]),
        "test_themes_unseen_in_train": sorted({n for names in truth for n in names} - set(seen)),
        "test_comments_without_theme": sum(1 for t in truth if not t),
        "predicted_without_theme": sum(1 for g in guessed if not g),
        "exact_match": round(exact / len(test_rows), 4) if test_rows else 0.0,
        "min_comments_per_theme": MIN_POSITIVES,
        "cross_validated": {"macro_f1": report["macro_f1"], "micro_f1": report["micro_f1"]},
        "train_seconds": round(train_seconds, 2),
    }
