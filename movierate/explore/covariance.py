"""Second-order structure of an embedding: covariance, correlation, variance per dimension and
the eigen-spectrum, optionally weighted by popularity or limited to movies with enough ratings.

Under L2 regularization, movies with few ratings sit near the origin and pull every statistic
towards zero; :func:`movie_weights` gives them zero (``min_ratings``) or less (``weighting``)
weight. All functions take the weights array it returns (or None for equal weights).

>>> w = movie_weights(model.movies, min_ratings=10, weighting="log_n_ratings")  # doctest: +SKIP
>>> correlation_matrix(model.movie_embedding, weights=w)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.threads import single_blas_thread
from movierate.explore.validation import (
    check_choice,
    check_matrix,
    check_min_ratings,
    check_movies,
    filter_counts,
    takes_models,
)
from movierate.shown import counted

#: How rows are weighted: equally, by their rating count, or by log(1 + count).
WEIGHTINGS = ("uniform", "n_ratings", "log_n_ratings")


def weighting_labels(counted: str = "training ratings") -> dict[str, str]:
    """:data:`WEIGHTINGS` -> the label a weighting box shows, naming the count the weights read
    (``counted``: :func:`~movierate.explore.validation.counted_ratings` of the movies; accuracy
    round 19b: an option called "n_ratings" weighted by training ratings).

    >>> weighting_labels()["log_n_ratings"]
    'log(1 + training ratings)'
    """
    return {"uniform": "uniform", "n_ratings": counted, "log_n_ratings": f"log(1 + {counted})"}


def count_weights(counts: Any, *, min_count: int = 0, weighting: str = "uniform") -> np.ndarray:
    """Row weights from per-row rating counts: 0 below ``min_count``, else as ``weighting`` says.

    Works for movies (``n_ratings``) and users (ratings per user) alike.
    """
    check_choice(weighting, "weighting", WEIGHTINGS)
    min_count = check_min_ratings(min_count)
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any() or not np.isfinite(counts).all():
        raise DataError("Rating counts must be a 1-D array of non-negative numbers.")
    if weighting == "uniform":
        weights = np.ones_like(counts)
    elif weighting == "n_ratings":
        weights = counts.copy()
    else:
        weights = np.log1p(counts)
    weights[counts < min_count] = 0.0
    return weights


def movie_weights(
    movies: pd.DataFrame, *, min_ratings: int = 0, weighting: str = "uniform"
) -> np.ndarray:
    """Weights for the rows of a movie embedding from the movies' rating counts: the ratings
    the model trained on where its table records them (:func:`filter_counts`), else all."""
    movies = check_movies(movies, len(movies))
    return count_weights(filter_counts(movies), min_count=min_ratings, weighting=weighting)


def user_weights(
    ratings: pd.DataFrame, n_users: int, *, min_ratings: int = 0, weighting: str = "uniform"
) -> np.ndarray:
    """Weights for the rows of a user embedding from how many ratings each user gave."""
    if "user_idx" not in ratings.columns:
        raise DataError("The ratings table lacks the column user_idx; pass ds.ratings.")
    users = ratings["user_idx"].to_numpy(np.int64)
    if len(users) and (users.min() < 0 or users.max() >= n_users):
        raise DataError(
            f"The ratings refer to users outside 0..{n_users - 1}; use the model's dataset."
        )
    counts = np.bincount(users, minlength=n_users)
    return count_weights(counts, min_count=min_ratings, weighting=weighting)


@single_blas_thread
def weighted_mean_and_covariance(
    embedding: Any, weights: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean (dim,) and covariance (dim, dim) in float64.

    With equal weights this is ``np.cov`` (n - 1 denominator); otherwise numpy's reliability
    weights (``aweights``). Rows with weight 0 are left out.
    """
    x = check_matrix(embedding).astype(np.float64)
    if weights is None:
        w = np.ones(len(x))
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(x),) or not np.isfinite(w).all() or (w < 0).any():
            raise DataError(
                f"weights must be {len(x)} non-negative numbers (one per embedding row), "
                f"got shape {w.shape}. Build them with explore.movie_weights(movies, ...)."
            )
    keep = w > 0
    if keep.sum() < 2:
        if len(x) < 2:
            raise DataError("This embedding has fewer than 2 rows, so it has no covariance.")
        kept = int(keep.sum())
        # bad-input round 62, F4: "Lower the min-ratings filter" on a page without one
        raise DataError(
            f"Only {counted(kept, 'row')} of {len(x):,} {'has' if kept == 1 else 'have'} a "
            "positive weight (a movie or user weighs 0 with no ratings counted, or fewer than "
            "a min-ratings filter asks); a covariance needs at least 2. Lower the min-ratings "
            "filter where the view has one; without one, the model's data has too few rated rows."
        )
    x, w = x[keep], w[keep]
    total = w.sum()
    mean = (w @ x) / total
    # np.cov's reliability weights, as one symmetric product (X^T X of the same array: half
    # the work of np.cov's general product, ~10x faster on 87,585 x 32)
    scaled = (x - mean) * np.sqrt(w)[:, None]
    covariance = (scaled.T @ scaled) / (total - (w**2).sum() / total)
    return mean, np.atleast_2d(covariance)


