"""What other packages see of recommendations: a served pick and the filters a placement may add.

These are the seams the placements (the store API, the member page, the widget's greeting, journeys'
email block, the agent's sidebar) are built on; ``queries.picks.picks_for`` returns ``PickView``s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loyaldesk.recommendations.vocab import Placement, ReasonKind


@dataclass(frozen=True)
class PickFilters:
    """Filters a placement adds to the store's settings (``RecommendationSettings``), never loosening
    them: ``categories`` narrows to those categories; ``item_keys`` to a campaign's items; ``in_stock_only``
    None keeps the store's setting; ``exclude_item_keys`` leaves items out (what is already in a message)."""

    categories: tuple[str, ...] = ()
    item_keys: tuple[str, ...] = ()
    in_stock_only: bool | None = None
    exclude_item_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class PickView:
    """One product picked for a customer, as a placement shows it. ``reason`` is the pick's why in the
    customer's language; ``points_cost`` is what the loyalty reward for this item costs them (their tier's
    price) when one applies, with ``reward_id``; ``affordable`` whether their balance covers it."""

    item_key: str
    title: str
    reason: str
    reason_kind: ReasonKind
    score: float
    product_id: int | None = None
    url: str | None = None
    image_url: str | None = None
    price: int | None = None  # minor units of ``currency``
    currency: str | None = None
    category: str | None = None
    in_stock: bool | None = None
    points_cost: int | None = None
    reward_id: int | None = None
    affordable: bool = False
    reason_params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PickRequest:
    """Who picks are for and where they are shown."""

    store_id: int
    customer_id: int
    placement: Placement = Placement.API
    limit: int = 10
    language: str = "en"
    filters: PickFilters = PickFilters()
