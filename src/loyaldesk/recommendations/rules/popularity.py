"""Bestsellers, recent ones weighing more; and popular in a category (for new customers). No I/O."""

from __future__ import annotations

import numpy as np

from loyaldesk.recommendations.rules.interactions import Encoded


def fit_popularity(encoded: Encoded, now: float, half_life_days: float) -> np.ndarray:
    """Per item: the time-decayed count of distinct (customer, basket) purchases, scaled to max 1."""
    age = np.maximum(now - encoded.day, 0.0)
    weight = np.power(0.5, age / max(half_life_days, 1e-6))
    popularity = np.bincount(encoded.item, weights=weight, minlength=encoded.n_items)
    top = popularity.max() if len(popularity) else 0.0
    return (popularity / top if top > 0 else popularity).astype(np.float32)


def score_popularity(
    popularity: np.ndarray,
    item_category: np.ndarray,
    first_category: int,
    is_new: bool,
    category_boost: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores for one customer and, per item, whether the category drove it. A new customer (``is_new``)
    with a known first category (code >= 0) gets that category's bestsellers first."""
    scores = popularity.astype(np.float64, copy=True)
    in_category = np.zeros(len(scores), dtype=bool)
    if is_new and first_category >= 0:
        in_category = item_category == first_category
        scores[in_category] += category_boost
    return scores, in_category
