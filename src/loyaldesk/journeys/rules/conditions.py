"""Conditions: the "if" of a rule, as a tree of ``all`` / ``any`` groups of ``{field, op, value}`` tests,
checked at save (every field known, every operator fit for its field's type, every value of the right
type) and evaluated against a customer's facts with a record of each test (the explain view's lines).

Pure: no I/O. The facts are a flat ``dict`` (``queries.facts`` loads them); a field absent from the facts is
"unknown", which fails every test except ``not_exists``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"  # of text (tags)
    ANY = "any"  # an event payload's or custom attribute's value


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    label: str


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("customer.first_name", FieldType.TEXT, "First name"),
        Field("customer.country", FieldType.TEXT, "Country (ISO code)"),
        Field("customer.language", FieldType.TEXT, "Language"),
        Field("customer.tags", FieldType.LIST, "Tags"),
        Field("customer.has_email", FieldType.BOOLEAN, "Has an email address"),
        Field("customer.has_phone", FieldType.BOOLEAN, "Has a phone number"),
        Field("customer.marketing_consent", FieldType.BOOLEAN, "Agreed to marketing email"),
        Field("consent.email", FieldType.BOOLEAN, "May receive marketing by email"),
        Field("consent.sms", FieldType.BOOLEAN, "May receive marketing by SMS"),
        Field("consent.push", FieldType.BOOLEAN, "May receive web push"),
        Field("customer.days_since_signup", FieldType.NUMBER, "Days since they became a customer"),
        Field("customer.days_to_birthday", FieldType.NUMBER, "Days to their birthday"),
        Field("loyalty.member", FieldType.BOOLEAN, "Loyalty member"),
        Field("loyalty.tier", FieldType.TEXT, "Tier"),
        Field("loyalty.points", FieldType.NUMBER, "Points available"),
        Field("loyalty.pending_points", FieldType.NUMBER, "Points pending"),
        Field("loyalty.expiring_points", FieldType.NUMBER, "Points expiring in the next 30 days"),
        Field("loyalty.next_tier", FieldType.TEXT, "Next tier"),
        Field("loyalty.next_tier_gap", FieldType.NUMBER, "Spend still needed for the next tier"),
        Field("orders.count", FieldType.NUMBER, "Orders placed"),
        Field("orders.total_spent", FieldType.NUMBER, "Total spent"),
        Field("orders.days_since_last", FieldType.NUMBER, "Days since the last order"),
        Field("analytics.segment", FieldType.TEXT, "RFM segment"),
        Field("analytics.churn_risk", FieldType.NUMBER, "Churn risk (0 to 1)"),
        Field("analytics.value", FieldType.NUMBER, "Expected customer value"),
        Field("conversation.channel", FieldType.TEXT, "Conversation channel"),
        Field("conversation.status", FieldType.TEXT, "Conversation status"),
        Field("conversation.priority", FieldType.TEXT, "Conversation priority"),
        Field("conversation.tags", FieldType.LIST, "Conversation tags"),
        Field("conversation.assigned", FieldType.BOOLEAN, "Conversation assigned"),
        Field("conversation.text", FieldType.TEXT, "Latest customer message"),
        Field("conversation.hours_waiting", FieldType.NUMBER, "Hours the customer has been waiting"),
        Field("time.business_hours", FieldType.BOOLEAN, "Within the desk's business hours"),
    )
}
# Prefixes whose fields are open: an event's payload, the store's custom attributes.
OPEN_PREFIXES = ("event.", "customer.attributes.")

OPERATORS: dict[str, frozenset[FieldType]] = {
    "eq": frozenset({FieldType.TEXT, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.ANY}),
    "ne": frozenset({FieldType.TEXT, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.ANY}),
    "gt": frozenset({FieldType.NUMBER, FieldType.ANY}),
    "gte": frozenset({FieldType.NUMBER, FieldType.ANY}),
    "lt": frozenset({FieldType.NUMBER, FieldType.ANY}),
    "lte": frozenset({FieldType.NUMBER, FieldType.ANY}),
    "in": frozenset({FieldType.TEXT, FieldType.NUMBER, FieldType.ANY}),
    "not_in": frozenset({FieldType.TEXT, FieldType.NUMBER, FieldType.ANY}),
    "contains": frozenset({FieldType.LIST, FieldType.TEXT, FieldType.ANY}),
    "not_contains": frozenset({FieldType.LIST, FieldType.TEXT, FieldType.ANY}),
    "contains_any": frozenset({FieldType.TEXT, FieldType.LIST, FieldType.ANY}),  # keywords
    "exists": frozenset(FieldType),
    "not_exists": frozenset(FieldType),
}
OPERATOR_LABELS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "not_contains": "does not contain",
    "contains_any": "mentions any of",
    "exists": "is known",
    "not_exists": "is not known",
}
MAX_DEPTH = 4
MAX_TESTS = 50


class InvalidDefinition(ValueError):
    """A rule that cannot be evaluated; ``where`` names the part ("conditions.all[2].value")."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def field_of(name: str, event_fields: frozenset[str] | None = None) -> Field:
    """The field called ``name``; ``event.<x>`` must be one of ``event_fields`` (the trigger event's
    payload) when they are known. Raises ``InvalidDefinition`` for an unknown field."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("customer.attributes.") and len(name) > len("customer.attributes."):
        return Field(name, FieldType.ANY, name.removeprefix("customer.attributes."))
    if name.startswith("event."):
        key = name.removeprefix("event.")
        top = key.split(".", 1)[0]
        if event_fields is None:
            raise InvalidDefinition("field", f"{name!r}: this rule's trigger is not an event")
        if top not in event_fields:
            known = ", ".join(sorted(event_fields)) or "none"
            raise InvalidDefinition("field", f"{name!r}: the trigger event has no {top!r} (it has: {known})")
        return Field(name, FieldType.ANY, key)
    raise InvalidDefinition("field", f"unknown field {name!r}")


def validate(
    tree: Any, event_fields: frozenset[str] | None = None, where: str = "conditions"
) -> dict[str, Any]:
    """Check a condition tree; returns it normalised (``{"all": []}`` for none). Raises
    ``InvalidDefinition`` naming the first thing wrong."""
    if tree in (None, {}):
        return {"all": []}
    count = [0]
    _validate_group(tree, event_fields, where, 1, count)
    return tree  # type: ignore[no-any-return]


def _validate_group(
    tree: Any, event_fields: frozenset[str] | None, where: str, depth: int, count: list[int]
) -> None:
    if not isinstance(tree, dict) or len(tree) != 1 or next(iter(tree)) not in ("all", "any"):
        raise InvalidDefinition(where, 'a group is {"all": [...]} or {"any": [...]}')
    if depth > MAX_DEPTH:
        raise InvalidDefinition(where, f"groups nest at most {MAX_DEPTH} deep")
    mode, items = next(iter(tree.items()))
    if not isinstance(items, list):
        raise InvalidDefinition(f"{where}.{mode}", "must be a list")
    for index, item in enumerate(items):
        here = f"{where}.{mode}[{index}]"
        if isinstance(item, dict) and ("all" in item or "any" in item):
            _validate_group(item, event_fields, here, depth + 1, count)
        else:
            count[0] += 1
            if count[0] > MAX_TESTS:
                raise InvalidDefinition(here, f"at most {MAX_TESTS} tests in a rule")
            _validate_test(item, event_fields, here)


def _validate_test(test: Any, event_fields: frozenset[str] | None, where: str) -> None:
    if not isinstance(test, dict) or "field" not in test or "op" not in test:
        raise InvalidDefinition(where, 'a test is {"field": ..., "op": ..., "value": ...}')
    extra = set(test) - {"field", "op", "value"}
    if extra:
        raise InvalidDefinition(where, f"unexpected keys: {', '.join(sorted(extra))}")
    try:
        field = field_of(str(test["field"]), event_fields)
    except InvalidDefinition as error:
        raise InvalidDefinition(f"{where}.field", error.message) from None
    op = test["op"]
    if not isinstance(op, str) or op not in OPERATORS:
        raise InvalidDefinition(f"{where}.op", f"unknown operator {op!r} (one of {', '.join(OPERATORS)})")
    if field.type not in OPERATORS[op]:
        raise InvalidDefinition(f"{where}.op", f"{op!r} does not apply to {field.name} ({field.type})")
    if op in ("exists", "not_exists"):
        return
    if "value" not in test:
        raise InvalidDefinition(f"{where}.value", "missing")
    value = test["value"]
    if op in ("in", "not_in", "contains_any"):
        if not isinstance(value, list) or not value:
            raise InvalidDefinition(f"{where}.value", f"{op!r} takes a non-empty list")
        return
    if field.type is FieldType.NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InvalidDefinition(f"{where}.value", f"{field.name} is a number; got {value!r}")
    if field.type is FieldType.BOOLEAN and not isinstance(value, bool):
        raise InvalidDefinition(f"{where}.value", f"{field.name} is true or false; got {value!r}")
    if field.type in (FieldType.TEXT, FieldType.LIST) and not isinstance(value, str):
        raise InvalidDefinition(f"{where}.value", f"{field.name} takes text; got {value!r}")


@dataclass(frozen=True)
class TestResult:
    field: str
    op: str
    expected: Any
    actual: Any
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "op": self.op,
            "expected": self.expected,
            "actual": self.actual,
            "passed": self.passed,
        }


def evaluate(tree: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[bool, list[TestResult]]:
    """Whether ``facts`` satisfy the tree, and every test's result (all of them, not only up to the
    first failure, so that "why not" lists each missing piece). An empty group is true."""
    results: list[TestResult] = []
    return _group(tree, facts, results), results


def _group(tree: Mapping[str, Any], facts: Mapping[str, Any], results: list[TestResult]) -> bool:
    mode, items = next(iter(tree.items())) if tree else ("all", [])
    outcomes = [
        _group(item, facts, results) if ("all" in item or "any" in item) else _test(item, facts, results)
        for item in items
    ]
    if not outcomes:
        return True
    return all(outcomes) if mode == "all" else any(outcomes)


_MISSING = object()


def lookup(facts: Mapping[str, Any], name: str) -> Any:
    """A fact by name: flat keys (``loyalty.points``), or a path into the open payloads kept under
    ``"event"`` and ``"customer.attributes"`` (``event.properties.sku``)."""
    if name in facts:
        return facts[name]
    for prefix in ("event", "customer.attributes"):
        if name.startswith(prefix + "."):
            value: Any = facts.get(prefix, _MISSING)
            for part in name[len(prefix) + 1 :].split("."):
                if not isinstance(value, Mapping) or part not in value:
                    return _MISSING
                value = value[part]
            return value
    return _MISSING


def _test(test: Mapping[str, Any], facts: Mapping[str, Any], results: list[TestResult]) -> bool:
    name, op, expected = test["field"], test["op"], test.get("value")
    actual = lookup(facts, name)
    passed = _compare(op, actual, expected)
    results.append(TestResult(name, op, expected, None if actual is _MISSING else actual, passed))
    return passed


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return actual is not _MISSING and actual is not None
    if op == "not_exists":
        return actual is _MISSING or actual is None
    if actual is _MISSING or actual is None:
        return False
    try:
        if op == "eq":
            return _norm(actual) == _norm(expected)
        if op == "ne":
            return _norm(actual) != _norm(expected)
        if op in ("gt", "gte", "lt", "lte"):
            a, b = float(actual), float(expected)
            return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
        if op == "in":
            return _norm(actual) in {_norm(item) for item in expected}
        if op == "not_in":
            return _norm(actual) not in {_norm(item) for item in expected}
        if op in ("contains", "not_contains"):
            found = _contains(actual, expected)
            return found if op == "contains" else not found
        if op == "contains_any":
            return any(_contains(actual, item) for item in expected)
    except (TypeError, ValueError):
        return False
    return False


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _contains(actual: Any, item: Any) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):
        return _norm(item) in {_norm(value) for value in actual}
    return str(item).casefold() in str(actual).casefold()
