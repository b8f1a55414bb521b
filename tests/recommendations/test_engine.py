"""The recommendation engine's rules on hand-made histories: repurchase timing, co-purchase, new
customers, the blend and the model's round trip through bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from loyaldesk.recommendations.engine import (
    EngineParams,
    FittedModel,
    customer_history,
    day_of,
    fit,
    recommend,
    score_components,
)
from loyaldesk.recommendations.rules.blend import DEFAULT_WEIGHTS, blend, resolve_weights, top_k
from loyaldesk.recommendations.rules.interactions import Interactions
from loyaldesk.recommendations.rules.items import item_key
from loyaldesk.recommendations.rules.metrics import ranking_metrics
from loyaldesk.recommendations.vocab import Method, ReasonKind

START = datetime(2026, 1, 1, tzinfo=UTC)
SMALL = EngineParams(
    als_factors=4, als_iterations=3, knn_neighbours=10, copurchase_neighbours=10, copurchase_min_support=1
)


class History:
    """Builds interactions: ``buy(customer, day, *items)`` is one order."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, float, int]] = []
        self.orders = 0
        self.categories: dict[str, str] = {}

    def buy(self, customer: int, day: float, *items: str) -> None:
        self.orders += 1
        for item in items:
            self.rows.append((customer, item, day_of(START) + day, self.orders))

    def interactions(self) -> Interactions:
        customers, items, days, baskets = zip(*self.rows, strict=True)
        keys = set(items)
        return Interactions(
            np.array(customers),
            np.array(items, dtype=object),
            np.array(days),
            np.ones(len(days)),
            np.array(baskets),
            {key: key.title() for key in keys},
            {k: v for k, v in self.categories.items()},
        )

    def of(self, customer: int) -> tuple[list[str], list[float], list[int]]:
        rows = [row for row in self.rows if row[0] == customer]
        return [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]


def _world() -> History:
    world = History()
    for day in (0, 30, 60, 90):  # the coffee drinker
        world.buy(1, day, "coffee")
    world.buy(1, 10, "kettle")
    for customer in range(2, 22):  # mugs go with coffee; a filter with it in several baskets
        world.buy(customer, customer, "coffee", "mug")
        world.buy(customer, customer + 40, "filter", "coffee" if customer % 2 else "tea")
    for customer in range(22, 32):
        world.buy(customer, customer, "teapot", "tea")
    return world


def test_item_key_prefers_the_product_id_and_skips_lines_without_either() -> None:
    assert item_key("p-1", "SKU") == "p-1"
    assert item_key(None, " SKU ") == "SKU"
    assert item_key("  ", "SKU") == "SKU"
    assert item_key(None, None) is None and item_key("", "") is None


def test_a_customer_who_buys_coffee_every_30_days_gets_it_when_due() -> None:
    world = _world()
    model = fit(world.interactions(), params=SMALL)
    items, days, baskets = world.of(1)
    history = customer_history(model, items, days, baskets=baskets)
    due = START + timedelta(days=118)
    [first, *_] = recommend(model, history, due, 5, {"repurchase": 1.0})
    assert first.item_key == "coffee" and first.reason_kind is ReasonKind.REPURCHASE
    assert first.method is Method.REPURCHASE
    assert first.reason_params["days"] == 30 and first.reason_params["own_interval"] is True
    assert first.reason_params["last_bought"] == (START + timedelta(days=90)).date().isoformat()
    assert first.reason_params["title"] == "Coffee"
    # the blend (default weights) puts it first too
    assert recommend(model, history, due, 5)[0].item_key == "coffee"
    # just after buying, it is less due than when its interval came round
    coffee = model.index["coffee"]
    scores = {
        offset: score_components(model, history, day_of(START + timedelta(days=offset))).components[
            "repurchase"
        ][coffee]
        for offset in (91, 118)
    }
    assert scores[91] < scores[118]


