"""2-D maps of the movie embedding: t-SNE (scikit-learn), cached on disk beside the model.

The default view (movies with at least 10 ratings, cosine metric, perplexity 30, 500
iterations, PCA initialisation, Barnes-Hut angle 0.8) of an ml-latest-small model is ready in
a few seconds; the coordinates are then saved in the model's ``cache/`` folder under a name made
of the parameters and a hash of the embedding rows, so the next request (any process) loads them
in milliseconds. Coordinates computed elsewhere can be exported and loaded back as CSV.

Almost all the time goes into the Barnes-Hut gradient steps, so the iteration count and the
angle set the speed: 500 iterations at angle 0.8 take ~2.3x less time than 750 at 0.5 and keep
about as many of each movie's 10 nearest neighbours together in the map
(``benchmarks/bench_explore.py`` measures both).

>>> frame = model_tsne_map(model, min_ratings=10)  # doctest: +SKIP
>>> frame[["x", "y", "title", "norm", "bias"]]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic
from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.validation import (
    check_choice,
    check_matrix,
    check_movies,
    check_vector,
    eligible_rows,
    movie_columns,
)

DEFAULT_PERPLEXITY = 30.0
DEFAULT_MIN_RATINGS = 10
#: Iterations of the default view: 250 early-exaggeration + 250 refinement steps.
DEFAULT_MAX_ITER = 500
#: scikit-learn's minimum (the early-exaggeration phase alone).
MIN_MAX_ITER = 250
#: Barnes-Hut trade-off: cells seen under a smaller angle are summarised (scikit-learn's
#: default is 0.5; 0.8 is the top of its recommended 0.2-0.8 range and ~1.4x faster).
ANGLE = 0.8
METRICS = ("cosine", "euclidean")
CACHE_PREFIX = "tsne-"

#: progress(fraction done in [0, 1], message)
Progress = Callable[[float, str], None]


def tsne_coordinates(
    embedding: Any,
    *,
    perplexity: float = DEFAULT_PERPLEXITY,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
) -> np.ndarray:
    """t-SNE of the rows of ``embedding``: a (rows, 2) float32 array (Barnes-Hut with
    :data:`ANGLE`, PCA init).

    Runs on the cores that are free (see :func:`free_cores`): OpenMP threads competing for
    busy cores spin and made t-SNE 2-3x slower than one thread on a loaded 2-core machine.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    x = check_matrix(embedding, min_rows=2)
    perplexity, max_iter = _check_tsne_params(perplexity, max_iter, len(x))
    check_choice(metric, "metric", METRICS)
    threads = free_cores()
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        max_iter=max_iter,
        metric=metric,
        angle=ANGLE,
        init="pca",
        learning_rate="auto",
        random_state=seed,
        n_jobs=threads,
    )
    with threadpool_limits(limits=threads):
        return tsne.fit_transform(x.astype(np.float64)).astype(np.float32)


