"""Re-ranking stored picks at read time (pure: no I/O).

A fit stores each customer's candidates in the blend's order. Between fits, what matters to the shopper
changes: an item sells out or is archived, the customer buys it, earns the points for its reward, or starts
drifting away. ``rerank`` turns the stored candidates into what a placement shows:

1. *Filters* (an item failing one is dropped, never shown lower): the catalogue (``active``), stock
   (``in_stock_only``: unknown stock counts as in stock), the store's allowed categories, the placement's
   categories, campaign items and exclusions, the categories the customer excluded, a size the customer
   told us that the product does not come in, and a non-consumable bought in the last
   ``exclude_bought_days`` days. An item is *consumable* when the catalogue says so, when its category is
   one of the store's ``consumable_categories``, or when the pick's reason is repurchase (the history shows
   the customer buys it again).
2. *Re-ranking*: each candidate starts from its stored score scaled to 0..1 (the best candidate is 1) and
   gains small, documented boosts (``BOOSTS``): a category the customer is interested in, the store's
   margin on it, a loyalty reward for it the customer can afford with their points, their size in stock,
   and, for a customer the analytics see drifting away (``churn_risk``), what brings them back: what they
   buy again and rewards they can afford (a little more for a customer of proven value). The boosts are
   small beside the blend's spread, so they reorder near neighbours, not the whole list.

Everything the rule reads arrives in frozen dataclasses; ``queries.picks`` reads them in a few bounded
queries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loyaldesk.recommendations.vocab import ReasonKind

# The boosts added to a candidate's 0..1 score. Kept small so that the blend's order leads.
BOOSTS: dict[str, float] = {
    "interest": 0.15,  # the item's category is one the customer told us they are interested in
    "margin": 0.10,  # times the margin (price - cost) / price, 0..1, when the store sends the cost
    "affordable": 0.10,  # a loyalty reward for the item costs no more than the customer's balance
    "size": 0.05,  # the customer's size for this kind of product is among the product's sizes
    "churn": 0.25,  # times churn risk (when at least CHURN_THRESHOLD): repurchase and affordable rewards
    "valuable": 0.05,  # added to the churn boost when the customer's predicted value is above zero
}
# Below this churn risk the customer is not treated as drifting away.
CHURN_THRESHOLD = 0.5


@dataclass(frozen=True)
class Candidate:
    """One stored pick, as the fit ranked it."""

    item_key: str
    rank: int
    score: float
    reason_kind: str
    reason_params: Mapping[str, Any] = field(default_factory=dict)
    method: str = ""


@dataclass(frozen=True)
class CatalogueItem:
    """What the catalogue says of an item (None where the store did not send it)."""

    product_id: int
    title: str
    category: str | None = None
    price: int | None = None
    currency: str | None = None
    cost: int | None = None
    in_stock: bool | None = None
    active: bool = True
    consumable: bool | None = None
    url: str | None = None
    image_url: str | None = None
    sizes: tuple[str, ...] = ()  # the sizes the product comes in (its attributes' ``size``/``sizes``)


@dataclass(frozen=True)
class RewardOffer:
    """A loyalty reward for an item, at the customer's tier's price."""

    reward_id: int
    points_cost: int


@dataclass(frozen=True)
class Shopper:
    """What is known of the customer. ``recently_bought`` maps item keys to when they last bought them
    (at least as far back as ``exclude_bought_days``); sizes are keyed by kind of product (a category,
    matched case-insensitively)."""

    points_balance: int | None = None
    tier_id: int | None = None
    churn_risk: float | None = None
    value: float | None = None
    interests: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    sizes: Mapping[str, str] = field(default_factory=dict)
    recently_bought: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The store's settings with the placement's filters applied (never loosening the store's)."""

    in_stock_only: bool = True
    allowed_categories: tuple[str, ...] = ()  # the store's; empty: every category
    wanted_categories: tuple[str, ...] = ()  # the placement's; empty: no narrowing
    item_keys: tuple[str, ...] = ()  # a campaign's items; empty: no narrowing
    exclude_item_keys: tuple[str, ...] = ()
    exclude_bought_days: int = 180
    consumable_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ranked:
    """A candidate that passed the filters, with what the placement shows beside it."""

    candidate: Candidate
    item: CatalogueItem | None
    title: str
    category: str | None
    final_score: float
    reward: RewardOffer | None = None
    affordable: bool = False
    boosts: tuple[str, ...] = ()  # the names of the boosts it got (for explanations and tests)


def _fold(values: Sequence[str]) -> set[str]:
    return {value.casefold() for value in values}


def is_consumable(
    candidate: Candidate, item: CatalogueItem | None, category: str | None, rules: Rules
) -> bool:
    """Whether buying the item again is expected (then a recent purchase does not exclude it)."""
    if item is not None and item.consumable:
        return True
    if category is not None and category.casefold() in _fold(rules.consumable_categories):
        return True
    return candidate.reason_kind == ReasonKind.REPURCHASE


def margin_of(item: CatalogueItem | None) -> float | None:
    """The store's margin on the item, 0..1 (None without a positive price and a cost)."""
    if item is None or item.cost is None or not item.price or item.price <= 0:
        return None
    return min(1.0, max(0.0, (item.price - item.cost) / item.price))


