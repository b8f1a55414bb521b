"""Pure rules of store teaching: what a valid example and a valid intent are, when the same example is
taught twice, and how a cross-validation report reads. No I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from loyaldesk.kernel.errors import FieldProblem, Invalid

MAX_EXAMPLE_LENGTH = 500
MAX_LABEL_LENGTH = 80
MAX_DESCRIPTION_LENGTH = 500
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
# The label A's trainer takes as "none of the store's intents" when the defaults teach it.
OUT_OF_SCOPE_LABEL = "out_of_scope"
_SPACES = re.compile(r"\s+")


def normalize_example(text: str) -> str:
    """What makes two examples the same: case folded, spaces collapsed, ends trimmed."""
    return _SPACES.sub(" ", text).strip().casefold()


def check_example_text(text: str, field: str = "text") -> str:
    """The example as stored (spaces collapsed, trimmed), or ``Invalid`` naming ``field``."""
    cleaned = _SPACES.sub(" ", text or "").strip()
    if not cleaned:
        raise Invalid.field(field, "is empty: write what a customer would say")
    if len(cleaned) > MAX_EXAMPLE_LENGTH:
        raise Invalid.field(field, f"is longer than {MAX_EXAMPLE_LENGTH} characters")
    if not any(ch.isalnum() for ch in cleaned):
        raise Invalid.field(field, "has no words in it")
    return cleaned


def check_intent_name(name: str, field: str = "name") -> str:
    """A new intent's name: 2 to 48 lower-case letters, digits or _, starting with a letter."""
    name = (name or "").strip()
    if not INTENT_NAME.match(name):
        raise Invalid.field(field, "2 to 48 lower-case letters, digits or _, starting with a letter")
    if name == OUT_OF_SCOPE_LABEL:
        raise Invalid.field(field, f"{OUT_OF_SCOPE_LABEL} is kept for what no intent covers")
    return name


def check_intent_text(label: str, description: str) -> tuple[str, str]:
    """An intent's label (required) and description (optional), trimmed, or ``Invalid`` naming each."""
    problems: list[FieldProblem] = []
    label = _SPACES.sub(" ", label or "").strip()
    description = (description or "").strip()
    if not label:
        problems.append(FieldProblem("label", "is required"))
    elif len(label) > MAX_LABEL_LENGTH:
        problems.append(FieldProblem("label", f"is longer than {MAX_LABEL_LENGTH} characters"))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        problems.append(FieldProblem("description", f"is longer than {MAX_DESCRIPTION_LENGTH} characters"))
    if problems:
        raise Invalid("the intent is not valid", problems)
    return label, description


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    for method in ("as_json", "to_json", "to_dict", "model_dump"):
        if callable(getattr(value, method, None)):
            return getattr(value, method)()
    if isinstance(value, Mapping):
        return dict(value)
    return {name: getattr(value, name) for name in dir(value) if not name.startswith("_")}


def _number(value: Any) -> float | None:
    if isinstance(value, Mapping):  # {"accuracy": 0.9, "count": 12}
        value = value.get("accuracy", value.get("recall"))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(float(value), 4)


def report_json(report: Any, folds: int) -> dict[str, Any]:
    """A cross-validation report as the model row keeps it: ``{"overall": float | None, "per_intent":
    {intent: float}, "folds": int, "note": str | None}``. Accepts the trainer's report object (a
    dataclass, an object with ``as_json``/``to_dict``, or a mapping) with the overall accuracy under
    ``accuracy`` or ``overall`` and the per-intent one under ``per_intent``, ``accuracy_per_intent`` or
    ``intents``: a mapping of intent to accuracy, or a sequence of records with ``intent`` and
    ``accuracy`` (``evaluation.IntentScore``)."""
    plain = _plain(report)
    overall = _number(plain.get("accuracy", plain.get("overall")))
    per_intent_raw = plain.get("per_intent", plain.get("accuracy_per_intent", plain.get("intents"))) or {}
    if isinstance(per_intent_raw, Mapping):  # {"order_status": 0.97} or {"order_status": {"accuracy": ..}}
        pairs = list(per_intent_raw.items())
    else:  # [IntentScore(intent, examples, accuracy)], [{"intent": .., "accuracy": ..}], [(name, value)]
        pairs = []
        for item in per_intent_raw:
            record = item if isinstance(item, tuple | list) else _plain(item)
            if isinstance(record, Mapping):
                pairs.append((record.get("intent", record.get("name")), record))
            elif len(record) >= 2:
                pairs.append((record[0], record[-1]))
    per_intent: dict[str, float] = {}
    for name, value in pairs:
        number = _number(value)
        if name is not None and number is not None:
            per_intent[str(name)] = number
    return {"overall": overall, "per_intent": per_intent, "folds": folds, "note": None}


def cross_validation_folds(label_counts: Mapping[str, int], wanted: int = 5) -> int:
    """How many folds the cross-validation can have: ``wanted``, but no more than the smallest intent's
    examples (each fold must see each intent), and at least 2."""
    smallest = min(label_counts.values(), default=0)
    return max(2, min(wanted, smallest))


def cross_validation_sample(
    texts: Sequence[str], labels: Sequence[str], minimum: int = 2
) -> tuple[list[str], list[str]]:
    """The examples to cross-validate: those of intents with at least ``minimum`` examples (an intent
    taught once cannot be held out and trained on at the same time; it gets no accuracy yet)."""
    counts = Counter(labels)
    kept = [(text, label) for text, label in zip(texts, labels, strict=True) if counts[label] >= minimum]
    return [text for text, _ in kept], [label for _, label in kept]
