"""The chat widget in a German browser speaks German: its texts come from loyaldesk's catalog for the
browser's language (no inline script; the store's page needs nothing new), including the desk's default
title and greeting, which the store kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import StoreHandle

pytestmark = pytest.mark.e2e


def test_the_widget_speaks_the_browsers_language(live_server: str, browser, store: StoreHandle) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="de-DE")
    shopper = context.new_page()
    shopper.set_default_timeout(10_000)
    errors: list[str] = []
    shopper.on("pageerror", lambda error: errors.append(str(error)))
    try:
        shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop")
        shopper.get_by_role("button", name="Chatten Sie mit uns").click()
        chat = shopper.get_by_role("dialog")
        expect(chat).to_have_attribute("lang", "de")
        expect(chat.get_by_role("button", name="Chat schließen")).to_be_visible()
        # No agent is online: the offline form, in German.
        expect(chat).to_contain_text("Wir sind gerade nicht da.")
        expect(chat.get_by_label("Nachricht", exact=True)).to_be_visible()
        expect(chat.get_by_role("button", name="Nachricht senden")).to_be_visible()
        expect(chat).not_to_contain_text("Send message")
    finally:
        context.close()
    assert errors == []
