"""A personal offer in words, as a customer reads it (the member page, the message that tells them) and
the bounds of what an offer may give. Pure: the caller has set the language (``kernel.i18n``)."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_percent

from loyaldesk.kernel.i18n import _, active_language, babel_locale, format_day, format_money, format_points
from loyaldesk.recommendations.vocab import OfferKind, OfferTarget

# What one offer may give a customer: a slip of the finger stops here.
VALUE_BOUNDS: dict[OfferKind, tuple[int, int]] = {
    OfferKind.BONUS_POINTS: (1, 100_000),  # points
    OfferKind.PERCENT_DISCOUNT: (1, 100),  # percent
    OfferKind.FIXED_DISCOUNT: (1, 10_000_000),  # minor units
}
MAX_HOLDOUT_PERCENT = 50


def gives(kind: str, value: int, currency: str, language: str | None = None) -> str:
    """What the offer gives: "200 bonus points", "15% off", "€5.00 off"."""
    if kind == OfferKind.BONUS_POINTS:
        return _("{points} bonus points", points=format_points(value, language))
    if kind == OfferKind.PERCENT_DISCOUNT:
        percent = format_percent(value / 100, locale=babel_locale(language or active_language()))
        return _("{percent} off", percent=percent)
    return _("{amount} off", amount=format_money(value, currency, language))


def applies_to(target_kind: str, target: str | None, title: str | None = None) -> str:
    """What it applies to: "on Coffee beans", "on anything in Tea", "on any order"."""
    if target_kind == OfferTarget.PRODUCT:
        return _("on {item}", item=title or target or "")
    if target_kind == OfferTarget.CATEGORY:
        return _("on anything in {category}", category=target or "")
    return _("on any order")


def details(
    kind: str,
    value: int,
    target_kind: str,
    target: str | None,
    ends_at: datetime,
    currency: str,
    timezone: str | None,
    language: str | None = None,
    title: str | None = None,
) -> str:
    """The whole offer in one sentence: "15% off on anything in Tea, until 31 Dec 2026"."""
    return _(
        "{gives} {applies_to}, until {day}",
        gives=gives(kind, value, currency, language),
        applies_to=applies_to(target_kind, target, title),
        day=format_day(ends_at, timezone, language),
    )
