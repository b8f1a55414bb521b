"""The shipped catalogs are complete and up to date, and the language a shopper gets is negotiated in the
documented order (docs/i18n.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from loyaldesk.kernel import i18n

ROOT = Path(__file__).resolve().parents[2]
# As `make messages` runs the extraction (Makefile): the defaults plus the widget's t() and N_().
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None, "N_": None}


def _extracted() -> set[str | tuple[str, str]]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, str(ROOT / "babel.cfg"))
    found: set[str | tuple[str, str]] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)s|\{\w+\}", text))


def test_extraction_finds_nothing_the_catalogs_lack_and_they_keep_nothing_stale() -> None:
    extracted = _extracted()
    assert len(extracted) > 50  # the extraction really ran over the sources
    for language in i18n.LANGUAGES:
        catalog = {message.id for message in _catalog(language) if message.id}
        assert extracted - catalog == set(), f"{language}: run `make messages` and translate the new texts"
        assert catalog - extracted == set(), f"{language}: run `make messages` to drop texts no longer used"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    for message in _catalog(language):
        if not message.id:
            continue
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        for text in strings:
            assert _placeholders(text) == _placeholders(ids[-1]), f"{language}: {message.id!r} → {text!r}"


def test_the_language_comes_from_profile_then_store_then_browser_then_english() -> None:
    assert i18n.negotiate(profile="de-AT", store_default="en", accept_language="en") == "de"
    assert i18n.negotiate(profile="pt-BR", store_default="de", accept_language="en") == "de"
    assert i18n.negotiate(accept_language="fr-CH, fr;q=0.9, de;q=0.8, en;q=0.5") == "de"
    assert i18n.negotiate(accept_language="en;q=0.2, de;q=0.9") == "de"
    assert i18n.negotiate(accept_language="de;q=0, fr") == "en"
    assert i18n.negotiate(accept_language="*, <script>") == "en"
    assert i18n.negotiate() == "en"


def test_translation_follows_the_active_language_and_formats_as_it_writes() -> None:
    assert i18n._("sold out") == "sold out"  # nothing active: English (the console, the API)
    with i18n.use_language("de-DE") as language:
        assert language == "de" and i18n.active_language() == "de"
        assert i18n._("sold out") == "ausverkauft"
        assert i18n._("Spend {amount} more", amount="x") == "Noch x ausgeben"
        assert (
            i18n.ngettext("Earn {count} more point", "Earn {count} more points", 1) == "Noch 1 Punkt sammeln"
        )
        assert i18n.format_money(1250, "EUR") == "12,50\xa0€"
        assert i18n.format_points(12345) == "12.345"
    assert i18n.chosen_language() is None
    assert i18n.format_money(1250, "EUR", "en") == "€12.50" and i18n.format_points(12345, "en") == "12,345"


def test_the_widget_gets_its_own_texts_only() -> None:
    german = i18n.widget_messages("de")
    assert german["Send"] == "Senden" and german["Hi! How can we help?"] == "Hallo! Wie können wir helfen?"
    assert "Points to spend" not in german  # a member page text
    assert i18n.widget_messages("en")["Send"] == "Send"
