"""Matrix factorisation of the purchase matrix (implicit's ALS), and one customer's factors solved
against the item factors without refitting. No I/O besides the library's CPU fit."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def confidence(counts: np.ndarray, alpha: float) -> np.ndarray:
    """Log weighting: ``alpha * log1p(count)`` (at least 1 for a purchase), as the fit and the solve use."""
    return np.maximum(alpha * np.log1p(np.asarray(counts, dtype=np.float64)), 1.0)


def confidence_matrix(counts: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    """``confidence`` applied to a sparse matrix's stored counts."""
    weighted = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    weighted.data = confidence(weighted.data, alpha).astype(np.float32)
    return weighted


def fit_als(
    customer_items: sp.csr_matrix,
    factors: int,
    regularization: float,
    iterations: int,
    alpha: float,
    seed: int = 17,
) -> np.ndarray:
    """Item factors (items x factors) of implicit's CPU ALS on log-weighted counts."""
    from threadpoolctl import threadpool_limits

    n_items = customer_items.shape[1]
    if customer_items.nnz == 0 or n_items == 0:
        return np.zeros((n_items, factors), dtype=np.float32)
    # implicit parallelises itself; BLAS threads on top of it only contend (the library warns)
    with threadpool_limits(1, "blas"):
        return _fit(customer_items, factors, regularization, iterations, alpha, seed)


def _fit(
    customer_items: sp.csr_matrix,
    factors: int,
    regularization: float,
    iterations: int,
    alpha: float,
    seed: int,
) -> np.ndarray:
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(
        factors=factors,
        regularization=regularization,
        alpha=1.0,
        iterations=iterations,
        random_state=seed,
        num_threads=1,
        calculate_training_loss=False,
    )
    model.fit(confidence_matrix(customer_items, alpha), show_progress=False)
    return np.asarray(model.item_factors, dtype=np.float32)


def solve_customer(
    item_factors: np.ndarray,
    gram: np.ndarray,
    items: np.ndarray,
    counts: np.ndarray,
    alpha: float,
    regularization: float,
) -> np.ndarray:
    """The customer's factors by least squares against fixed item factors (the implicit-feedback normal
    equations: ``(Y'Y + Y' (C - I) Y + lambda I) x = Y' C p``)."""
    f = item_factors.shape[1]
    if not len(items):
        return np.zeros(f)
    weights = np.asarray(confidence(counts, alpha))
    selected = item_factors[items].astype(np.float64)
    matrix = gram + (selected.T * (weights - 1.0)) @ selected + regularization * np.eye(f)
    target = selected.T @ weights
    return np.linalg.solve(matrix, target)