def free_cores() -> int:
    """CPU cores not busy right now (cores minus the 1-minute load average), at least 1."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        return cores
    return max(1, min(cores, round(cores - load)))


def tsne_map(
    embedding: Any,
    movies: pd.DataFrame,
    *,
    movie_bias: Any = None,
    perplexity: float = DEFAULT_PERPLEXITY,
    min_ratings: int = DEFAULT_MIN_RATINGS,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
    cache: Callable[[str], Path] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """t-SNE map of the movies with at least ``min_ratings`` ratings, ready to plot.

    ``cache`` maps a file name to a path (``model.cache_path``); with it, coordinates are read
    from / written to disk (atomically). Returns :func:`map_frame`'s columns; ``frame.attrs``
    records the parameters, ``from_cache`` and ``seconds``.
    """
    x = check_matrix(embedding)
    check_movies(movies, len(x))
    check_choice(metric, "metric", METRICS)
    rows = eligible_rows(movies, min_ratings, at_least=2)
    perplexity, max_iter = _check_tsne_params(perplexity, max_iter, len(rows))
    params = {"perplexity": perplexity, "min_ratings": min_ratings, "max_iter": max_iter,
              "metric": metric, "seed": int(seed)}  # fmt: skip
    start = time.perf_counter()
    path = cache(tsne_cache_key(x[rows], rows, **params)) if cache is not None else None
    coordinates = _read_cached(path, rows) if path is not None else None
    from_cache = coordinates is not None
    if coordinates is None:
        _report(progress, 0.0, f"Running t-SNE on {len(rows):,} movies ({_describe(params)})…")
        coordinates = tsne_coordinates(
            x[rows], perplexity=perplexity, max_iter=max_iter, metric=metric, seed=seed
        )
        if path is not None:
            _write_atomically(path, rows, coordinates)
    seconds = time.perf_counter() - start
    _report(progress, 1.0, f"t-SNE map of {len(rows):,} movies ready in {seconds:.1f} s.")
    frame = map_frame(coordinates, rows, x, movies, movie_bias)
    frame.attrs.update(params, method="tsne", from_cache=from_cache, seconds=seconds)
    return frame


def model_tsne_map(
    model: EmbeddingModel,
    *,
    perplexity: float = DEFAULT_PERPLEXITY,
    min_ratings: int = DEFAULT_MIN_RATINGS,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """:func:`tsne_map` of a saved model, cached in its ``cache/`` folder."""
    return tsne_map(
        model.movie_embedding,
        model.movies,
        movie_bias=model.movie_bias,
        perplexity=perplexity,
        min_ratings=min_ratings,
        max_iter=max_iter,
        metric=metric,
        seed=seed,
        cache=model.cache_path if use_cache else None,
        progress=progress,
    )


def tsne_cache_key(
    vectors: np.ndarray,
    rows: np.ndarray,
    *,
    perplexity: float,
    min_ratings: int,
    max_iter: int,
    metric: str,
    seed: int,
) -> str:
    """File name of cached coordinates: the parameters (and :data:`ANGLE`) plus a hash of the
    rows and vectors, so a retrained model (or another filter) never reads stale coordinates."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
    digest.update(f"{perplexity!r}|{min_ratings}|{max_iter}|{metric}|{seed}|{ANGLE!r}".encode())
    return (
        f"{CACHE_PREFIX}{metric}-p{perplexity:g}-m{min_ratings}-i{max_iter}-s{seed}-a{ANGLE:g}-"
        f"{digest.hexdigest()}.npz"
    )


def map_frame(
    coordinates: Any,
    rows: Any,
    embedding: Any,
    movies: pd.DataFrame,
    movie_bias: Any = None,
) -> pd.DataFrame:
    """A plottable frame: ``x``, ``y``, the movie columns, ``norm`` (embedding length) and
    ``bias`` (movie bias, NaN when the model has none) for the movies at ``rows``."""
    x = check_matrix(embedding)
    rows = np.asarray(rows, dtype=np.int64)
    coordinates = np.asarray(coordinates, dtype=np.float32)
    if coordinates.shape != (len(rows), 2):
        raise DataError(f"Expected {len(rows)} (x, y) pairs, got shape {coordinates.shape}.")
    frame = movie_columns(movies, rows)
    frame.insert(0, "y", coordinates[:, 1])
    frame.insert(0, "x", coordinates[:, 0])
    frame["norm"] = np.linalg.norm(x[rows], axis=1)
    if movie_bias is None:
        frame["bias"] = np.nan
    else:
        frame["bias"] = check_vector(movie_bias, len(x), "movie_bias")[rows]
    return frame


def coordinates_csv(frame: pd.DataFrame) -> str:
    """CSV text of a map (``movie_id``, ``title``, ``year``, ``x``, ``y``) to download and
    load back with :func:`read_coordinates`, here or in another tool."""
    missing = [c for c in ("movie_id", "x", "y") if c not in frame.columns]
    if missing:
        raise DataError(f"The map lacks the column(s) {', '.join(missing)}; pass a map frame.")
    columns = [c for c in ("movie_id", "title", "year", "x", "y") if c in frame.columns]
    return frame[columns].to_csv(index=False)


