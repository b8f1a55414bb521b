"""The blend: a weighted sum of each method's per-customer normalised scores. No I/O.

``DEFAULT_WEIGHTS`` were chosen by a small grid search on a validation split inside the training period
of UCI Online Retail (train before 2011-06-01, validate 2011-06-01..09-01; see
docs/benchmarks.md, "Recommendations"); a store overrides them in ``RecommendationSettings.weights``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from loyaldesk.recommendations.vocab import Method

SINGLE_METHODS = (Method.POPULARITY, Method.REPURCHASE, Method.COPURCHASE, Method.ITEM_KNN, Method.ALS)

# Chosen by coordinate ascent on the validation split (hit rate + nDCG at 10): popularity 0.5, repurchase 1,
# item-kNN 0.3, ALS 1.5, co-purchase 0. Co-purchase is kept at a token 0.05 so that "often bought with"
# reasons appear at all; it cost 0.002 of validation hit rate.
DEFAULT_WEIGHTS: dict[str, float] = {
    Method.POPULARITY.value: 0.5,
    Method.REPURCHASE.value: 1.0,
    Method.COPURCHASE.value: 0.05,
    Method.ITEM_KNN.value: 0.3,
    Method.ALS.value: 1.5,
}


REPURCHASE_LEADS = 0.5


def resolve_weights(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """The store's weights when it set any (unknown methods and negative weights ignored), else the
    defaults."""
    known = {method.value for method in SINGLE_METHODS}
    cleaned = {
        key: float(value)
        for key, value in (overrides or {}).items()
        if key in known and isinstance(value, int | float) and value >= 0
    }
    if not cleaned or not any(cleaned.values()):
        return dict(DEFAULT_WEIGHTS)
    return {method.value: cleaned.get(method.value, 0.0) for method in SINGLE_METHODS}


# A per-method floor under the max-normalisation (a method's best score below it counts as less than 1).
# Tried for repurchase (floor 1: one recent repeat purchase) so that a new customer's one-off item would
# not lead: neutral on the validation split, -1.1 points of hit rate on the test window; left empty. The
# serving filter "exclude just-bought non-consumables" keeps one-off items out instead.
NORMALISE_FLOOR: dict[str, float] = {}


def normalise(scores: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Max-normalised: the customer's best item under this method scores 1 (or less, when the best is
    below ``floor``), nothing scores below 0."""
    clipped = np.maximum(scores, 0.0)
    top = max(clipped.max() if len(clipped) else 0.0, floor)
    return clipped / top if top > 0 else clipped


def blend(
    components: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The blended scores and, per item, the index (into ``SINGLE_METHODS``) of the method that
    contributed most, except that repurchase leads whenever it contributed at least half as much as the
    leader: "you buy this about every N days" is the reason a customer recognises, and the factor and
    neighbour methods mostly echo the same repeat purchases."""
    n = len(next(iter(components.values())))
    parts = np.zeros((len(SINGLE_METHODS), n))
    for row, method in enumerate(SINGLE_METHODS):
        weight = weights.get(method.value, 0.0)
        if weight and method.value in components:
            parts[row] = weight * normalise(components[method.value], NORMALISE_FLOOR.get(method.value, 0.0))
    leader = parts.argmax(axis=0)
    repurchase = SINGLE_METHODS.index(Method.REPURCHASE)
    strong = (parts[repurchase] > 0) & (parts[repurchase] >= REPURCHASE_LEADS * parts.max(axis=0))
    return parts.sum(axis=0), np.where(strong, repurchase, leader)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, best first (ties by index)."""
    positive = np.flatnonzero(scores > 0)
    if not len(positive):
        return positive
    k = min(k, len(positive))
    part = positive[np.argpartition(-scores[positive], k - 1)[:k]] if k < len(positive) else positive
    return part[np.lexsort((part, -scores[part]))]
