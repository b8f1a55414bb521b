"""Fitting a store's recommendations, and updating one customer's picks between fits.

``fit_store`` reads the store's order lines column-wise with Core (cancelled orders and refunded
quantities left out; a line with neither product id nor sku skipped), fits the engine with no transaction
open, then in one transaction records the ``RecommendationFit`` (with the model as an ``.npz``), rewrites
every customer's top ``stored_picks`` candidates (delete + bulk insert) and emits
``RecommendationsFitted``. A failed fit records its ``error`` and leaves the previous picks serving.

``update_customer_picks`` rescoring customers after new orders uses the newest succeeded fit's model
(cached per process by fit id), without refitting.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderLine
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.recommendations.engine import Candidate, FittedModel, customer_history, fit, recommend
from loyaldesk.recommendations.events import PicksUpdated, RecommendationsFitted
from loyaldesk.recommendations.models import CustomerPick, RecommendationFit, RecommendationSettings
from loyaldesk.recommendations.rules.interactions import SECONDS_PER_DAY, Interactions
from loyaldesk.recommendations.rules.items import item_key
from loyaldesk.recommendations.vocab import FitStatus

log = logging.getLogger("loyaldesk.recommendations")

DEFAULT_STORED_PICKS = 40
_MODEL_CACHE: OrderedDict[int, FittedModel] = OrderedDict()
_MODEL_CACHE_SIZE = 4


@dataclass
class FitOutcome:
    fit_id: int
    succeeded: bool
    customers: int = 0
    items: int = 0
    orders: int = 0
    fit_seconds: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fit_id": self.fit_id,
            "status": (FitStatus.SUCCEEDED if self.succeeded else FitStatus.FAILED).value,
            "customers": self.customers,
            "items": self.items,
            "orders": self.orders,
            "fit_seconds": round(self.fit_seconds, 2),
            "error": self.error,
            **self.extra,
        }


def _lines_query(store_id: int, customer_ids: Iterable[int] | None = None) -> Any:
    quantity = OrderLine.quantity - func.coalesce(OrderLine.refunded_quantity, 0)
    query = (
        select(
            Order.customer_id,
            Order.id,
            Order.placed_at,
            OrderLine.product_external_id,
            OrderLine.sku,
            OrderLine.title,
            OrderLine.category,
            quantity,
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.store_id == store_id,
            Order.customer_id.is_not(None),
            Order.cancelled_at.is_(None),
            Order.status != "cancelled",
            quantity > 0,
        )
        .order_by(Order.placed_at, Order.id, OrderLine.position)
    )
    if customer_ids is not None:
        query = query.where(Order.customer_id.in_(list(customer_ids)))
    return query


def read_interactions(
    session: Session, store_id: int, customer_ids: Iterable[int] | None = None
) -> Interactions:
    """The store's (or these customers') order lines as engine columns; titles and categories from each
    item's latest line."""
    customers: list[int] = []
    items: list[str] = []
    days: list[float] = []
    quantities: list[float] = []
    baskets: list[int] = []
    titles: dict[str, str] = {}
    categories: dict[str, str] = {}
    for customer, order_id, placed_at, product_id, sku, title, category, quantity in session.execute(
        _lines_query(store_id, customer_ids)
    ):
        key = item_key(product_id, sku)
        if key is None:
            continue
        customers.append(customer)
        items.append(key)
        days.append(placed_at.timestamp() / SECONDS_PER_DAY)
        quantities.append(float(quantity))
        baskets.append(order_id)
        if title:
            titles[key] = title
        if category:
            categories[key] = category
    return Interactions(
        np.asarray(customers, dtype=np.int64),
        np.asarray(items, dtype=object),
        np.asarray(days, dtype=np.float64),
        np.asarray(quantities, dtype=np.float64),
        np.asarray(baskets, dtype=np.int64),
        titles,
        categories,
    )


