"""Scoring a customer from item-to-item neighbour lists (co-purchase lift, item-kNN, EASE). No I/O."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def score_neighbours(neighbours: sp.csr_matrix, weights: np.ndarray, history_items: np.ndarray) -> np.ndarray:
    """Scores ``weights @ neighbours`` (weights: the customer's per-item affinity), dense."""
    if not len(history_items):
        return np.zeros(neighbours.shape[1])
    rows = np.unique(history_items)
    sub = neighbours[rows]
    return np.asarray(sub.T @ weights[rows]).ravel()


def drivers(
    neighbours: sp.csr_matrix, weights: np.ndarray, history_items: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """For each candidate, the customer's item that contributed most to its score (-1: none)."""
    if not len(history_items) or not len(candidates):
        return np.full(len(candidates), -1, dtype=np.int64)
    rows = np.unique(history_items)
    block = neighbours[rows][:, candidates].toarray() * weights[rows][:, None]
    best = block.argmax(axis=0)
    found = block.max(axis=0) > 0
    return np.where(found, rows[best], -1)
