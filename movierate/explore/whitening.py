"""Exact whitening: the same model re-expressed with a movie embedding whose covariance is I.

For a dot-product model the embedding is only defined up to an invertible linear map: with
A = C^(-1/2) (C the movie embedding's covariance, ``np.cov``; symmetric "ZCA" root) and mu its
mean, u.m = u.mu + (u A^-1).(A (m - mu)). So

- ``mf`` / ``mf_bias`` with a user bias: m' = A (m - mu), u' = A^-1 u, b_u' = b_u + u.mu (the
  user-dependent part moves into the user bias); the movie embedding is centred and white;
- without a user bias (plain ``mf``): m' = A m, u' = A^-1 u; white, but the mean stays (A mu);
- ``deep``: m' = A (m - mu) and the first dense layer absorbs the inverse: its movie rows
  W_m' = A^-1 W_m, its bias b' = b + mu W_m; users are untouched.

Every prediction stays the same (to float32 precision), so the exact-whitened model is what a
whitening regularizer promises at no cost in RMSE. The map may be fitted on some movies only
(those its spread penalties shaped: :func:`exact_whitening`) and applied to all. Numpy only.

>>> white = exact_whitening(model)  # doctest: +SKIP
>>> np.cov(white.movie_embedding, rowvar=False).round(3)  # the identity  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from movierate import store
from movierate.errors import DataError, StoreError
from movierate.explore.validation import takes_models

#: Eigenvalues below this share of the largest make the covariance singular (not invertible).
SINGULAR_SHARE = 1e-10
SUFFIX = " (exact whitening)"


def whitening_maps(embedding: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean ``mu``, whitening map ``A = C^(-1/2)`` and its inverse (float64, A symmetric)."""
    x = np.asarray(embedding, dtype=np.float64)
    if x.ndim != 2 or len(x) <= x.shape[1]:
        raise DataError(
            f"Exact whitening needs more movies than dimensions, got an embedding of shape "
            f"{x.shape}."
        )
    mean = x.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(np.atleast_2d(np.cov(x, rowvar=False)))
    if eigenvalues.min() <= SINGULAR_SHARE * max(eigenvalues.max(), 0.0):
        raise DataError(
            "The movie embedding's covariance is singular (some direction has no variance), "
            "so it cannot be whitened exactly; retrain with a smaller dimension."
        )
    root = np.sqrt(eigenvalues)
    return mean, (vectors / root) @ vectors.T, (vectors * root) @ vectors.T


def whiten_arrays(
    arrays: Mapping[str, np.ndarray],
    family: str,
    dot_product: bool = False,
    rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The ``embeddings.npz`` arrays of the exactly whitened model (same predictions).

    ``dot_product``: a ``deep`` model that adds u.m, whose users are mapped as a dot-product
    model's (u A^-1, u.mean into the user bias) and the inverse folded into the first dense
    layer's user rows. ``rows`` (a boolean mask) whitens over those movies only: the map is
    fitted on them and applied to every row."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    movies = arrays["movie_embedding"].astype(np.float64)
    users = arrays["user_embedding"].astype(np.float64)
    mean, a, a_inv = whitening_maps(movies if rows is None else movies[rows])
    out = dict(arrays)
    if family == "deep":
        dim = movies.shape[1]
        kernel = arrays["dense_0_kernel"].astype(np.float64)
        movie_rows, user_rows = kernel[dim:], kernel[:dim]
        out["dense_0_bias"] = (arrays["dense_0_bias"] + mean @ movie_rows).astype(np.float32)
        if dot_product:  # u' = u A^-1 keeps u.(m - mean); u' (A W_u) = u W_u
            out["user_embedding"] = (users @ a_inv).astype(np.float32)
            bias = arrays.get("user_bias", np.zeros(len(users), np.float32))
            out["user_bias"] = (bias + users @ mean).astype(np.float32)
            user_rows = a @ user_rows
        kernel = np.concatenate([user_rows, a_inv @ movie_rows])
        out["dense_0_kernel"] = kernel.astype(np.float32)
        if "first_dense_input_norms" in arrays:
            out["first_dense_input_norms"] = np.linalg.norm(kernel, axis=1).astype(np.float32)
        out["movie_embedding"] = ((movies - mean) @ a).astype(np.float32)
        return out
    out["user_embedding"] = (users @ a_inv).astype(np.float32)
    if "user_bias" in arrays:
        out["movie_embedding"] = ((movies - mean) @ a).astype(np.float32)
        out["user_bias"] = (arrays["user_bias"] + users @ mean).astype(np.float32)
    else:
        out["movie_embedding"] = (movies @ a).astype(np.float32)
    return out


@dataclasses.dataclass(eq=False)
class ExactlyWhitened(store.TrainedModel):
    """A saved model re-expressed by :func:`exact_whitening` (numpy arrays only, not saved)."""

    source_name: str = ""

    def cache_path(self, key: str) -> Path:
        """Cached analyses live beside the source model's, under their own key."""
        return store.cache_path(self.source_name, f"exact-white-{key}")

    def keras_model(self) -> Any:
        raise StoreError(
            f"{self.name!r} exists only as numpy arrays (predictions, embeddings); open "
            f"{self.source_name!r} for its Keras model."
        )


@takes_models("model")
def exact_whitening(model: Any) -> ExactlyWhitened:
    """``model`` (a loaded TrainedModel) with its movie embedding exactly whitened.

    Same interface as the model (arrays, movie_embedding, user_embedding, biases, movies, spec,
    predict, ...), named ``"<name> (exact whitening)"``; predictions are unchanged. White over
    the movies its verdicts measure (:func:`movierate.explore.verdicts.shaped_rows`: those its
    spread penalties shaped, i.e. with a training rating, or with at least the penalties'
    minimum-ratings limit of them, for a model that records its training counts), not over
    vectors no rating moved.
    """
    from movierate.explore.verdicts import shaped_rows

    dot_product = bool(getattr(model.spec, "dot_product", False))
    rows = shaped_rows(model, model.spec).rows
    arrays = whiten_arrays(model.arrays, model.spec.family, dot_product, rows)
    for value in arrays.values():
        value.setflags(write=False)
    meta = dict(model.meta, name=model.name + SUFFIX, exact_whitening_of=model.name)
    white = ExactlyWhitened(
        name=model.name + SUFFIX,
        path=model.path,
        spec=model.spec,
        meta=meta,
        arrays=arrays,
        movies=model.movies,
        source_name=model.name,
    )
    # the dashboard's key of the files the source was loaded from: its analyses are filed
    # under them, not under whatever holds the name later (recheck 2)
    white.loaded_key = getattr(model, "loaded_key", None)
    return white
