"""Measuring an intent model: cross-validated accuracy per intent (the intents page shows it), and the
figures ``loyaldesk assistant evaluate`` prints for a test set.

Contracts:
- ``cross_validate(texts, labels, folds=5)`` trains ``folds`` models, each on all but one stratified fold,
  and predicts the held-out fold with the argmax intent (no out-of-scope threshold: it measures telling the
  intents apart). ``C`` is chosen once, by cross-validation inside the first fold's training part, then kept
  for every fold. Returns overall accuracy and, per intent, the share of its examples recognised.
- ``score_predictions(truth, predictions, out_of_scope_label)`` gives ``accuracy`` (over every example; an
  out-of-scope example is right when rejected), ``macro_f1`` (over the classes, the out-of-scope label as a
  class), ``in_scope_accuracy`` (in-scope examples only; a rejection is a mistake) and ``oos_recall``
  (present only when the out-of-scope label occurs in ``truth``).
- ``latency_ms(model, texts)`` predicts one message at a time (the embedder is limited to one BLAS
  thread) and returns p50 and p99 in milliseconds, wall-clock and CPU time of this process (on a shared
  machine the wall clock includes waiting for a core).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from loyaldesk.assistant.nlu.classifier import IntentModel, train_intent_model
from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder, Embedder
from loyaldesk.assistant.ports import Prediction

OUT_OF_SCOPE = "__out_of_scope__"  # how a rejection is spelled when no out-of-scope label is given


@dataclass(frozen=True)
class IntentScore:
    intent: str
    examples: int
    accuracy: float  # the share of this intent's examples predicted as this intent


@dataclass(frozen=True)
class CrossValidationReport:
    folds: int
    examples: int
    accuracy: float
    per_intent: tuple[IntentScore, ...]  # weakest first
    c: float


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    *,
    embedder: Embedder | None = None,
    use_tfidf: bool = False,
    class_weight: str | None = None,
) -> CrossValidationReport:
    """Stratified k-fold accuracy, overall and per intent (contract in the module docstring)."""
    texts, labels = list(texts), list(labels)
    if len(texts) != len(labels):
        raise ValueError(f"labels: {len(labels)} labels for {len(texts)} texts")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("labels: at least two different intents are needed")
    folds = min(folds, min(counts.values()))
    if folds < 2:
        raise ValueError("labels: every intent needs at least two examples to cross-validate")
    embedder = embedder or CachedEmbedder()
    y = np.array(labels)
    predicted = np.empty(len(labels), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=1)
    c: float | None = None
    for train_rows, test_rows in splitter.split(np.zeros(len(y)), y):
        model = train_intent_model(
            [texts[i] for i in train_rows],
            [labels[i] for i in train_rows],
            embedder=embedder,
            c=c,
            use_tfidf=use_tfidf,
            class_weight=class_weight,
            folds=3,
        )
        c = float(model.info["c"])  # type: ignore[arg-type]
        test_texts = [texts[i] for i in test_rows]
        probabilities = model.probabilities(embedder.embed(test_texts), test_texts)
        predicted[test_rows] = [model.classes[i] for i in probabilities.argmax(axis=1)]
    right = predicted == y
    per_intent = tuple(
        sorted(
            (
                IntentScore(intent, int(count), round(float(right[y == intent].mean()), 4))
                for intent, count in counts.items()
            ),
            key=lambda score: (score.accuracy, score.intent),
        )
    )
    return CrossValidationReport(
        folds=folds,
        examples=len(texts),
        accuracy=round(float(right.mean()), 4),
        per_intent=per_intent,
        c=c or 0.0,
    )


def score_predictions(
    truth: Sequence[str], predictions: Sequence[Prediction], out_of_scope_label: str | None = None
) -> dict[str, float]:
    """Accuracy, macro F1, in-scope accuracy and (when OOS examples exist) OOS recall."""
    rejected_as = out_of_scope_label or OUT_OF_SCOPE
    predicted = [p.intent if p.intent is not None else rejected_as for p in predictions]
    truth = list(truth)
    right = np.array([a == b for a, b in zip(truth, predicted, strict=True)])
    out_of_scope = np.array([label == out_of_scope_label for label in truth])
    result = {
        "accuracy": round(float(right.mean()), 4) if len(right) else 0.0,
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", labels=sorted(set(truth)))), 4),
        "in_scope_accuracy": round(float(right[~out_of_scope].mean()), 4) if (~out_of_scope).any() else 0.0,
    }
    if out_of_scope.any():
        result["oos_recall"] = round(float(right[out_of_scope].mean()), 4)
    return result


def latency_ms(model: IntentModel, texts: Sequence[str], *, limit: int = 500) -> dict[str, float]:
    """p50 and p99 milliseconds to predict one message (embedding included), over up to ``limit`` texts."""
    sample = list(texts)[:limit]
    if not sample:
        return {"p50_ms": 0.0, "p99_ms": 0.0}
    model.predict(sample[:3])  # warm-up: the first call loads the weights
    timings, cpu_timings = [], []
    for text in sample:
        started, cpu_started = time.perf_counter(), time.process_time()
        model.predict([text])
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
    return {
        "p50_ms": round(float(np.percentile(timings, 50)), 2),
        "p99_ms": round(float(np.percentile(timings, 99)), 2),
        # CPU time of this process: what the message costs, apart from waiting for a shared core.
        "cpu_p50_ms": round(float(np.percentile(cpu_timings, 50)), 2),
        "cpu_p99_ms": round(float(np.percentile(cpu_timings, 99)), 2),
    }
