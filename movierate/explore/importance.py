"""Which embedding dimensions matter: their share of the variance and, for ``deep`` models, how
strongly the first dense layer reads each input dimension.

A dimension with almost no variance, or one the network barely reads, carries no information;
regularizers that decorrelate or whiten the space change this picture visibly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore import covariance
from movierate.explore.model import EmbeddingModel
from movierate.explore.validation import takes_models


def dimension_importance(
    arrays: Mapping[str, np.ndarray], *, movie_weights: Any = None
) -> pd.DataFrame:
    """One row per embedding dimension (index ``dimension``).

    Columns: ``movie_variance``, ``movie_variance_share``, ``user_variance``,
    ``user_variance_share`` and, for a deep model, ``user_input_norm`` / ``movie_input_norm``
    (L2 norm of the first dense kernel's row for that input) with their shares.
    ``movie_weights`` (see :func:`~movierate.explore.covariance.movie_weights`) weights the
    movie statistics. With fewer than 2 users the user columns are NaN.
    """
    for key in ("movie_embedding", "user_embedding"):
        if key not in arrays:
            raise DataError(f"The model arrays lack {key!r}; pass model.arrays.")
    movie = covariance.variance_share(arrays["movie_embedding"], weights=movie_weights)
    users = np.asarray(arrays["user_embedding"])
    # an imported embedding (movies only) or a one-user data set: no user variance to share out
    if users.ndim == 2 and len(users) < 2:
        nan = np.full(len(movie), np.nan)
        user = pd.DataFrame({"variance": nan, "share": nan}, index=movie.index)
    else:
        user = covariance.variance_share(users)
    if len(movie) != len(user):
        raise DataError(
            f"Movie and user embeddings have different dims ({len(movie)} and {len(user)})."
        )
    frame = pd.DataFrame(
        {
            "movie_variance": movie["variance"],
            "movie_variance_share": movie["share"],
            "user_variance": user["variance"],
            "user_variance_share": user["share"],
        }
    )
    frame.attrs.update(movie.attrs)  # the movies counted, for unused_dims_sentence's note
    norms = first_dense_input_norms(arrays)
    if norms is not None:
        dim = len(frame)
        if norms.shape != (2 * dim,):
            raise DataError(
                f"first_dense_input_norms has shape {norms.shape}, expected ({2 * dim},) for "
                f"dim {dim}; the saved model is inconsistent, retrain it."
            )
        user_norms, movie_norms = norms[:dim], norms[dim:]  # the input is concat(user, movie)
        frame["user_input_norm"] = user_norms
        frame["user_input_share"] = _share(user_norms)
        frame["movie_input_norm"] = movie_norms
        frame["movie_input_share"] = _share(movie_norms)
    return frame


def first_dense_input_norms(arrays: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The deep model's per-input norms of the first dense kernel (2 * dim,), or None for
    dot-product models; computed from ``dense_0_kernel`` when not stored."""
    if "first_dense_input_norms" in arrays:
        return np.asarray(arrays["first_dense_input_norms"], dtype=np.float64).reshape(-1)
    if "dense_0_kernel" in arrays:
        return np.linalg.norm(np.asarray(arrays["dense_0_kernel"], dtype=np.float64), axis=1)
    return None


@takes_models("model")
def model_dimension_importance(
    model: EmbeddingModel, *, min_ratings: int = 0, weighting: str = "uniform"
) -> pd.DataFrame:
    """:func:`dimension_importance` of a saved model, movies below ``min_ratings`` left out and
    the rest weighted as ``weighting`` says (:func:`~movierate.explore.covariance.movie_weights`)."""
    weights = covariance.movie_weights(model.movies, min_ratings=min_ratings, weighting=weighting)
    return dimension_importance(model.arrays, movie_weights=weights)


def _share(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)


#: A dimension holding less than this fraction of an even share (1 / dim) of the movie (and
#: user) variance counts as barely used: a fixed 1% called 33 of a quick-start model's 96
#: evenly used dimensions (0.76-1.34% each) "barely used", though zeroing them cost 25% of its
#: RMSE gain (views review round 3).
UNUSED_FRACTION = 0.1


def unused_dims_sentence(
    importance: pd.DataFrame, fraction: float = UNUSED_FRACTION, *, used: bool = True
) -> str:
    """How many dimensions of a shown :func:`dimension_importance` table hold under
    ``fraction`` of an even share of the movie variance (and of the user variance, when the
    model has users); ``used=False``: the embedding does not help the predictions, so low
    variance is not read as "barely used" (bad-input round 41, F2)."""
    movie = importance["movie_variance_share"].to_numpy(np.float64)
    user = importance["user_variance_share"].to_numpy(np.float64)
    share = fraction / max(len(movie), 1)
    low = movie < share
    whose = "movie"
    if np.isfinite(user).all():
        low &= user < share
        whose = "movie and of the user"
    n = int(low.sum())
    cut = f"{share:.2%} ({fraction:.0%} of an even share of {1 / max(len(movie), 1):.2%})"
    # over fewer movies than dimensions the shares reflect the sample (recheck s33, finding 5)
    few = covariance.few_rows_lead(importance, len(movie))
    if not n:
        return (
            f"{few}Here every one of the {len(movie)} dimensions holds at least {cut} of the "
            f"{whose} variance."
        )
    which = ", ".join(str(d) for d in np.flatnonzero(low)[:8]) + ("…" if n > 8 else "")
    return (
        f"{few}Here {n} of {len(movie)} dimensions ({which}) hold under {cut} of the {whose} "
        + ("variance: the model barely uses them." if used else "variance.")
    )
