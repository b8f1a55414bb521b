"""Serving a customer's picks from storage: the stored candidates in rank order, joined to the catalogue,
filtered and re-ranked (``rules.reranking``) by what may have changed since the fit, each with its why in
the customer's language (``rules.reasons``).

Bounded reads, each by an index: the store's settings (cached per store, ``actions.settings``), the stored
picks (primary key), their products (``external_id`` / ``sku``), the member's balance and tier, the rewards
for those items, the analytics' scores (primary key, through journeys' ``scores_for``), the customer's
preferences (primary key) and their purchases within ``exclude_bought_days`` (the orders' customer index).
A customer with nothing stored (new, or not fitted yet) gets the store's bestsellers, computed from the
order lines of the last ``BESTSELLER_DAYS`` days and cached per store for ``BESTSELLER_SECONDS``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.customers import Customer
from loyaldesk.journeys import scores_for
from loyaldesk.loyalty import Member, Reward, Tier
from loyaldesk.recommendations.actions.settings import ServingSettings, serving_settings
from loyaldesk.recommendations.models import CustomerPick, CustomerPreferences
from loyaldesk.recommendations.ports import PickRequest, PickView
from loyaldesk.recommendations.rules.reasons import reason_text
from loyaldesk.recommendations.rules.reranking import (
    Candidate,
    CatalogueItem,
    Ranked,
    RewardOffer,
    Rules,
    Shopper,
    rerank,
    reward_cost,
    sizes_of,
)
from loyaldesk.recommendations.vocab import ReasonKind

MAX_LIMIT = 100
MAX_RECENT_LINES = 500  # the newest lines considered for "bought recently"
BESTSELLER_DAYS = 90
BESTSELLER_COUNT = 60
BESTSELLER_SECONDS = 300.0

_bestsellers: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, tuple[Candidate, ...]]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def picks_for(session: Session, request: PickRequest, *, now: datetime | None = None) -> list[PickView]:
    """Up to ``request.limit`` picks for the customer, best first; [] when the store has recommendations
    off or the customer is unknown. A known customer with nothing stored gets the store's bestsellers;
    one whose stored picks the filters thin out below ``limit`` gets them topped up with bestsellers.
    Never raises for an unknown customer. ``now`` (the runtime's clock; default the wall clock) dates
    "bought recently", reward availability and the bestsellers' window."""
    settings = serving_settings(session, request.store_id)
    limit = max(0, min(request.limit, MAX_LIMIT))
    if not settings.enabled or limit == 0:
        return []
    now = now or datetime.now(UTC)
    facts = (
        session.connection()
        .execute(_FACTS, {"store_id": request.store_id, "customer_id": request.customer_id})
        .first()
    )
    if facts is None:  # not this store's customer
        return []
    candidates = _stored(session, request.store_id, request.customer_id)
    stored = bool(candidates)
    if not stored:
        candidates = bestsellers(session, request.store_id, now)
        if not candidates:
            return []
    keys = {candidate.item_key for candidate in candidates}
    catalogue, skus = _catalogue(session, request.store_id, keys)
    shopper, tier_rank = _shopper(session, request, settings, now, facts)
    rewards = _rewards(session, request.store_id, skus, shopper.tier_id, tier_rank, now)
    rules = _rules(settings, request)
    ranked = rerank(candidates, catalogue, rewards, shopper, rules, now, limit)
    if stored and len(ranked) < limit:
        # The filters left fewer than asked for: top up with bestsellers the fit did not put forward.
        extra = tuple(c for c in bestsellers(session, request.store_id, now) if c.item_key not in keys)
        if extra:
            more_catalogue, more_skus = _catalogue(session, request.store_id, {c.item_key for c in extra})
            more_rewards = _rewards(session, request.store_id, more_skus, shopper.tier_id, tier_rank, now)
            # Bestsellers are keyed as the order lines name them: skip a product already shown by another key.
            shown = {entry.item.product_id for entry in ranked if entry.item is not None}
            for entry in rerank(extra, more_catalogue, more_rewards, shopper, rules, now, limit):
                if len(ranked) >= limit:
                    break
                if entry.item is None or entry.item.product_id not in shown:
                    ranked.append(entry)
    return [_view(entry, request.language) for entry in ranked]


def _rules(settings: ServingSettings, request: PickRequest) -> Rules:
    filters = request.filters
    # A placement may ask for in-stock only where the store does not; never the other way round.
    in_stock_only = settings.in_stock_only or bool(filters.in_stock_only)
    return Rules(
        in_stock_only=in_stock_only,
        allowed_categories=settings.categories,
        wanted_categories=tuple(filters.categories),
        item_keys=tuple(filters.item_keys),
        exclude_item_keys=tuple(filters.exclude_item_keys),
        exclude_bought_days=settings.exclude_bought_days,
        consumable_categories=settings.consumable_categories,
    )


# The hot path's statements, built once on the tables (Core: no ORM work per call).
_PICKS = CustomerPick.__table__
_PRODUCTS = Product.__table__
_MEMBERS = Member.__table__
_TIERS = Tier.__table__
_REWARDS = Reward.__table__
_PREFERENCES = CustomerPreferences.__table__
_ORDERS = Order.__table__
_LINES = OrderLine.__table__

_STORED = (
    select(
        _PICKS.c.item_key,
        _PICKS.c.rank,
        _PICKS.c.score,
        _PICKS.c.reason_kind,
        _PICKS.c.reason_params,
        _PICKS.c.method,
    )
    .where(_PICKS.c.store_id == bindparam("store_id"), _PICKS.c.customer_id == bindparam("customer_id"))
    .order_by(_PICKS.c.rank)
)
_PRODUCT_COLUMNS = (
    _PRODUCTS.c.id,
    _PRODUCTS.c.external_id,
    _PRODUCTS.c.sku,
    _PRODUCTS.c.title,
    _PRODUCTS.c.category,
    _PRODUCTS.c.price,
    _PRODUCTS.c.currency,
    _PRODUCTS.c.cost,
    _PRODUCTS.c.in_stock,
    _PRODUCTS.c.active,
    _PRODUCTS.c.consumable,
    _PRODUCTS.c.url,
    _PRODUCTS.c.image_url,
    _PRODUCTS.c.attributes,
)
# Two index reads rather than one OR (which SQLite answers by scanning the store's catalogue).
_BY_EXTERNAL_ID = select(*_PRODUCT_COLUMNS).where(
    _PRODUCTS.c.store_id == bindparam("store_id"),
    _PRODUCTS.c.external_id.in_(bindparam("keys", expanding=True)),
)
_BY_SKU = select(*_PRODUCT_COLUMNS).where(
    _PRODUCTS.c.store_id == bindparam("store_id"), _PRODUCTS.c.sku.in_(bindparam("keys", expanding=True))
)
_CUSTOMERS = Customer.__table__
# The customer (so that an unknown one is told apart), their membership with its tier's rank and their
# preferences: one row, one round trip.
_FACTS = (
    select(
        _CUSTOMERS.c.id,
        _MEMBERS.c.available_points,
        _MEMBERS.c.tier_id,
        _TIERS.c.rank.label("tier_rank"),
        _PREFERENCES.c.sizes,
        _PREFERENCES.c.interests,
        _PREFERENCES.c.excluded_categories,
    )
    .select_from(
        _CUSTOMERS.outerjoin(
            _MEMBERS,
            and_(_MEMBERS.c.customer_id == _CUSTOMERS.c.id, _MEMBERS.c.store_id == _CUSTOMERS.c.store_id),
        )
        .outerjoin(_TIERS, _TIERS.c.id == _MEMBERS.c.tier_id)
        .outerjoin(
            _PREFERENCES,
            and_(
                _PREFERENCES.c.store_id == _CUSTOMERS.c.store_id,
                _PREFERENCES.c.customer_id == _CUSTOMERS.c.id,
            ),
        )
    )
    .where(_CUSTOMERS.c.id == bindparam("customer_id"), _CUSTOMERS.c.store_id == bindparam("store_id"))
)
# By the customer's index (customer_id, placed_at) alone: with the store's id in the WHERE too, SQLite
# prefers the store's (store_id, placed_at) index and reads every order of the period. A customer belongs
# to one store; the store is checked on the rows.
_RECENT = (
    select(_LINES.c.product_external_id, _LINES.c.sku, _ORDERS.c.placed_at, _ORDERS.c.store_id)
    .select_from(_LINES.join(_ORDERS, _ORDERS.c.id == _LINES.c.order_id))
    .where(
        _ORDERS.c.customer_id == bindparam("customer_id"),
        _ORDERS.c.placed_at >= bindparam("since"),
        _ORDERS.c.status != "cancelled",
    )
    .order_by(_ORDERS.c.placed_at.desc())
    .limit(MAX_RECENT_LINES)
)
_REWARDS_FOR = select(
    _REWARDS.c.id,
    _REWARDS.c.product_sku,
    _REWARDS.c.points_cost,
    _REWARDS.c.tier_costs,
    _REWARDS.c.min_tier_rank,
    _REWARDS.c.available_from,
    _REWARDS.c.available_until,
    _REWARDS.c.stock,
    _REWARDS.c.issued_count,
).where(
    _REWARDS.c.store_id == bindparam("store_id"),
    _REWARDS.c.active.is_(True),
    _REWARDS.c.product_sku.in_(bindparam("skus", expanding=True)),
)


def _stored(session: Session, store_id: int, customer_id: int) -> tuple[Candidate, ...]:
    rows = session.connection().execute(_STORED, {"store_id": store_id, "customer_id": customer_id})
    return tuple(
        Candidate(
            item_key=key,
            rank=rank,
            score=float(score),
            reason_kind=kind,
            reason_params=params or {},
            method=method,
        )
        for key, rank, score, kind, params, method in rows
    )


def _item(row: Any) -> CatalogueItem:
    return CatalogueItem(
        product_id=int(row.id),
        title=row.title,
        category=row.category,
        price=row.price,
        currency=row.currency,
        cost=row.cost,
        in_stock=row.in_stock,
        active=bool(row.active),
        consumable=row.consumable,
        url=row.url,
        image_url=row.image_url,
        sizes=sizes_of(row.attributes),
    )


def _catalogue(
    session: Session, store_id: int, keys: set[str]
) -> tuple[dict[str, CatalogueItem], dict[str, str]]:
    """The catalogue rows of the item keys (by external id, else by SKU) and each key's SKU (rewards
    name products by SKU)."""
    found: dict[str, CatalogueItem] = {}
    skus: dict[str, str] = {}
    if not keys:
        return found, skus
    connection = session.connection()
    for row in connection.execute(_BY_EXTERNAL_ID, {"store_id": store_id, "keys": sorted(keys)}):
        found[row.external_id] = _item(row)
        skus[row.external_id] = row.sku or row.external_id
    missing = sorted(keys - found.keys())
    if missing:
        for row in connection.execute(_BY_SKU, {"store_id": store_id, "keys": missing}):
            if row.sku not in found:
                found[row.sku] = _item(row)
                skus[row.sku] = row.sku
    for key in keys - skus.keys():
        skus[key] = key
    return found, skus


def _shopper(
    session: Session, request: PickRequest, settings: ServingSettings, now: datetime, facts: Any
) -> tuple[Shopper, int | None]:
    """What is known of the customer (``facts``: their ``_FACTS`` row), and their tier's rank (for
    members-only rewards)."""
    scores = scores_for(session, request.store_id, [request.customer_id]).get(request.customer_id)
    member = facts.available_points is not None
    shopper = Shopper(
        points_balance=int(facts.available_points) if member else None,
        tier_id=int(facts.tier_id) if member and facts.tier_id is not None else None,
        churn_risk=scores.churn_risk if scores is not None else None,
        value=scores.value if scores is not None else None,
        interests=tuple(facts.interests or ()),
        excluded_categories=tuple(facts.excluded_categories or ()),
        sizes=dict(facts.sizes or {}),
        recently_bought=_recently_bought(session, request, settings, now),
    )
    return shopper, (facts.tier_rank if member else None)


def _recently_bought(
    session: Session, request: PickRequest, settings: ServingSettings, now: datetime
) -> dict[str, datetime]:
    if settings.exclude_bought_days <= 0:
        return {}
    rows = session.connection().execute(
        _RECENT,
        {"customer_id": request.customer_id, "since": now - timedelta(days=settings.exclude_bought_days)},
    )
    bought: dict[str, datetime] = {}
    for external_id, sku, placed_at, store_id in rows:
        if store_id != request.store_id:
            continue
        for key in (external_id, sku):
            if key and key not in bought:
                bought[key] = placed_at
    return bought


def _rewards(
    session: Session,
    store_id: int,
    skus: Mapping[str, str],
    tier_id: int | None,
    tier_rank: int | None,
    now: datetime,
) -> dict[str, RewardOffer]:
    """The cheapest live loyalty reward for each item (by its SKU), at the customer's tier's price."""
    if not skus:
        return {}
    rows = session.connection().execute(
        _REWARDS_FOR, {"store_id": store_id, "skus": sorted(set(skus.values()))}
    )
    cheapest: dict[str, RewardOffer] = {}
    for row in rows:
        if row.available_from is not None and row.available_from > now:
            continue
        if row.available_until is not None and row.available_until <= now:
            continue
        if row.stock is not None and row.issued_count >= row.stock:
            continue
        if row.min_tier_rank is not None and (tier_rank is None or tier_rank < row.min_tier_rank):
            continue
        offer = RewardOffer(
            reward_id=int(row.id), points_cost=reward_cost(row.points_cost, row.tier_costs, tier_id)
        )
        known = cheapest.get(row.product_sku)
        if known is None or offer.points_cost < known.points_cost:
            cheapest[row.product_sku] = offer
    return {key: cheapest[sku] for key, sku in skus.items() if sku in cheapest}


def bestsellers(session: Session, store_id: int, now: datetime) -> tuple[Candidate, ...]:
    """The store's most ordered items of the last ``BESTSELLER_DAYS`` days (by orders), as candidates
    with the reason bestseller; cached per store for ``BESTSELLER_SECONDS``."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    moment = time.monotonic()
    with _lock:
        entry = _bestsellers.get(engine, {}).get(store_id)
    if entry is not None and entry[0] > moment:
        return entry[1]
    found = _compute_bestsellers(session, store_id, now)
    with _lock:
        _bestsellers.setdefault(engine, {})[store_id] = (moment + BESTSELLER_SECONDS, found)
    return found


def forget_bestsellers(store_id: int | None = None) -> None:
    """Drop the cached bestsellers (of one store, or all)."""
    with _lock:
        for stores in _bestsellers.values():
            if store_id is None:
                stores.clear()
            else:
                stores.pop(store_id, None)


def _compute_bestsellers(session: Session, store_id: int, now: datetime) -> tuple[Candidate, ...]:
    key = func.coalesce(OrderLine.product_external_id, OrderLine.sku)
    orders = func.count(func.distinct(OrderLine.order_id))
    rows = session.execute(
        select(
            key.label("item_key"),
            orders.label("orders"),
            func.max(OrderLine.title),
            func.max(OrderLine.category),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            and_(
                Order.store_id == store_id,
                Order.placed_at >= now - timedelta(days=BESTSELLER_DAYS),
                Order.status != "cancelled",
                key.is_not(None),
            )
        )
        .group_by(key)
        .order_by(orders.desc(), key)
        .limit(BESTSELLER_COUNT)
    )
    return tuple(
        Candidate(
            item_key=str(item_key),
            rank=position,
            score=float(count),
            reason_kind=ReasonKind.BESTSELLER.value,
            reason_params=_params(title=title, category=category),
            method="popularity",
        )
        for position, (item_key, count, title, category) in enumerate(rows)
    )


def _params(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _view(entry: Ranked, language: str) -> PickView:
    candidate, item = entry.candidate, entry.item
    try:
        kind = ReasonKind(candidate.reason_kind)
    except ValueError:
        kind = ReasonKind.FOR_YOU
    return PickView(
        item_key=candidate.item_key,
        title=entry.title,
        reason=reason_text(kind, candidate.reason_params, language, title=entry.title),
        reason_kind=kind,
        score=entry.final_score,
        product_id=item.product_id if item is not None else None,
        url=item.url if item is not None else None,
        image_url=item.image_url if item is not None else None,
        price=item.price if item is not None else None,
        currency=item.currency if item is not None else None,
        category=entry.category,
        in_stock=item.in_stock if item is not None else None,
        points_cost=entry.reward.points_cost if entry.reward is not None else None,
        reward_id=entry.reward.reward_id if entry.reward is not None else None,
        affordable=entry.affordable,
        reason_params=dict(candidate.reason_params),
    )
