"""The loyalty tools for a signed-in member: balance with pending points (when they unlock and from which
order) and points expiring soon; rewards they can afford, redeemed in the chat through loyalty's own
redemption (too few points: refused, the ledger never negative; the same key twice: redeemed once); tier
progress; the referral link."""

from __future__ import annotations

from loyaldesk.assistant.tools.registry import ToolStatus
from loyaldesk.kernel.db import Database
from tests.assistant.tools.conftest import open_chat
from tests.factories import make_member
from tests.loyalty.shop import Shop


def test_balance_pending_and_expiring_points_with_dates_and_why(shop: Shop, db: Database) -> None:
    shop.settings(unlock_after_status="delivered", pending_days=14, expiry_policy="days_after_earning",
                  expiry_amount=60)  # fmt: skip
    first = shop.order("emma", external_id="1001", lines=[("TEE", "Apparel", 1, 4_000)])
    shop.move(first["id"], "delivered")
    shop.later(days=15)
    shop.run_jobs("loyalty.unlock_due_lots")
    shop.order("emma", external_id="1002", lines=[("MUG", "Home", 1, 2_000)])
    available, pending = shop.balance("emma")
    assert available > 0 and pending > 0
    shop.later(days=30)  # the first order's points now expire within 30 days
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    result = chat.ask("points_balance", "how many points do I have")
    assert result.status is ToolStatus.ANSWERED
    assert result.text.startswith(f"You have {available} points to spend.")
    assert f"Pending: {pending} points in all." in result.text
    assert "unlock once the order arrives" in result.text and "#1002" in result.text
    assert "expire on" in result.text
    assert result.facts["available_points"] == available and result.facts["pending_points"] == pending
    assert chat.ask("pending_points").facts["pending"][0]["why"].find("#1002") >= 0
    assert chat.ask("expiring_points").facts["expiring"][0]["points"] == available
    german = open_chat(db, shop.store.id, shop.customer_id("emma"), language="de")
    assert german.ask("points_balance").text.startswith(f"Sie haben {available} Punkte zum Einlösen.")


def test_redeem_lists_what_the_member_can_afford_then_redeems_once_per_key(shop: Shop, db: Database) -> None:
    small = shop.reward("5 EUR off", 50)
    shop.reward("Tote bag", 5_000)
    make_member(db, shop.store, "emma")
    shop.adjust("emma", 120, key="seed")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    listing = chat.ask("redeem_reward", "what can I redeem")
    assert listing.status is ToolStatus.NEEDS_SLOT and listing.missing == "reward"
    assert "5 EUR off (50 points)" in listing.text and "Tote bag" not in listing.text
    done = chat.ask("redeem_reward", key="redeem-1", reward="5 eur off")
    assert done.status is ToolStatus.DONE, done.text
    code = done.facts["code"]
    assert f"Your code is {code}." in done.text and "You have 70 points left." in done.text
    again = chat.ask("redeem_reward", key="redeem-1", reward=str(small["id"]))
    assert again.facts["code"] == code
    assert shop.balance("emma") == (70, 0)
    codes = shop.loyalty("GET", f"/members/{shop.member('emma')['member_id']}/codes")
    assert [c["code"] for c in codes] == [code]


def test_redeeming_without_enough_points_is_refused_and_changes_nothing(shop: Shop, db: Database) -> None:
    shop.reward("Tote bag", 500)
    make_member(db, shop.store, "emma")
    shop.adjust("emma", 120, key="seed")
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    refused = chat.ask("redeem_reward", key="r-1", reward="Tote bag")
    assert refused.status is ToolStatus.REFUSED
    assert "needs 380 more points" in refused.text
    assert shop.balance("emma") == (120, 0)
    assert shop.loyalty("GET", "/rewards")[0]["issued_count"] == 0
    unknown = chat.ask("redeem_reward", reward="a yacht")
    assert unknown.status is ToolStatus.NOT_FOUND


def test_tier_progress_and_referral_link(shop: Shop, db: Database) -> None:
    shop.settings(tier_metric="spend", tier_period="lifetime")
    shop.tier("Bronze", 0, 0)
    shop.tier("Silver", 1, 50_000)
    shop.order("emma", external_id="1001", lines=[("TEE", "Apparel", 1, 20_000)])
    chat = open_chat(db, shop.store.id, shop.customer_id("emma"))
    tier = chat.ask("tier_progress")
    assert tier.status is ToolStatus.ANSWERED, tier.text
    assert tier.text.startswith("Your tier is Bronze.") and "Silver" in tier.text
    assert tier.facts["next_tier"] == "Silver" and tier.facts["to_next"] == 30_000
    referral = chat.ask("referral")
    member = shop.member("emma")
    assert referral.status is ToolStatus.ANSWERED
    assert referral.facts["referral_link"] == member["referral"]["link"]
    assert f"/r/{shop.store.slug}/{referral.facts['referral_code']}" in referral.text
    assert referral.facts["referral_link"] in referral.text


def test_a_customer_who_is_not_a_member_is_told_so(shop: Shop, db: Database) -> None:
    from loyaldesk.customers import CustomerRef, resolve_customers

    [customer_id] = db.write(
        lambda uow: resolve_customers(uow, shop.store.id, [CustomerRef(external_id="walk-in")], source="api")
    )
    chat = open_chat(db, shop.store.id, customer_id)
    result = chat.ask("points_balance")
    assert result.status is ToolStatus.NOT_FOUND and "not a member" in result.text


def test_concurrent_redemptions_never_overdraw_and_one_key_redeems_once(shop: Shop, db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    shop.reward("5 EUR off", 100)
    make_member(db, shop.store, "emma")
    shop.adjust("emma", 150, key="seed")
    chats = [open_chat(db, shop.store.id, shop.customer_id("emma")) for _ in range(4)]
    # Four redemptions at once with points for one: exactly one goes through.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda n: chats[n].ask("redeem_reward", key=f"k-{n}", reward="5 EUR off"), range(4))
        )
    assert sorted(result.status for result in results) == [ToolStatus.DONE] + [ToolStatus.REFUSED] * 3
    assert shop.balance("emma") == (50, 0)
    # The same key four times at once: one redemption, one code.
    shop.adjust("emma", 200, key="more")
    with ThreadPoolExecutor(max_workers=4) as pool:
        same = list(pool.map(lambda chat: chat.ask("redeem_reward", key="same", reward="5 EUR off"), chats))
    assert {result.status for result in same} == {ToolStatus.DONE}
    assert len({result.facts["code"] for result in same}) == 1
    assert shop.balance("emma") == (150, 0)
