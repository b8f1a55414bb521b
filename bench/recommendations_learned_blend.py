"""Experiment (issue 17): a gradient-boosted learned ranker as the blend, against the linear blend.
NOT used by the product: it did not beat the linear blend by the bar set for shipping it (>= +2 %
relative on BOTH hit@10 and nDCG@10 on BOTH splits); see the figures below.

    .venv/bin/python bench/recommendations_learned_blend.py \
        ../shared/data/online_retail/online_retail_2010-12_to_2011-12.parquet [--splits 2011-09-01,2011-06-01]

Protocol, per split S (test S..S+3 months, customers with a purchase in both, as ``recommend evaluate``):
the ranker's training examples come from INSIDE the training period only: the engine fitted as of
V = S - 3 months on data before V, labels = bought in V..S; and a second window fitted as of V - 1.5
months (labels V-1.5m..V+1.5m). Then the engine is refitted as of S on data before S, the candidates are
ranked by the classifier, and the test window is scored once. Candidates: the union of each method's
top 50 for the customer. Features: every method's raw and max-normalised score and rank, the linear
blend, times bought, decayed frequency, days since bought, that over the customer's own and the
population's interval, the re-buy rate, popularity rank, the customer's orders, days since last and
first order, main category, distinct items; with ``--trend`` also the item's age in the catalogue and
its buyers in the last 14/30/90 days with two trend ratios.

Measured 2026-12-07 (2 vCPU, shared): see the report of branch h17-learned-blend; in short, with the
trend features, S = 2011-09-01: hit 0.8307 / nDCG 0.3973 vs linear 0.8269 / 0.3880 (+0.5 % / +2.4 %);
S = 2011-06-01: 0.8603 / 0.4251 vs linear tuned before the split 0.8611 / 0.4145 (-0.1 % / +2.6 %).
Paired-bootstrap 95 % intervals of the hit@10 change include 0 on both splits (nDCG's do not). Without
the trend features the ranker is within +-0.5 % of the linear blend on hit and +0 to +2 % on nDCG.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from loyaldesk.recommendations.engine import FittedModel, day_of, fit, one_blas_thread, score_components
from loyaldesk.recommendations.evaluation import _cases, load_order_files, split
from loyaldesk.recommendations.rules.blend import DEFAULT_WEIGHTS, SINGLE_METHODS, normalise, top_k
from loyaldesk.recommendations.rules.history import History
from loyaldesk.recommendations.rules.interactions import Interactions
from loyaldesk.recommendations.rules.metrics import ranking_metrics

POOL = 50
TEST_DAYS = 30.4375 * 3
FEATURES = (
    *(f"{m.value}_raw" for m in SINGLE_METHODS),
    *(f"{m.value}_norm" for m in SINGLE_METHODS),
    *(f"{m.value}_rank" for m in SINGLE_METHODS),
    "linear_blend",
    "times_bought",
    "affinity",
    "days_since_bought",
    "elapsed_over_own_interval",
    "elapsed_over_population_interval",
    "own_interval",
    "population_interval",
    "rebuy_rate",
    "popularity_rank",
    "orders",
    "days_since_last_order",
    "days_since_first_order",
    "in_main_category",
    "distinct_items",
)
TREND_FEATURES = ("item_age", "buyers_14d", "buyers_30d", "buyers_90d", "trend_14_90", "trend_30_90")
CONFIGS: dict[str, dict[str, Any]] = {
    "hgb_leaves15": {
        "max_iter": 100,
        "learning_rate": 0.1,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 100,
        "early_stopping": False,
    },
    "hgb_leaves7_300": {
        "max_iter": 300,
        "learning_rate": 0.05,
        "max_leaf_nodes": 7,
        "min_samples_leaf": 200,
        "l2_regularization": 1.0,
        "early_stopping": False,
    },
}


def _ranks(scores: np.ndarray, items: np.ndarray, cap: int) -> np.ndarray:
    value = scores[items]
    better = np.searchsorted(np.sort(-scores[scores > 0]), -value, side="left") + 1
    return np.where(value > 0, np.minimum(better, cap), cap).astype(np.float64)


def features(
    model: FittedModel,
    components: Mapping[str, np.ndarray],
    history: History,
    items: np.ndarray,
    now: float,
    affinity: np.ndarray,
    popularity_rank: np.ndarray,
) -> np.ndarray:
    cap = 10 * POOL
    raw = [components[m.value][items] for m in SINGLE_METHODS]
    norm = [normalise(components[m.value])[items] for m in SINGLE_METHODS]
    ranks = [_ranks(components[m.value], items, cap) for m in SINGLE_METHODS]
    linear = sum(DEFAULT_WEIGHTS[m.value] * part for m, part in zip(SINGLE_METHODS, norm, strict=True))
    n_items = model.n_items
    categories = model.category_codes.astype(np.int64)
    times = np.bincount(history.item, minlength=n_items)[items].astype(np.float64)
    last = np.full(n_items, np.nan)
    own = np.full(n_items, np.nan)
    first_day = last_order = np.nan
    main, distinct = -1, 0.0
    if len(history.item):
        order = np.lexsort((history.day, history.item))
        bought, days = history.item[order], history.day[order]
        starts = np.flatnonzero(np.r_[True, bought[1:] != bought[:-1]])
        ends = np.r_[starts[1:], len(bought)]
        last[bought[ends - 1]] = days[ends - 1]
        for start, end in zip(starts, ends, strict=True):
            gaps = np.diff(days[start:end])
            gaps = gaps[gaps >= 0.5]
            if len(gaps):
                own[bought[start]] = float(np.median(gaps))
        first_day, last_order = float(history.day.min()), float(history.day.max())
        counts = np.bincount(categories[history.item] + 1)
        main = int(np.argmax(counts[1:])) if counts[1:].any() else -1
        distinct = float(len(np.unique(history.item)))
    since = now - last[items]
    population = model.interval_days[items].astype(np.float64)
    n = len(items)
    return np.column_stack(
        [
            *raw,
            *norm,
            *ranks,
            linear,
            times,
            affinity[items],
            since,
            since / np.maximum(own[items], 1.0),
            since / np.maximum(population, 1.0),
            own[items],
            population,
            model.rebuy_rate[items].astype(np.float64),
            popularity_rank[items],
            np.full(n, float(history.n_baskets)),
            np.full(n, now - last_order),
            np.full(n, now - first_day),
            ((categories[items] == main) & (main >= 0)).astype(np.float64),
            np.full(n, distinct),
        ]
    ).astype(np.float32)


def item_trend(train: Interactions, model: FittedModel, now: float) -> np.ndarray:
    """Per item: days since first sold, distinct buyers in the last 14/30/90 days, two trend ratios."""
    index = np.array([model.index.get(str(key), -1) for key in train.items])
    known = index >= 0
    item, day, customer = index[known], train.days[known], train.customers[known].astype(np.int64)
    n = model.n_items
    first = np.full(n, np.inf)
    np.minimum.at(first, item, day)

    def buyers(days: float) -> np.ndarray:
        recent = day >= now - days
        pairs = np.unique(customer[recent] * n + item[recent])
        return np.bincount(pairs % n, minlength=n).astype(np.float64)

    b14, b30, b90 = buyers(14), buyers(30), buyers(90)
    return np.column_stack(
        [now - first, b14, b30, b90, (b14 + 1) / (b90 / 6 + 1), (b30 + 1) / (b90 / 3 + 1)]
    ).astype(np.float32)


Rows = list[tuple[np.ndarray, np.ndarray, np.ndarray, set[int]]]


def build(data: Interactions, at_day: float, trend: bool) -> tuple[Rows, float]:
    """(candidates, features, labels, relevant set) per customer with a purchase on both sides of
    ``at_day``, with the engine fitted as of ``at_day`` on data before it; and the seconds taken."""
    started = time.perf_counter()
    train, test = split(data, at_day, TEST_DAYS)
    model = fit(train, None, None, datetime.fromtimestamp(at_day * 86_400, UTC))
    popularity_rank = np.empty(model.n_items)
    popularity_rank[np.argsort(-model.popularity, kind="stable")] = np.arange(1, model.n_items + 1)
    extra = item_trend(train, model, at_day) if trend else None
    rows: Rows = []
    for case in _cases(model, train, test):
        with one_blas_thread():
            scored = score_components(model, case.history, at_day)
        pool = np.unique(np.concatenate([top_k(scored.components[m.value], POOL) for m in SINGLE_METHODS]))
        matrix = features(
            model, scored.components, case.history, pool, at_day, scored.affinity, popularity_rank
        )
        if extra is not None:
            matrix = np.hstack([matrix, extra[pool]])
        rows.append((pool, matrix, np.isin(pool, list(case.relevant)).astype(np.int8), case.relevant))
    return rows, time.perf_counter() - started


def per_customer(rows: Rows, scorer: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    out = np.zeros((len(rows), 3))
    for position, (pool, matrix, _, relevant) in enumerate(rows):
        scores = scorer(matrix)
        order = np.lexsort((pool, -scores))
        out[position] = ranking_metrics(pool[order][:10], relevant, 10)
    return out


def relative_interval(learned: np.ndarray, linear: np.ndarray, seed: int = 0) -> list[list[float]]:
    """95 % paired-bootstrap interval of learned/linear - 1 for hit and nDCG (customers resampled)."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(1000):
        pick = rng.integers(0, len(learned), len(learned))
        draws.append(learned[pick, :2].mean(axis=0) / np.maximum(linear[pick, :2].mean(axis=0), 1e-9) - 1)
    low, high = np.percentile(np.asarray(draws), [2.5, 97.5], axis=0)
    return [[round(float(a), 4), round(float(b), 4)] for a, b in zip(low, high, strict=True)]


