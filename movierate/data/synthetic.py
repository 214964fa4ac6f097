"""MovieLens-like synthetic ratings with a known low-rank structure, for tests and benchmarks.

Movie popularity follows a Zipf-like power law, user activity is log-normal (heavy tailed),
and every user and movie has at least one rating. Ratings are
``3.5 + b_u + b_m + scale * u.m + noise`` rounded to half stars in 0.5..5, so a model with
embeddings of size ``dim`` can learn them. Genres follow the planted factors, so genre analyses
find structure too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from movierate import atomic
from movierate.data.build import fingerprint
from movierate.data.dataset import RatingsDataset
from movierate.data.movies import NO_GENRES_MARKER, movies_table
from movierate.data.registry import HALF_STARS
from movierate.errors import DataError

GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)  # fmt: skip
_CHUNK = 1 << 21


def synthetic_dataset(
    n_ratings: int,
    n_users: int | None = None,
    n_movies: int | None = None,
    seed: int = 0,
    dim: int = 8,
) -> RatingsDataset:
    """A skewed dataset of exactly ``n_ratings`` distinct (user, movie) ratings.

    Defaults: ``n_users = n_ratings // 150`` and ``n_movies = 6 * sqrt(n_ratings)`` (close to
    MovieLens' ratios). Raises DataError when the sizes cannot hold that many distinct pairs.
    """
    n_ratings = _whole("n_ratings", n_ratings, 1)
    seed = _whole("seed", seed, 0)
    dim = _whole("dim", dim, 1)
    n_users = max(2, n_ratings // 150) if n_users is None else _whole("n_users", n_users, 1)
    n_movies = (
        max(2, int(6 * np.sqrt(n_ratings))) if n_movies is None else _whole("n_movies", n_movies, 1)
    )
    if not n_users + n_movies <= n_ratings <= n_users * n_movies:
        raise DataError(
            f"Cannot draw {n_ratings:,} ratings for {n_users:,} users x {n_movies:,} movies: "
            "need at least n_users + n_movies ratings (one per user and per movie) and at most "
            "one per (user, movie) pair."
        )
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.4, n_users)
    popularity_rank = rng.permutation(n_movies)  # movie -> popularity rank (0 = most popular)
    users, movies = _draw_pairs(rng, n_ratings, activity, popularity_rank)

    user_f = rng.normal(0, 1, (n_users, dim)).astype(np.float32)
    movie_f = rng.normal(0, 1, (n_movies, dim)).astype(np.float32)
    user_bias = rng.normal(0, 0.35, n_users).astype(np.float32)
    movie_bias = (rng.normal(0, 0.4, n_movies) - 0.3 * np.log1p(popularity_rank) / 5).astype(
        np.float32
    )
    ratings = np.empty(n_ratings, dtype=np.float32)
    timestamps = np.empty(n_ratings, dtype=np.int64)
    scale = np.float32(0.9 / np.sqrt(dim))
    first_seen = rng.integers(946_684_800, 1_500_000_000, n_users)  # 2000 .. 2017
    active_for = rng.lognormal(17.0, 1.5, n_users).astype(np.float32)  # seconds, median ~9 months
    for start in range(0, n_ratings, _CHUNK):
        u, m = users[start : start + _CHUNK], movies[start : start + _CHUNK]
        z = np.einsum("ij,ij->i", user_f[u], movie_f[m]) * scale
        z += rng.standard_normal(len(u), dtype=np.float32) * np.float32(0.45)
        z += user_bias[u] + movie_bias[m] + np.float32(3.75)
        ratings[start : start + _CHUNK] = np.clip(np.round(z * 2) / 2, 0.5, 5.0)
        offset = rng.random(len(u), dtype=np.float32) * active_for[u]
        timestamps[start : start + _CHUNK] = first_seen[u] + offset.astype(np.int64)

    table = pd.DataFrame(
        {
            "user_idx": users,
            "movie_idx": movies,
            "rating": ratings,
            "timestamp": timestamps,
        },
        copy=False,
    )
    user_ids = np.arange(1, n_users + 1, dtype=np.int64)
    movie_ids = np.arange(1, n_movies + 1, dtype=np.int64)
    metadata = _movie_metadata(rng, movie_ids, movie_f)
    movies_df, _ = movies_table(movie_ids, table["movie_idx"].to_numpy(), ratings, metadata)
    ds = RatingsDataset(
        name=f"synthetic-{n_ratings}-s{seed}",
        ratings=table,
        movies=movies_df,
        user_ids=user_ids,
        movie_ids=movie_ids,
        rating_scale=HALF_STARS,
        fingerprint=fingerprint(table, user_ids, movie_ids),
        catalog={"movies": n_movies, "users": n_users},
        source="synthetic",
    )
    ds.pairs_are_unique()  # _draw_pairs draws distinct pairs
    return ds


def _whole(name: str, value: object, least: int) -> int:
    """``value`` as an int (numpy integers and whole floats such as 2e3 too); DataError naming
    ``name`` for text, bools, fractions or a value under ``least`` (bad-input round 24)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not whole or value < least:
        raise DataError(
            f"{name} must be a whole number of at least {least}, got {value!r} "
            f"({type(value).__name__})."
        )
    return int(value)


