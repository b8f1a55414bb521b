"""Ranking metrics for the evaluation. No I/O."""

from __future__ import annotations

import numpy as np


def ranking_metrics(ranked: np.ndarray, relevant: set[int], k: int) -> tuple[float, float, float]:
    """(hit, nDCG, recall) at ``k`` of one ranked list against a relevant set (binary relevance)."""
    top = [int(item) for item in ranked[:k]]
    gains = [1.0 if item in relevant else 0.0 for item in top]
    hits = sum(gains)
    if not relevant:
        return 0.0, 0.0, 0.0
    dcg = sum(gain / np.log2(position + 2) for position, gain in enumerate(gains))
    ideal = sum(1.0 / np.log2(position + 2) for position in range(min(len(relevant), k)))
    return (1.0 if hits else 0.0), dcg / ideal, hits / len(relevant)
