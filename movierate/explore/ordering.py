"""Are a model's embedding dimensions in order of importance? Ablation and prefix curves, numpy.

- :func:`dimension_ablation`: the RMSE increase on given rows when one dimension is zeroed in
  both the user and the movie embedding (every other dimension kept), and
  :func:`ordering_spearman`, the Spearman correlation of that increase with *reversed* index
  (1.0: dimension 0 matters most, then 1, then 2 ...).
- :func:`prefix_curve`: RMSE using only the first k dimensions, k = 1 .. dim, either as trained
  (``basis="index"``) or after re-expressing the model in its best post-hoc ordered basis
  (``basis="pca"``, see :func:`pca_arrays`).
- :func:`truncated_arrays`: a model's arrays keeping only its first k dimensions (what a "use
  the first k dimensions" control shows).

Everything works on ``model.arrays`` through :mod:`movierate.scoring`, so it is pure, cheap
(dim + 1 numpy forward passes over the rows) and cacheable by (model name, rows, basis).

>>> ablation = dimension_ablation(model, users, movies, ratings)  # doctest: +SKIP
>>> ordering_spearman(ablation)  # doctest: +SKIP
0.97
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from movierate import scoring
from movierate.basis import principal_rotation
from movierate.errors import DataError

BASES = ("index", "pca")


def dimension_ablation(model: Any, users: Any, movies: Any, ratings: Any) -> pd.DataFrame:
    """One row per dimension: ``dimension`` (0-based), ``rmse`` with it zeroed in both the user
    and the movie embedding, and ``rmse_increase`` over the full model (``attrs["base_rmse"]``).

    ``model`` needs ``arrays``, ``spec`` and ``rating_scale`` (a saved or in-memory model);
    the rows should be held out from training (e.g. the early-stopping rows).
    """
    users, movies, truth = _rows(users, movies, ratings)
    arrays = dict(model.arrays)
    base = _rmse(model, arrays, users, movies, truth)
    user_emb = np.array(arrays["user_embedding"], copy=True)
    movie_emb = np.array(arrays["movie_embedding"], copy=True)
    arrays["user_embedding"], arrays["movie_embedding"] = user_emb, movie_emb
    dim = user_emb.shape[1]
    rmse = np.empty(dim)
    for j in range(dim):
        saved_u, saved_m = user_emb[:, j].copy(), movie_emb[:, j].copy()
        user_emb[:, j], movie_emb[:, j] = 0.0, 0.0
        rmse[j] = _rmse(model, arrays, users, movies, truth)
        user_emb[:, j], movie_emb[:, j] = saved_u, saved_m
    frame = pd.DataFrame({"dimension": np.arange(dim), "rmse": rmse, "rmse_increase": rmse - base})
    frame.attrs["base_rmse"] = base
    return frame


def ordering_spearman(ablation: pd.DataFrame) -> float:
    """Spearman correlation of the ablation's RMSE increase with reversed dimension index
    (1.0 = importance strictly decreasing with index; NaN when every increase is equal)."""
    increase = ablation["rmse_increase"].to_numpy(np.float64)
    if len(increase) < 2 or np.ptp(increase) == 0:
        return math.nan
    order = -ablation["dimension"].to_numpy(np.float64)
    return float(np.corrcoef(_ranks(increase), _ranks(order))[0, 1])


def prefix_curve(
    model: Any,
    users: Any,
    movies: Any,
    ratings: Any,
    basis: str = "index",
    ks: Sequence[int] | None = None,
    user_weights: Any = None,
    movie_weights: Any = None,
) -> pd.DataFrame:
    """RMSE on the rows using only the first ``k`` dimensions (columns ``k``, ``rmse``).

    ``basis="index"``: the dimensions as trained (trailing ones zeroed in both embeddings).
    ``basis="pca"``: the model first re-expressed by :func:`pca_arrays` (same predictions at
    full dim), ``user_weights`` / ``movie_weights`` weighting its rows. ``ks`` defaults to
    1 .. dim.
    """
    users, movies, truth = _rows(users, movies, ratings)
    arrays = dict(model.arrays)
    if basis == "pca":
        arrays = pca_arrays(arrays, model.spec, user_weights, movie_weights)
    elif basis != "index":
        raise DataError(f"basis = {basis!r}: choose one of {', '.join(BASES)}.")
    dim = arrays["user_embedding"].shape[1]
    ks = list(range(1, dim + 1)) if ks is None else [int(k) for k in ks]
    rmse = [_rmse(model, truncated_arrays(arrays, k), users, movies, truth) for k in ks]
    return pd.DataFrame({"k": ks, "rmse": rmse})


def truncated_arrays(arrays: Mapping[str, np.ndarray], k: int) -> dict[str, np.ndarray]:
    """A copy of ``arrays`` with embedding dimensions ``k ..`` zeroed for users and movies
    (biases, dense layers and dims ``< k`` unchanged); ``k >= dim`` returns the arrays as is."""
    out = dict(arrays)
    dim = out["user_embedding"].shape[1]
    if not k >= 1:
        raise DataError(f"k = {k}: keep at least one dimension (1 .. {dim}).")
    if k >= dim:
        return out
    for key in ("user_embedding", "movie_embedding"):
        x = np.array(out[key], copy=True)
        x[:, k:] = 0.0
        out[key] = x
    return out


def pca_arrays(
    arrays: Mapping[str, np.ndarray],
    spec: Any,
    user_weights: Any = None,
    movie_weights: Any = None,
) -> dict[str, np.ndarray]:
    """The same model expressed in its principal basis: identical full-dim predictions, and
    dimension j is the j-th principal direction, so truncating to k dims is the best post-hoc
    rank-k linear re-ordering.

    Dot-product families (``mf``, ``mf_bias``): with Du, Dm the square roots of the row
    weights (default 1), the SVD of the weighted score matrix Du U M^T Dm = P S Q^T, computed
    from the d x d factors of U and M; new U = U A, new M = M B with A B^T = I, so U' M'^T =
    U M^T and U'[:, :k] M'[:, :k]^T is the best rank-k approximation of the (weighted) score
    matrix (Eckart-Young), each side scaled by S^(1/2).
    ``deep``: each side centred and rotated to the eigenbasis of its (weighted) covariance; the
    mean and the rotation are folded into the first dense layer, so truncation keeps the mean.
    """
    out = dict(arrays)
    user = np.asarray(arrays["user_embedding"], np.float64)
    movie = np.asarray(arrays["movie_embedding"], np.float64)
    wu = _weights(user_weights, len(user), "user_weights")
    wm = _weights(movie_weights, len(movie), "movie_weights")
    dtype = arrays["user_embedding"].dtype
    if _family(spec) != "deep":
        a, b = principal_rotation(user, movie, wu, wm)
        out["user_embedding"] = (user @ a).astype(dtype)
        out["movie_embedding"] = (movie @ b).astype(dtype)
        return out
    kernel = np.asarray(arrays["dense_0_kernel"], np.float64)
    bias = np.asarray(arrays["dense_0_bias"], np.float64)
    dim = user.shape[1]
    new_kernel = kernel.copy()
    new_bias = bias.copy()
    for key, x, w, rows in (
        ("user_embedding", user, wu, slice(0, dim)),
        ("movie_embedding", movie, wm, slice(dim, 2 * dim)),
    ):
        mean = w @ x / w.sum()
        centred = x - mean
        cov = (centred * w[:, None]).T @ centred / w.sum()
        values, vectors = np.linalg.eigh(cov)
        vectors = vectors[:, np.argsort(values)[::-1]]
        out[key] = (centred @ vectors).astype(dtype)
        new_bias += mean @ kernel[rows]
        new_kernel[rows] = vectors.T @ kernel[rows]
    out["dense_0_kernel"] = new_kernel.astype(arrays["dense_0_kernel"].dtype)
    out["dense_0_bias"] = new_bias.astype(arrays["dense_0_bias"].dtype)
    out.pop("first_dense_input_norms", None)
    return out


# --- helpers ------------------------------------------------------------------------------------


def _family(spec: Any) -> str:
    return spec["family"] if isinstance(spec, Mapping) else spec.family


def _weights(weights: Any, n: int, what: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, np.float64).reshape(-1)
    if len(w) != n or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise DataError(f"{what} needs {n} finite weights >= 0, not all 0.")
    return w


def _rows(users: Any, movies: Any, ratings: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users = np.asarray(users).reshape(-1)
    movies = np.asarray(movies).reshape(-1)
    truth = np.asarray(ratings, np.float64).reshape(-1)
    if not len(users) == len(movies) == len(truth) or len(truth) == 0:
        raise DataError(
            f"users, movies and ratings need the same non-zero length; got {len(users)}, "
            f"{len(movies)} and {len(truth)}."
        )
    return users, movies, truth


def _rmse(model: Any, arrays: Mapping[str, np.ndarray], users, movies, truth) -> float:
    predicted = scoring.predict(arrays, model.spec, users, movies, model.rating_scale)
    return float(np.sqrt(np.mean((predicted.astype(np.float64) - truth) ** 2)))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as scipy.stats.rankdata."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]
