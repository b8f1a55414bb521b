"""Co-purchase lift: items that share baskets more often than chance would have them. No I/O."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from loyaldesk.recommendations.rules.interactions import Encoded, basket_item_matrix, top_k_rows


def fit_copurchase(encoded: Encoded, neighbours: int, min_support: int, shrink: float) -> sp.csr_matrix:
    """Per item, its ``neighbours`` best partners by lift ``P(a,b) / (P(a) P(b))``, shrunk towards 0 for
    pairs seen in few baskets (``count / (count + shrink)``); pairs seen fewer than ``min_support`` times
    are left out."""
    baskets = basket_item_matrix(encoded)
    n_baskets = max(baskets.shape[0], 1)
    together = (baskets.T @ baskets).tocsr().astype(np.float64)
    counts = np.asarray(baskets.sum(axis=0)).ravel()
    together.setdiag(0)
    together.eliminate_zeros()
    coo = together.tocoo()
    keep = coo.data >= min_support
    row, col, count = coo.row[keep], coo.col[keep], coo.data[keep]
    lift = count * n_baskets / (counts[row] * counts[col])
    value = np.log1p(lift) * count / (count + shrink)
    matrix = sp.csr_matrix((value, (row, col)), shape=together.shape)
    return top_k_rows(matrix, neighbours)