def read_coordinates(
    source: str | Path | bytes | Any,
    embedding: Any,
    movies: pd.DataFrame,
    *,
    movie_bias: Any = None,
) -> pd.DataFrame:
    """A map from precomputed coordinates: a CSV (path, bytes, text or file object) with
    columns ``movie_id``, ``x`` and ``y``. Rows whose movie_id the model does not know are
    dropped and counted in ``frame.attrs["unmatched"]``."""
    x = check_matrix(embedding)
    check_movies(movies, len(x))
    table = _read_csv(source)
    missing = [c for c in ("movie_id", "x", "y") if c not in table.columns]
    if missing:
        raise DataError(
            f"The coordinates file lacks the column(s) {', '.join(missing)}; it needs "
            "movie_id, x and y (the format explore.coordinates_csv writes)."
        )
    ids = pd.to_numeric(table["movie_id"], errors="coerce")
    xy = table[["x", "y"]].apply(pd.to_numeric, errors="coerce")
    bad = ids.isna() | xy.isna().any(axis=1) | ~np.isfinite(xy.to_numpy(np.float64)).all(axis=1)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(f"The coordinates file has a non-numeric movie_id, x or y on line {line}.")
    if ids.duplicated().any():
        dup = int(ids[ids.duplicated()].iloc[0])
        raise DataError(f"movie_id {dup} appears more than once in the coordinates file.")
    row_of = pd.Series(np.arange(len(movies)), index=movies["movie_id"].to_numpy())
    known = ids.isin(row_of.index).to_numpy()
    if not known.any():
        raise DataError(
            "None of the coordinates' movie_ids belongs to this model's dataset; load the "
            "file exported for a model trained on the same dataset."
        )
    rows = row_of.loc[ids[known].astype(np.int64)].to_numpy()
    frame = map_frame(xy.to_numpy(np.float32)[known], rows, x, movies, movie_bias)
    frame.attrs.update(method="precomputed", unmatched=int((~known).sum()), from_cache=False)
    return frame


def _check_tsne_params(perplexity: Any, max_iter: Any, n_points: int) -> tuple[float, int]:
    try:
        perplexity = float(perplexity)
    except (TypeError, ValueError):
        raise DataError(f"perplexity must be a number, got {perplexity!r}.") from None
    if not 0 < perplexity < n_points:
        raise DataError(
            f"perplexity must be above 0 and below the number of movies mapped ({n_points}), "
            f"got {perplexity:g}. Lower the perplexity or the min-ratings filter."
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer):
        raise DataError(f"max_iter must be a whole number, got {max_iter!r}.")
    if max_iter < MIN_MAX_ITER:
        raise DataError(f"max_iter must be at least {MIN_MAX_ITER}, got {max_iter}.")
    return perplexity, int(max_iter)


def _read_cached(path: Path, rows: np.ndarray) -> np.ndarray | None:
    """Coordinates from a cache file, or None if it is missing, unreadable or for other rows."""
    try:
        with np.load(path) as cached:
            coordinates, cached_rows = cached["coordinates"], cached["rows"]
    except (OSError, KeyError, ValueError, EOFError):
        return None
    if coordinates.shape != (len(rows), 2) or not np.array_equal(cached_rows, rows):
        return None
    if not np.isfinite(coordinates).all():
        return None
    return coordinates.astype(np.float32, copy=False)


def _write_atomically(path: Path, rows: np.ndarray, coordinates: np.ndarray) -> None:
    try:
        with atomic.open_atomic(path) as f:
            np.savez(f, rows=rows, coordinates=coordinates)
    except OSError:
        pass  # a read-only store still gets its map, just uncached


def _read_csv(source: Any) -> pd.DataFrame:
    try:
        if isinstance(source, bytes):
            return pd.read_csv(io.BytesIO(source))
        if isinstance(source, str) and "\n" in source:
            return pd.read_csv(io.StringIO(source))
        return pd.read_csv(source)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"The coordinates file could not be read as CSV: {exc}") from None


def _describe(params: dict[str, Any]) -> str:
    return (
        f"perplexity {params['perplexity']:g}, {params['max_iter']} iterations, "
        f"{params['metric']} metric"
    )


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)
