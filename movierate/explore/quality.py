"""How meaningful is an embedding space? Genre coherence of nearest neighbours.

Genre coherence@k is the share of a movie's k nearest neighbours that share at least one genre
with it, averaged over movies with enough ratings (and at least one genre). The random
baseline is its exact expected value when the k neighbours are drawn at random from the same
eligible movies: for movie i, (number of other eligible movies sharing a genre with i) / (N - 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import NeighbourIndex
from movierate.explore.validation import (
    check_k,
    check_matrix,
    check_min_ratings,
    check_movies,
    genre_lists,
    movie_columns,
    n_ratings_of,
)

#: Query rows per block when counting genre-sharing pairs (bounds memory).
BLOCK_ROWS = 2048


@dataclass(frozen=True)
class GenreCoherence:
    """Genre coherence@k of a space against its random baseline."""

    k: int
    metric: str
    min_ratings: int
    n_movies: int
    coherence: float  # mean share of neighbours sharing a genre
    baseline: float  # its expected value under random neighbours
    per_movie: pd.DataFrame  # movie columns, coherence, baseline

    @property
    def lift(self) -> float:
        """How many times better than random (coherence / baseline)."""
        return self.coherence / self.baseline if self.baseline > 0 else float("nan")

    @property
    def z_score(self) -> float:
        """Mean per-movie gain over the baseline in standard errors (approximate: neighbour
        lists of different movies overlap, so they are not independent). Above ~5 the space
        clearly beats random."""
        gain = (self.per_movie["coherence"] - self.per_movie["baseline"]).to_numpy()
        spread = gain.std(ddof=1) if len(gain) > 1 else 0.0
        if spread <= 1e-9:  # every movie gains the same: no noise to compare against
            return float("inf") if gain.mean() > 0 else float("nan")
        return float(gain.mean() / (spread / np.sqrt(len(gain))))


def genre_coherence(
    embedding: Any,
    movies: pd.DataFrame,
    *,
    k: int = 10,
    min_ratings: int = 10,
    metric: str = "cosine",
) -> GenreCoherence:
    """Genre coherence@k over movies with at least ``min_ratings`` ratings and one genre;
    neighbours are searched among those same movies."""
    x = check_matrix(embedding)
    check_movies(movies, len(x))
    k = check_k(k)
    min_ratings = check_min_ratings(min_ratings)
    genres = genre_lists(movies)
    has_genre = np.fromiter((bool(g) for g in genres), dtype=bool, count=len(genres))
    rows = np.flatnonzero((n_ratings_of(movies) >= min_ratings) & has_genre)
    if len(rows) <= k:
        raise DataError(
            f"Only {len(rows)} movies have at least {min_ratings} ratings and a genre; "
            f"genre coherence@{k} needs more than {k}. Lower min_ratings or k."
        )
    incidence = genre_incidence([genres[r] for r in rows])
    neighbours = NeighbourIndex(x, movies).neighbour_rows(rows, k=k, metric=metric, candidates=rows)
    position = np.full(len(x), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    shared = (incidence[:, None, :] & incidence[position[neighbours]]).any(axis=2)
    per_movie = movie_columns(movies, rows)
    per_movie["coherence"] = shared.mean(axis=1)
    per_movie["baseline"] = random_baseline(incidence)
    return GenreCoherence(
        k=k,
        metric=metric,
        min_ratings=min_ratings,
        n_movies=len(rows),
        coherence=float(per_movie["coherence"].mean()),
        baseline=float(per_movie["baseline"].mean()),
        per_movie=per_movie,
    )


def genre_incidence(genres: list[list[str]]) -> np.ndarray:
    """Boolean (movies, distinct genres) matrix: which movie has which genre."""
    names = sorted({g for movie in genres for g in movie})
    column = {name: i for i, name in enumerate(names)}
    incidence = np.zeros((len(genres), len(names)), dtype=bool)
    for i, movie in enumerate(genres):
        incidence[i, [column[g] for g in movie]] = True
    return incidence


def random_baseline(incidence: np.ndarray) -> np.ndarray:
    """Per movie, the exact expected genre coherence of random neighbours: the share of the
    other movies that share at least one genre with it."""
    n = len(incidence)
    if n < 2:
        raise DataError("A random baseline needs at least 2 movies.")
    as_float = incidence.astype(np.float32)
    sharing = np.empty(n, dtype=np.float64)
    for start in range(0, n, BLOCK_ROWS):
        overlap = as_float[start : start + BLOCK_ROWS] @ as_float.T
        sharing[start : start + BLOCK_ROWS] = (overlap > 0).sum(axis=1) - 1  # minus itself
    return sharing / (n - 1)


def coherence_by_genre(result: GenreCoherence) -> pd.DataFrame:
    """Mean coherence and baseline of the movies of each genre (a movie counts in each of its
    genres), sorted by lift: which genres the space separates best."""
    per_movie = result.per_movie[["genres", "coherence", "baseline"]].copy()
    per_movie["genre"] = genre_lists(per_movie)
    exploded = per_movie.drop(columns="genres").explode("genre").dropna(subset=["genre"])
    table = exploded.groupby("genre").agg(
        n_movies=("coherence", "size"),
        coherence=("coherence", "mean"),
        baseline=("baseline", "mean"),
    )
    table["lift"] = table["coherence"] / table["baseline"].where(table["baseline"] > 0)
    return table.sort_values("lift", ascending=False)


def model_genre_coherence(
    model: EmbeddingModel, *, k: int = 10, min_ratings: int = 10, metric: str = "cosine"
) -> GenreCoherence:
    """:func:`genre_coherence` of a saved model's movie embedding."""
    return genre_coherence(
        model.movie_embedding, model.movies, k=k, min_ratings=min_ratings, metric=metric
    )
