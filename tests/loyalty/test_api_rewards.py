"""The rewards catalogue and reward codes through the API: every kind of reward, prices per tier,
windows and early access, stock, tier and segment gating; redeeming (idempotent, never overdrawn), the
code's lifecycle (issued, used, expired, cancelled with points back) and the events the store acts on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import table_counts
from tests.loyalty.shop import Shop


def rich_member(shop: Shop, customer: str = "rich", points: int = 1000) -> int:
    shop.order(customer, [("A", None, 1, 100)])
    shop.adjust(customer, points, key=f"seed-{customer}")
    return shop.member(customer)["member_id"]  # type: ignore[no-any-return]


def redeem(shop: Shop, member_id: int, reward_id: int, key: str) -> Any:
    return shop.call(
        "POST",
        f"/api/v1/loyalty/members/{member_id}/redemptions",
        json={"reward_id": reward_id},
        headers={"Idempotency-Key": key},
    )


@pytest.mark.parametrize(
    ("kind", "value", "more"),
    [
        ("fixed_discount", 500, {}),
        ("percentage_discount", 10, {}),
        ("free_shipping", 0, {}),
        ("free_product", 0, {"product_sku": "SEEDS"}),
        ("store_credit", 1000, {}),
        ("custom", 0, {"description": "A 30-minute call with our garden expert"}),
    ],
)
def test_every_kind_of_reward_can_be_offered_and_redeemed(
    shop: Shop, kind: str, value: int, more: dict[str, Any]
) -> None:
    reward = shop.reward(f"A {kind}", 100, kind=kind, value=value, **more)
    member_id = rich_member(shop)
    response = redeem(shop, member_id, reward["id"], "k1")
    assert response.status_code == 201, response.text
    code = response.json()
    assert code["code"].startswith("LD-") and code["status"] == "issued" and code["points_spent"] == 100
    [event] = shop.ok("GET", "/api/v1/events?type=loyalty.reward_redeemed")["data"]
    assert event["data"]["code"] == code["code"]
    assert (event["data"]["reward_kind"], event["data"]["value"]) == (kind, value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "percentage_discount", "value": 150}, "body"),
        ({"kind": "fixed_discount", "value": 0}, "body"),
        ({"kind": "free_product", "value": 0}, "body"),
        ({"kind": "fixed_discount", "value": 500, "points_cost": 0}, "points_cost"),
        ({"kind": "fixed_discount", "value": 500, "tier_costs": {"999": 10}}, "tier_costs"),
        (
            {
                "kind": "fixed_discount",
                "value": 500,
                "available_from": "2026-04-01T00:00:00+00:00",
                "available_until": "2026-03-01T00:00:00+00:00",
            },
            "body",
        ),
    ],
)
def test_bad_rewards_are_refused(shop: Shop, body: dict[str, Any], field: str) -> None:
    before = table_counts(shop.db, "loyalty_rewards")
    response = shop.call("POST", "/api/v1/loyalty/rewards", json={"name": "x", "points_cost": 100, **body})
    assert response.status_code == 422
    assert any(problem["field"].startswith(field) for problem in response.json()["error"]["fields"]), (
        response.text
    )
    assert table_counts(shop.db, "loyalty_rewards") == before


def test_redemption_is_idempotent_and_never_overdraws(shop: Shop) -> None:
    five = shop.reward("€5 off", 400)
    ten = shop.reward("€10 off", 700)
    member_id = rich_member(shop, points=1000)
    first = redeem(shop, member_id, five["id"], "same-key").json()
    again = redeem(shop, member_id, five["id"], "same-key")
    assert again.status_code == 201 and again.json()["code"] == first["code"]
    assert shop.balance("rich")[0] == 600
    other = redeem(shop, member_id, ten["id"], "same-key")  # Stripe's rule: same key, other body
    assert other.status_code == 422 and "Idempotency-Key" in other.text

    counts = table_counts(shop.db, "loyalty_entries", "loyalty_reward_codes")
    short = redeem(shop, member_id, ten["id"], "k2")
    assert short.status_code == 409
    assert "100 more points" in short.json()["error"]["message"]
    assert table_counts(shop.db, "loyalty_entries", "loyalty_reward_codes") == counts
    assert shop.balance("rich")[0] == 600
    assert shop.loyalty("GET", f"/rewards/{ten['id']}")["issued_count"] == 0

    missing = shop.call(
        "POST", f"/api/v1/loyalty/members/{member_id}/redemptions", json={"reward_id": five["id"]}
    )
    assert missing.status_code == 422 and "Idempotency-Key" in missing.text
    shop.assert_ledger_clean()


def test_stock_runs_out(shop: Shop) -> None:
    session = shop.reward("Expert session", 100, kind="custom", value=0, stock=1)
    a = rich_member(shop, "a")
    b = rich_member(shop, "b")
    assert redeem(shop, a, session["id"], "a1").status_code == 201
    sold_out = redeem(shop, b, session["id"], "b1")
    assert sold_out.status_code == 409 and "sold out" in sold_out.json()["error"]["message"]
    assert shop.balance("b")[0] == 1000
    offers = shop.loyalty("GET", f"/members/{b}/offers")
    assert offers[0]["reason"] == "sold out" and offers[0]["reward"]["stock_left"] == 0
    lower = shop.call(
        "PUT",
        f"/api/v1/loyalty/rewards/{session['id']}",
        json={"name": "Expert session", "kind": "custom", "points_cost": 100, "stock": 0},
    )
    assert lower.status_code == 409


def test_tier_prices_gating_and_early_access(shop: Shop) -> None:
    bronze = shop.tier("Bronze", 0, 0)
    gold = shop.tier("Gold", 1, 50_000, perks=["early_access"])
    opens = shop.clock.now() + timedelta(days=3)
    members_only = shop.reward("Gold gift", 300, min_tier_rank=1, tier_costs={str(gold["id"]): 200})
    preview = shop.reward("Spring box", 100, available_from=opens.isoformat(), early_access_days=7)
    vip = shop.reward("VIP tote", 100, segments=["vip"])
    shop.order("gold", [("SOFA", None, 1, 60_000)])
    shop.adjust("gold", 1000, key="g")
    plain = rich_member(shop, "plain")
    gold_id = shop.member("gold")["member_id"]
    assert shop.member("gold")["tier"]["id"] == gold["id"] and bronze["id"] != gold["id"]

    gold_offers = {
        offer["reward"]["name"]: offer for offer in shop.loyalty("GET", f"/members/{gold_id}/offers")
    }
    plain_offers = {
        offer["reward"]["name"]: offer for offer in shop.loyalty("GET", f"/members/{plain}/offers")
    }
    assert gold_offers["Gold gift"]["points_cost"] == 200 and gold_offers["Gold gift"]["can_redeem"]
    assert plain_offers["Gold gift"]["reason"] == "for higher tiers only"
    assert gold_offers["Spring box"]["can_redeem"]
    assert (
        "opens on" in plain_offers["Spring box"]["reason"]
        and "early access" in plain_offers["Spring box"]["reason"]
    )
    assert plain_offers["VIP tote"]["reason"] == "for selected members only"

    assert redeem(shop, plain, members_only["id"], "p1").status_code == 409
    assert redeem(shop, plain, preview["id"], "p2").status_code == 409
    assert redeem(shop, plain, vip["id"], "p3").status_code == 409
    assert redeem(shop, gold_id, members_only["id"], "g1").json()["points_spent"] == 200
    assert redeem(shop, gold_id, preview["id"], "g2").status_code == 201
    assert shop.balance("plain")[0] == 1000


def test_code_used_by_an_order_then_cancelled_order_gives_points_back(shop: Shop) -> None:
    reward = shop.reward("€5 off", 500)
    member_id = rich_member(shop, "u")
    code = redeem(shop, member_id, reward["id"], "u1").json()["code"]
    order = shop.order("u", [("A", None, 1, 3000)], discount_codes=[code.lower()])
    [used] = shop.loyalty("GET", f"/members/{member_id}/codes")
    assert used["status"] == "used" and used["used_at"] is not None
    before = shop.balance("u")[0]
    shop.move(order["id"], "cancelled")
    [cancelled] = shop.loyalty("GET", f"/members/{member_id}/codes")
    assert cancelled["status"] == "cancelled"
    assert shop.balance("u")[0] == before + 500
    assert "cancelled" in shop.history("u")[0]["description"]
    shop.assert_ledger_clean()


def test_store_marks_a_code_used_or_cancels_it(shop: Shop) -> None:
    reward = shop.reward("€5 off", 500)
    member_id = rich_member(shop, "c")
    first = redeem(shop, member_id, reward["id"], "c1").json()["code"]
    second = redeem(shop, member_id, reward["id"], "c2").json()["code"]
    assert shop.balance("c")[0] == 0
    assert shop.loyalty("POST", f"/codes/{first}/use", json={})["status"] == "used"
    assert shop.loyalty("POST", f"/codes/{first}/use", json={})["status"] == "used"  # repeated: no change
    cancelled = shop.loyalty("POST", f"/codes/{second}/cancel", json={"reason": "Changed their mind"})
    assert cancelled["status"] == "cancelled"
    assert shop.balance("c")[0] == 500
    assert shop.history("c")[0]["description"].startswith("Changed their mind")
    again = shop.call("POST", f"/api/v1/loyalty/codes/{second}/use", json={})
    assert again.status_code == 409 and "cancelled" in again.json()["error"]["message"]
    assert shop.call("POST", "/api/v1/loyalty/codes/LD-NOPE0-NOPE0/use", json={}).status_code == 404
    changes = [
        event["data"]["status"]
        for event in shop.ok("GET", "/api/v1/events?type=loyalty.reward_code_changed")["data"]
    ]
    assert changes == ["used", "cancelled"]


def test_unused_codes_expire_and_keep_their_points_spent(shop: Shop) -> None:
    reward = shop.reward("€5 off", 500, code_valid_days=30)
    member_id = rich_member(shop, "e")
    code = redeem(shop, member_id, reward["id"], "e1").json()
    assert code["expires_at"] is not None
    shop.later(days=30, seconds=1)
    shop.run_jobs("loyalty.expire_codes")
    [expired] = shop.loyalty("GET", f"/members/{member_id}/codes")
    assert expired["status"] == "expired"
    assert shop.balance("e")[0] == 500
    refused = shop.call("POST", f"/api/v1/loyalty/codes/{code['code']}/cancel", json={"reason": "late"})
    assert refused.status_code == 409 and "expired" in refused.json()["error"]["message"]