def _size_fit(item: CatalogueItem | None, category: str | None, shopper: Shopper) -> bool | None:
    """True: the product comes in the customer's size; False: it does not; None: nothing to compare."""
    if item is None or not item.sizes or category is None or not shopper.sizes:
        return None
    wanted = {kind.casefold(): size for kind, size in shopper.sizes.items()}.get(category.casefold())
    if wanted is None:
        return None
    return wanted.casefold() in _fold(item.sizes)


def _drop(
    candidate: Candidate,
    item: CatalogueItem | None,
    category: str | None,
    shopper: Shopper,
    rules: Rules,
    now: datetime,
) -> bool:
    if candidate.item_key in rules.exclude_item_keys:
        return True
    if rules.item_keys and candidate.item_key not in rules.item_keys:
        return True
    if item is not None and not item.active:
        return True
    if rules.in_stock_only and item is not None and item.in_stock is False:
        return True
    folded = category.casefold() if category is not None else None
    if rules.allowed_categories and folded not in _fold(rules.allowed_categories):
        return True
    if rules.wanted_categories and folded not in _fold(rules.wanted_categories):
        return True
    if folded is not None and folded in _fold(shopper.excluded_categories):
        return True
    if _size_fit(item, category, shopper) is False:
        return True
    bought = shopper.recently_bought.get(candidate.item_key)
    return (
        bought is not None
        and rules.exclude_bought_days > 0
        and bought >= now - timedelta(days=rules.exclude_bought_days)
        and not is_consumable(candidate, item, category, rules)
    )


def rerank(
    candidates: Sequence[Candidate],
    catalogue: Mapping[str, CatalogueItem],
    rewards: Mapping[str, RewardOffer],
    shopper: Shopper,
    rules: Rules,
    now: datetime,
    limit: int,
) -> list[Ranked]:
    """The candidates that pass the filters, best first, at most ``limit`` (see the module's docstring).
    ``catalogue`` and ``rewards`` are keyed by item key; an item without a catalogue row keeps the title
    and category its pick remembers and is treated as in stock. Ties keep the stored rank."""
    if limit <= 0 or not candidates:
        return []
    top = max((c.score for c in candidates), default=0.0)
    low = min((c.score for c in candidates), default=0.0)
    spread = top - low
    interests = _fold(shopper.interests)
    urgency = (
        shopper.churn_risk
        if shopper.churn_risk is not None and shopper.churn_risk >= CHURN_THRESHOLD
        else 0.0
    )
    kept: list[tuple[float, int, Ranked]] = []
    for position, candidate in enumerate(candidates):
        item = catalogue.get(candidate.item_key)
        remembered = candidate.reason_params.get("category")
        category = item.category if item is not None and item.category else None
        if category is None and isinstance(remembered, str) and remembered:
            category = remembered
        if _drop(candidate, item, category, shopper, rules, now):
            continue
        base = (candidate.score - low) / spread if spread > 0 else 1.0
        boosts: list[str] = []
        score = base
        if category is not None and category.casefold() in interests:
            score += BOOSTS["interest"]
            boosts.append("interest")
        margin = margin_of(item)
        if margin:
            score += BOOSTS["margin"] * margin
            boosts.append("margin")
        reward = rewards.get(candidate.item_key)
        affordable = (
            reward is not None
            and shopper.points_balance is not None
            and shopper.points_balance >= reward.points_cost
        )
        if affordable:
            score += BOOSTS["affordable"]
            boosts.append("affordable")
        if _size_fit(item, category, shopper):
            score += BOOSTS["size"]
            boosts.append("size")
        if urgency and (affordable or candidate.reason_kind == ReasonKind.REPURCHASE):
            churn = BOOSTS["churn"] * urgency
            if shopper.value is not None and shopper.value > 0:
                churn += BOOSTS["valuable"]
            score += churn
            boosts.append("churn")
        remembered_title = candidate.reason_params.get("title")
        title = (
            item.title
            if item is not None
            else (remembered_title if isinstance(remembered_title, str) and remembered_title else None)
        ) or candidate.item_key
        ranked = Ranked(
            candidate=candidate,
            item=item,
            title=title,
            category=category,
            final_score=round(score, 6),
            reward=reward,
            affordable=affordable,
            boosts=tuple(boosts),
        )
        kept.append((-ranked.final_score, position, ranked))
    kept.sort(key=lambda entry: (entry[0], entry[1]))
    return [ranked for _, _, ranked in kept[:limit]]


def reward_cost(points_cost: int, tier_costs: Mapping[str, int] | None, tier_id: int | None) -> int:
    """What a reward costs a member of ``tier_id``: the tier's price when the reward sets one."""
    if tier_id is not None and tier_costs:
        special = tier_costs.get(str(tier_id))
        if isinstance(special, int) and not isinstance(special, bool) and special >= 0:
            return special
    return points_cost


def sizes_of(attributes: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The sizes a product comes in, from its attributes' ``size`` (one) or ``sizes`` (a list)."""
    if not attributes:
        return ()
    found: list[str] = []
    for key in ("size", "sizes"):
        value = attributes.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            found.append(str(value))
        elif isinstance(value, list):
            found.extend(str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool))
    return tuple(dict.fromkeys(found))