def run(data: Interactions, split_at: datetime, trend: bool) -> dict[str, Any]:
    split_day = day_of(split_at)
    inner_day = split_day - TEST_DAYS
    before = data.subset(data.days < split_day)
    inner, inner_seconds = build(before, inner_day, trend)
    inner2, inner2_seconds = build(
        data.subset(data.days < inner_day + TEST_DAYS / 2), inner_day - TEST_DAYS / 2, trend
    )
    outer, outer_seconds = build(data, split_day, trend)
    linear_column = FEATURES.index("linear_blend")
    popularity_column = FEATURES.index("popularity_norm")
    repurchase_column = FEATURES.index("repurchase_raw")
    linear = per_customer(outer, lambda m: m[:, linear_column] + 1e-9 * m[:, popularity_column])
    repurchase = per_customer(outer, lambda m: m[:, repurchase_column])
    result: dict[str, Any] = {
        "test_customers": len(outer),
        "ranker_customers": [len(inner), len(inner2)],
        "seconds": {
            "inner_fit_and_features": round(inner_seconds + inner2_seconds, 1),
            "fit_and_features": round(outer_seconds, 1),
        },
        "oracle_pool_hit": round(float(np.mean([row[2].any() for row in outer])), 4),
        "repurchase_in_pool": repurchase.mean(0).round(4).tolist(),
        "linear_blend": linear.mean(0).round(4).tolist(),
    }
    x = np.vstack([row[1] for row in inner + inner2])
    y = np.concatenate([row[2] for row in inner + inner2])
    for name, config in CONFIGS.items():
        started = time.perf_counter()
        ranker = HistGradientBoostingClassifier(**config, random_state=0).fit(x, y)
        train_seconds = time.perf_counter() - started
        learned = per_customer(outer, lambda m, r=ranker: r.predict_proba(m)[:, 1])
        result[name] = {
            "hit_ndcg_recall": learned.mean(0).round(4).tolist(),
            "vs_linear_relative": (learned.mean(0)[:2] / linear.mean(0)[:2] - 1).round(4).tolist(),
            "vs_linear_95pct_interval": relative_interval(learned, linear),
            "train_seconds": round(train_seconds, 1),
            "rows": len(y),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--splits", default="2011-09-01,2011-06-01")
    parser.add_argument("--no-trend", action="store_true", help="leave out the item trend features")
    args = parser.parse_args()
    data = load_order_files(args.files)
    for text in args.splits.split(","):
        split_at = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        print(json.dumps({text: run(data, split_at, not args.no_trend)}, indent=2), flush=True)


if __name__ == "__main__":
    main()
