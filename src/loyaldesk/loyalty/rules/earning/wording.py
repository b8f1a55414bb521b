"""How the earning rules put money, counts and times into words, in their explanations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.money import from_minor_units


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("timezone", f"{name!r} is not an IANA time zone") from None


def _money(amount: int, currency: str) -> str:
    return f"{from_minor_units(amount, currency)} {currency}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _decimal(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        shown = exact.quantize(Decimal("0.01"))
        return format(shown.normalize(), "f") if shown == value else f"about {shown}"
    return format(value.normalize(), "f")


def _join(words: Sequence[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