def _settings(session: Session, store_id: int) -> tuple[int, dict[str, float]]:
    settings = session.get(RecommendationSettings, store_id)
    if settings is None:
        return DEFAULT_STORED_PICKS, {}
    return max(1, settings.stored_picks or DEFAULT_STORED_PICKS), dict(settings.weights or {})


def _pick_rows(
    store_id: int, customer_id: int, candidates: list[Candidate], fit_id: int | None, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "store_id": store_id,
            "customer_id": customer_id,
            "rank": rank,
            "item_key": candidate.item_key,
            "score": round(candidate.score, 6),
            "method": candidate.method.value,
            "reason_kind": candidate.reason_kind.value,
            "reason_params": candidate.reason_params,
            "fit_id": fit_id,
            "computed_at": now,
        }
        for rank, candidate in enumerate(candidates)
    ]


def _customer_candidates(
    model: FittedModel, data: Interactions, now: datetime, k: int
) -> dict[int, list[Candidate]]:
    """Every customer's top ``k``: each scored from their own history against the model."""
    result: dict[int, list[Candidate]] = {}
    if not len(data):
        return result
    order = np.argsort(data.customers, kind="stable")
    customers = data.customers[order]
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(customers)], strict=True):
        rows = order[start:end]
        categories = [data.categories.get(str(key), "") for key in data.items[rows]]
        history = customer_history(
            model,
            data.items[rows],
            data.days[rows],
            data.quantities[rows],
            None if data.baskets is None else data.baskets[rows],
            categories,
        )
        result[int(customers[start])] = recommend(model, history, now, k)
    return result


def _start(uow: UnitOfWork, store_id: int) -> int:
    row = RecommendationFit(
        store_id=store_id, status=FitStatus.RUNNING.value, started_at=uow.now(), weights={}
    )
    uow.session.add(row)
    uow.session.flush()
    return row.id


def _fail(uow: UnitOfWork, fit_id: int, error: str, seconds: float) -> None:
    row = uow.session.get(RecommendationFit, fit_id)
    assert row is not None
    row.status = FitStatus.FAILED.value
    row.finished_at = uow.now()
    row.fit_seconds = seconds
    row.error = error[:2000]
    uow.emit(RecommendationsFitted(store_id=row.store_id, fit_id=fit_id, succeeded=False))


def _succeed(
    uow: UnitOfWork,
    fit_id: int,
    model: FittedModel,
    picks: dict[int, list[Candidate]],
    seconds: float,
    now: datetime,
) -> None:
    row = uow.session.get(RecommendationFit, fit_id)
    assert row is not None
    row.status = FitStatus.SUCCEEDED.value
    row.finished_at = uow.now()
    row.fit_seconds = seconds
    row.orders_count = model.counts.get("orders", 0)
    row.customers_count = model.counts.get("customers", 0)
    row.items_count = model.n_items
    row.weights = dict(model.weights)
    row.metrics = {"fit_ms": model.counts.get("fit_ms", 0), "customers_with_picks": len(picks)}
    row.model = model.to_bytes()
    uow.session.execute(delete(CustomerPick).where(CustomerPick.store_id == row.store_id))
    rows: list[dict[str, Any]] = []
    for customer_id, candidates in picks.items():
        rows.extend(_pick_rows(row.store_id, customer_id, candidates, fit_id, now))
    for start in range(0, len(rows), 5000):
        bulk_insert(uow, CustomerPick.__table__, rows[start : start + 5000])
    uow.emit(
        RecommendationsFitted(
            store_id=row.store_id, fit_id=fit_id, succeeded=True, customers=len(picks), items=model.n_items
        )
    )


