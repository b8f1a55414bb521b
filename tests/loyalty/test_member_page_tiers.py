"""The shopper's page names one tier: the one they hold. Whatever holds it (their own spend, a paid
membership, the store's override), in its grace days or with a review due that the job has not run yet,
"to keep <tier>" never names another tier than "Your tier"."""

from __future__ import annotations

import re
from typing import Any

from tests.loyalty.shop import Shop


def _ladder(shop: Shop) -> dict[str, dict[str, Any]]:
    shop.settings(tier_metric="spend", tier_period="rolling_12_months", tier_grace_days=30)
    return {
        "Bronze": shop.tier("Bronze", 0, 0),
        "Silver": shop.tier("Silver", 1, 50_000),
        "Gold": shop.tier("Gold", 2, 150_000, membership_sku="CLUB", membership_days=365),
    }


def _page(shop: Shop, customer: str) -> tuple[str, list[str]]:
    """(the tier the page says they are in, the tier progress sentences), read from the HTML."""
    signature = shop.shopper(customer)["X-Customer-Signature"]
    page = shop.client.get(f"/m/acme?customer={customer}&signature={signature}")
    assert page.status_code == 200, page.text
    tier = re.search(r'<span class="value tier-name">([^<]+)</span>', page.text)
    assert tier is not None
    listed = re.search(r'<ul class="sentences">(.*?)</ul>', page.text, re.S)
    sentences = re.findall(r"<li>([^<]+)</li>", listed.group(1)) if listed else []
    return tier.group(1), sentences


def _kept(sentences: list[str]) -> list[str]:
    return [match for sentence in sentences for match in re.findall(r"to keep (.+)$", sentence)]


def _assert_one_tier(shop: Shop, customer: str, tier: str) -> list[str]:
    shown, sentences = _page(shop, customer)
    assert shown == tier, (customer, shown, sentences)
    assert set(_kept(sentences)) <= {tier}, (customer, sentences)
    progress = shop.as_shopper(customer, "GET", "/me").json()
    assert progress["tier"]["name"] == tier and progress["tier_progress"]["kept_tier"] == tier
    return sentences


def test_the_member_page_names_the_tier_held_whatever_holds_it(shop: Shop) -> None:
    tiers = _ladder(shop)
    shop.order("quinn", [("SOFA", "Furniture", 1, 200_000)])  # qualifies for Gold today
    shop.order("gwen", [("SOFA", "Furniture", 1, 160_000)])  # Gold, then only the grace days
    shop.order("dora", [("SOFA", "Furniture", 1, 160_000)])  # Gold, then too little to keep it
    shop.order("otto", [("LAMP", "Home", 1, 60_000)])  # Silver, raised to Gold by the store
    shop.order("mia", [("LAMP", "Home", 1, 60_000), ("CLUB", "Membership", 1, 4_900)])  # Silver + club
    otto = shop.member("otto")["member_id"]
    shop.loyalty("PUT", f"/members/{otto}/tier-override", json={"tier_id": tiers["Gold"]["id"]})

    quinn = _assert_one_tier(shop, "quinn", "Gold")
    assert any(sentence.endswith("to keep Gold") for sentence in quinn)  # next year's spend decides
    # Held by the store, or by a paid membership: Silver, which their spend keeps, is not named.
    assert _assert_one_tier(shop, "otto", "Gold") == []
    mia = _assert_one_tier(shop, "mia", "Gold")
    assert len(mia) == 1 and re.fullmatch(r"Your Gold membership runs until \d+ \w+ 2027", mia[0])
    assert shop.as_shopper("mia", "GET", "/me").json()["tier_progress"]["held_by"] == "membership"
    assert shop.as_shopper("otto", "GET", "/me").json()["tier_progress"]["held_by"] == "override"

    shop.later(days=200)
    shop.order("dora", [("LAMP", "Home", 1, 50_000)])
    shop.later(days=170)  # day 370: Gold was kept until day 365; the review is on day 395
    shop.run_jobs("loyalty.review_due_tiers")
    gwen = _assert_one_tier(shop, "gwen", "Gold")
    assert gwen == ["Spend €1,500.00 more by 1 Apr 2027 to keep Gold"]  # in the grace days
    assert _kept(_assert_one_tier(shop, "dora", "Gold")) == ["Gold"]

    shop.later(days=26)  # day 396: dora's review is due, and the job has not run yet
    assert _assert_one_tier(shop, "dora", "Silver")[0].endswith("to reach Gold")
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("dora")["tier"]["name"] == "Silver"
    _assert_one_tier(shop, "dora", "Silver")
