"""An order's points through their life, driven through the orders API: refunds and returns taken back
pro rata per line (also once spent, per the negative-balance policy), cancellation, expiry under each
policy, and the delight jobs (surprises, anniversaries, badges)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.loyalty.shop import Shop

LINES = [("TEE", "Apparel", 3, 1000), ("MUG", "Home", 1, 1000)]  # 30 + 10 points


def test_refunds_take_back_the_refunded_lines_share_exactly(shop: Shop) -> None:
    order = shop.order("r", LINES)
    assert shop.balance("r") == (0, 40)
    shop.refund(order, {1: 1}, external_id="r1")
    assert shop.balance("r") == (0, 30)  # one tee of three: 10 of its 30 points
    shop.refund(order, {1: 2, 2: 1}, external_id="r2", kind="return")
    assert shop.balance("r") == (0, 0)
    history = [entry["description"] for entry in shop.history("r")]
    assert any(text.startswith("Refund on order") for text in history)
    assert any(text.startswith("Return on order") for text in history)
    again = shop.call(
        "POST", f"/api/v1/orders/{order['id']}/refunds", json={"external_id": "r1", "lines": []}
    )
    assert again.status_code == 200 and not again.json()["created"]  # the same refund again: nothing changes
    shop.dispatch()
    assert shop.balance("r") == (0, 0)
    shop.assert_ledger_clean()


def test_spent_points_are_clawed_back_down_to_zero_and_the_rest_written_off(shop: Shop) -> None:
    shop.reward("Voucher", 40)
    order = shop.order("s", LINES)
    shop.move(order["id"], "fulfilled")
    member_id = shop.member("s")["member_id"]
    shop.loyalty(
        "POST",
        f"/members/{member_id}/redemptions",
        201,
        json={"reward_id": 1},
        headers={"Idempotency-Key": "v"},
    )
    shop.adjust("s", 5, key="tip")
    assert shop.balance("s") == (5, 0)
    shop.refund(order, {1: 3, 2: 1}, external_id="all", kind="return")
    assert shop.balance("s") == (0, 0)
    overview = shop.loyalty("GET", "/overview")
    assert overview["points_issued"] == 0  # 40 issued, 40 taken back (5 recovered, 35 written off)
    shop.assert_ledger_clean()


def test_with_negative_balances_allowed_the_next_points_repay_the_debt(shop: Shop) -> None:
    shop.settings(negative_balance_policy="allow_negative")
    shop.reward("Voucher", 40)
    order = shop.order("n", LINES)
    shop.move(order["id"], "fulfilled")
    member_id = shop.member("n")["member_id"]
    shop.loyalty(
        "POST",
        f"/members/{member_id}/redemptions",
        201,
        json={"reward_id": 1},
        headers={"Idempotency-Key": "v"},
    )
    shop.refund(order, {1: 3}, external_id="tees", kind="return")
    assert shop.balance("n") == (-30, 0)
    next_order = shop.order("n", [("MUG", "Home", 5, 1000)])
    shop.move(next_order["id"], "fulfilled")
    assert shop.balance("n") == (20, 0)  # 50 new points, 30 of them paid the debt
    shop.assert_ledger_clean()


def test_cancelling_takes_back_everything_still_held(shop: Shop) -> None:
    order = shop.order("c", LINES)
    shop.refund(order, {2: 1}, external_id="mug")
    shop.move(order["id"], "cancelled")
    assert shop.balance("c") == (0, 0)
    assert "cancelled" in shop.history("c")[0]["description"]
    shop.assert_ledger_clean()


def test_points_expire_days_after_earning_and_show_as_expiring_soon(shop: Shop) -> None:
    shop.settings(expiry_policy="days_after_earning", expiry_amount=60)
    order = shop.order("e", LINES)
    shop.move(order["id"], "fulfilled")
    shop.later(days=40)
    [soon] = shop.member("e")["expiring_soon"]
    assert soon["points"] == 40
    shop.later(days=20, seconds=1)
    shop.run_jobs("loyalty.expire_due_lots")
    assert shop.balance("e") == (0, 0)
    assert shop.history("e")[0]["description"] == "40 points expired"
    assert shop.loyalty("GET", "/overview")["points_expired"] == 40


def test_points_expire_at_the_end_of_the_period(shop: Shop) -> None:
    shop.settings(expiry_policy="end_of_period", expiry_amount=0)
    order = shop.order("y", LINES)
    shop.move(order["id"], "fulfilled")
    shop.clock.set(datetime(2026, 12, 31, 22, 0, tzinfo=UTC))
    shop.run_jobs("loyalty.expire_due_lots")
    assert shop.balance("y") == (40, 0)
    shop.clock.set(datetime(2027, 1, 1, 0, 1, tzinfo=UTC))  # the store's time zone is UTC here
    shop.run_jobs("loyalty.expire_due_lots")
    assert shop.balance("y") == (0, 0)


def test_points_expire_after_months_of_inactivity(shop: Shop) -> None:
    shop.settings(expiry_policy="inactivity", expiry_amount=6)
    order = shop.order("i", LINES)
    shop.move(order["id"], "fulfilled")
    active = shop.order("active", LINES)
    shop.move(active["id"], "fulfilled")
    shop.later(days=120)
    shop.order("active", [("MUG", "Home", 1, 1000)])  # still buying
    shop.later(days=70)
    shop.run_jobs("loyalty.expire_inactive_members")
    assert shop.balance("i") == (0, 0)
    assert shop.balance("active")[0] == 40


def test_surprise_points_on_one_order_in_n_over_a_value(shop: Shop) -> None:
    shop.settings(surprise_one_in=1, surprise_min_order_total=3000, surprise_points=150)
    shop.order("small", [("MUG", "Home", 1, 1000)])
    shop.order("big", [*LINES, ("POT", "Garden", 1, 2000)])
    assert shop.balance("small") == (0, 10)
    assert shop.balance("big") == (150, 60)
    assert shop.history("big")[0]["description"].startswith("Surprise!")


def test_anniversary_reward_on_the_day_the_member_joined(shop: Shop) -> None:
    shop.rule("Happy anniversary", action="custom", custom_event="anniversary", points=300)
    shop.order("a")
    joined = shop.clock.now()
    shop.clock.set(joined + timedelta(days=364))
    shop.run_jobs("loyalty.anniversaries")
    assert shop.balance("a")[0] == 0
    shop.clock.set(joined + timedelta(days=365))
    shop.run_jobs("loyalty.anniversaries")
    shop.run_jobs("loyalty.anniversaries")
    assert shop.balance("a")[0] == 300


def test_badges_with_levels(shop: Shop) -> None:
    for _ in range(5):
        shop.order("b", [("MUG", "Home", 1, 1000)])
    badges = {badge["code"]: badge for badge in shop.member("b")["badges"]}
    shopper = badges["shopper"]
    assert shopper["level"] >= 2 and shopper["level_name"]
    events = shop.ok("GET", "/api/v1/events?type=loyalty.badge_awarded")["data"]
    assert [event["data"]["level"] for event in events if event["data"]["badge_code"] == "shopper"][:2] == [
        1,
        2,
    ]
