"""Each pick's why in words, in the customer's language (pure: the words come from the shipped catalogs,
``kernel.i18n``).

A pick stores its ``reason_kind`` and the facts behind it (``reason_params``); the sentence is made when it
is served, so a store's shoppers read it in their own language and a fix of the words needs no refit. A
reason whose facts are missing (an old pick, a title the history lacks) falls back to the general
"Picked for you from what you buy" rather than a sentence with a hole in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyaldesk.kernel.i18n import gettext as _
from loyaldesk.kernel.i18n import use_language
from loyaldesk.recommendations.vocab import ReasonKind


def _text(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _days(params: Mapping[str, Any]) -> int | None:
    value = params.get("days")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value >= 1:
        return round(value)
    return None


def _sentence(kind: str, params: Mapping[str, Any], title: str | None) -> str:
    general = _("Picked for you from what you buy")
    if kind == ReasonKind.REPURCHASE:
        days = _days(params)
        name = title or _text(params, "title")
        if days is None or name is None:
            return general
        if days == 1:
            return _("You buy {title} about every day", title=name)
        return _("You buy {title} about every {days} days", title=name, days=days)
    if kind == ReasonKind.BOUGHT_WITH:
        other = _text(params, "other_title")
        return _("Often bought with {other_title}", other_title=other) if other else general
    if kind == ReasonKind.SIMILAR:
        other = _text(params, "other_title")
        return (
            _("Customers who bought {other_title} also bought this", other_title=other) if other else general
        )
    if kind == ReasonKind.POPULAR_IN_CATEGORY:
        category = _text(params, "category")
        return _("Popular in {category}", category=category) if category else _("A bestseller")
    if kind == ReasonKind.BESTSELLER:
        return _("A bestseller")
    if kind == ReasonKind.OFFER:
        return _("A personal offer for you")
    return general


def reason_text(
    kind: str, params: Mapping[str, Any], language: str | None = None, title: str | None = None
) -> str:
    """The why of a pick of ``kind`` with its ``params``, in ``language`` (a shipped one; else English).
    ``title`` is the item's current title (the catalogue's), preferred to the one the pick remembers."""
    with use_language(language):
        return _sentence(kind, params, title)
