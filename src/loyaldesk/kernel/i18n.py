"""What a shopper reads, in their language: locale negotiation, the message catalogs and formatting.

Text a shopper sees is marked where it is written: ``_("Points to spend")`` (or ``ngettext``) in Python,
``{% trans %}`` in the shopper templates, ``t("Send")`` in the chat widget's script. ``make messages``
extracts them into ``locale/messages.pot`` and updates every ``locale/<language>/LC_MESSAGES/messages.po``
(docs/i18n.md). The ``.po`` files are read directly at run time (Babel's ``read_po``): nothing is compiled.

Which language: the shopper's profile, else the store's default language, else the browser's
``Accept-Language``, else English; only the languages shipped here (``LANGUAGES``) are ever chosen
(``negotiate``).

Translation follows the *active* language, set around a shopper's request or mail with ``use_language``
(a context variable, so each request and thread has its own). Nothing active means English, so domain
code that marks its text keeps its English words for the console, the API and the logs.

The console stays English; this module is for what shoppers see.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from loyaldesk.kernel import money as kernel_money

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANGUAGE = "en"
# Every language that ships complete (a test holds each catalog to it); English is the source text.
LANGUAGES: tuple[str, ...] = ("en", "de")
# What the chat widget's scripts ask for: messages found in these files (see ``widget_messages``).
WIDGET_SOURCES = (
    "web/static/widget/loader.js",
    "web/static/widget/notices.js",
    "web/static/widget/articles.js",
    "web/static/widget/surveys.js",
    "web/static/widget/cobrowse.js",
    "web/static/widget/call.js",  # video and voice calls (also on the member page)
)

_active: ContextVar[str | None] = ContextVar("loyaldesk_language", default=None)
_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")


def shipped_language(tag: str | None) -> str | None:
    """The shipped language a language tag asks for (``de-AT`` → ``de``), or None (unknown, malformed,
    empty)."""
    if not tag or not _TAG.fullmatch(tag.strip()):
        return None
    primary = re.split(r"[-_]", tag.strip())[0].lower()
    return primary if primary in LANGUAGES else None


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]{1,5})", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(
    *, profile: str | None = None, store_default: str | None = None, accept_language: str | None = None
) -> str:
    """The language to show a shopper: their profile's, else the store's default, else the first of their
    browser's that ships, else English. Always one of ``LANGUAGES``."""
    for tag in (profile, store_default, *accepted_languages(accept_language)):
        language = shipped_language(tag)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


def _catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def _catalog(language: str) -> Catalog | None:
    path = _catalog_path(language)
    if not path.exists():
        return None
    with path.open("rb") as file:
        return read_po(file, locale=language)


@functools.cache
def translations(language: str) -> NullTranslations:
    """The gettext translations of a shipped language (English: the source text as it is). Fuzzy and
    untranslated entries fall back to English."""
    catalog = _catalog(language) if language in LANGUAGES else None
    if catalog is None:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def active_language() -> str:
    """The language text is translated to now (English unless ``use_language`` says otherwise)."""
    return _active.get() or DEFAULT_LANGUAGE


def chosen_language() -> str | None:
    """The language ``use_language`` set for a shopper, or None outside one (staff, API, jobs): then
    formatting follows the store's own locale, as before."""
    return _active.get()


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Translate into ``language`` (a shipped one; anything else means English) inside the block."""
    chosen = shipped_language(language) or DEFAULT_LANGUAGE
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def gettext(message: str, **values: object) -> str:
    """``message`` in the active language, with ``{name}`` placeholders filled from ``values``."""
    text = translations(active_language()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """The singular or plural form for ``count`` in the active language; ``{count}`` and ``values`` filled."""
    text = translations(active_language()).ngettext(singular, plural, count)
    return text.format(count=count, **values)


_ = gettext


def widget_messages(language: str) -> dict[str, str]:
    """The chat widget's texts in ``language``: English text → translation, for every message extracted
    from the widget's script (untranslated ones map to themselves). A new dict: callers may change it."""
    return dict(_widget_messages(language))


@functools.cache
def _widget_messages(language: str) -> tuple[tuple[str, str], ...]:
    source = _catalog(DEFAULT_LANGUAGE)  # the English catalog lists every message and where it is used
    target = _catalog(language) if language in LANGUAGES else None
    messages: list[tuple[str, str]] = []
    for message in source or ():
        if not message.id or not any(path.endswith(WIDGET_SOURCES) for path, _line in message.locations):
            continue
        entry = target.get(message.id) if target is not None else None
        text = entry.string if entry is not None and entry.string and not entry.fuzzy else message.id
        messages.append((str(message.id), str(text)))
    return tuple(messages)


# -- formatting in a language ------------------------------------------------------------------------


def babel_locale(language: str | None) -> str:
    """A Babel locale name for a language tag (``de-AT`` → ``de_AT``); English when empty."""
    return (language or DEFAULT_LANGUAGE).replace("-", "_")


def format_points(points: int, language: str | None = None) -> str:
    """``12,345`` / ``12.345``: points with the language's grouping."""
    return format_decimal(points, locale=babel_locale(language or active_language()))


def format_money(minor: int, currency: str, language: str | None = None) -> str:
    """``€12.50`` / ``12,50 €``: minor units of ``currency`` as the language writes money."""
    return kernel_money.format_money(minor, currency, babel_locale(language or active_language()))


def format_day(value: date | datetime, timezone: str | None = None, language: str | None = None) -> str:
    """``3 Mar 2026`` / ``3. März 2026``: a day (a moment's local day in ``timezone``) in the language
    (English keeps loyaldesk's day-month-year; others their own order of day, short month and year)."""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(timezone or "UTC")).date()
    locale = babel_locale(language or active_language())
    if locale.split("_")[0] == DEFAULT_LANGUAGE:
        return format_date(value, "d MMM y", locale=locale)
    return format_skeleton("yMMMd", value, locale=locale)
