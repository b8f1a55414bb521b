"""Item-to-item similarity over customers: cosine, or EASE (Steck 2019, closed form). No I/O."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from loyaldesk.recommendations.rules.interactions import top_k_rows


def fit_cosine(customer_items: sp.csr_matrix, neighbours: int, shrink: float = 10.0) -> sp.csr_matrix:
    """Cosine similarity of items' buyer sets (binary), shrunk for small overlaps; top ``neighbours``."""
    binary = customer_items.copy().astype(np.float64)
    binary.data[:] = 1.0
    overlap = (binary.T @ binary).toarray()
    norms = np.sqrt(np.diag(overlap))
    similarity = overlap / (np.outer(norms, norms) + shrink)
    return top_k_rows(similarity, neighbours)


def fit_ease(customer_items: sp.csr_matrix, regularization: float, neighbours: int) -> sp.csr_matrix:
    """EASE's item weights ``B = I - P / diag(P)`` with ``P = (X'X + lambda I)^-1`` on binary purchases,
    truncated to each item's ``neighbours`` strongest positive weights (what is stored)."""
    binary = customer_items.copy().astype(np.float64)
    binary.data[:] = 1.0
    gram = (binary.T @ binary).toarray()
    gram[np.diag_indices_from(gram)] += regularization
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[None, :]
    # weights[i, j]: how much owning item i raises item j (rows are sources, as for the other lists)
    return top_k_rows(weights, neighbours)
