"""``loyaldesk recommend evaluate``: every method and the blend on order files with a temporal split.

Train on what happened before the split date, test on the next months, for customers with a purchase in
both; the relevant set is every item a customer bought in the test window ("all", repurchases included:
the default the goal is set on) and, as a second view, the items new to them ("new": their training items
are removed from the ranking too). Weights of the blend can be tuned on a validation split taken from the
training period only (the last ``test_months`` before the split), never on the test window.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loyaldesk.commerce.importer import category_for, detect_format, read_table
from loyaldesk.recommendations.engine import (
    EngineParams,
    FittedModel,
    day_of,
    fit,
    one_blas_thread,
    recommend,
    score_components,
)
from loyaldesk.recommendations.rules.blend import (
    NORMALISE_FLOOR,
    SINGLE_METHODS,
    normalise,
    resolve_weights,
    top_k,
)
from loyaldesk.recommendations.rules.history import History, history_from
from loyaldesk.recommendations.rules.interactions import Interactions
from loyaldesk.recommendations.rules.metrics import ranking_metrics
from loyaldesk.recommendations.vocab import Method

# UCI stock codes that are not products (postage, fees, adjustments, samples, vouchers).
NON_PRODUCT_CODES = frozenset(
    {
        "POST",
        "DOT",
        "M",
        "BANK CHARGES",
        "C2",
        "D",
        "S",
        "B",
        "PADS",
        "CRUK",
        "AMAZONFEE",
        "ADJUST",
        "ADJUST2",
    }
    | {"TEST001", "TEST002"}
)
K = 10
CANDIDATES = 150  # per method, the union of which the weight search blends within


def _is_product(code: str) -> bool:
    upper = code.strip().upper()
    return bool(upper) and upper not in NON_PRODUCT_CODES and not upper.startswith("GIFT_")


def _uci_frame(path: Path) -> dict[str, np.ndarray]:
    table = read_table(path)
    if detect_format(table) != "uci":
        raise ValueError(f"{path}: expected the UCI Online Retail columns")
    names = {name: name for name in table.column_names}
    pick = {
        "invoice": names.get("InvoiceNo") or names["Invoice"],
        "stock": "StockCode",
        "description": "Description",
        "quantity": "Quantity",
        "date": "InvoiceDate",
        "customer": names.get("CustomerID") or names["Customer ID"],
    }
    columns: dict[str, Any] = {}
    for key, name in pick.items():
        column = table.column(name)
        if key in ("invoice", "stock", "description"):
            column = pc.cast(column, pa.string())
        columns[key] = column
    dates = columns["date"]
    if pa.types.is_string(dates.type):
        dates = pc.strptime(dates, format="%Y-%m-%d %H:%M:%S", unit="s")
    seconds = pc.cast(pc.cast(dates, pa.timestamp("s")), pa.int64()).to_numpy(zero_copy_only=False)
    return {
        "invoice": np.asarray(columns["invoice"].to_pylist(), dtype=object),
        "stock": np.asarray(columns["stock"].to_pylist(), dtype=object),
        "description": np.asarray(columns["description"].to_pylist(), dtype=object),
        "quantity": pc.cast(columns["quantity"], pa.float64()).to_numpy(zero_copy_only=False),
        "day": seconds / 86_400.0,
        "customer": pc.cast(columns["customer"], pa.float64())
        .fill_null(np.nan)
        .to_numpy(zero_copy_only=False),
    }


def load_order_files(paths: Sequence[Path]) -> Interactions:
    """Order lines of UCI Online Retail files (xlsx not supported: convert to CSV/Parquet), cleaned:
    cancellations (invoices starting with C), non-product codes, guests and non-positive quantities out.
    Files overlapping in time (Online Retail II's 2009-2010 sheet and Online Retail) are combined by
    keeping the later file's rows from its first day on."""
    frames = sorted((_uci_frame(Path(path)) for path in paths), key=lambda f: float(np.nanmin(f["day"])))
    kept: list[dict[str, np.ndarray]] = []
    for position, frame in enumerate(frames):
        mask = np.ones(len(frame["day"]), dtype=bool)
        if position + 1 < len(frames):
            mask &= frame["day"] < np.floor(np.nanmin(frames[position + 1]["day"]))
        kept.append({key: value[mask] for key, value in frame.items()})
    data = {key: np.concatenate([frame[key] for frame in kept]) for key in kept[0]}
    invoice = np.asarray([str(value) for value in data["invoice"]], dtype=object)
    stock = np.asarray(
        [str(value).strip() if value is not None else "" for value in data["stock"]], dtype=object
    )
    product = np.fromiter((_is_product(code) for code in stock), dtype=bool, count=len(stock))
    cancelled = np.fromiter(
        (code.upper().startswith("C") for code in invoice), dtype=bool, count=len(invoice)
    )
    mask = product & ~cancelled & ~np.isnan(data["customer"]) & (data["quantity"] > 0)
    order = np.argsort(data["day"][mask], kind="stable")
    items = stock[mask][order]
    descriptions = data["description"][mask][order]
    titles: dict[str, str] = {}
    for key, description in zip(items, descriptions, strict=True):
        if description:
            titles[key] = str(description).strip()  # the latest line's wins
    invoice_numbers = np.unique(invoice[mask][order], return_inverse=True)[1]
    return Interactions(
        customers=data["customer"][mask][order].astype(np.int64),
        items=items,
        days=data["day"][mask][order],
        quantities=data["quantity"][mask][order],
        baskets=invoice_numbers.astype(np.int64),
        titles=titles,
        categories={key: category_for(title) for key, title in titles.items()},
    )


@dataclass
class Case:
    """One test customer: their training history and what they bought in the test window."""

    customer: int
    history: History
    relevant: set[int]  # item indices (items unknown to the model get negative ids)
    bought: set[int]  # their training items


def _cases(model: FittedModel, train: Interactions, test: Interactions) -> list[Case]:
    test_customers = set(np.unique(test.customers).tolist())
    order = np.argsort(train.customers, kind="stable")
    customers = train.customers[order]
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])
    ends = np.r_[starts[1:], len(customers)]
    wanted: dict[int, list[str]] = {}
    unknown: dict[str, int] = {}
    for customer, item in zip(test.customers, test.items, strict=True):
        wanted.setdefault(int(customer), []).append(str(item))
    cases = []
    for start, end in zip(starts, ends, strict=True):
        customer = int(customers[start])
        if customer not in test_customers:
            continue
        rows = order[start:end]
        categories = np.asarray(
            [train.categories.get(str(key), "") for key in train.items[rows]], dtype=object
        )
        history = history_from(
            model.index,
            train.items[rows],
            train.days[rows],
            train.quantities[rows],
            None if train.baskets is None else train.baskets[rows],
            categories,
        )
        relevant = {
            model.index.get(key, unknown.setdefault(key, -1 - len(unknown))) for key in wanted[customer]
        }
        cases.append(Case(customer, history, relevant, set(history.item.tolist())))
    return cases


