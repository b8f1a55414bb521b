"""The read-time re-ranking of stored picks (``recommendations.rules.reranking``): every filter drops
what it should and nothing else, every boost moves what it should, ties keep the fit's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.recommendations.rules.reranking import (
    BOOSTS,
    CHURN_THRESHOLD,
    Candidate,
    CatalogueItem,
    RewardOffer,
    Rules,
    Shopper,
    is_consumable,
    margin_of,
    rerank,
    reward_cost,
    sizes_of,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def cand(key: str, rank: int, score: float = 1.0, kind: str = "for_you", **params: object) -> Candidate:
    return Candidate(item_key=key, rank=rank, score=score, reason_kind=kind, reason_params=params)


def item(pid: int, title: str = "", **facts: object) -> CatalogueItem:
    return CatalogueItem(product_id=pid, title=title or f"item {pid}", **facts)  # type: ignore[arg-type]


def keys(ranked: list) -> list[str]:  # type: ignore[type-arg]
    return [entry.candidate.item_key for entry in ranked]


def run(candidates, catalogue=None, rewards=None, shopper=None, rules=None, limit=10):  # type: ignore[no-untyped-def]
    return rerank(
        candidates, catalogue or {}, rewards or {}, shopper or Shopper(), rules or Rules(), NOW, limit
    )


# -- order and limits -------------------------------------------------------------------------------


def test_without_facts_the_fit_order_stands_and_the_limit_cuts() -> None:
    picks = [cand("a", 0, 0.9), cand("b", 1, 0.5), cand("c", 2, 0.1)]
    assert keys(run(picks)) == ["a", "b", "c"]
    assert keys(run(picks, limit=2)) == ["a", "b"]
    assert run(picks, limit=0) == [] and run([], limit=5) == []


def test_equal_scores_keep_the_stored_rank() -> None:
    picks = [cand(key, rank, 0.5) for rank, key in enumerate("dcba")]
    assert keys(run(picks)) == ["d", "c", "b", "a"]


def test_scores_are_scaled_so_the_best_starts_at_one() -> None:
    ranked = run([cand("a", 0, 40.0), cand("b", 1, 20.0), cand("c", 2, 0.0)])
    assert [entry.final_score for entry in ranked] == [1.0, 0.5, 0.0]


def test_an_item_without_a_catalogue_row_keeps_the_title_and_category_it_remembers() -> None:
    [entry] = run([cand("sku-9", 0, title="Old mug", category="Home")])
    assert entry.title == "Old mug" and entry.category == "Home" and entry.item is None
    [bare] = run([cand("sku-9", 0)])
    assert bare.title == "sku-9" and bare.category is None


def test_the_catalogue_title_and_category_win_over_the_remembered_ones() -> None:
    [entry] = run([cand("k", 0, title="Old", category="Old cat")], {"k": item(1, "New", category="New cat")})
    assert (entry.title, entry.category) == ("New", "New cat")


# -- filters ----------------------------------------------------------------------------------------


def test_archived_products_are_never_shown() -> None:
    catalogue = {"a": item(1, active=False), "b": item(2)}
    assert keys(run([cand("a", 0), cand("b", 1)], catalogue)) == ["b"]


@pytest.mark.parametrize(
    ("in_stock", "in_stock_only", "shown"),
    [(False, True, False), (False, False, True), (None, True, True), (True, True, True)],
)
def test_stock(in_stock: bool | None, in_stock_only: bool, shown: bool) -> None:
    ranked = run([cand("a", 0)], {"a": item(1, in_stock=in_stock)}, rules=Rules(in_stock_only=in_stock_only))
    assert bool(ranked) is shown


def test_the_stores_categories_and_the_placements_narrow_case_insensitively() -> None:
    catalogue = {"a": item(1, category="Coffee"), "b": item(2, category="Tea"), "c": item(3)}
    picks = [cand("a", 0), cand("b", 1), cand("c", 2)]
    assert keys(run(picks, catalogue, rules=Rules(allowed_categories=("coffee", "tea")))) == ["a", "b"]
    assert keys(run(picks, catalogue, rules=Rules(wanted_categories=("TEA",)))) == ["b"]
    # The placement cannot widen the store's list.
    assert (
        keys(run(picks, catalogue, rules=Rules(allowed_categories=("Coffee",), wanted_categories=("Tea",))))
        == []
    )


def test_campaign_items_and_exclusions() -> None:
    picks = [cand("a", 0), cand("b", 1), cand("c", 2)]
    assert keys(run(picks, rules=Rules(item_keys=("c", "a")))) == ["a", "c"]
    assert keys(run(picks, rules=Rules(exclude_item_keys=("a",)))) == ["b", "c"]


def test_categories_the_customer_excluded_are_dropped() -> None:
    catalogue = {"a": item(1, category="Meat"), "b": item(2, category="Veg")}
    shopper = Shopper(excluded_categories=("meat",))
    assert keys(run([cand("a", 0), cand("b", 1)], catalogue, shopper=shopper)) == ["b"]


def test_a_size_the_product_does_not_come_in_is_dropped_and_a_fitting_one_boosted() -> None:
    catalogue = {
        "small": item(1, category="Shoes", sizes=("38", "39")),
        "mine": item(2, category="Shoes", sizes=("42", "43")),
        "shirt": item(3, category="Shirts", sizes=("S",)),
        "plain": item(4, category="Shoes"),
    }
    shopper = Shopper(sizes={"shoes": "42"})
    picks = [cand("small", 0, 1.0), cand("shirt", 1, 0.9), cand("plain", 2, 0.8), cand("mine", 3, 0.8)]
    ranked = run(picks, catalogue, shopper=shopper)
    assert "small" not in keys(ranked)
    assert "size" in next(entry for entry in ranked if entry.candidate.item_key == "mine").boosts
    # No size told for shirts, none known for "plain": both stay, unboosted.
    assert {"shirt", "plain"} <= set(keys(ranked))


def test_a_recently_bought_non_consumable_is_left_out_for_the_stores_days() -> None:
    catalogue = {"lamp": item(1, category="Home")}
    bought = Shopper(recently_bought={"lamp": NOW - timedelta(days=10)})
    assert run([cand("lamp", 0)], catalogue, shopper=bought, rules=Rules(exclude_bought_days=30)) == []
    assert keys(run([cand("lamp", 0)], catalogue, shopper=bought, rules=Rules(exclude_bought_days=5))) == [
        "lamp"
    ]
    # 0 days: never left out.
    assert keys(run([cand("lamp", 0)], catalogue, shopper=bought, rules=Rules(exclude_bought_days=0))) == [
        "lamp"
    ]


@pytest.mark.parametrize(
    ("facts", "rules", "kind"),
    [
        ({"consumable": True}, Rules(), "for_you"),
        ({"category": "Coffee"}, Rules(consumable_categories=("coffee",)), "for_you"),
        ({}, Rules(), "repurchase"),
    ],
    ids=["catalogue-says", "store-category", "repurchase-reason"],
)
def test_a_consumable_bought_recently_is_still_picked(facts: dict, rules: Rules, kind: str) -> None:  # type: ignore[type-arg]
    catalogue = {"beans": item(1, **facts)}
    shopper = Shopper(recently_bought={"beans": NOW - timedelta(days=1)})
    assert keys(run([cand("beans", 0, kind=kind)], catalogue, shopper=shopper, rules=rules)) == ["beans"]


def test_is_consumable_needs_one_of_its_three_signs() -> None:
    plain = cand("x", 0)
    assert not is_consumable(plain, item(1, consumable=False), "Home", Rules())
    assert not is_consumable(plain, None, None, Rules(consumable_categories=("Coffee",)))
    assert is_consumable(plain, None, "coffee", Rules(consumable_categories=("Coffee",)))


# -- boosts -----------------------------------------------------------------------------------------


def test_interests_lift_a_category_past_a_close_neighbour() -> None:
    catalogue = {"a": item(1, category="Tea"), "b": item(2, category="Coffee")}
    picks = [cand("a", 0, 1.0), cand("b", 1, 0.9), cand("c", 2, 0.0)]
    ranked = run(picks, catalogue, shopper=Shopper(interests=("coffee",)))
    assert keys(ranked) == ["b", "a", "c"] and ranked[0].boosts == ("interest",)


def test_margin_lifts_by_at_most_its_weight() -> None:
    assert margin_of(item(1, price=1000, cost=600)) == pytest.approx(0.4)
    assert margin_of(item(1, price=1000)) is None and margin_of(item(1, price=0, cost=5)) is None
    assert margin_of(item(1, price=100, cost=300)) == 0.0 and margin_of(None) is None
    catalogue = {"a": item(1, price=1000, cost=900), "b": item(2, price=1000, cost=100)}
    ranked = run([cand("a", 0, 1.0), cand("b", 1, 0.95), cand("z", 2, 0.0)], catalogue)
    assert keys(ranked)[:2] == ["b", "a"]
    assert ranked[0].final_score == pytest.approx(0.95 + BOOSTS["margin"] * 0.9)


def test_a_reward_the_customer_can_afford_is_marked_and_lifted() -> None:
    rewards = {"a": RewardOffer(reward_id=7, points_cost=500), "b": RewardOffer(reward_id=8, points_cost=100)}
    picks = [cand("a", 0, 1.0), cand("b", 1, 0.95), cand("z", 2, 0.0)]
    ranked = run(picks, rewards=rewards, shopper=Shopper(points_balance=200))
    assert keys(ranked)[:2] == ["b", "a"]
    by_key = {entry.candidate.item_key: entry for entry in ranked}
    assert by_key["b"].affordable and by_key["b"].reward == RewardOffer(8, 100)
    assert not by_key["a"].affordable and by_key["a"].reward == RewardOffer(7, 500)
    # No membership: costs shown, never affordable.
    assert not any(entry.affordable for entry in run(picks, rewards=rewards))
    # Exactly the balance is affordable.
    assert run([cand("a", 0)], rewards=rewards, shopper=Shopper(points_balance=500))[0].affordable


def test_a_customer_drifting_away_gets_what_they_rebuy_and_can_afford_first() -> None:
    picks = [cand("new", 0, 1.0), cand("again", 1, 0.8, kind="repurchase"), cand("z", 2, 0.0)]
    steady = run(picks, shopper=Shopper(churn_risk=0.2))
    assert keys(steady)[:2] == ["new", "again"]
    drifting = run(picks, shopper=Shopper(churn_risk=0.9))
    assert keys(drifting)[:2] == ["again", "new"] and "churn" in drifting[0].boosts
    assert drifting[0].final_score == pytest.approx(0.8 + BOOSTS["churn"] * 0.9)
    valuable = run(picks, shopper=Shopper(churn_risk=0.9, value=120.0))
    assert valuable[0].final_score == pytest.approx(0.8 + BOOSTS["churn"] * 0.9 + BOOSTS["valuable"])
    # Just below the threshold nothing changes.
    assert keys(run(picks, shopper=Shopper(churn_risk=CHURN_THRESHOLD - 0.01)))[:2] == ["new", "again"]


def test_boosts_reorder_neighbours_not_the_whole_list() -> None:
    """Every boost at once is worth less than the distance from the first to the last of a long list."""
    total = BOOSTS["interest"] + BOOSTS["margin"] + BOOSTS["affordable"] + BOOSTS["size"] + BOOSTS["churn"]
    assert total + BOOSTS["valuable"] < 1.0


# -- helpers --------------------------------------------------------------------------------------------


def test_reward_cost_takes_the_tiers_price_when_set() -> None:
    assert reward_cost(500, {"3": 400}, 3) == 400
    assert reward_cost(500, {"3": 400}, 4) == 500
    assert reward_cost(500, {}, 3) == 500 and reward_cost(500, None, None) == 500
    assert reward_cost(500, {"3": True}, 3) == 500  # not a number of points


def test_sizes_of_reads_size_or_sizes() -> None:
    assert sizes_of({"size": "M"}) == ("M",)
    assert sizes_of({"sizes": ["S", "M", 42]}) == ("S", "M", "42")
    assert sizes_of({"size": "M", "sizes": ["M", "L"]}) == ("M", "L")
    assert sizes_of({}) == () and sizes_of(None) == () and sizes_of({"size": {"eu": 42}}) == ()


@given(
    st.lists(st.tuples(st.floats(0, 100), st.booleans(), st.booleans()), min_size=0, max_size=30),
    st.integers(0, 40),
)
def test_never_more_than_the_limit_and_never_a_dropped_item(
    rows: list[tuple[float, bool, bool]], limit: int
) -> None:
    picks = [cand(f"k{i}", i, score) for i, (score, _, _) in enumerate(rows)]
    catalogue = {f"k{i}": item(i, in_stock=stock, active=active) for i, (_, stock, active) in enumerate(rows)}
    ranked = run(picks, catalogue, limit=limit)
    assert len(ranked) <= limit
    assert all(entry.item is not None and entry.item.active and entry.item.in_stock for entry in ranked)
    scores = [entry.final_score for entry in ranked]
    assert scores == sorted(scores, reverse=True)
