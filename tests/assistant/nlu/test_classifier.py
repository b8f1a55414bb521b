"""The intent classifier on a small, real set of shop messages (real sentence vectors, no fake embedder)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from loyaldesk.assistant.nlu.classifier import IntentModel, train_intent_model
from loyaldesk.assistant.nlu.embedding_cache import CachedEmbedder
from loyaldesk.assistant.nlu.evaluation import cross_validate
from loyaldesk.assistant.nlu.threshold import choose_threshold

EXAMPLES = {
    "order_status": [
        "where is my order",
        "has my order shipped yet",
        "my parcel has not arrived",
        "when will my package get here",
        "what's the status of my order",
        "I'm still waiting for my delivery",
        "is my order on its way",
        "did you send my order already",
    ],
    "points_balance": [
        "how many points do I have",
        "what's my points balance",
        "check my loyalty points",
        "how many reward points are in my account",
        "tell me my points total",
        "do I have any points",
        "how many points have I collected",
        "my loyalty balance please",
    ],
    "return_item": [
        "I want to return an item",
        "how do I send this back",
        "can I return my shoes",
        "I need a return label",
        "the jacket doesn't fit, I want to return it",
        "start a return for me",
        "how do I return a damaged product",
        "can I give back something I bought",
    ],
    "greeting": [
        "hello",
        "hi there",
        "good morning",
        "hey, anyone here?",
        "hello, how are you",
        "hiya",
        "good afternoon",
        "hey there",
    ],
}
OUT_OF_SCOPE = [
    "what's the weather tomorrow",
    "set a timer for ten minutes",
    "tell me a joke",
    "how do I bake sourdough bread",
    "who won the football match yesterday",
    "translate hello into japanese",
    "what is the capital of peru",
    "play some jazz music",
]


def _examples() -> tuple[list[str], list[str]]:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples]
    return texts, labels


@pytest.fixture(scope="module")
def model(assistant_cache: Path) -> IntentModel:
    texts, labels = _examples()
    return train_intent_model(
        texts, labels, embedder=CachedEmbedder(directory=assistant_cache), out_of_scope_examples=OUT_OF_SCOPE
    )


def test_recognises_new_phrasings_of_the_trained_intents(model: IntentModel) -> None:
    messages = [
        "any news on my order?",
        "how many loyalty points have I got",
        "I'd like to send back a dress",
        "hi!",
    ]
    predictions = model.predict(messages)
    assert [p.intent for p in predictions] == ["order_status", "points_balance", "return_item", "greeting"]
    for prediction in predictions:
        assert 0.0 < prediction.confidence <= 1.0
        assert prediction.ranked[0] == (prediction.intent, prediction.confidence)
    assert set(model.labels) == set(EXAMPLES)


def test_messages_far_from_every_intent_are_out_of_scope(model: IntentModel) -> None:
    assert 0.0 < model.threshold < 1.0
    predictions = model.predict(
        ["what's the square root of 169", "recommend a good horror film", "where is my order"]
    )
    assert predictions[0].intent is None and predictions[1].intent is None
    assert predictions[2].intent == "order_status"
    # An out-of-scope prediction still ranks the closest intents, under the threshold.
    assert predictions[0].ranked and predictions[0].confidence < model.threshold


def test_an_out_of_scope_class_rejects_what_it_learned(assistant_cache: Path) -> None:
    texts, labels = _examples()
    model = train_intent_model(
        [*texts, *OUT_OF_SCOPE],
        [*labels, *["oos"] * len(OUT_OF_SCOPE)],
        out_of_scope_label="oos",
        embedder=CachedEmbedder(directory=assistant_cache),
    )
    assert "oos" not in model.labels and "oos" in model.classes
    weather, order = model.predict(["will it rain in paris this weekend", "where's my parcel"])
    assert weather.intent is None
    assert order.intent == "order_status"


def test_a_model_round_trips_through_bytes_without_pickle(model: IntentModel) -> None:
    data = model.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        assert set(archive.files) == {"header", "coef", "intercept"}
    copy = IntentModel.from_bytes(data, embedder=model.embedder)
    messages = ["where is my order", "what's the weather tomorrow", "points?"]
    assert copy.labels == model.labels and copy.threshold == model.threshold
    assert copy.predict(messages) == model.predict(messages)
    with pytest.raises(ValueError, match="data"):
        IntentModel.from_bytes(b"not a model")


def test_word_features_round_trip_too(assistant_cache: Path) -> None:
    texts, labels = _examples()
    model = train_intent_model(
        texts, labels, embedder=CachedEmbedder(directory=assistant_cache), use_tfidf=True
    )
    copy = IntentModel.from_bytes(model.to_bytes(), embedder=model.embedder)
    assert copy.tfidf is not None and copy.tfidf.vocabulary == model.tfidf.vocabulary  # type: ignore[union-attr]
    messages = ["return my order please", "hello points"]
    assert copy.predict(messages) == model.predict(messages)
    vectors = CachedEmbedder(directory=assistant_cache).embed(messages)
    with pytest.raises(ValueError, match="texts"):
        model.predict_vectors(vectors)


def test_bad_training_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="labels: 1 labels for 2 texts"):
        train_intent_model(["a", "b"], ["x"])
    with pytest.raises(ValueError, match="at least two different intents"):
        train_intent_model(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        train_intent_model(["a", "b"], ["x", ""])
    texts, labels = _examples()
    with pytest.raises(ValueError, match="validation_labels: intents not in the training labels: refund"):
        train_intent_model(texts, labels, validation_texts=["my refund?"], validation_labels=["refund"])


def test_cross_validation_reports_accuracy_per_intent(assistant_cache: Path) -> None:
    texts, labels = _examples()
    report = cross_validate(texts, labels, folds=4, embedder=CachedEmbedder(directory=assistant_cache))
    assert report.folds == 4 and report.examples == len(texts)
    assert {score.intent for score in report.per_intent} == set(EXAMPLES)
    assert report.accuracy >= 0.8
    assert all(score.examples == 8 for score in report.per_intent)


def test_the_threshold_rejects_out_of_scope_within_the_allowed_accuracy_loss() -> None:
    # Six in-scope examples (five right), four out of scope with low confidence.
    confidences = [0.9, 0.8, 0.85, 0.7, 0.35, 0.6, 0.2, 0.3, 0.25, 0.5]
    correct = [True, True, True, True, True, False, False, False, False, False]
    out_of_scope = [False] * 6 + [True] * 4
    choice = choose_threshold(confidences, correct, out_of_scope)
    # Rejecting under 0.35 keeps every right answer and catches three of four out-of-scope messages;
    # rejecting the fourth (0.5) would cost the right answer at 0.35: more than the 3 points allowed.
    assert 0.3 < choice.threshold <= 0.35
    assert choice.oos_recall == 0.75 and choice.in_scope_accuracy == pytest.approx(5 / 6)
    assert choose_threshold([0.9, 0.2], [True, False], [False, False]).threshold == 0.0