def _counted(frame: pd.DataFrame, embedding: Any, weights: Any) -> pd.DataFrame:
    """``frame`` with ``attrs["n_rows"]`` (the rows with a positive weight it was computed
    over) and ``attrs["n_all"]`` (every row), for :func:`few_rows_note`."""
    n_all = len(check_matrix(embedding))
    frame.attrs["n_rows"] = n_all if weights is None else int((np.asarray(weights) > 0).sum())
    frame.attrs["n_all"] = n_all
    return frame


def few_rows_note(n_rows: int, dim: int, n_all: int | None = None, what: str = "movies") -> str:
    """A sentence when ``n_rows`` points in ``dim`` dimensions are too few for a covariance to
    describe the space: n points span at most n - 1 directions, so from ``dim`` + 1 points
    down, correlations between dimensions and the spectrum's "first k reach 90%" measure the
    sample size, not the model (bad-input round 27, F6); "" when there are enough.

    >>> few_rows_note(5, 16)
    'Only 5 movies are counted for 16 dimensions: 5 points span at most 4 directions, so the correlations between dimensions and how many directions carry the variance reflect how few movies there are, not the model.'
    """
    if n_rows > dim:
        return ""
    fix = (
        f" Lower the min-ratings filter to count more of its {n_all:,} {what}."
        if n_all is not None and n_all > n_rows
        else ""
    )
    return (
        f"Only {n_rows:,} {what} are counted for {dim} dimensions: {n_rows:,} points span at "
        f"most {max(n_rows - 1, 0):,} directions, so the correlations between dimensions and "
        f"how many directions carry the variance reflect how few {what} there are, not the "
        f"model.{fix}"
    )


@takes_models("model")
def model_few_rows_note(model: Any, *, min_ratings: int = 0) -> str:
    """:func:`few_rows_note` of a saved model's movies with at least ``min_ratings`` ratings."""
    counted = int((movie_weights(model.movies, min_ratings=min_ratings) > 0).sum())
    return few_rows_note(counted, model.dim, len(model.movies))


def few_rows_lead(frame: pd.DataFrame, dim: int) -> str:
    """:func:`few_rows_note` of a frame counted by :func:`_counted`, with a trailing space."""
    if "n_rows" not in frame.attrs:
        return ""
    note = few_rows_note(int(frame.attrs["n_rows"]), dim, frame.attrs.get("n_all"))
    return f"{note} " if note else ""


def covariance_matrix(embedding: Any, *, weights: Any = None) -> pd.DataFrame:
    """Covariance of the embedding's dimensions: a (dim x dim) DataFrame indexed by dimension."""
    _, covariance = weighted_mean_and_covariance(embedding, weights)
    return _counted(_labelled(covariance), embedding, weights)


def correlation_matrix(embedding: Any, *, weights: Any = None) -> pd.DataFrame:
    """Pearson correlation between dimensions; a dimension with zero variance gets NaN."""
    _, covariance = weighted_mean_and_covariance(embedding, weights)
    std = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = covariance / np.outer(std, std)
    correlation[:, std == 0] = np.nan
    correlation[std == 0, :] = np.nan
    return _counted(_labelled(np.clip(correlation, -1.0, 1.0)), embedding, weights)


def variance_share(embedding: Any, *, weights: Any = None) -> pd.DataFrame:
    """Per dimension: mean, variance and share of the total variance (index: dimension)."""
    mean, covariance = weighted_mean_and_covariance(embedding, weights)
    variance = np.clip(np.diag(covariance), 0.0, None)
    total = variance.sum()
    share = variance / total if total > 0 else np.zeros_like(variance)
    frame = pd.DataFrame({"mean": mean, "variance": variance, "share": share})
    frame.index.name = "dimension"
    return _counted(frame, embedding, weights)


def eigen_spectrum(embedding: Any, *, weights: Any = None) -> pd.DataFrame:
    """Eigenvalues of the covariance, largest first, with their share and cumulative share.

    A flat spectrum means the dimensions are used evenly; a steep one that a few directions
    carry the information (the rest is noise or dead under regularization).
    """
    _, covariance = weighted_mean_and_covariance(embedding, weights)
    eigenvalues = np.clip(np.linalg.eigvalsh(covariance)[::-1], 0.0, None)
    total = eigenvalues.sum()
    share = eigenvalues / total if total > 0 else np.zeros_like(eigenvalues)
    frame = pd.DataFrame(
        {
            "component": np.arange(1, len(eigenvalues) + 1),
            "eigenvalue": eigenvalues,
            "share": share,
            "cumulative_share": np.cumsum(share),
        }
    )
    return _counted(frame, embedding, weights)