def test_co_purchase_names_the_item_it_is_bought_with() -> None:
    world = _world()
    world.buy(99, 100, "coffee")
    model = fit(world.interactions(), params=SMALL)
    items, days, baskets = world.of(99)
    history = customer_history(model, items, days, baskets=baskets)
    picks = recommend(model, history, START + timedelta(days=101), 3, {"copurchase": 1.0})
    assert picks[0].item_key == "mug"
    assert picks[0].reason_kind is ReasonKind.BOUGHT_WITH and picks[0].method is Method.COPURCHASE
    assert (
        picks[0].reason_params["other_key"] == "coffee" and picks[0].reason_params["other_title"] == "Coffee"
    )
    similar = recommend(model, history, START + timedelta(days=101), 3, {"item_knn": 1.0})
    assert similar[0].reason_kind is ReasonKind.SIMILAR and similar[0].reason_params["other_key"] == "coffee"
    assert all(
        pick.reason_kind is ReasonKind.FOR_YOU for pick in recommend(model, history, START, 3, {"als": 1})
    )


def test_a_new_customer_gets_bestsellers_of_their_first_category() -> None:
    world = _world()
    world.categories = {"tea": "Tea", "teapot": "Tea", "coffee": "Coffee", "mug": "Home", "filter": "Coffee"}
    world.buy(100, 100, "teapot")
    model = fit(world.interactions(), params=SMALL)
    items, days, baskets = world.of(100)
    history = customer_history(model, items, days, baskets=baskets, categories=["Tea"])
    picks = recommend(model, history, START + timedelta(days=101), 3, {"popularity": 1.0})
    assert picks[0].item_key in {"tea", "teapot"}
    assert (
        picks[0].reason_kind is ReasonKind.POPULAR_IN_CATEGORY and picks[0].reason_params["category"] == "Tea"
    )
    # with the default blend, their category's bestseller is among their first picks, saying so
    blended = recommend(model, history, START + timedelta(days=101), 3)
    assert any(
        pick.item_key == "tea" and pick.reason_kind is ReasonKind.POPULAR_IN_CATEGORY for pick in blended
    )
    # somebody the model has never seen (no known items) gets bestsellers, never an error
    stranger = customer_history(model, ["unknown"], [day_of(START)])
    fallback = recommend(model, stranger, START, 3)
    assert fallback and fallback[0].item_key == "coffee" and fallback[0].reason_kind is ReasonKind.BESTSELLER
    nobody = customer_history(model, [], [])
    assert [c.item_key for c in recommend(model, nobody, START, 3)] == [c.item_key for c in fallback]


def test_the_blend_weighs_normalised_scores_and_names_the_leading_method() -> None:
    components = {"repurchase": np.array([4.0, 0.0, 2.0]), "als": np.array([0.0, 10.0, 5.0])}
    scores, leader = blend(components, {"repurchase": 1.0, "als": 0.5})
    assert scores.tolist() == pytest.approx([1.0, 0.5, 0.75])
    assert top_k(scores, 2).tolist() == [0, 2]
    assert leader[1] == 4  # ALS's index in SINGLE_METHODS
    assert resolve_weights({}) == DEFAULT_WEIGHTS
    assert resolve_weights({"als": 1.0, "nonsense": 3.0, "popularity": -1})["als"] == 1.0
    assert resolve_weights({"als": 1.0})["repurchase"] == 0.0


def test_the_model_survives_its_bytes_and_empty_history_fits() -> None:
    world = _world()
    model = fit(world.interactions(), params=SMALL)
    again = FittedModel.from_bytes(model.to_bytes())
    items, days, baskets = world.of(5)
    now = START + timedelta(days=120)
    first = recommend(model, customer_history(model, items, days, baskets=baskets), now, 5)
    second = recommend(again, customer_history(again, items, days, baskets=baskets), now, 5)
    assert [(c.item_key, c.reason_kind, c.reason_params) for c in first] == [
        (c.item_key, c.reason_kind, c.reason_params) for c in second
    ]
    assert again.params == SMALL and again.weights == model.weights
    empty = fit(Interactions(np.zeros(0), np.zeros(0, dtype=object), np.zeros(0), np.zeros(0)), params=SMALL)
    assert empty.n_items == 0
    assert (
        recommend(FittedModel.from_bytes(empty.to_bytes()), customer_history(empty, [], []), START, 5) == []
    )


def test_ranking_metrics() -> None:
    hit, ndcg, recall = ranking_metrics(np.array([5, 3, 1]), {3, 9}, 10)
    assert hit == 1.0 and recall == 0.5
    assert ndcg == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert ranking_metrics(np.array([1]), {2}, 10) == (0.0, 0.0, 0.0)
