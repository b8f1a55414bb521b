"""Conditions: checked at save, evaluated with a record of every test (journeys.rules.conditions)."""

from __future__ import annotations

import pytest

from loyaldesk.journeys.rules.conditions import InvalidDefinition, evaluate, validate
from loyaldesk.journeys.rules.variables import UnknownVariable, fill, variables_in

FACTS = {
    "loyalty.tier": "Gold",
    "loyalty.points": 120,
    "customer.tags": ["VIP", "newsletter"],
    "conversation.text": "I want to RETURN these shoes",
    "event": {"total": "59.90", "properties": {"sku": "A-1"}},
    "customer.attributes": {"size": "M"},
}


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ({"field": "loyalty.tier", "op": "eq", "value": "gold"}, True),
        ({"field": "loyalty.points", "op": "gte", "value": 120}, True),
        ({"field": "loyalty.points", "op": "lt", "value": 100}, False),
        ({"field": "customer.tags", "op": "contains", "value": "vip"}, True),
        ({"field": "conversation.text", "op": "contains_any", "value": ["refund", "return"]}, True),
        ({"field": "event.properties.sku", "op": "in", "value": ["A-1", "B-2"]}, True),
        ({"field": "customer.attributes.size", "op": "eq", "value": "M"}, True),
        ({"field": "analytics.segment", "op": "eq", "value": "champions"}, False),
        ({"field": "analytics.segment", "op": "not_exists"}, True),
        ({"field": "event.total", "op": "gt", "value": 50}, True),
    ],
)
def test_each_operator(test: dict, expected: bool) -> None:  # type: ignore[type-arg]
    passed, results = evaluate({"all": [test]}, FACTS)
    assert passed is expected
    assert results[0].passed is expected


def test_groups_nest_and_every_test_is_reported() -> None:
    tree = {
        "any": [
            {"all": [{"field": "loyalty.tier", "op": "eq", "value": "Silver"}]},
            {"field": "loyalty.points", "op": "gt", "value": 100},
        ]
    }
    passed, results = evaluate(tree, FACTS)
    assert passed and [r.passed for r in results] == [False, True]
    assert results[0].actual == "Gold"


@pytest.mark.parametrize(
    ("tree", "where"),
    [
        ({"all": [{"field": "loyalty.tire", "op": "eq", "value": "Gold"}]}, "conditions.all[0].field"),
        ({"all": [{"field": "loyalty.points", "op": "contains", "value": "1"}]}, "conditions.all[0].op"),
        ({"all": [{"field": "loyalty.points", "op": "gt", "value": "many"}]}, "conditions.all[0].value"),
        ({"all": [{"field": "loyalty.points", "op": "gt"}]}, "conditions.all[0].value"),
        ({"both": []}, "conditions"),
        ({"all": [{"field": "event.total", "op": "gt", "value": 1}]}, "conditions.all[0].field"),
    ],
)
def test_a_condition_that_cannot_be_evaluated_is_refused_with_where(tree: dict, where: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidDefinition) as refused:
        validate(tree, None)
    assert refused.value.where == where


def test_variables_are_checked_and_filled_with_fallbacks() -> None:
    assert variables_in("Hi {{ first_name | there }}, {{points}} points") == ["first_name", "points"]
    with pytest.raises(UnknownVariable, match="frist_name"):
        variables_in("Hi {{ frist_name }}")
    with pytest.raises(ValueError, match="not closed"):
        variables_in("Hi {{ first_name")
    assert fill("Hi {{ first_name | there }}!", {"first_name": ""}) == "Hi there!"
    assert fill("{{ points }} pts", {"points": 40}) == "40 pts"
