"""Store teaching's pure rules: what the same example is, what a valid one is, how a cross-validation
report is read whatever shape the classifier gives it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from loyaldesk.assistant.teaching import rules
from loyaldesk.kernel.errors import Invalid


def test_the_same_example_ignores_case_and_spaces() -> None:
    assert rules.normalize_example("  Where IS\tmy   Order ") == "where is my order"
    assert rules.check_example_text(" where  is\nmy order ") == "where is my order"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "is empty"), ("   ", "is empty"), ("?!", "no words"), ("x" * 501, "longer than 500")],
)
def test_bad_examples_name_the_field(text: str, reason: str) -> None:
    with pytest.raises(Invalid) as raised:
        rules.check_example_text(text)
    assert raised.value.problems[0].field == "text"
    assert reason in raised.value.problems[0].reason


@pytest.mark.parametrize("name", ["Gift", "1gift", "g", "gift-wrap", "out_of_scope", "x" * 49])
def test_bad_intent_names_are_refused(name: str) -> None:
    with pytest.raises(Invalid):
        rules.check_intent_name(name)


@dataclass(frozen=True)
class Score:
    intent: str
    examples: int
    accuracy: float


@dataclass(frozen=True)
class Report:
    folds: int
    accuracy: float
    per_intent: tuple[Score, ...]


@pytest.mark.parametrize(
    "report",
    [
        Report(5, 0.91234, (Score("a", 10, 0.8), Score("b", 12, 1.0))),
        {"accuracy": 0.91234, "per_intent": {"a": 0.8, "b": 1.0}},
        {"overall": 0.91234, "accuracy_per_intent": [("a", 0.8), ("b", 1.0)]},
        {"accuracy": 0.91234, "intents": {"a": {"accuracy": 0.8}, "b": {"accuracy": 1.0}}},
    ],
)
def test_a_report_is_read_whatever_its_shape(report: object) -> None:
    assert rules.report_json(report, 5) == {
        "overall": 0.9123,
        "per_intent": {"a": 0.8, "b": 1.0},
        "folds": 5,
        "note": None,
    }


def test_cross_validation_leaves_out_intents_taught_once() -> None:
    texts, labels = rules.cross_validation_sample(["a1", "a2", "b1"], ["a", "a", "b"])
    assert labels == ["a", "a"] and texts == ["a1", "a2"]
    assert rules.cross_validation_folds({"a": 3, "b": 9}) == 3
    assert rules.cross_validation_folds({"a": 30, "b": 90}) == 5
