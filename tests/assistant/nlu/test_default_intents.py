"""The default intents: the names the tools rely on, the shipped data, and a model that recognises
loyalty questions phrased differently from anything it was trained on (``loyalty_heldout.csv``)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from loyaldesk.assistant.nlu.classifier import IntentModel
from loyaldesk.assistant.nlu.default_intents import (
    DEFAULT_INTENTS,
    OUT_OF_SCOPE_LABEL,
    default_intent_model,
    default_training_examples,
)
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle

HELD_OUT = Path(__file__).with_name("loyalty_heldout.csv")
TOOL_INTENTS = {
    "order_status", "track_order", "delivery_options", "cancel_order", "change_address", "return_item",
    "refund_status", "payment_problem", "invoice", "account", "points_balance", "pending_points",
    "expiring_points", "redeem_reward", "tier_progress", "referral", "complaint", "talk_to_person", "thanks",
    "greeting",
}  # fmt: skip
slow = pytest.mark.slow
long_timeout = pytest.mark.timeout(1800)
LOYALTY = {
    "points_balance",
    "pending_points",
    "expiring_points",
    "redeem_reward",
    "tier_progress",
    "referral",
}


def test_every_intent_the_tools_use_ships_with_a_label_description_and_examples() -> None:
    names = [info.name for info in DEFAULT_INTENTS]
    assert len(names) == len(set(names))
    assert set(names) >= TOOL_INTENTS
    assert all(info.label and info.description for info in DEFAULT_INTENTS)
    counts = Counter(label for _, label in default_training_examples())
    assert set(counts) == {*names, OUT_OF_SCOPE_LABEL}
    assert all(counts[name] >= 40 for name in names), counts
    assert OUT_OF_SCOPE_LABEL not in {
        label for _, label in default_training_examples(include_out_of_scope=False)
    }


def test_the_held_out_phrasings_are_not_training_examples() -> None:
    trained = {text.lower() for text, _ in default_training_examples()}
    with HELD_OUT.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and not {row["text"].lower() for row in rows} & trained


@slow
@long_timeout
def test_the_default_model_recognises_loyalty_questions_it_never_saw(default_model: IntentModel) -> None:
    with HELD_OUT.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    predictions = default_model.predict([row["text"] for row in rows])
    right = Counter(
        row["label"] for row, p in zip(rows, predictions, strict=True) if p.intent == row["label"]
    )
    total = Counter(row["label"] for row in rows)
    assert set(total) == LOYALTY
    misses = [
        (row["text"], row["label"], p.intent)
        for row, p in zip(rows, predictions, strict=True)
        if p.intent != row["label"]
    ]
    assert sum(right.values()) / len(rows) >= 0.85, misses
    assert all(right[intent] / total[intent] >= 0.6 for intent in LOYALTY), misses


@slow
@long_timeout
def test_the_default_model_answers_shop_questions_and_refuses_the_rest(default_model: IntentModel) -> None:
    messages = {
        "where is my order 1001?": "order_status",
        "I want to talk to a real person": "talk_to_person",
        "thank you so much!": "thanks",
        "can I get a copy of my invoice": "invoice",
        "what's the capital of australia": None,
        "set an alarm for 7 am": None,
    }
    predictions = default_model.predict(list(messages))
    assert [p.intent for p in predictions] == list(messages.values())


@slow
@long_timeout
def test_another_process_loads_the_saved_model_instead_of_training(
    default_model: IntentModel, assistant_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loyaldesk.assistant.nlu import default_intents

    assert len(list(assistant_cache.glob("default-intents-*.npz"))) == 1
    monkeypatch.setattr(default_intents, "_models", {})  # what a new process starts with

    def no_training(directory: Path | None = None) -> IntentModel:
        raise AssertionError("the saved model should have been loaded")

    monkeypatch.setattr(default_intents, "train_default_intent_model", no_training)
    loaded = default_intent_model(assistant_cache)
    assert loaded is not default_model and loaded.to_bytes() == default_model.to_bytes()


@slow
@long_timeout
def test_the_composed_assistant_reads_intents_with_the_default_model(
    default_model: IntentModel, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.assistant import ports
    from loyaldesk.composition import compose

    compose()  # the composition root provides the intent reader: a store that trained none reads defaults
    with db.read() as session:
        predictions = ports.read_intents(
            session, store.id, ["how many points do I have?", "what's the weather in Oslo"]
        )
    assert [p.intent for p in predictions] == ["points_balance", None]
