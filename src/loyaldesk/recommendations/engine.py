"""The recommendation engine: fit every method on a store's purchase history into one ``FittedModel``
(serialisable as an ``.npz``), and score ONE customer from their own history against it, without
refitting. Pure computation (numpy/scipy, implicit's ALS for the fit); the actions do the I/O.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp

from loyaldesk.recommendations.rules import als as als_rules
from loyaldesk.recommendations.rules.blend import SINGLE_METHODS, blend, resolve_weights, top_k
from loyaldesk.recommendations.rules.copurchase import fit_copurchase
from loyaldesk.recommendations.rules.history import History, history_from
from loyaldesk.recommendations.rules.interactions import (
    SECONDS_PER_DAY,
    Interactions,
    customer_item_counts,
    encode,
)
from loyaldesk.recommendations.rules.item_knn import fit_cosine, fit_ease
from loyaldesk.recommendations.rules.neighbours import drivers, score_neighbours
from loyaldesk.recommendations.rules.popularity import fit_popularity, score_popularity
from loyaldesk.recommendations.rules.repurchase import RepurchaseStats, fit_repurchase, score_repurchase
from loyaldesk.recommendations.vocab import Method, ReasonKind


@dataclass(frozen=True)
class EngineParams:
    """The methods' settings (tuned on a validation split inside the training period)."""

    half_life_days: float = 60.0  # personal frequency decay (repurchase, neighbour weights)
    popularity_half_life_days: float = 45.0
    horizon_days: float = 7.0  # how far ahead "due" looks (picks serve about a day; a week of slack)
    once_weight: float = 1.0  # items bought once: scaled by the population's re-buy rate
    copurchase_neighbours: int = 50
    copurchase_min_support: int = 3
    copurchase_shrink: float = 5.0
    knn_kind: str = "ease"  # "ease" or "cosine"
    knn_neighbours: int = 50
    ease_regularization: float = 300.0
    als_factors: int = 128
    als_regularization: float = 0.05
    als_iterations: int = 15
    als_alpha: float = 10.0
    new_customer_baskets: int = 1  # customers with at most this many orders get their category's best


@dataclass
class Candidate:
    """One scored item for one customer, with the method that contributed most and why."""

    item_key: str
    score: float
    method: Method
    reason_kind: ReasonKind
    reason_params: dict[str, Any] = field(default_factory=dict)


@dataclass
class FittedModel:
    """What serving needs without the history."""

    item_keys: np.ndarray  # str
    titles: np.ndarray  # str
    categories: np.ndarray  # str ("" unknown)
    popularity: np.ndarray
    interval_days: np.ndarray
    rebuy_rate: np.ndarray
    copurchase: sp.csr_matrix
    item_knn: sp.csr_matrix
    item_factors: np.ndarray
    fitted_day: float
    weights: dict[str, float]
    params: EngineParams
    counts: dict[str, int] = field(default_factory=dict)
    _index: dict[str, int] | None = None
    _gram: np.ndarray | None = None
    _category_codes: np.ndarray | None = None
    _category_names: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return len(self.item_keys)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {str(key): position for position, key in enumerate(self.item_keys)}
        return self._index

    @property
    def gram(self) -> np.ndarray:
        if self._gram is None:
            factors = self.item_factors.astype(np.float64)
            self._gram = factors.T @ factors
        return self._gram

    def category_code(self, category: str | None) -> int:
        if self._category_codes is None:
            self._category_names, self._category_codes = np.unique(self.categories, return_inverse=True)
        if not category:
            return -1
        names = self._category_names
        assert names is not None
        position = int(np.searchsorted(names, category))
        return position if position < len(names) and names[position] == category else -1

    @property
    def category_codes(self) -> np.ndarray:
        self.category_code(None)
        assert self._category_codes is not None
        return self._category_codes

    def to_bytes(self) -> bytes:
        """The model as an ``.npz`` (no pickles)."""
        buffer = io.BytesIO()
        meta = {
            "fitted_day": self.fitted_day,
            "weights": self.weights,
            "params": asdict(self.params),
            "counts": self.counts,
        }
        arrays: dict[str, np.ndarray] = {
            "item_keys": np.asarray(self.item_keys, dtype=str),
            "titles": np.asarray(self.titles, dtype=str),
            "categories": np.asarray(self.categories, dtype=str),
            "popularity": self.popularity,
            "interval_days": self.interval_days,
            "rebuy_rate": self.rebuy_rate,
            "item_factors": self.item_factors,
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        }
        for name in ("copurchase", "item_knn"):
            matrix: sp.csr_matrix = getattr(self, name)
            arrays[f"{name}_data"] = matrix.data.astype(np.float32)
            arrays[f"{name}_indices"] = matrix.indices.astype(np.int32)
            arrays[f"{name}_indptr"] = matrix.indptr.astype(np.int64)
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> FittedModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            n = len(archive["item_keys"])
            matrices = {
                name: sp.csr_matrix(
                    (archive[f"{name}_data"], archive[f"{name}_indices"], archive[f"{name}_indptr"]),
                    shape=(n, n),
                )
                for name in ("copurchase", "item_knn")
            }
            return cls(
                item_keys=archive["item_keys"].astype(object),
                titles=archive["titles"].astype(object),
                categories=archive["categories"].astype(object),
                popularity=archive["popularity"],
                interval_days=archive["interval_days"],
                rebuy_rate=archive["rebuy_rate"],
                copurchase=matrices["copurchase"],
                item_knn=matrices["item_knn"],
                item_factors=archive["item_factors"],
                fitted_day=float(meta["fitted_day"]),
                weights={str(k): float(v) for k, v in meta["weights"].items()},
                params=EngineParams(**meta["params"]),
                counts={str(k): int(v) for k, v in meta.get("counts", {}).items()},
            )


