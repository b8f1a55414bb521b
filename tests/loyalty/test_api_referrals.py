"""Referrals through the API: the friend's reward on the first order, the referrer's when that order's
points unlock, every fraud check (self, look-alike email, phone, address, old account, too many), the
managers' view of rejected referrals and their decisions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_api_key
from tests.loyalty.shop import Shop

ADDRESS = {"line1": "Keizersgracht 12", "city": "Amsterdam", "postal_code": "1015 CJ", "country": "NL"}


@pytest.fixture
def referring(shop: Shop) -> Shop:
    shop.settings(
        referral_friend_points=200,
        referral_friend_on="first_order",
        referral_referrer_points=500,
        referral_max_per_period=3,
        referral_period_days=30,
    )
    shop.ok(
        "POST",
        "/api/v1/customers",
        201,
        json={"external_id": "anna", "email": "anna.janssen@gmail.com", "phone": "+31 6 1234 5678"},
    )
    shop.order("anna", [("A", None, 1, 1000)], email="anna.janssen@gmail.com", shipping_address=ADDRESS)
    return shop


def friend(shop: Shop, external_id: str, **profile: Any) -> int:
    body = {
        "external_id": external_id,
        "email": profile.pop("email", f"{external_id}@example.org"),
        **profile,
    }
    return shop.ok("POST", "/api/v1/customers", 201, json=body)["id"]  # type: ignore[no-any-return]


def refer(shop: Shop, customer_id: int, code: str | None = None) -> dict[str, Any]:
    code = code or shop.member("anna")["referral"]["code"]
    return shop.loyalty("POST", "/referrals", 201, json={"code": code, "customer_id": customer_id})  # type: ignore[no-any-return]


def test_friend_rewarded_on_first_order_and_referrer_when_its_points_unlock(referring: Shop) -> None:
    shop = referring
    anna = shop.member("anna")
    assert anna["referral"]["link"].endswith(f"/r/acme/{anna['referral']['code']}")
    bob = friend(shop, "bob")
    referral = refer(shop, bob, anna["referral"]["code"].lower())
    assert referral["status"] == "pending" and referral["reasons"] == []
    assert referral["referrer_customer_id"] == shop.customer_id("anna")

    order = shop.order("bob", [("POT", None, 1, 3000)], email="bob@example.org")
    assert shop.balance("bob") == (200, 30)
    assert shop.loyalty("GET", "/referrals")[0]["status"] == "qualified"
    anna_before = shop.balance("anna")[0]
    shop.order("bob", [("POT", None, 1, 3000)], email="bob@example.org")  # a second order: no second gift
    assert shop.balance("bob")[0] == 200

    shop.move(order["id"], "fulfilled")
    assert shop.balance("anna")[0] == anna_before + 500
    assert shop.loyalty("GET", "/referrals")[0]["status"] == "rewarded"
    assert "friend" in shop.history("anna")[0]["description"]
    assert refer(shop, bob)["id"] == referral["id"]  # recording it again returns the first
    shop.assert_ledger_clean()


def test_a_returned_first_order_never_rewards_the_referrer(referring: Shop) -> None:
    shop = referring
    shop.settings(unlock_after_status="delivered", pending_days=14)
    bob = friend(shop, "bob")
    refer(shop, bob)
    order = shop.order("bob", [("POT", None, 1, 3000)], email="bob@example.org")
    shop.refund(order, {1: 1}, external_id="r1", kind="return")
    shop.later(days=30)
    shop.run_jobs()
    assert shop.loyalty("GET", "/referrals")[0]["status"] == "qualified"
    assert not any("friend" in entry["description"] for entry in shop.history("anna"))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("self", "cannot refer themselves"),
        ("look_alike_email", "email looks like"),
        ("same_phone", "phone"),
        ("same_address", "address"),
        ("old_account", "already a member"),
    ],
)
def test_fraud_checks_reject_and_say_why(referring: Shop, case: str, expected: str) -> None:
    shop = referring
    if case == "self":
        customer_id = shop.customer_id("anna")
    elif case == "look_alike_email":
        customer_id = friend(shop, "twin", email="annajanssen+promo@gmail.com")
    elif case == "same_phone":
        customer_id = friend(shop, "phone", phone="+31612345678")
    elif case == "same_address":
        customer_id = friend(shop, "house")
        shop.order("house", [("A", None, 1, 500)], email="house@example.org", shipping_address=dict(ADDRESS))
    else:
        customer_id = friend(shop, "old")
        shop.later(days=120)
    referral = refer(shop, customer_id)
    assert referral["status"] == "rejected"
    assert any(expected in reason for reason in referral["reasons"]), referral["reasons"]
    [listed] = shop.loyalty("GET", "/referrals?status=rejected")
    assert listed["id"] == referral["id"] and listed["reasons"] == referral["reasons"]
    if case != "self":
        shop.order(shop.ok("GET", f"/api/v1/customers/{customer_id}")["external_id"], [("A", None, 1, 5000)])
        assert shop.balance(shop.ok("GET", f"/api/v1/customers/{customer_id}")["external_id"])[0] == 0


def test_too_many_referrals_in_the_period(referring: Shop) -> None:
    shop = referring
    statuses = [refer(shop, friend(shop, f"f{i}"))["status"] for i in range(4)]
    assert statuses == ["pending", "pending", "pending", "rejected"]
    [rejected] = shop.loyalty("GET", "/referrals?status=rejected")
    assert "limit 3" in rejected["reasons"][0]
    shop.later(days=31)
    assert refer(shop, friend(shop, "later"))["status"] == "pending"


def test_a_manager_approves_a_rejected_referral_or_rejects_a_pending_one(referring: Shop) -> None:
    shop = referring
    twin = friend(shop, "twin", email="annajanssen+promo@gmail.com")
    rejected = refer(shop, twin)
    approved = shop.loyalty("POST", f"/referrals/{rejected['id']}/approve")
    assert approved["status"] == "pending" and approved["decided_by"]
    shop.order("twin", [("A", None, 1, 1000)], email="annajanssen+promo@gmail.com")
    assert shop.balance("twin")[0] == 200

    bob = refer(shop, friend(shop, "bob"))
    assert shop.loyalty("POST", f"/referrals/{bob['id']}/reject")["status"] == "rejected"
    shop.order("bob", [("A", None, 1, 1000)], email="bob@example.org")
    assert shop.balance("bob")[0] == 0


def test_referral_mistakes_and_denials(referring: Shop) -> None:
    shop = referring
    bob = friend(shop, "bob")
    unknown = shop.call("POST", "/api/v1/loyalty/referrals", json={"code": "ZZZZZZZZ", "customer_id": bob})
    assert unknown.status_code == 404 and "ZZZZZZZZ" in unknown.text
    short = shop.call("POST", "/api/v1/loyalty/referrals", json={"code": "AB", "customer_id": bob})
    assert short.status_code == 422
    readonly = make_api_key(shop.db, shop.store, ["loyalty:read"])
    code = shop.member("anna")["referral"]["code"]
    denied = shop.client.post(
        "/api/v1/loyalty/referrals", json={"code": code, "customer_id": bob}, headers=readonly
    )
    assert denied.status_code == 403
    assert shop.loyalty("GET", "/referrals") == []


def test_referral_link_uses_the_store_page_when_configured(referring: Shop) -> None:
    shop = referring
    shop.settings(referral_link_template="https://juniper.example.com/join?ref={code}")
    anna = shop.member("anna")
    assert anna["referral"]["link"] == f"https://juniper.example.com/join?ref={anna['referral']['code']}"
    bad = shop.call(
        "PATCH", "/api/v1/loyalty/program", json={"referral_link_template": "https://x.example.com/"}
    )
    assert bad.status_code == 422 and "referral_link_template" in bad.text
    page = shop.client.get(f"/r/acme/{anna['referral']['code']}")
    assert page.status_code == 200 and anna["referral"]["code"] in page.text and "200 points" in page.text


def test_approving_after_the_friend_already_ordered_rewards_both(referring: Shop) -> None:
    shop = referring
    twin = friend(shop, "twin", email="annajanssen+promo@gmail.com")
    rejected = refer(shop, twin)
    order = shop.order("twin", [("A", None, 1, 1000)], email="annajanssen+promo@gmail.com")
    shop.move(order["id"], "fulfilled")  # the friend's points unlock
    assert shop.balance("twin")[0] == 10
    anna_before = shop.balance("anna")[0]
    approved = shop.loyalty("POST", f"/referrals/{rejected['id']}/approve")
    assert approved["status"] == "rewarded"
    assert shop.balance("twin")[0] == 10 + 200
    assert shop.balance("anna")[0] == anna_before + 500
    shop.assert_ledger_clean()
