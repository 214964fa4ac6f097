"""Exact re-parametrizations of a dot-product model's embeddings: its principal basis, numpy.

U M^T is unchanged by U -> U A, M -> M B whenever A B^T = I; :func:`principal_rotation` picks
the A, B that order the dimensions by the singular values of the (row-weighted) score matrix.
Shared by training (the ``ordered`` regularizer's final step) and ``explore.ordering``.
"""

from __future__ import annotations

import numpy as np


def principal_rotation(
    user: np.ndarray,
    movie: np.ndarray,
    user_weights: np.ndarray | None = None,
    movie_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(A, B), d x d with A B^T = I, such that (U A)[:, :k] (M B)[:, :k]^T is the best rank-k
    approximation of Du U M^T Dm (Du, Dm: square roots of the row weights, default 1) for every
    k, each side carrying the square root of the singular values."""
    user = np.asarray(user, np.float64)
    movie = np.asarray(movie, np.float64)
    wu = np.ones(len(user)) if user_weights is None else np.asarray(user_weights, np.float64)
    wm = np.ones(len(movie)) if movie_weights is None else np.asarray(movie_weights, np.float64)
    ra_inv, ra = _factor(user * np.sqrt(wu)[:, None])
    rb_inv, rb = _factor(movie * np.sqrt(wm)[:, None])
    p, s, qt = np.linalg.svd(ra @ rb.T)
    root = np.sqrt(s)
    return ra_inv @ p * root, rb_inv @ qt.T * root


def _factor(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R^-1, R), d x d, with x = Q R (Q orthonormal columns), from the SVD (pseudo-inverse).
    Fewer rows than d (one user, say) are padded with zero rows: R stays d x d, of lower rank."""
    if len(x) < x.shape[1]:
        x = np.vstack([x, np.zeros((x.shape[1] - len(x), x.shape[1]))])
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    floor = max(float(s.max()) if len(s) else 0.0, 1e-300) * 1e-10
    inv_s = np.where(s > floor, 1.0 / np.maximum(s, floor), 0.0)
    return vt.T * inv_s, s[:, None] * vt
