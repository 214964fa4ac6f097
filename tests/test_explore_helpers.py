"""Shared builders for the movierate.explore tests (imported by the test_explore_* modules)."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd


def movies_table(
    n: int,
    *,
    titles: Sequence[str] | None = None,
    years: Sequence[int | None] | None = None,
    genres: Sequence[list[str]] | None = None,
    n_ratings: Sequence[int] | None = None,
    movie_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """A movies table in the contract's format (docs/architecture.md, ``ds.movies``)."""
    return pd.DataFrame(
        {
            "movie_idx": np.arange(n, dtype=np.int64),
            "movie_id": np.asarray(movie_ids if movie_ids is not None else np.arange(n) + 100),
            "title": list(titles) if titles is not None else [f"Movie {i}" for i in range(n)],
            "year": pd.array(list(years) if years is not None else [2000] * n, dtype="Int64"),
            "genres": list(genres) if genres is not None else [["Drama"] for _ in range(n)],
            "n_ratings": np.asarray(n_ratings if n_ratings is not None else [50] * n),
            "mean_rating": np.full(n, 3.5),
        }
    )


def planted_clusters(
    n_per_cluster: int, dim: int, *, n_clusters: int = 3, spread: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Tight clusters around random orthogonal centres: (embedding, cluster label per row)."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:n_clusters] * 3.0
    labels = np.repeat(np.arange(n_clusters), n_per_cluster)
    points = centres[labels] + rng.normal(scale=spread, size=(len(labels), dim))
    return points.astype(np.float32), labels


def tsne_job(x: np.ndarray, movies: pd.DataFrame, cache_dir, iterations: int):
    """A map job (``MapJobs.start``'s compute): t-SNE of ``x`` for ``iterations``, cached in
    ``cache_dir``."""
    from movierate.explore import projection_map

    def run(progress, cancel):
        return projection_map(
            x, movies, method="tsne", min_ratings=1, perplexity=30, max_iter=iterations,
            cache=lambda k: cache_dir / k, progress=progress, cancel=cancel,
        )  # fmt: skip

    return run


def cancel_after_first_search_chunk(monkeypatch, cancel) -> list[float]:
    """Make the maps' neighbour search (16 rows a chunk) set ``cancel`` as its first chunk
    ends, as Cancel pressed while it ran; returns the shares done it reported."""
    from movierate.explore import quality

    monkeypatch.setattr(quality, "SEARCH_CHUNK", 16)
    heard: list[float] = []
    real = quality.nearest_rows

    def cancelled_after_one_chunk(points, k, metric="euclidean", *, on_fraction=None, **kw):
        def relay(share: float) -> None:
            heard.append(share)
            cancel.set()
            on_fraction(share)

        return real(points, k, metric, on_fraction=relay, **kw)

    monkeypatch.setattr(quality, "nearest_rows", cancelled_after_one_chunk)
    return heard


def random_mf_bias_model(ds: Any, split: Any, rating_scale: tuple[float, float, float]) -> Any:
    """A stand-in for a loaded mf_bias model of ``ds`` (dim 2, random vectors and movie biases,
    user biases 0, mean 3.5) trained on ``split``: what the ranking and recommend code reads."""
    from movierate.spec import ModelSpec

    rng = np.random.default_rng(0)
    return SimpleNamespace(
        name="m",
        has_test_rows=True,
        meta={"split": split.describe()},
        rating_scale=rating_scale,
        spec=ModelSpec(family="mf_bias", dim=2),
        arrays={
            "user_embedding": rng.normal(0, 0.1, (ds.n_users, 2)).astype(np.float32),
            "movie_embedding": rng.normal(0, 0.1, (ds.n_movies, 2)).astype(np.float32),
            "user_bias": np.zeros(ds.n_users, np.float32),
            "movie_bias": rng.normal(0, 0.3, ds.n_movies).astype(np.float32),
            "global_mean": np.float32(3.5),
        },
    )
