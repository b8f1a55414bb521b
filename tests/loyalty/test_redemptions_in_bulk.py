"""Member API redemptions that wait for the writer together are identified and redeemed in one call
(``redeem_as_shoppers``, as the write queue merges them): each is still checked against its own member's
balance as the ones before it leave it, a retried key gets the first code, and one shopper's bad
signature or empty balance refuses that request alone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loyaldesk.kernel.errors import DomainError, NotAuthenticated, NotFound
from loyaldesk.loyalty.actions import redeem_rewards as redemptions
from loyaldesk.loyalty.actions.post_entries import InsufficientPoints
from loyaldesk.loyalty.models import LedgerEntry, Reward
from loyaldesk.web.member.loyalty import ShopperRedemption, redeem_as_shoppers
from loyaldesk.web.member.shopper import ShopperHeaders
from tests.loyalty.shop import Shop


@pytest.fixture
def members(shop: Shop) -> Shop:
    shop.reward("€5 off", 300)
    for name in ("alice", "bob"):
        shop.order(name, [("A", None, 1, 100)])
    shop.adjust("alice", 700, key="a")  # two redemptions' worth, not three
    shop.adjust("bob", 300, key="b")
    return shop


def _asked(shop: Shop, reward_id: int, *requests: tuple[str, str]) -> list[ShopperRedemption]:
    asked = []
    for external_id, key in requests:
        headers = shop.shopper(external_id)
        claim = ShopperHeaders(
            shop.store.slug, external_id, headers["X-Customer-Signature"], None, "127.0.0.1"
        )
        asked.append(ShopperRedemption(claim, reward_id, key))
    return asked


def test_a_batch_checks_each_request_against_its_own_balance(members: Shop) -> None:
    shop = members
    reward_id = shop.loyalty("GET", "/rewards")[0]["id"]
    asked = _asked(
        shop,
        reward_id,
        ("alice", "1"),
        ("bob", "1"),
        ("alice", "2"),
        ("alice", "1"),  # alice's first request again (a retry): the same code, no new entry
        ("alice", "3"),  # 700 - 2 x 300 = 100 left: refused
        ("bob", "2"),  # bob spent his 300 above: refused
        ("carol", "1"),  # not a customer of the store
    )
    asked.append(
        ShopperRedemption(ShopperHeaders(shop.store.slug, "bob", "0" * 64, None, None), reward_id, "x")
    )
    outcomes = shop.db.write(redeem_as_shoppers, shop.store.slug, asked)

    alice_1, bob_1, alice_2, alice_1_again, alice_3, bob_2, carol, forged = outcomes
    assert isinstance(alice_1, redemptions.Redemption) and alice_1.created
    assert isinstance(bob_1, redemptions.Redemption) and isinstance(alice_2, redemptions.Redemption)
    assert isinstance(alice_1_again, redemptions.Redemption) and not alice_1_again.created
    assert alice_1_again.code.code == alice_1.code.code and alice_1.reward_name == "€5 off"
    assert isinstance(alice_3, InsufficientPoints) and "needs 200 more points" in str(alice_3)
    assert isinstance(bob_2, InsufficientPoints)
    assert isinstance(carol, NotFound) and isinstance(forged, NotAuthenticated)
    assert shop.balance("alice")[0] == 100 and shop.balance("bob")[0] == 0
    with shop.db.read() as session:
        redeemed = session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "redeem")
        )
        reward = session.get(Reward, reward_id)
        assert redeemed == 3 and reward is not None and reward.issued_count == 3

    # The same keys in a later batch are replays; a refused key can still succeed once points arrive.
    shop.adjust("alice", 200, key="more")
    again = shop.db.write(
        redeem_as_shoppers, shop.store.slug, _asked(shop, reward_id, ("alice", "2"), ("alice", "3"))
    )
    assert not isinstance(again[0], DomainError) and again[0].code.code == alice_2.code.code
    assert not isinstance(again[1], DomainError) and again[1].created
    assert shop.balance("alice")[0] == 0
    shop.assert_ledger_clean()


def test_stock_runs_out_inside_one_batch(members: Shop) -> None:
    shop = members
    shop.adjust("bob", 600, key="more")
    reward = shop.reward("Tote bag", 100, stock=2)
    outcomes = shop.db.write(
        redeem_as_shoppers,
        shop.store.slug,
        _asked(shop, reward["id"], ("alice", "t1"), ("bob", "t1"), ("bob", "t2")),
    )
    assert [type(outcome).__name__ for outcome in outcomes] == ["Redemption", "Redemption", "Conflict"]
    assert "sold out" in str(outcomes[2])
    assert shop.balance("bob")[0] == 800
    shop.assert_ledger_clean()
