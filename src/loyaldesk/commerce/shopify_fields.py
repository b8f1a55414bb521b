"""Reading single fields of a Shopify payload: ids, money, text, timestamps. Pure functions, no I/O.

Strict where the field is a required fact (an id, a price): a wrong one is ``Invalid`` naming the field,
as Shopify spells it. Lenient where Shopify's data is loose and the field is only informative: text loses
its NUL characters (PostgreSQL cannot store them, and they mean nothing), and a malformed optional
timestamp is dropped with a note, so that the caller falls back to another time (the delivery's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import to_minor_units

_AWARE: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
# Instants outside these years are typing accidents, and would overflow date arithmetic downstream.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def identifier(value: Any, where: str) -> str:
    """A required id (Shopify's are big integers, sometimes sent as strings)."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid.field(where, "is required")
    if not isinstance(value, int | str):
        raise Invalid.field(where, "must be a number or a string")
    text = str(value).strip()
    if "\x00" in text:
        raise Invalid.field(where, "must not contain NUL characters")
    return text


def money(value: Any, currency: str, where: str) -> int:
    """Minor units of a decimal string, or of a ``*_set`` object's shop money; absent means 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, dict):  # a *_set object: {"shop_money": {"amount": ...}}
        value = (value.get("shop_money") or {}).get("amount")
        if value is None or value == "":
            return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid.field(where, "must be a decimal amount")
    return to_minor_units(value, currency, where)


def money_field(payload: dict[str, Any], name: str, currency: str) -> int | None:
    """``payload[name]`` (a decimal string) or else ``payload[name + "_set"]``, in minor units; None when
    neither is there."""
    if payload.get(name) not in (None, ""):
        return money(payload[name], currency, name)
    if isinstance(payload.get(f"{name}_set"), dict):
        return money(payload[f"{name}_set"], currency, f"{name}_set")
    return None


def clean(value: str) -> str:
    return value.replace("\x00", "")


def text(value: Any, limit: int) -> str | None:
    """Free text, stripped, without NUL characters, cut to ``limit``; None when empty."""
    if value is None or isinstance(value, dict | list):
        return None
    cleaned = clean(str(value)).strip()
    return cleaned[:limit] or None


def timestamp(value: Any, where: str, notes: list[str]) -> datetime | None:
    """An optional instant with its offset; a malformed one is dropped and said in ``notes``."""
    if value is None or value == "":
        return None
    try:
        instant = _AWARE.validate_python(clean(value) if isinstance(value, str) else value)
    except ValidationError:
        notes.append(f"{where} {str(value)[:60]!r} is not a valid timestamp with a time zone: not used")
        return None
    if not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        notes.append(f"{where} {str(value)[:60]!r} is out of reach: not used")
        return None
    return instant


def whole_number(value: Any) -> int | None:
    """``value`` if it is a whole number (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