def split(
    interactions: Interactions, split_day: float, test_days: float
) -> tuple[Interactions, Interactions]:
    train = interactions.subset(interactions.days < split_day)
    test = interactions.subset((interactions.days >= split_day) & (interactions.days < split_day + test_days))
    return train, test


@dataclass
class Prepared:
    """Per test customer, each method's normalised scores over a candidate set (for fast blending)."""

    candidates: list[np.ndarray]
    parts: list[np.ndarray]  # (methods, candidates)
    cases: list[Case]
    timings_ms: list[float]


def prepare(model: FittedModel, cases: list[Case], now: float) -> Prepared:
    candidates, parts, timings = [], [], []
    for case in cases:
        started = time.perf_counter()
        with one_blas_thread():
            scored = score_components(model, case.history, now)
        timings.append((time.perf_counter() - started) * 1000)
        pool = np.unique(
            np.concatenate([top_k(scored.components[m.value], CANDIDATES) for m in SINGLE_METHODS])
        )
        if not len(pool):
            pool = top_k(model.popularity.astype(np.float64), CANDIDATES)
        candidates.append(pool)
        parts.append(
            np.vstack(
                [
                    normalise(scored.components[m.value], NORMALISE_FLOOR.get(m.value, 0.0))[pool]
                    for m in SINGLE_METHODS
                ]
            )
        )
    return Prepared(candidates, parts, cases, timings)


def score_weights(prepared: Prepared, weights: dict[str, float], new_only: bool = False) -> dict[str, float]:
    """Mean hit rate, nDCG and recall at 10, and the coverage of the blend with these weights."""
    vector = np.asarray([weights.get(m.value, 0.0) for m in SINGLE_METHODS])
    totals = np.zeros(3)
    shown: set[int] = set()
    counted = 0
    for pool, part, case in zip(prepared.candidates, prepared.parts, prepared.cases, strict=True):
        relevant = case.relevant - case.bought if new_only else case.relevant
        if not relevant:
            continue
        blended = vector @ part + 1e-9 * (part[0] if len(part) else 0)
        if new_only:
            blended = np.where(np.isin(pool, list(case.bought)), -1.0, blended)
        order = np.lexsort((pool, -blended))
        ranked = pool[order][blended[order] > 0][:K]
        totals += ranking_metrics(ranked, relevant, K)
        shown.update(ranked.tolist())
        counted += 1
    n = max(counted, 1)
    return {
        "hit_rate_at_10": round(totals[0] / n, 4),
        "ndcg_at_10": round(totals[1] / n, 4),
        "recall_at_10": round(totals[2] / n, 4),
        "customers": counted,
        "shown_items": len(shown),
    }


