"""Checks shared by the vocabulary tests: the choices an API model's field offers, as its JSON schema (the
one FastAPI serves in OpenAPI) states them, and the width of the column that stores a vocabulary."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute


def schema_choices(model: type[BaseModel], field: str) -> set[str]:
    """Every value the field of ``model`` accepts or returns, per its JSON schema (``null`` left out)."""
    schema = model.model_json_schema()
    return _choices(schema["properties"][field], schema.get("$defs", {}))


def _choices(node: dict[str, Any], definitions: dict[str, Any]) -> set[str]:
    if "$ref" in node:
        return _choices(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    if "enum" in node:
        return set(node["enum"])
    if "const" in node:
        return {node["const"]}
    if "items" in node:
        return _choices(node["items"], definitions)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            parts = [part for part in node[key] if part.get("type") != "null"]
            return set().union(*(_choices(part, definitions) for part in parts))
    raise AssertionError(f"the schema {node} lists no choices: it is not spelled by a vocabulary")


def values(vocabulary: type[StrEnum]) -> set[str]:
    return {member.value for member in vocabulary}


def assert_column_holds(column: InstrumentedAttribute[Any], vocabulary: type[StrEnum]) -> None:
    """The column is a string column wide enough for every value of the vocabulary."""
    column_type = column.property.columns[0].type
    assert isinstance(column_type, String), column
    longest = max(vocabulary, key=len)
    assert column_type.length is None or len(longest) <= column_type.length, (column, longest)


def assert_labelled(vocabulary: type[StrEnum], labels: dict[Any, str]) -> None:
    """Every member has a label, and nothing else has one."""
    assert set(labels) == set(vocabulary), vocabulary
    assert all(label.strip() for label in labels.values()), vocabulary
    assert all(member.label == labels[member] for member in vocabulary), vocabulary  # type: ignore[attr-defined]
