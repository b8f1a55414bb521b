"""The tier lifecycle through the API with a fake clock: qualification over a rolling year, upgrade at
once with the entry reward, "to reach" and "to keep", downgrade only after the retention period and its
grace, manual override as a floor, paid membership until it lapses, tier-change events; and the ladder's
validation."""

from __future__ import annotations

from typing import Any

from tests.factories import table_counts
from tests.loyalty.shop import Shop


def ladder(shop: Shop) -> dict[str, dict[str, Any]]:
    shop.settings(tier_metric="spend", tier_period="rolling_12_months", tier_grace_days=30)
    return {
        "Bronze": shop.tier("Bronze", 0, 0),
        "Silver": shop.tier("Silver", 1, 50_000, earn_multiplier="1.25", entry_reward_points=200),
        "Gold": shop.tier(
            "Gold",
            2,
            150_000,
            earn_multiplier="1.5",
            perks=["free_shipping", "priority_support"],
            support_priority="high",
            membership_sku="CLUB",
            membership_days=30,
        ),
    }


def tier_events(shop: Shop) -> list[dict[str, Any]]:
    page = shop.ok("GET", "/api/v1/events?type=loyalty.tier_changed&limit=500")
    return [event["data"] for event in page["data"]]


def test_upgrade_at_once_keep_for_a_year_then_downgrade_after_grace(shop: Shop) -> None:
    ladder(shop)
    shop.order("t", [("SOFA", "Furniture", 1, 30_000)])
    member = shop.member("t")
    assert member["tier"]["name"] == "Bronze"
    assert member["tier_progress"]["next_tier"] == "Silver"
    assert member["tier_progress"]["to_next_tier"] == 20_000
    assert any(
        "€200.00" in sentence and "Silver" in sentence for sentence in member["tier_progress"]["sentences"]
    )

    shop.later(days=10)
    shop.order("t", [("TABLE", "Furniture", 1, 25_000)])
    member = shop.member("t")
    assert member["tier"]["name"] == "Silver"
    assert member["balance"]["pending"] == 300 + 250
    assert member["balance"]["available"] == 200  # Silver's entry reward
    [upgrade] = tier_events(shop)
    assert (upgrade["from_tier"], upgrade["to_tier"], upgrade["direction"]) == (
        "Bronze",
        "Silver",
        "upgraded",
    )
    assert member["tier_progress"]["kept_tier"] == "Silver"

    # Silver is kept 365 days from the order that crossed the threshold, then 30 days of grace.
    shop.later(days=365 + 29)
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("t")["tier"]["name"] == "Silver"
    shop.later(days=2)
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("t")["tier"]["name"] == "Bronze"
    downgrade = tier_events(shop)[-1]
    assert (downgrade["to_tier"], downgrade["direction"]) == ("Bronze", "downgraded")

    # Earning Silver again pays no second entry reward.
    available = shop.balance("t")[0]
    shop.order("t", [("SOFA", "Furniture", 1, 60_000)])
    assert shop.member("t")["tier"]["name"] == "Silver"
    assert shop.balance("t")[0] == available
    shop.assert_ledger_clean()


def test_a_new_order_in_time_renews_the_tier(shop: Shop) -> None:
    ladder(shop)
    shop.order("r", [("SOFA", None, 1, 50_000)])
    shop.later(days=300)
    shop.order("r", [("SOFA", None, 1, 50_000)])
    shop.later(days=100)
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("r")["tier"]["name"] == "Silver"


def test_override_is_a_floor_not_a_ceiling(shop: Shop) -> None:
    tiers = ladder(shop)
    shop.order("o", [("SOFA", None, 1, 60_000)])
    member_id = shop.member("o")["member_id"]
    override = shop.loyalty(
        "PUT", f"/members/{member_id}/tier-override", json={"tier_id": tiers["Gold"]["id"]}
    )
    assert override["tier"]["name"] == "Gold"
    floor = shop.loyalty(
        "PUT", f"/members/{member_id}/tier-override", json={"tier_id": tiers["Bronze"]["id"]}
    )
    assert floor["tier"]["name"] == "Silver"  # qualified Silver beats a Bronze floor
    cleared = shop.loyalty("PUT", f"/members/{member_id}/tier-override", json={"tier_id": None})
    assert cleared["tier"]["name"] == "Silver"


def test_paid_membership_grants_the_tier_until_it_lapses(shop: Shop) -> None:
    ladder(shop)
    shop.order("club", [("CLUB", "Membership", 1, 4_900)])
    member = shop.member("club")
    assert member["tier"]["name"] == "Gold"
    assert set(member["tier"]["perks"]) == {"free_shipping", "priority_support"}
    shop.later(days=29)
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("club")["tier"]["name"] == "Gold"
    shop.later(days=2)
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("club")["tier"]["name"] == "Bronze"


def test_renewing_a_membership_extends_it(shop: Shop) -> None:
    ladder(shop)
    shop.order("renew", [("CLUB", "Membership", 1, 4_900)])
    shop.later(days=20)
    shop.order("renew", [("CLUB", "Membership", 1, 4_900)])
    shop.later(days=35)  # 55 days after the first purchase: inside the 60 bought
    shop.run_jobs("loyalty.review_due_tiers")
    assert shop.member("renew")["tier"]["name"] == "Gold"


def test_order_count_qualification_over_a_calendar_year(shop: Shop) -> None:
    shop.settings(tier_metric="orders", tier_period="calendar_year", tier_grace_days=0)
    shop.tier("Member", 0, 0)
    shop.tier("Regular", 1, 3)
    for _ in range(3):
        shop.order("count", [("A", None, 1, 1000)])
    member = shop.member("count")
    assert member["tier"]["name"] == "Regular"
    assert member["tier_progress"]["metric"] == "orders"


def test_the_ladder_must_make_sense(shop: Shop) -> None:
    ladder(shop)
    before = table_counts(shop.db, "loyalty_tiers")
    for body, field in [
        ({"name": "Again", "rank": 1, "threshold": 70_000}, "rank"),
        ({"name": "Cheap", "rank": 3, "threshold": 100}, "threshold"),
        ({"name": "Base 2", "rank": 4, "threshold": 0}, "threshold"),
        ({"name": "Club 2", "rank": 5, "threshold": 900_000, "membership_sku": "CLUB"}, "membership_sku"),
        ({"name": "Odd", "rank": 6, "threshold": 900_000, "perks": ["teleport"]}, "perks"),
    ]:
        response = shop.call("POST", "/api/v1/loyalty/tiers", json=body)
        assert response.status_code == 422, (body, response.text)
        assert any(field in problem["field"] for problem in response.json()["error"]["fields"]), response.text
    assert table_counts(shop.db, "loyalty_tiers") == before