def tune_weights(prepared: Prepared, rounds: int = 2) -> dict[str, float]:
    """Coordinate ascent over each method's weight on a grid, maximising hit rate + nDCG at 10."""
    grid = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
    weights = {m.value: 0.0 for m in SINGLE_METHODS}
    weights[Method.REPURCHASE.value] = 1.0

    def objective(candidate: dict[str, float]) -> float:
        result = score_weights(prepared, candidate)
        return result["hit_rate_at_10"] + result["ndcg_at_10"]

    best = objective(weights)
    for _ in range(rounds):
        for method in SINGLE_METHODS:
            if method is Method.REPURCHASE:
                continue
            for value in grid:
                trial = {**weights, method.value: value}
                result = objective(trial)
                if result > best + 1e-9:
                    best, weights = result, trial
    return weights


def _fit_timed(
    train: Interactions, params: EngineParams, now: float, methods: Iterable[str] | None
) -> tuple[FittedModel, float]:
    started = time.perf_counter()
    model = fit(
        train, None, params, datetime.fromtimestamp(now * 86_400, UTC), tuple(methods) if methods else None
    )
    return model, time.perf_counter() - started


def evaluate(
    interactions: Interactions,
    split_at: datetime,
    test_months: int = 3,
    methods: Sequence[str] | None = None,
    params: EngineParams | None = None,
    weights: dict[str, float] | None = None,
    tune: bool = False,
) -> dict[str, Any]:
    """The figures per method (and the blend) for one temporal split; see the module docstring."""
    params = params or EngineParams()
    split_day = day_of(split_at)
    test_days = 30.4375 * test_months
    result: dict[str, Any] = {"split": split_at.date().isoformat(), "test_months": test_months}
    tuned_weights = None
    if tune:
        validation_day = split_day - test_days
        train, valid = split(interactions.subset(interactions.days < split_day), validation_day, test_days)
        model, _ = _fit_timed(train, params, validation_day, None)
        prepared = prepare(model, _cases(model, train, valid), validation_day)
        tuned_weights = tune_weights(prepared)
        result["validation"] = {
            "split": datetime.fromtimestamp(validation_day * 86_400, UTC).date().isoformat(),
            "weights": tuned_weights,
            "blend": score_weights(prepared, tuned_weights),
        }
    blend_weights = tuned_weights or resolve_weights(weights)
    train, test = split(interactions, split_day, test_days)
    model, blend_seconds = _fit_timed(train, params, split_day, None)
    cases = _cases(model, train, test)
    prepared = prepare(model, cases, split_day)
    result.update(
        {
            "train_lines": len(train),
            "items": model.n_items,
            "test_customers": len(cases),
            "weights": blend_weights,
        }
    )
    wanted = list(methods) if methods else [m.value for m in SINGLE_METHODS] + [Method.BLEND.value]
    per_method: dict[str, Any] = {}
    for method in wanted:
        if method == Method.BLEND.value:
            chosen, seconds = blend_weights, blend_seconds
            timings = []
            for case in cases[:300]:
                started = time.perf_counter()
                recommend(model, case.history, split_day, K, chosen)
                timings.append((time.perf_counter() - started) * 1000)
        else:
            chosen = {method: 1.0}
            _, seconds = _fit_timed(train, params, split_day, [method])
            timings = prepared.timings_ms
        figures = score_weights(prepared, chosen)
        new_items = score_weights(prepared, chosen, new_only=True)
        per_method[method] = {
            "hit_rate_at_10": figures["hit_rate_at_10"],
            "ndcg_at_10": figures["ndcg_at_10"],
            "recall_at_10": figures["recall_at_10"],
            "coverage": round(figures["shown_items"] / max(model.n_items, 1), 4),
            "fit_seconds": round(seconds, 2),
            "p95_ms": round(float(np.percentile(timings, 95)), 2) if timings else None,
            "new_items": {key: new_items[key] for key in ("hit_rate_at_10", "ndcg_at_10", "recall_at_10")},
        }
    result["methods"] = per_method
    singles = [per_method[m] for m in per_method if m != Method.BLEND.value]
    if Method.BLEND.value in per_method and singles:
        blend_figures = per_method[Method.BLEND.value]
        result["blend_vs_best_single"] = {
            metric: round(blend_figures[metric] / max(max(s[metric] for s in singles), 1e-9) - 1, 4)
            for metric in ("hit_rate_at_10", "ndcg_at_10")
        }
    return result
