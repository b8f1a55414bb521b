"""The shopper's side: the member API and member page behind the store's identity signature, joining,
redeeming; and every denial: a shopper reaches only their own points, a store only its own members."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import PermissionDenied
from loyaldesk.loyalty.actions import redeem_rewards as redemptions
from loyaldesk.stores.models import AuditLogEntry
from tests.factories import StoreHandle, table_counts
from tests.loyalty.shop import Shop

LEDGER_TABLES = ("loyalty_entries", "loyalty_postings", "loyalty_reward_codes", "loyalty_members")


@pytest.fixture
def members(shop: Shop) -> Shop:
    shop.tier("Bronze", 0, 0)
    shop.tier("Gold", 1, 100_000)
    shop.reward("€5 off", 300)
    shop.order("alice", [("A", None, 1, 100)])
    shop.order("bob", [("A", None, 1, 100)])
    shop.adjust("alice", 1000, key="a")
    shop.adjust("bob", 1000, key="b")
    return shop


def test_a_shopper_sees_their_points_rewards_and_history(members: Shop) -> None:
    shop = members
    me = shop.as_shopper("alice", "GET", "/me")
    assert me.status_code == 200
    body = me.json()
    assert body["balance"]["available"] == 1000 and body["balance"]["pending"] == 1
    assert body["tier"]["name"] == "Bronze"
    assert body["referral"]["code"] and body["tier_progress"]["next_tier"] == "Gold"
    [offer] = shop.as_shopper("alice", "GET", "/me/rewards").json()
    assert offer["can_redeem"] and offer["points_cost"] == 300
    history = shop.as_shopper("alice", "GET", "/me/history").json()["data"]
    assert history[0]["description"] == "A gift from the store: test adjustment"


def test_a_shopper_redeems_once_per_key_and_sees_the_code(members: Shop) -> None:
    shop = members
    reward_id = shop.loyalty("GET", "/rewards")[0]["id"]
    first = shop.as_shopper(
        "alice",
        "POST",
        "/me/redemptions",
        json={"reward_id": reward_id},
        headers={"Idempotency-Key": "tap-1"},
    )
    again = shop.as_shopper(
        "alice",
        "POST",
        "/me/redemptions",
        json={"reward_id": reward_id},
        headers={"Idempotency-Key": "tap-1"},
    )
    assert first.status_code == 201 and again.json()["code"] == first.json()["code"]
    assert shop.balance("alice")[0] == 700
    [code] = shop.as_shopper("alice", "GET", "/me/codes").json()
    assert code["code"] == first.json()["code"]
    missing = shop.as_shopper("alice", "POST", "/me/redemptions", json={"reward_id": reward_id})
    assert missing.status_code == 422 and "Idempotency-Key" in missing.text
    # Bob's key "tap-1" is his own: it cannot collide with Alice's.
    bob = shop.as_shopper(
        "bob", "POST", "/me/redemptions", json={"reward_id": reward_id}, headers={"Idempotency-Key": "tap-1"}
    )
    assert bob.status_code == 201 and bob.json()["code"] != first.json()["code"]


def test_signatures_are_checked(members: Shop) -> None:
    shop = members
    alice = shop.shopper("alice")
    before = table_counts(shop.db, *LEDGER_TABLES)
    forged = {"X-Customer-Id": "bob", "X-Customer-Signature": alice["X-Customer-Signature"]}
    cases = [
        {},
        {"X-Customer-Id": "alice"},
        forged,
        {"X-Customer-Id": "alice", "X-Customer-Signature": "0" * 64},
    ]
    for headers in cases:
        for method, path, extra in [
            ("GET", "/me", {}),
            (
                "POST",
                "/me/redemptions",
                {"json": {"reward_id": 1}, "headers": {**headers, "Idempotency-Key": "x"}},
            ),
        ]:
            response = shop.client.request(
                method, f"/member-api/v1/acme{path}", **({"headers": headers} | extra)
            )
            assert response.status_code == 401, (headers, response.text)
    assert (
        "does not match"
        in shop.client.get("/member-api/v1/acme/me", headers=forged).json()["error"]["message"]
    )
    assert table_counts(shop.db, *LEDGER_TABLES) == before


def test_expiring_signatures(members: Shop) -> None:
    shop = members
    soon = int((shop.clock.now() + timedelta(minutes=10)).timestamp())
    headers = shop.shopper("alice", expires=soon)
    assert shop.client.get("/member-api/v1/acme/me", headers=headers).status_code == 200
    stretched = {**headers, "X-Signature-Expires": str(soon + 86_400)}
    assert shop.client.get("/member-api/v1/acme/me", headers=stretched).status_code == 401
    shop.later(minutes=11)
    expired = shop.client.get("/member-api/v1/acme/me", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


def test_a_signature_of_one_store_means_nothing_in_another(members: Shop, other_store: StoreHandle) -> None:
    shop = members
    response = shop.client.get(f"/member-api/v1/{other_store.slug}/me", headers=shop.shopper("alice"))
    assert response.status_code == 401
    assert shop.client.get("/member-api/v1/nowhere/me", headers=shop.shopper("alice")).status_code == 404


def test_a_customer_actor_cannot_redeem_someone_else_points(members: Shop) -> None:
    shop = members
    alice_customer = shop.customer_id("alice")
    bob_member = shop.member("bob")["member_id"]
    reward_id = shop.loyalty("GET", "/rewards")[0]["id"]
    alice = Actor(kind="customer", id=alice_customer, store_id=shop.store.id, label="shopper alice")
    before = table_counts(shop.db, *LEDGER_TABLES)
    with pytest.raises(PermissionDenied):
        shop.db.write(redemptions.redeem, alice, shop.store.id, bob_member, reward_id, key="steal")
    assert table_counts(shop.db, *LEDGER_TABLES) == before
    assert shop.balance("bob")[0] == 1000


def test_another_store_cannot_see_or_touch_our_members(members: Shop, other_store: StoreHandle) -> None:
    shop = members
    member_id = shop.member("alice")["member_id"]
    code_response = shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/redemptions",
        json={"reward_id": 1},
        headers={"Idempotency-Key": "k"},
    )
    code = code_response.json()["code"]
    before = table_counts(shop.db, *LEDGER_TABLES)
    theirs = other_store.auth
    assert shop.client.get(f"/api/v1/loyalty/members/{member_id}", headers=theirs).status_code == 404
    assert shop.client.get(f"/api/v1/loyalty/members/{member_id}/history", headers=theirs).status_code == 404
    adjust = {"points": 5000, "reason_code": "goodwill", "note": "x"}
    response = shop.client.post(
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        json=adjust,
        headers={**theirs, "Idempotency-Key": "z"},
    )
    assert response.status_code == 404
    response = shop.client.post(
        f"/api/v1/loyalty/members/{member_id}/redemptions",
        json={"reward_id": 1},
        headers={**theirs, "Idempotency-Key": "z2"},
    )
    assert response.status_code == 404
    assert (
        shop.client.post(
            f"/api/v1/loyalty/codes/{code}/cancel", json={"reason": "x"}, headers=theirs
        ).status_code
        == 404
    )
    assert shop.client.get("/api/v1/loyalty/rewards/1", headers=theirs).status_code == 404
    assert table_counts(shop.db, *LEDGER_TABLES) == before


def test_adjustments_need_a_reason_and_are_audited(members: Shop) -> None:
    shop = members
    member_id = shop.member("alice")["member_id"]
    no_reason = shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        json={"points": 5, "note": "x"},
        headers={"Idempotency-Key": "n"},
    )
    assert no_reason.status_code == 422 and "reason_code" in no_reason.text
    zero = shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        json={"points": 0, "reason_code": "other", "note": "x"},
        headers={"Idempotency-Key": "n2"},
    )
    assert zero.status_code == 422
    too_much = shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        json={"points": -5000, "reason_code": "fraud", "note": "x"},
        headers={"Idempotency-Key": "n3"},
    )
    assert too_much.status_code == 409 and "available" in too_much.json()["error"]["message"]
    taken = shop.adjust("alice", -400, key="fraud-1", reason="fraud")
    assert taken["available_points"] == 600 and taken["entry"]["reason_code"] == "fraud"
    with shop.db.read() as session:
        audited = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "loyalty.points_adjusted")
        ).all()
        assert [entry.details["points"] for entry in audited] == [1000, 1000, -400]
    shop.assert_ledger_clean()


def test_joining_from_the_member_api(shop: Shop) -> None:
    shop.rule("Welcome", action="signup", points=100)
    shop.settings(auto_enroll=False)
    shop.ok("POST", "/api/v1/customers", 201, json={"external_id": "carol"})
    shop.dispatch()
    not_yet = shop.as_shopper("carol", "GET", "/me")
    assert not_yet.status_code == 404 and "join" in not_yet.json()["error"]["message"]
    joined = shop.as_shopper("carol", "POST", "/me/join")
    assert joined.status_code == 200 and joined.json()["balance"]["available"] == 100
    assert shop.as_shopper("carol", "POST", "/me/join").json()["balance"]["available"] == 100
    # A shopper the store has not synced yet becomes a customer known by the store's id.
    stranger = shop.as_shopper("dave-42", "POST", "/me/join")
    assert stranger.status_code == 200
    assert shop.ok("GET", "/api/v1/customers/by-external-id/dave-42")["source"] == "member_page"


def test_the_member_api_allows_calls_from_the_store_pages(members: Shop) -> None:
    preflight = members.client.options(
        "/member-api/v1/acme/me",
        headers={
            "Origin": "https://juniper.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Customer-Id, X-Customer-Signature, Idempotency-Key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    api = members.client.get(
        "/api/v1/loyalty/program", headers={"Origin": "https://evil.example.com", **members.store.auth}
    )
    assert "access-control-allow-origin" not in api.headers


def _page(shop: Shop, customer: str) -> str:
    signature = shop.shopper(customer)["X-Customer-Signature"]
    return f"/m/acme?customer={customer}&signature={signature}"


def test_the_member_page_redeems_and_shows_the_code(members: Shop) -> None:
    shop = members
    page = shop.client.get(_page(shop, "alice"))
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    assert 'data-testid="balance">1,000<' in page.text
    assert "€5 off" in page.text and "Spend them on a reward" not in page.text
    form = re.search(r'<form method="post" action="/m/acme/redeem".*?</form>', page.text, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    redeemed = shop.client.post("/m/acme/redeem", data=fields, follow_redirects=False)
    assert redeemed.status_code == 303
    twice = shop.client.post("/m/acme/redeem", data=fields, follow_redirects=False)
    assert twice.status_code == 303 and twice.headers["location"] == redeemed.headers["location"]
    shown = shop.client.get(redeemed.headers["location"])
    [code] = shop.loyalty("GET", f"/members/{shop.member('alice')['member_id']}/codes")
    assert f'data-testid="reward-code">{code["code"]}<' in shown.text
    assert 'data-testid="balance">700<' in shown.text


def test_the_member_page_refuses_a_bad_signature(members: Shop) -> None:
    shop = members
    page = shop.client.get("/m/acme?customer=alice&signature=" + "0" * 64)
    assert page.status_code == 401 and "does not match" in page.text
    assert shop.client.get("/m/acme").status_code == 401
    fields = {"customer": "alice", "signature": "0" * 64, "reward_id": "1", "request_key": "abcdefgh"}
    before = table_counts(shop.db, *LEDGER_TABLES)
    assert shop.client.post("/m/acme/redeem", data=fields).status_code == 401
    assert table_counts(shop.db, *LEDGER_TABLES) == before


def test_the_member_page_offers_to_join_and_uses_the_store_accent(shop: Shop) -> None:
    shop.settings(member_page_title="Juniper Club", member_page_accent="#2d6a4f", auto_enroll=False)
    shop.ok("POST", "/api/v1/customers", 201, json={"external_id": "erin"})
    shop.dispatch()
    page = shop.client.get(_page(shop, "erin"))
    assert "Join Juniper Club" in page.text
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    joined = shop.client.post("/m/acme/join", data=fields)
    assert joined.status_code == 200 and 'data-testid="balance">0<' in joined.text
    assert "--accent: #2d6a4f" in shop.client.get("/m/acme/theme.css").text
