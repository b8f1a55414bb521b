"""Small SQL helpers that hide a difference between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session


def json_list_contains(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    """``column`` (a JSON list of strings) contains ``value``."""
    if session.get_bind().dialect.name == "postgresql":
        return column.op("@>")(literal([value], type_=JSONB))  # type: ignore[no-any-return]
    each = func.json_each(column).table_valued("value")
    return exists(select(true()).select_from(each).where(each.c.value == value))
