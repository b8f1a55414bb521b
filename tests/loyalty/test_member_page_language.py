"""The member page speaks the shopper's language: their profile's, else the store's default, else their
browser's (Accept-Language), else English; money, points and days are written the way that language
writes them."""

from __future__ import annotations

import re

from loyaldesk.kernel.actors import SYSTEM
from loyaldesk.stores.shopper_language import set_default_language
from tests.loyalty.shop import Shop

GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}


def _page_url(shop: Shop, customer: str) -> str:
    signature = shop.shopper(customer)["X-Customer-Signature"]
    return f"/m/acme?customer={customer}&signature={signature}"


def _sentences(html: str) -> list[str]:
    listed = re.search(r'<ul class="sentences">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>([^<]+)</li>", listed.group(1)) if listed else []


def _ladder_and_members(shop: Shop) -> None:
    shop.settings(tier_metric="spend", tier_period="calendar_year")
    shop.tier("Bronze", 0, 0)
    shop.tier("Silver", 1, 50_000)
    shop.reward("Tote bag", 5_000)
    shop.ok("POST", "/api/v1/customers", 201, json={"external_id": "lena"})
    shop.ok("POST", "/api/v1/customers", 201, json={"external_id": "ada", "locale": "en-GB"})
    for customer in ("lena", "ada"):
        shop.order(customer, [("LAMP", "Home", 1, 48_750)])  # 12.50 short of Silver


def test_a_german_browser_reads_the_member_page_in_german(shop: Shop) -> None:
    _ladder_and_members(shop)
    page = shop.client.get(_page_url(shop, "lena"), headers=GERMAN_BROWSER)
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="de">' in html
    assert "Einlösbare Punkte" in html and "Prämien" in html and "Verlauf" in html
    assert "Points to spend" not in html and "History" not in html
    [sentence] = _sentences(html)
    assert sentence.startswith("Noch 12,50\xa0€ ausgeben") and sentence.endswith("um Silver zu erreichen")
    assert re.search(r"Es fehlen noch \d\.\d{3} Punkte", html)  # the reward's reason, in German
    assert re.search(r"\d{1,2}\.\d{2}\.\d{2}|\d{1,2}\. \w+\.? \d{4}", html)  # days as German writes them

    english = shop.client.get(_page_url(shop, "lena")).text  # no Accept-Language: English
    assert '<html lang="en">' in english and "Points to spend" in english
    assert _sentences(english)[0].startswith("Spend €12.50 more")


def test_the_profile_and_then_the_store_default_come_before_the_browser(shop: Shop) -> None:
    _ladder_and_members(shop)
    # ada's profile says English: her German browser does not change that.
    assert "Points to spend" in shop.client.get(_page_url(shop, "ada"), headers=GERMAN_BROWSER).text
    shop.db.write(set_default_language, SYSTEM, shop.store.id, "de")
    # The store's default (German) for lena, whose profile names no language, whatever her browser says.
    assert (
        "Einlösbare Punkte"
        in shop.client.get(_page_url(shop, "lena"), headers={"Accept-Language": "en"}).text
    )
    assert "Points to spend" in shop.client.get(_page_url(shop, "ada")).text  # a profile still wins


def test_the_invitation_and_the_api_follow_their_own_rules(shop: Shop) -> None:
    _ladder_and_members(shop)
    invitation = shop.client.get("/r/acme/ABCD1234", headers=GERMAN_BROWSER).text
    assert "Ihr Einladungscode" in invitation and "Code kopieren" in invitation
    # The member API is for a store's own front end: its words stay the API's (English), its data typed.
    offers = shop.as_shopper("lena", "GET", "/me/rewards", headers=GERMAN_BROWSER).json()
    assert offers[0]["reason"].startswith("needs ")
