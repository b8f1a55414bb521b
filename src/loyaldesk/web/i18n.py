"""Shopper pages in the shopper's language: the language of a request, and the Jinja glue.

Templates mark text with ``{% trans %}``/``_()``; they are translated into the template context's
``shopper_language`` (set by the shopper pages' routes). A template rendered without one (every console
page) stays English. Formatting filters for shoppers: ``points`` and ``shopper_money``, ``shopper_day``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from loyaldesk.kernel import i18n


def shopper_language(request: Request, store: Any, customer: Any = None) -> str:
    """The language to show this shopper: their profile's, the store's default, their browser's, English."""
    return i18n.negotiate(
        profile=getattr(customer, "locale", None),
        store_default=getattr(store, "default_language", None),
        accept_language=request.headers.get("accept-language"),
    )


def _language(context: Context) -> str:
    return str(context.get("shopper_language") or i18n.DEFAULT_LANGUAGE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return i18n.translations(_language(context)).ngettext(singular, plural, count)


@pass_context
def _points(context: Context, points: int) -> str:
    return i18n.format_points(int(points), _language(context))


@pass_context
def _shopper_day(context: Context, value: date | datetime | None, timezone: str | None = None) -> str:
    return "—" if value is None else i18n.format_day(value, timezone, _language(context))


@pass_context
def _shopper_money(context: Context, minor: int, currency: str) -> str:
    return i18n.format_money(int(minor), currency, _language(context))


def install(env: Environment) -> None:
    """Give ``env`` the i18n extension (new-style gettext: ``{% trans %}``, ``_()``) and the filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(points=_points, shopper_day=_shopper_day, shopper_money=_shopper_money)