def _draw_pairs(
    rng: np.random.Generator, n: int, activity: np.ndarray, popularity_rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` distinct (user, movie) pairs sorted by user then movie, covering every id."""
    n_users, n_movies = len(activity), len(popularity_rank)
    if n_users * n_movies <= 8 * n:
        keys = _dense_pairs(rng, n, activity, popularity_rank)
    else:
        keys = _sparse_pairs(rng, n, activity, popularity_rank)
    return (keys // n_movies).astype(np.int32), (keys % n_movies).astype(np.int32)


def _sparse_pairs(
    rng: np.random.Generator, n: int, activity: np.ndarray, popularity_rank: np.ndarray
) -> np.ndarray:
    """Draw pairs with replacement (users by activity, movies by Zipf rank) until ``n`` distinct
    ones exist, add one pair for any user or movie left out, then drop the surplus at random
    without uncovering anyone. Returns sorted pair keys ``user * n_movies + movie``."""
    n_users, n_movies = len(activity), len(popularity_rank)
    by_rank = np.argsort(popularity_rank)
    share = activity / activity.sum()
    keys = np.empty(0, dtype=np.int64)
    draws_per_pair = 1.55  # about 30% of draws repeat a pair at MovieLens-like skew
    while len(keys) < n:
        before = len(keys)
        draws = int((n - before) * draws_per_pair) + 1000
        users = np.repeat(np.arange(n_users, dtype=np.int64), rng.multinomial(draws, share))
        movies = by_rank[_zipf_ranks(rng, n_movies, draws)]
        keys = _sorted_unique(np.concatenate([keys, users * n_movies + movies]))
        keys = _cover_everyone(rng, keys, n_users, n_movies, share, by_rank)
        draws_per_pair = 1.2 * draws / max(len(keys) - before, 1)  # learn the actual yield
    users, movies = keys // n_movies, keys % n_movies
    protected = np.zeros(len(keys), dtype=bool)
    protected[np.searchsorted(users, np.arange(n_users))] = True  # first pair of each user
    first_of_movie = np.empty(n_movies, dtype=np.int64)
    first_of_movie[movies[::-1]] = np.arange(len(keys) - 1, -1, -1)
    protected[first_of_movie] = True
    candidates = np.flatnonzero(~protected)
    drop = candidates[rng.choice(len(candidates), len(keys) - n, replace=False)]
    return np.delete(keys, drop)


def _cover_everyone(
    rng: np.random.Generator,
    keys: np.ndarray,
    n_users: int,
    n_movies: int,
    share: np.ndarray,
    by_rank: np.ndarray,
) -> np.ndarray:
    """Add a pair for every user and every movie that has none (users by activity)."""
    lonely_users = np.flatnonzero(np.bincount(keys // n_movies, minlength=n_users) == 0)
    lonely_movies = np.flatnonzero(np.bincount(keys % n_movies, minlength=n_movies) == 0)
    if not len(lonely_users) and not len(lonely_movies):
        return keys
    pick_users = rng.choice(n_users, len(lonely_movies), p=share)
    pick_movies = by_rank[_zipf_ranks(rng, n_movies, len(lonely_users))]
    added = np.concatenate(
        [
            lonely_users * n_movies + pick_movies,
            pick_users.astype(np.int64) * n_movies + lonely_movies,
        ]
    )
    return _sorted_unique(np.concatenate([keys, added]))


def _dense_pairs(
    rng: np.random.Generator, n: int, activity: np.ndarray, popularity_rank: np.ndarray
) -> np.ndarray:
    """Small or dense sizes: one covering pair per user and movie, then weighted sampling
    without replacement (Gumbel top-k) over all remaining pairs."""
    n_users, n_movies = len(activity), len(popularity_rank)
    share = activity / activity.sum()
    by_rank = np.argsort(popularity_rank)
    cover = _cover_everyone(rng, np.empty(0, np.int64), n_users, n_movies, share, by_rank)
    weight = np.log(activity)[:, None] - 1.1 * np.log(popularity_rank + 10.0)[None, :]
    score = (weight + rng.gumbel(size=weight.shape)).ravel()
    score[cover] = -np.inf
    needed = n - len(cover)
    extra = np.argpartition(-score, needed - 1)[:needed] if needed > 0 else cover[:0]
    return np.sort(np.concatenate([cover, extra.astype(np.int64)]))


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return keys[np.append(True, keys[1:] != keys[:-1])]


def _zipf_ranks(rng: np.random.Generator, n_movies: int, size: int, a: float = 1.1) -> np.ndarray:
    """Ranks 0..n_movies-1 with P(rank r) ~ (r + 10)^-a, by inverting the continuous CDF."""
    lo, hi = 10.0, n_movies + 10.0
    e = 1.0 - a
    x = (lo**e + rng.random(size) * (hi**e - lo**e)) ** (1.0 / e)
    return np.minimum((x - lo).astype(np.int64), n_movies - 1)


def _movie_metadata(
    rng: np.random.Generator, movie_ids: np.ndarray, factors: np.ndarray
) -> pd.DataFrame:
    dim = factors.shape[1]
    genre_of_dim = [GENRES[i % len(GENRES)] for i in range(dim)]
    genres = [
        sorted({genre_of_dim[d] for d in np.flatnonzero(row > 1.0)}) for row in factors[:, :dim]
    ]
    return pd.DataFrame(
        {
            "movie_id": movie_ids,
            "title": [f"Synthetic movie {i}" for i in movie_ids],
            "year": pd.array(rng.integers(1930, 2019, len(movie_ids)), dtype="Int64"),
            "genres": genres,
        }
    )


def write_movielens_csv(ds: RatingsDataset, folder: str | os.PathLike) -> Path:
    """Save ``ds`` in the ml-20m/25m layout (``ratings.csv`` + ``movies.csv``); returns folder.

    Files are written to temporary names and renamed, so a reader never sees half a file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    r = ds.ratings
    ratings = pa.table(
        {
            "userId": ds.user_ids[r["user_idx"].to_numpy()],
            "movieId": ds.movie_ids[r["movie_idx"].to_numpy()],
            "rating": r["rating"].to_numpy(),
            "timestamp": r["timestamp"].to_numpy(),
        }
    )
    _write_csv(ratings, folder / "ratings.csv")
    titles = [
        f"{t} ({y})" if y is not pd.NA else t
        for t, y in zip(ds.movies["title"], ds.movies["year"], strict=True)
    ]
    genres = ["|".join(g) if g else NO_GENRES_MARKER for g in ds.movies["genres"]]
    movies = pa.table({"movieId": ds.movie_ids, "title": titles, "genres": genres})
    _write_csv(movies, folder / "movies.csv")
    return folder


def _write_csv(table: pa.Table, path: Path) -> None:
    """Bare header line (as GroupLens writes it), then pyarrow's fast writer for the rows."""
    options = pacsv.WriteOptions(include_header=False, batch_size=1 << 16)
    with atomic.open_atomic(path) as f:
        f.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, f, write_options=options)
