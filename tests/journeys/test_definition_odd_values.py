"""Values of the wrong shape anywhere in a rule's definition (a list where a template key or an id goes,
an operator that is not text, shares that are not finite) are refused naming the part, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from loyaldesk.journeys.rules.conditions import InvalidDefinition
from loyaldesk.journeys.rules.definition import Catalogue, validate_rule
from loyaldesk.journeys.vocab import MessageCategory

CATALOGUE = Catalogue(
    event_types={"order.delivered": frozenset({"number"})},
    templates={"thanks": ("email", ("Hello",))},
    reward_ids=frozenset({1}),
    team_ids=frozenset({2}),
    staff_ids=frozenset({3}),
)
TRIGGER = {"kind": "event", "event": "order.delivered"}


@pytest.mark.parametrize(
    ("steps", "conditions", "where"),
    [
        ([{"kind": "send", "channel": "email", "template": ["thanks"]}], {}, "steps[0].template"),
        (
            [{"kind": "send", "channel": "email", "variants": {"A": {"k": 1}, "B": "thanks"}}],
            {},
            "steps[0].variants.A",
        ),
        ([{"kind": "grant_reward", "reward_id": [1]}], {}, "steps[0].reward_id"),
        ([{"kind": "grant_reward", "reward_id": True}], {}, "steps[0].reward_id"),
        ([{"kind": "assign", "team_id": {"a": 2}}], {}, "steps[0]"),
        ([{"kind": "split", "variants": {"A": float("inf"), "B": 1}}], {}, "steps[0].variants"),
        ([{"kind": "split", "variants": {"A": float("nan"), "B": 50}}], {}, "steps[0].variants"),
        (
            [{"kind": "exit"}],
            {"all": [{"field": "orders.count", "op": ["gte"], "value": 1}]},
            "conditions.all[0].op",
        ),
    ],
)
def test_odd_values_are_refused_by_name(steps: list[Any], conditions: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        validate_rule(dict(TRIGGER), conditions, steps, CATALOGUE, MessageCategory.MARKETING)
    assert refused.value.where == where


def test_the_right_shapes_still_pass() -> None:
    steps = [
        {"kind": "send", "channel": "email", "template": "thanks"},
        {"kind": "grant_reward", "reward_id": 1},
        {"kind": "assign", "staff_id": 3},
        {"kind": "split", "variants": {"A": 50, "B": 50}},
    ]
    validate_rule(dict(TRIGGER), {}, steps, CATALOGUE, MessageCategory.MARKETING)
