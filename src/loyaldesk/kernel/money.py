"""Money is an integer amount of minor units plus an ISO 4217 currency code (convention 3).

Currency exponents come from CLDR through Babel: 2 for EUR and USD, 0 for JPY, 3 for KWD.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from loyaldesk.kernel.errors import Invalid


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str, field: str = "currency") -> str:
    """The upper-cased code if it is an ISO 4217 currency, else ``Invalid`` naming ``field``."""
    normalised = (code or "").strip().upper()
    if normalised not in known_currencies():
        raise Invalid.field(field, f"{code!r} is not an ISO 4217 currency code")
    return normalised


@lru_cache(maxsize=512)
def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has."""
    return int(get_currency_precision(currency))


def to_minor_units(amount: str | int | float | Decimal, currency: str, field: str = "amount") -> int:
    """Convert a decimal amount (``"19.99"``) to minor units (``1999``).

    Refuses amounts with more decimals than the currency has, rather than rounding someone's money.
    """
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, f"{amount!r} is not a decimal amount") from None
    if not value.is_finite():
        raise Invalid.field(field, f"{amount!r} is not a finite amount")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise Invalid.field(field, f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """``format_money(1999, "EUR", "de_DE") == "19,99 €"``."""
    try:
        return _formatter(currency, locale)(minor)
    except Exception:
        return f"{from_minor_units(minor, currency)} {currency}"


@lru_cache(maxsize=256)
def _formatter(currency: str, locale: str) -> Callable[[int], str]:
    """Babel formats every amount from scratch (slow in loops of thousands); its result for one
    currency and locale differs between amounts only in the number, so format a sample once and reuse
    its pattern. Falls back to Babel for anything unusual (a sample that does not round-trip)."""
    places = exponent(currency)
    group, decimal_sign = _separators(locale)

    def slow(minor: int) -> str:
        return format_currency(from_minor_units(minor, currency), currency, locale=locale)

    zero = "0" + (decimal_sign + "0" * places if places else "")
    digits = slow(0)
    if zero not in digits:
        return slow
    template = digits.replace(zero, "{}", 1)

    def fast(minor: int) -> str:
        if minor < 0:
            return slow(minor)
        whole, fraction = divmod(minor, 10**places) if places else (minor, 0)
        number = f"{whole:,}".replace(",", group)
        if places:
            number += decimal_sign + str(fraction).rjust(places, "0")
        return template.format(number)

    samples = (5, 12_345, 123_456_789_012, 10**15 + 7)
    return fast if all(fast(amount) == slow(amount) for amount in samples) else slow


@lru_cache(maxsize=64)
def _separators(locale: str) -> tuple[str, str]:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_group_symbol(locale), get_decimal_symbol(locale)
