"""The seam between store teaching and the intent classifier (``assistant.nlu``).

Teaching needs five things from the classifier: the built-in intents, their training examples, a way to
train and cross-validate a model, and a way to load one back. ``Trainer`` names them; ``NluTrainer``
provides them from ``assistant.nlu.classifier`` and ``assistant.nlu.default_intents`` (imported when first
used, so that this module imports on its own). It is the trainer in use unless ``provide_trainer`` says
otherwise (tests provide a smaller one: fewer default examples, or one that fails).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from loyaldesk.assistant.ports import Prediction


class IntentModelLike(Protocol):
    """What teaching uses of ``assistant.nlu.classifier.IntentModel``."""

    @property
    def labels(self) -> Sequence[str]: ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...

    def to_bytes(self) -> bytes: ...


@dataclass(frozen=True)
class BuiltinIntent:
    """A built-in intent as the console lists it (``default_intents.IntentInfo``'s fields)."""

    name: str
    label: str
    description: str


class Trainer(Protocol):
    def builtin_intents(self) -> list[BuiltinIntent]:
        """The intents that ship with the product, in the order the console lists them."""
        ...

    def default_examples(self) -> list[tuple[str, str]]:
        """(text, intent) pairs the built-in intents are trained from."""
        ...

    def train(self, texts: Sequence[str], labels: Sequence[str], out_of_scope_label: str | None) -> Any:
        """A new model (``IntentModelLike``) trained on the examples."""
        ...

    def cross_validate(self, texts: Sequence[str], labels: Sequence[str], folds: int) -> Any:
        """A report with the accuracy overall and per intent (read by ``rules.report_json``)."""
        ...

    def load(self, blob: bytes) -> Any:
        """The model ``to_bytes()`` wrote."""
        ...

    def default_model(self) -> Any:
        """The model of the built-in intents, for a store that has trained none."""
        ...


class NluTrainer:
    """The product's trainer: ``assistant.nlu`` (the sentence embeddings with a linear classifier)."""

    def builtin_intents(self) -> list[BuiltinIntent]:
        from loyaldesk.assistant.nlu.default_intents import DEFAULT_INTENTS

        return [BuiltinIntent(info.name, info.label, info.description) for info in DEFAULT_INTENTS]

    def default_examples(self) -> list[tuple[str, str]]:
        from loyaldesk.assistant.nlu.default_intents import default_training_examples

        return list(default_training_examples())

    def train(self, texts: Sequence[str], labels: Sequence[str], out_of_scope_label: str | None) -> Any:
        """Trained with the built-in model's recipe (``default_intents.DEFAULT_RECIPE`` when it names one:
        its C, features and class weights), so that a store's model differs by its examples only."""
        from loyaldesk.assistant.nlu import default_intents
        from loyaldesk.assistant.nlu.classifier import train_intent_model

        recipe = getattr(default_intents, "DEFAULT_RECIPE", {})
        options = {
            name: recipe[name] for name in ("c", "use_tfidf", "class_weight", "folds") if name in recipe
        }
        return train_intent_model(list(texts), list(labels), out_of_scope_label=out_of_scope_label, **options)

    def cross_validate(self, texts: Sequence[str], labels: Sequence[str], folds: int) -> Any:
        try:
            from loyaldesk.assistant.nlu.classifier import cross_validate  # type: ignore[attr-defined]
        except ImportError:
            from loyaldesk.assistant.nlu.evaluation import cross_validate

        return cross_validate(list(texts), list(labels), folds=folds)

    def load(self, blob: bytes) -> Any:
        from loyaldesk.assistant.nlu.classifier import IntentModel

        return IntentModel.from_bytes(blob)

    def default_model(self) -> Any:
        from loyaldesk.assistant.nlu.default_intents import default_intent_model

        return default_intent_model()


_trainer: Trainer = NluTrainer()


def provide_trainer(trainer: Trainer) -> None:
    """Set the trainer teaching uses (the composition root: ``NluTrainer()``)."""
    global _trainer
    _trainer = trainer
    from loyaldesk.assistant.teaching.queries.model import forget_cached_models

    forget_cached_models()


def current_trainer() -> Trainer:
    return _trainer
