"""Personalisation variables in message text: ``{{ first_name }}``, with an optional fallback
``{{ first_name | there }}``. Checked at save (an unknown variable is refused with its name) and filled
at send from the customer's facts. Pure.

A deliberately small syntax (no logic, no loops): store staff write it, and nothing they write can run
code or reach data beyond these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

VARIABLES: dict[str, str] = {
    "first_name": "The customer's first name",
    "full_name": "The customer's name",
    "store_name": "The store's name",
    "points": "Points available",
    "pending_points": "Points pending",
    "tier": "Current tier",
    "next_tier": "Next tier",
    "next_tier_gap": "Spend still needed for the next tier (with currency)",
    "expiring_points": "Points expiring soon",
    "expiring_on": "When those points expire",
    "referral_url": "The customer's referral link",
    "member_url": "The customer's loyalty page",
    "order_number": "The order's number (order events)",
    "unsubscribe_url": "One-click unsubscribe link",
    "preferences_url": "The customer's message preferences",
    "recommendations": "Products picked for the customer (when recommendations are on)",
    "fix_note": 'What the store fixed, in its own words (a "we fixed it" message)',
    "offer_details": "What a personal offer gives, on what, until when (a personal offer message)",
    "offer_code": "The customer's personal code for an offer (discount offers)",
    "question_title": "A community question's title (a question for a product's buyers)",
    "question_url": "Where to read and answer that community question",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}")
_NAME = re.compile(r"^[a-z_]+$")


class UnknownVariable(ValueError):
    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(VARIABLES))
        super().__init__(f"unknown variable {{{{ {name} }}}} (known: {known})")
        self.name = name


def variables_in(text: str) -> list[str]:
    """The variable names used in ``text``, in order; raises ``UnknownVariable`` for a name not in
    ``VARIABLES`` and ``ValueError`` for a brace left open."""
    names = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if not _NAME.match(name) or name not in VARIABLES:
            raise UnknownVariable(name)
        names.append(name)
    leftover = _PLACEHOLDER.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        raise ValueError("a {{ variable }} is not closed (or has braces inside)")
    return names


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with every placeholder replaced by its value, or its fallback when the value is empty."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value in (None, ""):
            return match.group(2) or ""
        return str(value)

    return _PLACEHOLDER.sub(replace, text)
