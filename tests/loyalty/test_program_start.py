"""The program's start date, driven through the API: orders placed before it earn nothing and enrol nobody,
customers first seen before it are not enrolled with a sign-up reward, what was earned before keeps being
reconciled, and the date is validated like every other setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from loyaldesk.kernel.db import Database
from loyaldesk.stores.models import Store
from tests.conftest import START
from tests.factories import StoreHandle, make_api_key
from tests.loyalty.shop import Shop

LINES = [("TEE", "Apparel", 2, 2500)]  # 50 points


def _is_member(shop: Shop, customer: str) -> bool:
    customer_id = shop.customer_id(customer)
    response = shop.call("GET", f"/api/v1/loyalty/members/by-customer/{customer_id}")
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_a_new_program_starts_when_its_store_was_created(shop: Shop, db: Database) -> None:
    with db.read() as session:
        store = session.get(Store, shop.store.id)
        assert store is not None
        created = store.created_at
    assert datetime.fromisoformat(shop.loyalty("GET", "/program")["starts_at"]) == created == START


def test_orders_placed_before_the_start_earn_nothing_and_enrol_nobody(shop: Shop) -> None:
    shop.settings(starts_at=(START - timedelta(days=30)).isoformat())
    shop.order("old-buyer", LINES, at=START - timedelta(days=31))
    assert not _is_member(shop, "old-buyer")
    shop.order("new-buyer", LINES, at=START - timedelta(days=29))
    assert _is_member(shop, "new-buyer") and shop.balance("new-buyer") == (0, 50)
    # The customer of the old order buys again after the start: they join then, and earn for that order only.
    shop.order("old-buyer", LINES, at=START - timedelta(days=1))
    assert _is_member(shop, "old-buyer") and shop.balance("old-buyer") == (0, 50)
    assert shop.loyalty("GET", "/overview")["points_issued"] == 100
    shop.assert_ledger_clean()


def test_customers_first_seen_before_the_start_join_without_a_signup_reward(shop: Shop) -> None:
    shop.rule("Welcome", action="signup", points=100)
    # An order of last year creates its customer as first seen last year: not a sign-up.
    shop.order("history", LINES, at=START - timedelta(days=365))
    assert not _is_member(shop, "history")
    # A customer the store tells us about now signs up as before.
    shop.ok("PUT", "/api/v1/customers/by-external-id/today", 201, json={"email": "today@example.com"})
    shop.dispatch()
    assert _is_member(shop, "today") and shop.balance("today") == (100, 0)


def test_what_was_earned_before_the_start_moved_is_still_taken_back_on_refund(shop: Shop) -> None:
    order = shop.order("early", LINES)
    assert shop.balance("early") == (0, 50)
    # The store moves its start later: orders placed before it no longer earn, but this one did.
    shop.settings(starts_at=(START + timedelta(days=1)).isoformat())
    shop.refund(order, {1: 1}, external_id="refund-1")
    assert shop.balance("early") == (0, 25)
    shop.move(order["id"], "fulfilled")
    assert shop.balance("early") == (25, 0)  # it still unlocks
    shop.assert_ledger_clean()


def test_the_dry_run_says_an_order_before_the_start_earns_nothing(shop: Shop) -> None:
    shop.settings(starts_at=START.isoformat())
    before = shop.loyalty(
        "POST",
        "/orders/dry-run",
        json={
            "currency": "EUR",
            "placed_at": (START - timedelta(days=2)).isoformat(),
            "lines": [{"sku": "TEE", "quantity": 1, "amount": 5000}],
        },
    )
    assert before["points"] == 0
    assert "placed before the program started" in before["explanation"][0]
    after = shop.loyalty(
        "POST",
        "/orders/dry-run",
        json={"currency": "EUR", "lines": [{"sku": "TEE", "quantity": 1, "amount": 5000}]},
    )
    assert after["points"] == 50


def test_a_bad_start_date_is_refused_naming_the_field_and_nothing_changes(shop: Shop) -> None:
    before = shop.loyalty("GET", "/program")
    for value, reason in (
        ("2026-03-01T10:00:00", "timezone"),
        ("1800-01-01T00:00:00+00:00", "between 1970 and 2100"),
        ("soon", "datetime"),
        (None, "datetime"),
    ):
        response = shop.call("PATCH", "/api/v1/loyalty/program", json={"starts_at": value})
        assert response.status_code == 422, (value, response.text)
        fields = response.json()["error"]["fields"]
        assert fields[0]["field"] == "starts_at" and reason in fields[0]["reason"], fields
    assert shop.loyalty("GET", "/program") == before


def test_a_key_without_the_loyalty_write_scope_cannot_move_the_start(
    client: TestClient, shop: Shop, db: Database, store: StoreHandle
) -> None:
    before = shop.loyalty("GET", "/program")
    reader = make_api_key(db, store, ["loyalty:read"])
    response = client.patch(
        "/api/v1/loyalty/program",
        json={"starts_at": datetime(2020, 1, 1, tzinfo=UTC).isoformat()},
        headers=reader,
    )
    assert response.status_code == 403
    assert shop.loyalty("GET", "/program") == before


def test_a_reward_code_used_on_an_order_before_the_start_is_still_used_and_given_back(shop: Shop) -> None:
    reward = shop.reward("€5 off", 500)
    shop.order("member", LINES)
    shop.adjust("member", 1000, key="seed")
    member_id = shop.member("member")["member_id"]
    response = shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/redemptions",
        json={"reward_id": reward["id"]},
        headers={"Idempotency-Key": "redeem-1"},
    )
    code = response.json()["code"]
    # The program now starts next week: an order placed today earns nothing, but its code is ours.
    shop.settings(starts_at=(START + timedelta(days=7)).isoformat())
    order = shop.order("member", LINES, discount_codes=[code])
    [used] = shop.loyalty("GET", f"/members/{member_id}/codes")
    assert used["status"] == "used"
    before = shop.balance("member")
    shop.move(order["id"], "cancelled")
    assert shop.loyalty("GET", f"/members/{member_id}/codes")[0]["status"] == "cancelled"
    assert shop.balance("member") == (before[0] + 500, before[1])
    shop.assert_ledger_clean()
