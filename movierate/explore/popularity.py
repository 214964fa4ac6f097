"""Embedding norm and movie bias against popularity.

Under L2 regularization a movie's vector shrinks unless many ratings pull it out, so norm
tracks popularity; the bias absorbs how well liked a movie is. This module gives the per-movie
table for a scatter plot and the correlations in numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from movierate.explore.model import EmbeddingModel
from movierate.explore.validation import (
    check_matrix,
    check_movies,
    check_vector,
    eligible_rows,
    movie_columns,
    takes_models,
)
from movierate.shown import as_shown, number


def norms_vs_popularity(
    embedding: Any, movies: pd.DataFrame, movie_bias: Any = None, *, min_ratings: int = 0
) -> pd.DataFrame:
    """Per movie with at least ``min_ratings`` ratings: the movie columns, ``log_n_ratings``
    (log10 of 1 + n_ratings), ``norm`` and ``bias`` (NaN when the model has no movie bias)."""
    x = check_matrix(embedding)
    movies = check_movies(movies, len(x))
    rows = eligible_rows(movies, min_ratings)
    frame = movie_columns(movies, rows)
    frame["log_n_ratings"] = np.log10(1.0 + frame["n_ratings"].to_numpy(np.float64))
    frame["norm"] = np.linalg.norm(x[rows], axis=1)
    bias = (
        np.full(len(x), np.nan) if movie_bias is None else check_vector(movie_bias, len(x), "bias")
    )
    frame["bias"] = bias[rows]
    return frame


def popularity_correlations(frame: pd.DataFrame) -> pd.DataFrame:
    """Correlation of ``norm`` and ``bias`` with popularity in a :func:`norms_vs_popularity`
    frame: one row per quantity with ``pearson_log_n_ratings``, ``spearman_n_ratings`` and
    ``n_movies`` (NaN where undefined, e.g. constant values). A quantity no movie has (the
    bias of a model without biases) gets no row: views round 10 showed "bias | None | None | 0"
    beside "This model has no movie bias"."""
    records = []
    for quantity in ("norm", "bias"):
        values = frame[quantity].astype(np.float64)
        present = values.notna()
        if quantity == "bias" and not present.any():
            continue
        popularity = frame.loc[present, "n_ratings"].astype(np.float64)
        values = values[present]
        records.append(
            {
                "quantity": quantity,
                "pearson_log_n_ratings": _correlation(values, np.log1p(popularity), "pearson"),
                "spearman_n_ratings": _correlation(values, popularity, "spearman"),
                "n_movies": int(present.sum()),
            }
        )
    return pd.DataFrame.from_records(records).set_index("quantity")


@takes_models("model")
def model_norms_vs_popularity(model: EmbeddingModel, *, min_ratings: int = 0) -> pd.DataFrame:
    """:func:`norms_vs_popularity` of a saved model."""
    return norms_vs_popularity(
        model.movie_embedding, model.movies, model.movie_bias, min_ratings=min_ratings
    )


def _correlation(a: pd.Series, b: pd.Series, method: str) -> float:
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    if method == "spearman":  # Pearson of the ranks: pandas' own spearman imports scipy (~2 s)
        a, b = a.rank(method="average"), b.rank(method="average")
    return float(a.corr(b, method="pearson"))


def popularity_sentence(
    correlations: pd.DataFrame, name: str, min_ratings: int = 0, counted: str = "ratings"
) -> str:
    """What a :func:`popularity_correlations` table of one model shows, in words: how strongly
    and which way its vector norm (and movie bias) follow the number of ratings."""
    parts = []
    for quantity, label in (("norm", "vector norm"), ("bias", "movie bias")):
        if quantity not in correlations.index:
            continue
        row = correlations.loc[quantity]
        r, rho = float(row["pearson_log_n_ratings"]), float(row["spearman_n_ratings"])
        if not np.isfinite(r):
            if quantity == "norm":
                parts.append(f"its {label} has no defined correlation with popularity")
            continue
        parts.append(
            f"its {label} {_link(r)} (Pearson r with log(1 + ratings) {number(r, '+.2f')}, Spearman {number(rho, '+.2f')})"
        )
    n = int(correlations["n_movies"].max()) if len(correlations) else 0
    return (
        f"In {name}, over {n:,} movies with at least {min_ratings} {counted}, "
        + "; ".join(parts)
        + "."
        + (
            " Popularity here is every rating of a movie, test rows included."
            if counted != "ratings"
            else ""
        )
    )


def _link(r: float) -> str:
    """``r`` as words, graded from the value as printed (``+.2f``): which way the quantity
    goes with popularity, and how strongly (views round 13: "barely follows popularity" was
    said of a shown -0.20 that another model's -0.2004 called "moderately shrinks")."""
    shown = as_shown(r, "+.2f")
    if abs(shown) < 0.1:
        return "barely changes with popularity"
    strength = (
        "strongly" if abs(shown) >= 0.5 else "moderately" if abs(shown) >= 0.2 else "slightly"
    )
    return f"{strength} {'grows' if shown > 0 else 'shrinks'} with popularity"