def day_of(moment: datetime) -> float:
    """A time as days since the Unix epoch (what the engine's ``days`` columns hold)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / SECONDS_PER_DAY


def fit(
    interactions: Interactions,
    weights: Mapping[str, float] | None = None,
    params: EngineParams | None = None,
    now: datetime | None = None,
    methods: tuple[str, ...] | None = None,
) -> FittedModel:
    """Fit every method on the history (``methods`` may skip some, for the evaluation's timings).
    ``now`` is the fit's reference time (default: the last interaction)."""
    params = params or EngineParams()
    wanted = set(methods) if methods else {method.value for method in SINGLE_METHODS}
    started = time.perf_counter()
    encoded = encode(interactions)
    n = encoded.n_items
    fitted_day = day_of(now) if now else (float(encoded.day.max()) if len(encoded.day) else 0.0)
    counts = customer_item_counts(encoded)
    empty = sp.csr_matrix((n, n), dtype=np.float32)
    popularity = fit_popularity(encoded, fitted_day, params.popularity_half_life_days)
    stats = fit_repurchase(encoded)
    copurchase = (
        fit_copurchase(
            encoded, params.copurchase_neighbours, params.copurchase_min_support, params.copurchase_shrink
        )
        if Method.COPURCHASE.value in wanted
        else empty
    )
    if Method.ITEM_KNN.value not in wanted:
        knn = empty
    elif params.knn_kind == "cosine":
        knn = fit_cosine(counts, params.knn_neighbours)
    else:
        knn = fit_ease(counts, params.ease_regularization, params.knn_neighbours)
    factors = (
        als_rules.fit_als(
            counts, params.als_factors, params.als_regularization, params.als_iterations, params.als_alpha
        )
        if Method.ALS.value in wanted
        else np.zeros((n, params.als_factors), dtype=np.float32)
    )
    keys = [str(key) for key in encoded.item_keys]
    return FittedModel(
        item_keys=np.asarray(keys, dtype=object),
        titles=np.asarray([interactions.titles.get(key, key) for key in keys], dtype=object),
        categories=np.asarray([interactions.categories.get(key) or "" for key in keys], dtype=object),
        popularity=popularity,
        interval_days=stats.interval_days,
        rebuy_rate=stats.rebuy_rate,
        copurchase=copurchase,
        item_knn=knn,
        item_factors=factors,
        fitted_day=fitted_day,
        weights=resolve_weights(weights),
        params=params,
        counts={
            "customers": encoded.n_customers,
            "items": n,
            "orders": encoded.n_baskets,
            "fit_ms": int((time.perf_counter() - started) * 1000),
        },
    )


@dataclass
class Scored:
    """Every method's scores for one customer, and what explains them."""

    history: History
    components: dict[str, np.ndarray]
    affinity: np.ndarray
    repurchase_interval: np.ndarray
    repurchase_last_day: np.ndarray
    repurchase_own: np.ndarray
    in_first_category: np.ndarray


def customer_history(
    model: FittedModel,
    items: Any,
    times: Any,
    quantities: Any | None = None,
    baskets: Any | None = None,
    categories: Any | None = None,
) -> History:
    """A customer's history against the model's items; ``times`` as datetimes or epoch days."""
    times = list(times)
    days = np.asarray([day_of(t) if isinstance(t, datetime) else float(t) for t in times], dtype=np.float64)
    quantities = np.ones(len(days)) if quantities is None else np.asarray(quantities, dtype=np.float64)
    return history_from(
        model.index, np.asarray(list(items), dtype=object), days, quantities, baskets, categories
    )


def score_components(model: FittedModel, history: History, now: float) -> Scored:
    """Every single method's scores (dense, one per item) for one customer at day ``now``."""
    params = model.params
    n = model.n_items
    affinity = history.decayed_frequency(n, now, params.half_life_days)
    first_category = model.category_code(history.first_category)
    if first_category < 0 and len(history.item):
        first = history.item[history.basket == 0]
        if len(first):
            first_category = model.category_code(str(model.categories[first[0]]))
    popularity, in_category = score_popularity(
        model.popularity,
        model.category_codes,
        first_category,
        history.n_baskets <= params.new_customer_baskets,
    )
    repurchase = score_repurchase(
        history,
        RepurchaseStats(model.interval_days, model.rebuy_rate),
        now,
        params.half_life_days,
        params.horizon_days,
        params.once_weight,
    )
    components = {
        Method.POPULARITY.value: popularity,
        Method.REPURCHASE.value: repurchase.scores,
        Method.COPURCHASE.value: score_neighbours(model.copurchase, affinity, history.item),
        Method.ITEM_KNN.value: score_neighbours(model.item_knn, affinity, history.item),
    }
    if len(history.item) and np.any(model.item_factors):
        counts = np.bincount(history.item, minlength=n)
        bought = np.flatnonzero(counts)
        user = als_rules.solve_customer(
            model.item_factors,
            model.gram,
            bought,
            counts[bought],
            params.als_alpha,
            params.als_regularization,
        )
        als_scores = model.item_factors.astype(np.float64) @ user
    else:
        als_scores = np.zeros(n)
    components[Method.ALS.value] = als_scores
    return Scored(
        history,
        components,
        affinity,
        repurchase.interval_days,
        repurchase.last_day,
        repurchase.own_interval,
        in_category,
    )


def _iso_day(day: float) -> str:
    return datetime.fromtimestamp(day * SECONDS_PER_DAY, UTC).date().isoformat()


_blas: Any = None


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread: one customer's algebra is small, and OpenBLAS's
    threads would only spin against the server's own (measured: several times the CPU per order)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def recommend(
    model: FittedModel,
    history: History,
    now: datetime | float,
    k: int = 10,
    weights: Mapping[str, float] | None = None,
) -> list[Candidate]:
    """The customer's best ``k`` candidates by the blend (the model's weights unless given), each with
    the method that contributed most and its reason. A customer without known items gets bestsellers."""
    day = day_of(now) if isinstance(now, datetime) else float(now)
    with one_blas_thread():
        scored = score_components(model, history, day)
    chosen = resolve_weights(weights) if weights is not None else model.weights
    blended, leader = blend(scored.components, chosen)
    # popularity breaks ties and fills the list when the customer's own signals run out
    blended = blended + 1e-6 * model.popularity
    ranked = top_k(blended, k)
    if not len(ranked):
        return []
    methods = [SINGLE_METHODS[leader[item]] for item in ranked]
    driver = {
        name: drivers(getattr(model, name), scored.affinity, history.item, ranked)
        for name in ("copurchase", "item_knn")
    }
    return [
        _candidate(model, scored, int(item), float(blended[item]), method, driver, position)
        for position, (item, method) in enumerate(zip(ranked, methods, strict=True))
    ]


