"""A stand-in for ``assistant.nlu`` (the classifier and the built-in intents), for the teaching tests to
run before that package is merged: installed only when ``assistant.nlu.classifier`` is missing, so that
once it is there every test runs against the real trainer.

The stand-in classifier is a nearest-example reader over word overlap: small, deterministic and fast,
with the same surface as ``IntentModel`` (``predict``, ``labels``, ``threshold``, ``to_bytes``)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from loyaldesk.assistant.ports import Prediction
from loyaldesk.assistant.teaching import BuiltinIntent, NluTrainer, provide_trainer

BUILTIN = [
    BuiltinIntent("order_status", "Order status", "Where an order is."),
    BuiltinIntent("points_balance", "Points balance", "How many points the shopper has."),
    BuiltinIntent("talk_to_person", "Talk to a person", "The shopper wants a human."),
    BuiltinIntent("greeting", "Greeting", "Hello."),
]
EXAMPLES = [
    ("where is my order", "order_status"),
    ("has my order shipped yet", "order_status"),
    ("when will my package arrive", "order_status"),
    ("how many points do i have", "points_balance"),
    ("what is my points balance", "points_balance"),
    ("show me my loyalty points", "points_balance"),
    ("i want to talk to a human", "talk_to_person"),
    ("can i speak to an agent", "talk_to_person"),
    ("connect me with a real person", "talk_to_person"),
    ("hello there", "greeting"),
    ("hi", "greeting"),
    ("good morning", "greeting"),
    ("what is the weather tomorrow", "out_of_scope"),
    ("tell me a joke", "out_of_scope"),
]
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class StandInModel:
    threshold = 0.3

    def __init__(self, texts: Sequence[str], labels: Sequence[str], out_of_scope: str | None) -> None:
        self.examples = [(list(_words(t)), label) for t, label in zip(texts, labels, strict=True)]
        self.out_of_scope = out_of_scope
        self.labels = sorted({label for label in labels if label != out_of_scope})

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        predictions = []
        for text in texts:
            words = _words(text)
            scores: dict[str, float] = {}
            for example, label in self.examples:
                union = words | set(example)
                score = len(words & set(example)) / len(union) if union else 0.0
                scores[label] = max(scores.get(label, 0.0), score)
            ranked = tuple(sorted(scores.items(), key=lambda item: -item[1])[:3])
            best, confidence = ranked[0] if ranked else (None, 0.0)
            if best == self.out_of_scope or confidence < self.threshold:
                best = None
            predictions.append(Prediction(best, confidence, ranked))
        return predictions

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"examples": [[" ".join(w), label] for w, label in self.examples], "oos": self.out_of_scope}
        ).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> StandInModel:
        data = json.loads(blob)
        return cls([t for t, _ in data["examples"]], [label for _, label in data["examples"]], data["oos"])


class StandInTrainer:
    def builtin_intents(self) -> list[BuiltinIntent]:
        return list(BUILTIN)

    def default_examples(self) -> list[tuple[str, str]]:
        return list(EXAMPLES)

    def train(self, texts: Sequence[str], labels: Sequence[str], out_of_scope_label: str | None) -> Any:
        return StandInModel(texts, labels, out_of_scope_label)

    def cross_validate(self, texts: Sequence[str], labels: Sequence[str], folds: int) -> Any:
        right: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for fold in range(folds):
            test = [i for i in range(len(texts)) if i % folds == fold]
            train = [i for i in range(len(texts)) if i % folds != fold]
            model = StandInModel([texts[i] for i in train], [labels[i] for i in train], "out_of_scope")
            for i, prediction in zip(test, model.predict([texts[i] for i in test]), strict=True):
                expected = None if labels[i] == "out_of_scope" else labels[i]
                seen[labels[i]] += 1
                right[labels[i]] += prediction.intent == expected
        per_intent = {label: right[label] / seen[label] for label in seen}
        return {"accuracy": sum(right.values()) / max(1, sum(seen.values())), "per_intent": per_intent}

    def load(self, blob: bytes) -> Any:
        return StandInModel.from_bytes(blob)

    def default_model(self) -> Any:
        return StandInModel([t for t, _ in EXAMPLES], [label for _, label in EXAMPLES], "out_of_scope")


def real_classifier_present() -> bool:
    return importlib.util.find_spec("loyaldesk.assistant.nlu.classifier") is not None


def install_unless_real() -> None:
    """Provide the real trainer again (a test may have provided another), or the stand-in while
    ``assistant.nlu`` has no classifier yet."""
    provide_trainer(NluTrainer() if real_classifier_present() else StandInTrainer())
