"""One customer's history against a fitted item index: what every method scores from. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class History:
    """One customer's known items, per (basket, item): item index, day, quantity and basket number
    (0..n_baskets-1 in time order). Items the model does not know are left out; ``first_category`` is the
    category of the customer's first order's first known line (for new customers)."""

    item: np.ndarray
    day: np.ndarray
    quantity: np.ndarray
    basket: np.ndarray
    first_category: str | None = None

    @property
    def n_baskets(self) -> int:
        return int(self.basket.max()) + 1 if len(self.basket) else 0

    def decayed_frequency(self, n_items: int, now: float, half_life_days: float) -> np.ndarray:
        """Per item: sum over the customer's baskets holding it of 0.5 ** (age / half life)."""
        age = np.maximum(now - self.day, 0.0)
        weight = np.power(0.5, age / max(half_life_days, 1e-6))
        return np.bincount(self.item, weights=weight, minlength=n_items)


def history_from(
    item_index: dict[str, int],
    items: np.ndarray,
    days: np.ndarray,
    quantities: np.ndarray,
    baskets: np.ndarray | None,
    categories: np.ndarray | None = None,
) -> History:
    """Build a ``History`` from one customer's order lines (raw columns, any order)."""
    items = np.asarray(items, dtype=object)
    days = np.asarray(days, dtype=np.float64)
    quantities = np.asarray(quantities, dtype=np.float64)
    order = np.argsort(days, kind="stable")
    items, days, quantities = items[order], days[order], quantities[order]
    basket_ids = np.round(days * 1440).astype(np.int64) if baskets is None else np.asarray(baskets)[order]
    first_category = None
    if categories is not None and len(categories):
        ordered = np.asarray(categories, dtype=object)[order]
        first_basket = basket_ids[0]
        for category, basket in zip(ordered, basket_ids, strict=True):
            if basket == first_basket and category:
                first_category = str(category)
                break
    index = np.array([item_index.get(str(key), -1) for key in items], dtype=np.int64)
    known = (index >= 0) & (quantities > 0)
    index, days, quantities, basket_ids = index[known], days[known], quantities[known], basket_ids[known]
    if not len(index):
        return History(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int64), first_category)
    # baskets numbered in time order (first appearance)
    _, first, basket_number = np.unique(basket_ids, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    basket_number = rank[basket_number]
    pair = basket_number.astype(np.int64) * (int(index.max()) + 1) + index
    _, first_row, inverse = np.unique(pair, return_index=True, return_inverse=True)
    merged_quantity = np.bincount(inverse, weights=quantities)
    return History(
        item=index[first_row],
        day=days[first_row],
        quantity=merged_quantity,
        basket=basket_number[first_row],
        first_category=first_category,
    )
