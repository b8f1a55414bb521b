"""Shared by the loyalty console pages: reading posted forms into the values the loyalty schemas take,
turning validation errors into problems that name the field as the form labels it, and the page context
(tabs, number filters).

Form inputs are named by the dotted path of the schema field they fill (``earn_rates.0.per_amount``), so
that a Pydantic error location *is* the input's name and each error can be shown beside its input.
Amounts of money are typed as decimals in the currency ("12.50") and stored in minor units; dates and
times are typed in the store's time zone and stored in UTC.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import Depends, Request
from starlette.datastructures import FormData

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.money import exponent, from_minor_units, to_minor_units
from loyaldesk.web.console.rendering import templates
from loyaldesk.web.console.session import Console

LIST_SPLIT = re.compile(r"[,\n]")
TIMES = "\u00d7"  # the multiplication sign of "3x points"
MINUS = "\u2212"


async def posted_form(request: Request) -> FormData:
    """The request's form (parsed once; Starlette caches it on the request)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


class FormReader:
    """Reads a posted form; problems with money or dates are collected (``problems``) rather than
    raised, so that every wrong field is reported at once."""

    def __init__(self, form: FormData, *, currency: str, timezone: str) -> None:
        self.form = form
        self.currency = currency
        self.zone = _zone(timezone)
        self.problems: list[FieldProblem] = []

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def optional(self, name: str) -> str | None:
        """The trimmed text, or None when the input was left empty."""
        return self.text(name) or None

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in ("yes", "on", "true", "1")

    def many(self, name: str) -> list[str]:
        """Every value of a repeated input (checkboxes), trimmed, empties dropped."""
        values = self.form.getlist(name)
        return [value.strip() for value in values if isinstance(value, str) and value.strip()]

    def words(self, name: str) -> list[str]:
        """A comma- or line-separated list, de-duplicated in order."""
        return list(dict.fromkeys(part.strip() for part in LIST_SPLIT.split(self.text(name)) if part.strip()))

    def money(self, name: str, currency: str | None = None) -> int | None:
        """A decimal amount in ``currency`` (the store's by default) as minor units; None when empty."""
        raw = self.text(name).replace(" ", "")
        if not raw:
            return None
        try:
            return to_minor_units(raw, currency or self.currency, name)
        except Invalid as error:
            self.problems.extend(error.problems)
            return None

    def moment(self, name: str) -> datetime | None:
        """A ``datetime-local`` value read in the store's time zone; None when empty."""
        raw = self.text(name)
        if not raw:
            return None
        try:
            local = datetime.fromisoformat(raw)
        except ValueError:
            self.problems.append(FieldProblem(name, "is not a date and time (use 2026-03-31T18:00)"))
            return None
        return local.replace(tzinfo=self.zone) if local.tzinfo is None else local

    def check(self) -> None:
        """Raise ``Invalid`` with the problems collected so far, if any."""
        if self.problems:
            raise Invalid("the form is not valid", list(self.problems))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def amount_text(minor: int | None, currency: str) -> str:
    """Minor units as the decimal a person types ("12.50"); empty for None."""
    if minor is None:
        return ""
    return str(from_minor_units(minor, currency))


def local_input(moment: datetime | None, timezone: str) -> str:
    """A UTC instant as a ``datetime-local`` input value in the store's zone."""
    if moment is None:
        return ""
    return moment.astimezone(_zone(timezone)).strftime("%Y-%m-%dT%H:%M")


def money_step(currency: str) -> str:
    """The ``step`` of a number input for amounts in ``currency`` ("0.01" for EUR, "1" for JPY)."""
    places = exponent(currency)
    return str(Decimal(1).scaleb(-places)) if places else "1"


def new_form_key() -> str:
    """A random key for a form that must not act twice when submitted twice."""
    return secrets.token_urlsafe(18)


def number(value: int | float | Decimal | None, locale: str = "en") -> str:
    """``12,345`` (thousands separators in the store's locale)."""
    if value is None:
        return "—"
    return format_decimal(value, locale=locale.replace("-", "_"))


def percent(ratio: float | None, locale: str = "en") -> str:
    """A ratio (0.25) as ``25.0%``."""
    if ratio is None:
        return "—"
    return f"{format_decimal(round(ratio * 100, 1), format='#,##0.0', locale=locale.replace('-', '_'))}%"


templates.env.filters.setdefault("number", number)
templates.env.filters.setdefault("percent", percent)

TABS = (
    ("overview", "", "Overview"),
    ("members", "/members", "Members"),
    ("rules", "/rules", "Earning rules"),
    ("tiers", "/tiers", "Tiers"),
    ("rewards", "/rewards", "Rewards"),
    ("referrals", "/referrals", "Referrals"),
    ("settings", "/settings", "Settings"),
)


def page_context(console: Console, tab: str, **values: Any) -> dict[str, Any]:
    """What every loyalty page's template needs: the console, the section and the current tab."""
    return {
        "console": console,
        "section": "loyalty",
        "tab": tab,
        "tabs": TABS,
        "loyalty_base": f"/console/{console.store.slug}/loyalty",
        **values,
    }
