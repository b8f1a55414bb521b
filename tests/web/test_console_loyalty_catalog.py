"""Earning rules, tiers and rewards in the console: lists in words, create and edit forms, bad input named
with nothing saved, and roles that may only read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.queries import views as loyalty_queries
from loyaldesk.web.console.loyalty_forms import TIMES
from tests.factories import StoreHandle, table_counts
from tests.web.test_console_loyalty import (
    LOYALTY_TABLES,
    as_staff,
    enrolled,
    form_of,
    ladder,
    person,
)


def _rules(db: Database, store: StoreHandle) -> list:  # type: ignore[type-arg]
    with db.read() as session:
        return loyalty_queries.rules_of(session, store.id)


def test_manager_creates_edits_and_pauses_rules(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    as_staff(client, db, store, "admin", password_hash)
    new = client.get("/console/acme/loyalty/rules/new?kind=purchase")
    assert new.status_code == 200
    assert '<label for="f-multiplier">Multiplier</label>' in new.text
    form = form_of(new.text, "/console/acme/loyalty/rules?kind=purchase")
    form.update(
        {
            "name": "Double points on apparel",
            "kind": "multiplier",
            "multiplier": "2",
            "only_categories": "Apparel, Shoes",
            "days_of_week": ["1", "5"],
            "tier_ids": [str(tiers["Gold"])],
            "ends_at": "2026-03-31T23:59",
        }
    )
    created = client.post("/console/acme/loyalty/rules?kind=purchase", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    listing = client.get(created.headers["location"])
    assert "Rule saved." in listing.text
    assert (
        f"2{TIMES} points on Apparel and Shoes, on Mon and Fri, for Gold members, until 31 Mar 2026"
        in listing.text
    )
    [rule] = _rules(db, store)
    assert rule.config["only_categories"] == ["Apparel", "Shoes"]
    assert rule.config["ends_at"].startswith("2026-03-31T23:59")

    action = form_of(
        client.get("/console/acme/loyalty/rules/new?kind=action").text,
        "/console/acme/loyalty/rules?kind=action",
    )
    action.update(
        {
            "name": "Reviews",
            "action": "review",
            "points": "50",
            "max_times_per_customer": "10",
            "period_cap_count": "2",
            "period_cap_period": "month",
        }
    )
    assert client.post("/console/acme/loyalty/rules?kind=action", data=action).status_code == 200
    listing = client.get("/console/acme/loyalty/rules")
    assert (
        "50 points for writing a review, at most 10 times per customer, at most 2 per month" in listing.text
    )

    # Edit: the form comes back filled in.
    edit = client.get(f"/console/acme/loyalty/rules/{rule.id}")
    form = form_of(edit.text, f"/console/acme/loyalty/rules/{rule.id}")
    assert form["only_categories"] == "Apparel, Shoes" and form["days_of_week"] == ["1", "5"]
    assert form["ends_at"] == "2026-03-31T23:59" and form["tier_ids"] == str(tiers["Gold"])
    form["multiplier"] = "3"
    assert client.post(f"/console/acme/loyalty/rules/{rule.id}", data=form).status_code == 200
    assert f"3{TIMES} points on Apparel and Shoes" in client.get("/console/acme/loyalty/rules").text

    token = form["csrf_token"]
    paused = client.post(
        f"/console/acme/loyalty/rules/{rule.id}/active",
        data={"csrf_token": token, "active": "no"},
        follow_redirects=False,
    )
    assert paused.status_code == 303
    assert [r.active for r in _rules(db, store) if r.id == rule.id] == [False]
    assert "Rule paused." in client.get(paused.headers["location"]).text


def test_bad_rules_are_named_and_nothing_is_saved(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    form = form_of(
        client.get("/console/acme/loyalty/rules/new?kind=purchase").text,
        "/console/acme/loyalty/rules?kind=purchase",
    )
    before = table_counts(db, *LOYALTY_TABLES)
    bad = {
        **form,
        "name": "Oops",
        "multiplier": "1",
        "starts_at": "2026-04-01T00:00",
        "ends_at": "2026-03-01T00:00",
        "min_order_total": "abc",
    }
    response = client.post("/console/acme/loyalty/rules?kind=purchase", data=bad)
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert 'href="#f-min_order_total">Minimum order total</a>' in response.text
    assert 'href="#f-ends_at">Ends</a>: “Ends” must be after “Starts”' in response.text
    assert 'value="abc"' in response.text
    assert table_counts(db, *LOYALTY_TABLES) == before

    multiplier = client.post(
        "/console/acme/loyalty/rules?kind=purchase",
        data={**bad, "ends_at": "", "min_order_total": ""},
    )
    assert multiplier.status_code == 422
    assert (
        'href="#f-multiplier">Multiplier</a>: a multiplier or campaign needs a multiplier other than 1'
        in (multiplier.text)
    )

    action = form_of(
        client.get("/console/acme/loyalty/rules/new?kind=action").text,
        "/console/acme/loyalty/rules?kind=action",
    )
    response = client.post(
        "/console/acme/loyalty/rules?kind=action",
        data={**action, "name": "Custom", "action": "custom", "points": "0", "period_cap_count": "3"},
    )
    assert response.status_code == 422
    assert 'href="#f-points">Points</a>' in response.text
    assert table_counts(db, *LOYALTY_TABLES) == before


def test_tiers_are_listed_created_and_the_ladder_is_checked(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    assert "No tiers yet" in client.get("/console/acme/loyalty/tiers").text
    new = client.get("/console/acme/loyalty/tiers/new")
    form = form_of(new.text, "/console/acme/loyalty/tiers")
    assert form["rank"] == "0" and form["threshold"] == "0"  # the first tier is the base tier
    form.update({"name": "Bronze"})
    assert client.post("/console/acme/loyalty/tiers", data=form).status_code == 200

    form = form_of(client.get("/console/acme/loyalty/tiers/new").text, "/console/acme/loyalty/tiers")
    assert form["rank"] == "1"
    form.update(
        {
            "name": "Gold",
            "threshold": "500.00",
            "earn_multiplier": "1.5",
            "perks": ["free_shipping", "priority_support"],
            "entry_reward_points": "1000",
            "membership_sku": "GOLD-PASS",
            "support_priority": "high",
        }
    )
    saved = client.post("/console/acme/loyalty/tiers", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    enrolled(db, store, person(db, store, "g", "Grace", "Hopper", "grace@example.com"))
    page = client.get("/console/acme/loyalty/tiers")
    text = page.text
    assert "€500.00 spent" in text and f"1.5{TIMES}" in text and "Free shipping" in text
    assert "GOLD-PASS" in text and "1,000" in text and "pill-priority-high" in text

    with db.read() as session:
        gold = next(t for t in loyalty_queries.tiers_of(session, store.id) if t.name == "Gold")
    assert gold.threshold == 50_000 and gold.earn_multiplier == "1.5"
    edit = form_of(
        client.get(f"/console/acme/loyalty/tiers/{gold.id}").text, f"/console/acme/loyalty/tiers/{gold.id}"
    )
    assert edit["threshold"] == "500.00" and edit["perks"] == ["free_shipping", "priority_support"]

    before = table_counts(db, *LOYALTY_TABLES)
    second_base = client.post(
        "/console/acme/loyalty/tiers", data={**edit, "name": "Tin", "rank": "5", "threshold": "0"}
    )
    assert second_base.status_code == 422
    assert 'href="#f-threshold">Threshold</a>: exactly one tier (the base tier) has threshold 0' in (
        second_base.text
    )
    same_rank = client.post("/console/acme/loyalty/tiers", data={**edit, "name": "Tin", "membership_sku": ""})
    assert same_rank.status_code == 422 and "another tier has this rank" in same_rank.text
    bad_multiplier = client.post(
        f"/console/acme/loyalty/tiers/{gold.id}", data={**edit, "earn_multiplier": "0.5"}
    )
    assert bad_multiplier.status_code == 422 and 'href="#f-earn_multiplier">Earn multiplier</a>' in (
        bad_multiplier.text
    )
    assert table_counts(db, *LOYALTY_TABLES) == before


def test_rewards_catalogue_create_edit_and_bad_input(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    as_staff(client, db, store, "admin", password_hash)
    new = client.get("/console/acme/loyalty/rewards/new")
    form = form_of(new.text, "/console/acme/loyalty/rewards")
    assert form["kind"] == "fixed_discount" and form["active"] == "yes"
    form.update(
        {
            "name": "€5 off",
            "value": "5.00",
            "points_cost": "500",
            f"tier_costs.{tiers['Gold']}": "400",
            "stock": "100",
            "min_tier_rank": "1",
            "available_until": "2026-12-31T23:59",
        }
    )
    saved = client.post("/console/acme/loyalty/rewards", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    text = client.get(saved.headers["location"]).text
    assert "Reward saved." in text and "€5.00 off" in text and "Gold: 400" in text
    assert "0 of 100" in text and "Silver and up" in text and "31 Dec 2026" in text
    with db.read() as session:
        [reward] = loyalty_queries.rewards_of(session, store.id)
    assert reward.value == 500 and reward.tier_costs == {str(tiers["Gold"]): 400}

    edit_form = form_of(
        client.get(f"/console/acme/loyalty/rewards/{reward.id}").text,
        f"/console/acme/loyalty/rewards/{reward.id}",
    )
    assert edit_form["value"] == "5.00" and edit_form["min_tier_rank"] == "1"
    before = table_counts(db, *LOYALTY_TABLES)
    bad = client.post(f"/console/acme/loyalty/rewards/{reward.id}", data={**edit_form, "points_cost": "0"})
    assert bad.status_code == 422
    assert 'href="#f-points_cost">Cost in points</a>' in bad.text
    percent = client.post(
        f"/console/acme/loyalty/rewards/{reward.id}",
        data={**edit_form, "kind": "percentage_discount", "value": "150"},
    )
    assert percent.status_code == 422
    assert 'href="#f-value">Value</a>: a percentage discount&#39;s value is 1-100' in percent.text
    free_product = client.post(
        "/console/acme/loyalty/rewards", data={**form, "kind": "free_product", "product_sku": ""}
    )
    assert free_product.status_code == 422 and "“Product SKU”" in free_product.text
    assert table_counts(db, *LOYALTY_TABLES) == before

    edit_form.update({"active": [], "name": "€5 off (old)"})
    del edit_form["active"]
    assert client.post(f"/console/acme/loyalty/rewards/{reward.id}", data=edit_form).status_code == 200
    assert "Not offered" in client.get("/console/acme/loyalty/rewards").text


def test_readers_see_the_catalogue_without_management_controls(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    tiers = ladder(db, store)
    as_staff(client, db, store, "agent", password_hash)
    for path, hidden in (("tiers", "New tier"), ("rewards", "New reward"), ("rules", "New purchase rule")):
        page = client.get(f"/console/acme/loyalty/{path}")
        assert page.status_code == 200 and hidden not in page.text
    assert "Bronze" in client.get("/console/acme/loyalty/tiers").text
    token = form_of(client.get("/console/acme/loyalty/members").text, "/logout")["csrf_token"]
    before = table_counts(db, *LOYALTY_TABLES)
    for path, data in (
        ("tiers", {"name": "Platinum", "rank": "9", "threshold": "9000"}),
        (f"tiers/{tiers['Gold']}", {"name": "Gilded", "rank": "2", "threshold": "500"}),
        ("rewards", {"name": "Free", "kind": "free_shipping", "points_cost": "10"}),
        ("rules?kind=action", {"name": "Sign-up", "action": "signup", "points": "10"}),
    ):
        response = client.post(f"/console/acme/loyalty/{path}", data={"csrf_token": token, **data})
        assert response.status_code == 403, path
    assert table_counts(db, *LOYALTY_TABLES) == before