def _labelled(matrix: np.ndarray) -> pd.DataFrame:
    dims = pd.RangeIndex(matrix.shape[0], name="dimension")
    return pd.DataFrame(matrix, index=dims, columns=pd.RangeIndex(matrix.shape[1]))


@takes_models("model")
def model_covariance(
    model: Any, *, kind: str = "covariance", min_ratings: int = 0, weighting: str = "uniform"
) -> pd.DataFrame:
    """Covariance (or, with ``kind="correlation"``, correlation) of a saved model's movie
    vectors, weighted by :func:`movie_weights`."""
    if kind not in ("covariance", "correlation"):
        raise DataError(f"Unknown matrix kind {kind!r}; use 'covariance' or 'correlation'.")
    weights = movie_weights(model.movies, min_ratings=min_ratings, weighting=weighting)
    func = covariance_matrix if kind == "covariance" else correlation_matrix
    return func(model.movie_embedding, weights=weights)


@takes_models("model")
def model_eigen_spectrum(
    model: Any, *, min_ratings: int = 0, weighting: str = "uniform"
) -> pd.DataFrame:
    """:func:`eigen_spectrum` of a saved model's movie vectors, weighted by :func:`movie_weights`."""
    weights = movie_weights(model.movies, min_ratings=min_ratings, weighting=weighting)
    return eigen_spectrum(model.movie_embedding, weights=weights)


@takes_models("model")
def model_variance_share(
    model: Any, *, min_ratings: int = 0, weighting: str = "uniform"
) -> pd.DataFrame:
    """:func:`variance_share` of a saved model's movie vectors, weighted by :func:`movie_weights`."""
    weights = movie_weights(model.movies, min_ratings=min_ratings, weighting=weighting)
    return variance_share(model.movie_embedding, weights=weights)


def matrix_sentence(matrix: pd.DataFrame, kind: str = "covariance") -> str:
    """What a shown :func:`covariance_matrix` (or ``kind="correlation"``) says in numbers: the
    spread of the dimensions' variances (largest / smallest) and how correlated they are
    (mean and largest |correlation| between two different dimensions)."""
    values = np.asarray(matrix, dtype=np.float64)
    dim = len(values)
    diagonal = np.diag(values)
    if kind == "covariance":
        scale = np.sqrt(np.clip(diagonal, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            correlation = values / np.outer(scale, scale)
    else:
        correlation = values
    parts = []
    if kind == "covariance":
        low, high = float(diagonal.min()), float(diagonal.max())
        ratio = f"{high / low:.1f} times" if low > 0 else "infinitely many times"
        parts.append(
            f"the variances of the {dim} dimensions run from {low:.3g} to {high:.3g} (the "
            f"largest {ratio} the smallest)"
        )
    if dim > 1:
        off = ~np.eye(dim, dtype=bool)
        magnitudes = np.abs(correlation[off])
        magnitudes = magnitudes[np.isfinite(magnitudes)]
        if len(magnitudes):
            i, j = np.unravel_index(
                int(np.nanargmax(np.where(off, np.abs(np.nan_to_num(correlation)), -1.0))),
                correlation.shape,
            )
            parts.append(
                f"the mean |correlation| between two dimensions is {magnitudes.mean():.2f}, "
                f"the largest {abs(float(correlation[i, j])):.2f} (dimensions {min(i, j)} and "
                f"{max(i, j)}, numbered from 0 as in the heatmap)"
            )
    if not parts:
        return "One dimension: nothing to correlate."
    text = "; ".join(parts)
    return few_rows_lead(matrix, dim) + "Here " + text + "."


def spectrum_sentence(spectrum: pd.DataFrame, share: float = 0.9) -> str:
    """What a shown :func:`eigen_spectrum` says in numbers: the first direction's share of the
    variance and how many directions reach ``share`` of it."""
    shares = spectrum["share"].to_numpy(np.float64)
    cumulative = spectrum["cumulative_share"].to_numpy(np.float64)
    if not len(shares) or not np.isfinite(shares).all() or shares.sum() <= 0:
        return "These movie vectors do not vary: no variance to share out."
    reach = int(np.flatnonzero(cumulative >= share - 1e-12)[0]) + 1
    needed = (  # views round 6: "the first 8 of 8 reach 90%" read as compression
        f"all {len(shares)} are needed to reach {share:.0%}"
        if reach == len(shares) > 1
        else f"the first {reach} of {len(shares)} reach {share:.0%}"
    )
    return (
        few_rows_lead(spectrum, len(shares))
        + f"Here the first direction carries {shares[0]:.0%} of the variance and {needed}."
    )
