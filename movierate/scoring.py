"""Numpy forward pass of every model family: predictions without TensorFlow.

Works on the arrays of a saved model's ``embeddings.npz`` (see docs/architecture.md,
"Prediction semantics"): z = u.m + b_u + b_m for ``mf`` / ``mf_bias`` / ``svdpp`` (whose saved
``user_embedding`` already holds the effective p_u + |N(u)|^-1/2 sum y_j) / ``autorec`` (user
vector = decoder row, movie vector = the movie's code, no movie bias), z = MLP([u, m]) + b_m
(+ b_u) for ``deep`` (ReLU hidden layers, batch normalisation already folded into the dense
kernels; + u.m when the spec has ``dot_product``), then the output transform ``none`` / ``clip`` / ``sigmoid`` around the global mean.
``none`` and ``clip`` predict g + s z, where s is the model's score unit (the array
``score_unit``; 1 when absent: :func:`unit_of_scale`).

>>> scores = score_all_movies(arrays, spec, user_idx=3, rating_scale=(0.5, 5.0))  # doctest: +SKIP
>>> top10 = np.argsort(-scores)[:10]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from movierate import schema
from movierate.errors import DataError, StoreError

#: Rows scored per block (bounds the memory of gathered embeddings and hidden layers).
BLOCK_ROWS = 32_768
#: Margin added to both ends of the scale by the sigmoid output (fastai's ``y_range`` margin).
SIGMOID_MARGIN = 0.5
FAMILIES = schema.names("family")
OUTPUTS = schema.names("output")
#: Predictions spanning less than this share of the rating scale rank nothing (a model
#: trained on one rating value predicted 3.60-3.61 for every movie: bad-input round 27, F9).
TIED_SPREAD = 0.01
#: Rating scales whose span (max - min) lies in this range score in their own rating points
#: (score unit 1: MovieLens' 1-5 and 0.5-5, 1-7); others in a unit of span / 4, "stars".
STAR_SPANS = (3.0, 6.0)


def unit_of_scale(rating_scale: Any) -> float:
    """The score unit of a model trained on ``rating_scale``: its predictions are g + unit * z
    (``none`` / ``clip`` outputs) and training measures errors in this unit, so L2, Adam's
    steps and the starting vectors weigh the same on a 0-100 or 1-10 copy of star data as on
    stars (accuracy round 44, F1). 1.0 for a span of 3 to 6 rating points, else span / 4.

    >>> unit_of_scale((1, 5)), unit_of_scale((0, 100)), unit_of_scale((0, 1))
    (1.0, 25.0, 0.25)
    """
    lo, hi = _scale_bounds(rating_scale)
    span = hi - lo
    if span <= 0 or STAR_SPANS[0] <= span <= STAR_SPANS[1]:
        return 1.0
    return span / 4.0


def score_unit(arrays: Mapping[str, np.ndarray]) -> float:
    """The score unit saved with a model's arrays (``score_unit``); 1.0 when absent (models
    saved before accuracy round 44, imported embeddings)."""
    unit = arrays.get("score_unit")
    return 1.0 if unit is None else float(np.asarray(unit).reshape(-1)[0])


def unit_problem(arrays: Mapping[str, np.ndarray]) -> str | None:
    """Why a saved ``score_unit`` cannot scale predictions (not one positive finite number)."""
    unit = arrays.get("score_unit")
    if unit is None:
        return None
    if np.size(unit) != 1 or not np.isfinite(np.ravel(unit)[0]) or float(np.ravel(unit)[0]) <= 0:
        return (
            f"'score_unit' is {np.ravel(unit)[:3].tolist()}, expected one positive number (the "
            "rating points of one score unit); the file is damaged: retrain the model"
        )
    return None


def tied_span(scores: Any, rating_scale: Any) -> tuple[float, float] | None:
    """(lowest, highest) of ``scores`` when they span under :data:`TIED_SPREAD` of the rating
    scale, so their order means nothing (Rate's list, the held-out list check, the highest
    predictions' check); None when they spread enough to rank, or there are none."""
    scores = np.asarray(scores, dtype=np.float64)
    width = float(rating_scale[1]) - float(rating_scale[0])
    if not scores.size or width <= 0:
        return None
    low, high = float(np.min(scores)), float(np.max(scores))
    return (low, high) if high - low < TIED_SPREAD * width else None


def predict(
    arrays: Mapping[str, np.ndarray],
    spec: Any,
    user_idx: Any,
    movie_idx: Any,
    rating_scale: Any,
) -> np.ndarray:
    """Predicted ratings (float32, original scale) for pairs of user and movie indices.

    ``user_idx`` and ``movie_idx`` broadcast against each other (a scalar user with an array of
    movies is fine). ``rating_scale`` is a ``RatingScale`` or a ``(min, max[, step])`` sequence.
    """
    family, output = _family_and_output(spec)
    user_emb, movie_emb = arrays["user_embedding"], arrays["movie_embedding"]
    users, movies = _pairs(
        _indices(user_idx, len(user_emb), "user_idx"),
        _indices(movie_idx, len(movie_emb), "movie_idx"),
    )
    shape = users.shape
    users, movies = users.ravel(), movies.ravel()
    layers = dense_layers(arrays) if family == "deep" else []
    dot = has_dot_product(spec)
    z = np.empty(len(users), dtype=np.float32)
    for start in range(0, len(users), BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        u, m = user_emb[users[block]], movie_emb[movies[block]]
        if family == "deep":
            dim = user_emb.shape[1]
            w0, b0 = layers[0]
            z[block] = _mlp_from_first(u @ w0[:dim] + m @ w0[dim:] + b0, layers[1:])
            if dot:
                z[block] += np.einsum("ij,ij->i", u, m)
        else:
            z[block] = np.einsum("ij,ij->i", u, m)
    z = z + _bias(arrays, "user_bias", users) + _bias(arrays, "movie_bias", movies)
    return _to_rating(z, arrays, output, rating_scale).reshape(shape)


def score_all_movies(
    arrays: Mapping[str, np.ndarray],
    spec: Any,
    user_idx: int,
    rating_scale: Any,
    *,
    clip: bool = True,
) -> np.ndarray:
    """Predicted rating of every movie for one user: float32 array of length ``n_movies``.

    Faster than :func:`predict` on all pairs: the user's share of the first layer (deep) or the
    dot product (mf) is computed once, then one matrix-vector or matrix-matrix product per block.
    ``clip=False``: a model whose output is clipped to the scale gives its score before the
    clip, the order to rank by (the movies it puts past the top keep their order instead of
    tying at the maximum; accuracy round 14).
    """
    clip = schema.flag(clip, "clip", DataError)
    family, output = _family_and_output(spec)
    user_emb, movie_emb = arrays["user_embedding"], arrays["movie_embedding"]
    if np.ndim(user_idx) != 0:
        raise DataError(f"score_all_movies takes one user index, got an array {user_idx!r}.")
    user = int(_indices(user_idx, len(user_emb), "user_idx"))
    u = user_emb[user]
    if family == "deep":
        layers = dense_layers(arrays)
        dim = user_emb.shape[1]
        w0, b0 = layers[0]
        user_part = u @ w0[:dim] + b0
        z = np.empty(len(movie_emb), dtype=np.float32)
        for start in range(0, len(movie_emb), BLOCK_ROWS):
            first = movie_emb[start : start + BLOCK_ROWS] @ w0[dim:] + user_part
            z[start : start + BLOCK_ROWS] = _mlp_from_first(first, layers[1:])
        if has_dot_product(spec):
            z += movie_emb @ u
    else:
        z = movie_emb @ u
    z = z + _bias(arrays, "movie_bias", slice(None))
    if "user_bias" in arrays:
        z = z + arrays["user_bias"][user]
    if output == "clip" and not clip:
        output = "none"
    return _to_rating(z.astype(np.float32, copy=False), arrays, output, rating_scale)


def has_dot_product(spec: Any) -> bool:
    """Whether a ``deep`` spec adds u.m to its MLP (specs saved before the field: no)."""
    return getattr(spec, "family", None) == "deep" and bool(getattr(spec, "dot_product", False))


def dense_layers(arrays: Mapping[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The deep model's (kernel, bias) pairs in order: ``dense_0`` ... then ``output``."""
    layers = []
    i = 0
    while f"dense_{i}_kernel" in arrays:
        layers.append((arrays[f"dense_{i}_kernel"], arrays[f"dense_{i}_bias"]))
        i += 1
    if "output_kernel" not in arrays or "output_bias" not in arrays:
        raise StoreError(
            "The deep model's arrays lack 'output_kernel' / 'output_bias'; the saved model is "
            "incomplete. Retrain it or delete it."
        )
    layers.append((arrays["output_kernel"], arrays["output_bias"]))
    return layers


def shape_problem(shapes: Mapping[str, Sequence[int]], family: str, dim: int) -> str | None:
    """Why arrays of these ``shapes`` cannot score a ``family`` model of ``dim``; None if fine.

    Checks only what prediction needs (names, ranks and matching sizes), so the store can vet a
    model folder from the ``.npy`` headers without loading the arrays.
    """
    for key in ("user_embedding", "movie_embedding", "global_mean"):
        if key not in shapes:
            return f"embeddings.npz has no '{key}' array"
    for key in ("user_embedding", "movie_embedding"):
        shape = tuple(shapes[key])
        if len(shape) != 2 or shape[1] != dim:
            return f"'{key}' has shape {shape}, expected (rows, {dim}) for dim {dim}"
    for key in ("global_mean", "score_unit"):
        if key in shapes and tuple(shapes[key]) not in ((), (1,)):
            return f"'{key}' has shape {tuple(shapes[key])}, expected a scalar"
    for key, table in (("user_bias", "user_embedding"), ("movie_bias", "movie_embedding")):
        rows = tuple(shapes[table])[0]
        if key in shapes and tuple(shapes[key]) != (rows,):
            return f"'{key}' has shape {tuple(shapes[key])}, expected ({rows},)"
    if family == "autorec" and "user_bias" not in shapes:
        return "an autorec model needs a 'user_bias' array (its decoder bias)"
    if family in ("mf_bias", "svdpp") and "movie_bias" not in shapes and "user_bias" not in shapes:
        return f"an {family} model needs 'user_bias' or 'movie_bias' arrays"
    if family != "deep":
        return None
    return _deep_shape_problem(shapes, dim)


def _deep_shape_problem(shapes: Mapping[str, Sequence[int]], dim: int) -> str | None:
    width = 2 * dim
    i = 0
    names = []
    while f"dense_{i}_kernel" in shapes:
        names.append(f"dense_{i}")
        i += 1
    names.append("output")
    for name in names:
        kernel, bias = shapes.get(f"{name}_kernel"), shapes.get(f"{name}_bias")
        if kernel is None or bias is None:
            return f"embeddings.npz has no '{name}_kernel' / '{name}_bias' array"
        kernel, bias = tuple(kernel), tuple(bias)
        if len(kernel) != 2 or kernel[0] != width or bias != (kernel[1],):
            return (
                f"'{name}_kernel' {kernel} / '{name}_bias' {bias} do not fit an input of "
                f"width {width}"
            )
        width = kernel[1]
    if width != 1:
        return f"the output layer has {width} units, expected 1"
    return None


def _family_and_output(spec: Any) -> tuple[str, str]:
    family, output = getattr(spec, "family", None), getattr(spec, "output", None)
    if family not in FAMILIES:
        raise DataError(f"Unknown model family {family!r}; expected one of {', '.join(FAMILIES)}.")
    if output not in OUTPUTS:
        raise DataError(f"Unknown output {output!r}; expected one of {', '.join(OUTPUTS)}.")
    return family, output


def _indices(values: Any, size: int, what: str) -> np.ndarray:
    """Validated integer index array (any shape) into a table of ``size`` rows."""
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        if array.size == 0:
            return array.astype(np.int64)
        raise DataError(f"{what} must hold whole numbers (row indices), got dtype {array.dtype}.")
    if array.size and (array.min() < 0 or array.max() >= size):
        bad = array[(array < 0) | (array >= size)].reshape(-1)[0]
        raise DataError(
            f"{what} {int(bad)} is out of range: this model knows rows 0..{size - 1}. "
            "Map original ids to indices with the dataset's user_index / movie_index."
        )
    return array.astype(np.int64, copy=False)


def _pairs(users: np.ndarray, movies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``users`` and ``movies`` broadcast into pairs; DataError when their shapes do not pair up
    (bad-input round 24 F6: numpy's "shape mismatch ... cannot be broadcast" reached the user)."""
    try:
        return np.broadcast_arrays(users, movies)
    except ValueError:
        raise DataError(
            f"user_idx (shape {users.shape}) and movie_idx (shape {movies.shape}) do not pair "
            "up: pass one user index per movie index (two lists of the same length), or one "
            "user with many movies, or many users with one movie."
        ) from None


def _bias(arrays: Mapping[str, np.ndarray], key: str, rows: Any) -> np.ndarray | float:
    return arrays[key][rows] if key in arrays else 0.0


def _mlp_from_first(first: np.ndarray, rest: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Finish the MLP given the first dense layer's pre-activation; returns the output column."""
    if not rest:  # no hidden layer: the first layer was the output layer itself
        return first[:, 0]
    hidden = np.maximum(first, 0.0, out=first)
    for kernel, bias in rest[:-1]:
        hidden = np.maximum(hidden @ kernel + bias, 0.0)
    kernel, bias = rest[-1]
    return (hidden @ kernel + bias)[:, 0]


def _scale_bounds(rating_scale: Any) -> tuple[float, float]:
    if hasattr(rating_scale, "min") and hasattr(rating_scale, "max"):
        return float(rating_scale.min), float(rating_scale.max)
    lo, hi = rating_scale[0], rating_scale[1]
    return float(lo), float(hi)


def _to_rating(
    z: np.ndarray, arrays: Mapping[str, np.ndarray], output: str, rating_scale: Any
) -> np.ndarray:
    """Apply the output transform around the global mean (docs/architecture.md)."""
    g = np.float32(np.asarray(arrays["global_mean"]).reshape(-1)[0])
    lo, hi = _scale_bounds(rating_scale)
    unit = score_unit(arrays)
    if output != "sigmoid" and unit != 1.0:  # a sigmoid maps z onto the scale itself
        z = z * np.float32(unit)
    if output == "none":
        return (z + g).astype(np.float32, copy=False)
    if output == "clip":
        return np.clip(z + g, lo, hi).astype(np.float32, copy=False)
    lo, hi = lo - SIGMOID_MARGIN, hi + SIGMOID_MARGIN
    p = (float(g) - lo) / (hi - lo)
    offset = np.float32(np.log(p / (1.0 - p)))
    sig = 0.5 * (1.0 + np.tanh(0.5 * (z + offset)))  # overflow-free logistic
    return (lo + (hi - lo) * sig).astype(np.float32, copy=False)