def fit_store(database: Database, store_id: int, *, fail_with: Exception | None = None) -> FitOutcome:
    """Fit the store's models and rewrite its picks (see the module docstring). ``fail_with`` makes the
    fit fail with that error after reading (for tests of the failure path)."""
    fit_id = database.write(_start, store_id)
    started = time.perf_counter()
    try:
        with database.read() as session:
            k, weights = _settings(session, store_id)
            data = read_interactions(session, store_id)
        if fail_with is not None:
            raise fail_with
        now = database.clock.now()
        model = fit(data, weights, now=now)
        picks = _customer_candidates(model, data, now, k)
        seconds = time.perf_counter() - started
    except Exception as error:  # a failed fit is recorded, the previous picks keep serving
        log.exception("fitting the recommendations of store %s failed", store_id)
        seconds = time.perf_counter() - started
        message = f"{type(error).__name__}: {error}"
        database.write(_fail, fit_id, message, seconds)
        return FitOutcome(fit_id, False, fit_seconds=seconds, error=message)
    try:
        database.write(_succeed, fit_id, model, picks, seconds, now)
    except Exception as error:  # the rewrite rolled back as a whole: the previous picks stay
        log.exception("storing the recommendations of store %s failed", store_id)
        message = f"{type(error).__name__}: {error}"
        database.write(_fail, fit_id, message, seconds)
        return FitOutcome(fit_id, False, fit_seconds=seconds, error=message)
    _remember(fit_id, model)
    return FitOutcome(
        fit_id,
        True,
        customers=len(picks),
        items=model.n_items,
        orders=model.counts.get("orders", 0),
        fit_seconds=seconds,
    )


def _remember(fit_id: int, model: FittedModel) -> None:
    _MODEL_CACHE[fit_id] = model
    _MODEL_CACHE.move_to_end(fit_id)
    while len(_MODEL_CACHE) > _MODEL_CACHE_SIZE:
        _MODEL_CACHE.popitem(last=False)


# Built once, on the table's columns (no ORM execution layer): read on every paid order (picks
# rescoring), usually to find that the store has no fit.
_FITS = RecommendationFit.__table__.c
_NEWEST_FIT = (
    select(_FITS.id)
    .where(_FITS.store_id == bindparam("store_id"), _FITS.status == FitStatus.SUCCEEDED.value)
    .order_by(_FITS.started_at.desc(), _FITS.id.desc())
    .limit(1)
)


def current_model(session: Session, store_id: int) -> tuple[int, FittedModel] | None:
    """The newest succeeded fit's id and model (loaded once per process), or None before any fit."""
    fit_id = session.scalar(_NEWEST_FIT, {"store_id": store_id})
    if fit_id is None:
        return None
    model = _MODEL_CACHE.get(fit_id)
    if model is None:
        blob = session.scalar(select(RecommendationFit.model).where(RecommendationFit.id == fit_id))
        if not blob:
            return None
        model = FittedModel.from_bytes(blob)
        _remember(fit_id, model)
    return fit_id, model


def update_customer_picks(uow: UnitOfWork, store_id: int, customer_ids: Iterable[int]) -> int:
    """Rescore these customers from their own histories against the store's current model (no refit),
    replace their picks and emit ``PicksUpdated`` for each; returns how many were updated. Nothing happens
    before the store's first fit (its job fits it soon) or for a customer with no usable order lines."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return 0
    current = current_model(uow.session, store_id)
    if current is None:
        return 0
    fit_id, model = current
    k, _ = _settings(uow.session, store_id)
    data = read_interactions(uow.session, store_id, wanted)
    now = uow.now()
    picks = _customer_candidates(model, data, now, k)
    uow.session.execute(
        delete(CustomerPick).where(
            CustomerPick.store_id == store_id, CustomerPick.customer_id.in_(list(picks))
        )
    )
    rows: list[dict[str, Any]] = []
    for customer_id, candidates in picks.items():
        rows.extend(_pick_rows(store_id, customer_id, candidates, fit_id, now))
        uow.emit(PicksUpdated(store_id=store_id, customer_id=customer_id))
    bulk_insert(uow, CustomerPick.__table__, rows)
    return len(picks)