def _candidate(
    model: FittedModel,
    scored: Scored,
    item: int,
    score: float,
    method: Method,
    driver: dict[str, np.ndarray],
    position: int,
) -> Candidate:
    params: dict[str, Any] = {"title": str(model.titles[item])}
    category = str(model.categories[item])
    if category:
        params["category"] = category
    kind = ReasonKind.BESTSELLER
    if method is Method.REPURCHASE:
        kind = ReasonKind.REPURCHASE
        params["days"] = round(float(scored.repurchase_interval[item]))
        params["own_interval"] = bool(scored.repurchase_own[item])
        if not np.isnan(scored.repurchase_last_day[item]):
            params["last_bought"] = _iso_day(float(scored.repurchase_last_day[item]))
    elif method in (Method.COPURCHASE, Method.ITEM_KNN):
        other = int(driver["copurchase" if method is Method.COPURCHASE else "item_knn"][position])
        if other >= 0:
            kind = ReasonKind.BOUGHT_WITH if method is Method.COPURCHASE else ReasonKind.SIMILAR
            params["other_key"] = str(model.item_keys[other])
            params["other_title"] = str(model.titles[other])
        else:
            kind = ReasonKind.FOR_YOU
    elif method is Method.ALS:
        kind = ReasonKind.FOR_YOU
    elif scored.in_first_category[item] and category:
        kind = ReasonKind.POPULAR_IN_CATEGORY
    return Candidate(str(model.item_keys[item]), score, method, kind, params)
