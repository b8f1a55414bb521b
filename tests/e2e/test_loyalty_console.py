"""A manager runs the loyalty program in a real browser: the overview with its chart, a new reward, and a
manual adjustment on a member's page. Screenshots of every loyalty page go to LOYALDESK_SCREENSHOTS."""

from __future__ import annotations

import pytest

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions.configure_program import save_rule
from loyaldesk.loyalty.actions.reward_referrals import record_referral
from loyaldesk.loyalty.models import Member
from loyaldesk.loyalty.rule_config import ActionRuleIn, PurchaseRuleIn
from loyaldesk.loyalty.schemas import RuleIn
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle, make_staff
from tests.web.test_console_loyalty import enrolled, give, ladder, person

pytestmark = pytest.mark.e2e


def _seed(db: Database, store: StoreHandle) -> tuple[int, int]:
    tiers = ladder(db, store)
    grace_customer = person(db, store, "g", "Grace", "Hopper", "grace@example.com", "+31 6 1234 5678")
    grace = enrolled(db, store, grace_customer)
    ada = enrolled(db, store, person(db, store, "a", "Ada", "Lovelace", "ada@example.com"))
    give(db, store, grace, 1_250, "welcome")
    give(db, store, grace, 340, "order-1001", pending=True)
    give(db, store, ada, 18_000, "import")
    db.write(
        save_rule,
        store.actor,
        store.id,
        RuleIn(
            name="Double points on shoes",
            purchase=PurchaseRuleIn(kind="multiplier", multiplier=2, only_categories=["Shoes"]),
        ),
    )
    db.write(
        save_rule,
        store.actor,
        store.id,
        RuleIn(
            name="Reviews",
            action=ActionRuleIn(
                action="review", points=50, tier_ids=[tiers["Gold"]], max_times_per_customer=10
            ),
        ),
    )
    with db.read() as session:
        code = session.get(Member, grace).referral_code  # type: ignore[union-attr]
    twin = person(db, store, "t", "Frank", "Twin", "frank@example.com", "+31 6 1234 5678")
    db.write(record_referral, store.actor, store.id, code, twin)
    return grace, grace_customer


def test_manager_reads_the_overview_creates_a_reward_and_adjusts_points(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    password_hash: str,
) -> None:
    grace, grace_customer = _seed(db, store)
    email = make_staff(db, store, "admin", password_hash)
    base = f"{live_server}/console/acme/loyalty"

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/acme/customers")

    page.get_by_role("link", name="Loyalty", exact=True).click()
    page.wait_for_url(base)
    assert page.get_by_role("heading", name="Tier mix").is_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('img.chart');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert "Bronze 2" in (page.locator("img.chart").get_attribute("alt") or "")
    assert "19,590 outstanding points" in page.locator(".formula").inner_text()
    screenshot(page, "loyalty-overview")

    for path, name in (
        ("/settings", "loyalty-settings"),
        ("/rules", "loyalty-rules"),
        ("/rules/new?kind=purchase", "loyalty-rule-form"),
        ("/tiers", "loyalty-tiers"),
        ("/tiers/new", "loyalty-tier-form"),
        ("/members?sort=balance", "loyalty-members"),
        ("/referrals", "loyalty-referrals"),
    ):
        page.goto(f"{base}{path}")
        assert page.locator("h1").count() == 1
        screenshot(page, name)

    # A new reward, through the form as a person fills it in.
    page.goto(f"{base}/rewards")
    assert page.get_by_text("No rewards yet").is_visible()
    page.get_by_role("link", name="Create a reward").click()
    page.get_by_label("Name").fill("€5 off your next order")
    page.get_by_label("Kind").select_option("fixed_discount")
    page.get_by_label("Value").fill("5")
    page.get_by_label("Cost in points").fill("500")
    page.get_by_label("Gold", exact=True).fill("400")
    page.get_by_label("Stock").fill("100")
    screenshot(page, "loyalty-reward-form")
    page.get_by_role("button", name="Create reward").click()
    page.wait_for_url(f"{base}/rewards?done=saved")
    row = page.get_by_role("row", name="€5 off your next order")
    assert "€5.00 off" in row.inner_text() and "Gold: 400" in row.inner_text()
    screenshot(page, "loyalty-rewards")

    # Bad input comes back named, on the settings form.
    page.goto(f"{base}/settings")
    page.get_by_label("Return window (days)").fill("999")
    page.get_by_label("Return window (days)").evaluate("input => input.removeAttribute('max')")
    page.get_by_role("button", name="Save settings").click()
    alert = page.get_by_role("alert")
    assert "Return window (days)" in alert.inner_text()
    screenshot(page, "loyalty-settings-error")

    # Adjust a member's points and see the new balance.
    page.goto(f"{base}/members")
    page.get_by_label("Search by name or email").fill("grace")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Grace Hopper").click()
    page.wait_for_url(f"{base}/members/{grace}")
    assert page.locator("#balance").inner_text() == "1,250"
    page.get_by_label("Points", exact=True).fill("150")
    page.get_by_label("Reason").select_option("service_recovery")
    page.get_by_label("Note").fill("Sorry for the late parcel")
    page.get_by_role("button", name="Adjust points").click()
    page.wait_for_url("**?done=adjusted")
    assert page.locator("#balance").inner_text() == "1,400"
    assert page.get_by_role("status").inner_text() == "Points adjusted."
    assert "Sorry for the late parcel" in page.locator("#history-title + table").inner_text()
    screenshot(page, "loyalty-member")

    page.goto(f"{live_server}/console/acme/customers/{grace_customer}")
    card = page.locator("section.loyalty-card")
    assert "1,400" in card.inner_text()
    screenshot(page, "loyalty-customer-card")
