"""Choosing the out-of-scope threshold (pure: no I/O, no model).

A message is out of scope when the classifier's best in-scope probability is under the threshold (or when
its best class is the out-of-scope class itself, if the model was trained with one).

The objective, on examples the model did not train on (a validation set, or out-of-fold predictions):
maximise ``in_scope_accuracy + oos_recall`` (each counted once, whatever the number of examples), where a
rejected in-scope message counts as a mistake, subject to ``in_scope_accuracy`` staying within
``MAX_IN_SCOPE_LOSS`` of its value with no threshold: a shop would rather answer a borderline question than
refuse many good ones. Ties go to the lower threshold. Without out-of-scope examples the threshold is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: How much in-scope accuracy (absolute) the threshold may cost at most.
MAX_IN_SCOPE_LOSS = 0.03


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    in_scope_accuracy: float
    oos_recall: float | None


def score_at(
    confidences: np.ndarray,
    correct: np.ndarray,
    out_of_scope: np.ndarray,
    rejected_by_class: np.ndarray,
    t: float,
) -> tuple[float, float | None]:
    """In-scope accuracy and out-of-scope recall when rejecting every confidence under ``t``."""
    rejected = rejected_by_class | (confidences < t)
    in_scope = ~out_of_scope
    in_scope_accuracy = float((correct & ~rejected)[in_scope].mean()) if in_scope.any() else 0.0
    oos_recall = float(rejected[out_of_scope].mean()) if out_of_scope.any() else None
    return in_scope_accuracy, oos_recall


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    out_of_scope: Sequence[bool] | np.ndarray,
    rejected_by_class: Sequence[bool] | np.ndarray | None = None,
    *,
    max_in_scope_loss: float = MAX_IN_SCOPE_LOSS,
) -> ThresholdChoice:
    """The threshold that maximises the objective above.

    Per example: ``confidences`` is the best in-scope probability, ``correct`` whether the best in-scope
    intent is the right one (False for out-of-scope examples), ``out_of_scope`` whether the example is out
    of scope, ``rejected_by_class`` whether the model already rejects it (its best class is out of scope).
    """
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    oos = np.asarray(out_of_scope, dtype=bool)
    by_class = np.zeros_like(oos) if rejected_by_class is None else np.asarray(rejected_by_class, dtype=bool)
    if not (len(conf) == len(right) == len(oos) == len(by_class)):
        raise ValueError("confidences, correct and out_of_scope must have one value per example")
    base_accuracy, base_recall = score_at(conf, right, oos, by_class, 0.0)
    if not oos.any():
        return ThresholdChoice(0.0, base_accuracy, None)
    best = ThresholdChoice(0.0, base_accuracy, base_recall)
    best_value = base_accuracy + (base_recall or 0.0)
    # Candidate thresholds: just above each out-of-scope example's confidence (rejecting it).
    for t in np.unique(np.nextafter(conf[oos], np.inf)):
        accuracy, recall = score_at(conf, right, oos, by_class, float(t))
        if accuracy < base_accuracy - max_in_scope_loss:
            continue
        value = accuracy + (recall or 0.0)
        if value > best_value + 1e-12:
            best, best_value = ThresholdChoice(float(t), accuracy, recall), value
    return best
