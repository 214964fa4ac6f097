"""2-D maps of the movie embedding: t-SNE (scikit-learn or openTSNE), UMAP (umap-learn) or
PCA, cached on disk beside the model with their trust numbers
(:func:`movierate.explore.quality.map_trust`).

The default view (movies with at least 10 training ratings, cosine metric, perplexity 30, 500
iterations, PCA initialisation, Barnes-Hut angle 0.8) of an ml-latest-small model is ready in
a few seconds; the coordinates are then saved in the model's ``cache/`` folder under a name made
of the parameters and a hash of the embedding rows, so the next request (any process) loads them
in milliseconds. Coordinates computed elsewhere can be exported and loaded back as CSV.

Almost all the time goes into the gradient steps, so the iteration count and the engine set
the speed. Below :data:`FFT_FROM` movies t-SNE runs scikit-learn's Barnes-Hut (500 iterations
at angle 0.8 take ~2.3x less time than 750 at 0.5 and keep about as many of each movie's 10
nearest neighbours together, ``benchmarks/bench_explore.py``); from there openTSNE's
FFT-interpolated gradient, whose iterations cost O(n) instead of O(n log n): 1.6x faster on the
whole ml-latest-small catalogue, with a fifth of the memory, and as good a map
(``benchmarks/bench_projection.py``; :func:`tsne_engine`). Without openTSNE every t-SNE is
scikit-learn's.

UMAP (``umap-learn``, imported only when asked for) is an alternative that keeps more of the
global layout; the first UMAP of a process pays numba's one-off compilation of its layout
(about 20 s on a loaded 2-core machine, see :func:`umap_is_warm`). Both search each movie's
neighbours exactly here, in chunks a cancel stops (:func:`tsne_neighbours`,
:func:`umap_neighbours`). PCA takes seconds: a linear projection onto the two
directions of largest variance, which keeps the spread along them but mostly not each movie's
local neighbours (the map's trust numbers measure how many), and crowds the movies together. Long runs report real progress through ``progress(fraction, message)``:
the fraction counts t-SNE's gradient iterations and UMAP's layout epochs as they happen (hooks
on scikit-learn's and umap-learn's own loops and openTSNE's callbacks, every
:data:`HOOK_EVERY` iterations, :func:`iteration_hook`), and ``cancel`` (a
``threading.Event``) stops a run at its next iteration with :class:`MapCancelled`. With a
``progress`` callback the work runs in a worker thread, so a caller that stops listening (a
Streamlit page left mid-run) leaves it to finish and fill the cache;
:mod:`movierate.explore.map_jobs` runs maps in the background for the dashboard.

>>> frame = model_map(model, method="tsne", min_ratings=10)  # doctest: +SKIP
>>> frame[["x", "y", "title", "norm", "bias"]]  # doctest: +SKIP
>>> frame.attrs["trust"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from movierate import atomic, npz, spreadsheet
from movierate.errors import DataError, MovierateError
from movierate.explore.model import EmbeddingModel
from movierate.explore.validation import (
    check_choice,
    check_flag,
    check_matrix,
    check_movies,
    check_vector,
    counted_ratings,
    eligible_rows,
    movie_columns,
    takes_models,
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
#: Projection methods, in the order the dashboard offers them, and their display names.
METHODS = ("tsne", "umap", "pca")
#: Map files kept in a model's cache/ (fuzz round 57, F2: one per settings combination stayed
#: for good, 34 files after 33 maps): writing one removes the least recently used beyond this.
#: 40 holds each method x metric with a few seeds or filters each, so going back to a map never
#: recomputes in normal use. A map file takes 16 bytes a movie (a 1,958-movie map measured 33 KB),
#: so ~1.4 MB for ml-32m's 84k movies and ~55 MB for 40 such maps at most.
MAP_CACHE_FILES = 40
METHOD_LABELS = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}
#: UMAP's defaults here: neighbours per point and the minimum distance between points.
DEFAULT_N_NEIGHBORS = 15
DEFAULT_MIN_DIST = 0.1
#: Seconds (least, most) numba takes to compile UMAP's layout, once per process, on 2 shared
#: cores (2026-12-07: 8 s at load 3.5 with numba's disk cache warm, ~15 s of a first 863-movie
#: UMAP's 16.7 s at load 3, 21 s at load 8, ~25 s of 26.6 s at load 4; views round 37). The
#: help, the cost note and the progress message all say it by :func:`umap_compile_text`.
UMAP_JIT_SECONDS = (8, 25)
#: Seconds of every t-SNE / UMAP run that do not grow with the movies (imports, neighbour
#: search, trust numbers: an 85-movie t-SNE took 2.9 s, a 242-movie one 1.1 s; views round 37).
MAP_SETUP_SECONDS = 1.0
#: Seconds per unit of work (:func:`_work`) assumed before a run has been timed in this
#: process (t-SNE, Barnes-Hut: movies x log(movies) x iterations / free cores, 863 and 4,507
#: movies took 2.2 s and 10.2 s at load 2.5; FFT: movies x iterations / free cores; UMAP:
#: movies x epochs, 1.6-1.9e-6 at load 2 with the exact search).
_RATE: dict[str, float] = {"tsne": 5e-7, "tsne-fft": 6.5e-6, "umap": 2.5e-6}
#: A run teaches :data:`_RATE` only when its per-movie part was expected to take at least this
#: long, and moves it by at most this factor either way: a small map is mostly set-up time and
#: the first UMAP mostly compilation (views round 37: learning from them made the next estimates
#: 5-6x too high for everyone on the server).
LEARN_FROM_SECONDS, LEARN_AT_MOST = 3.0, 3.0
#: Estimates under this many seconds are told as "a few seconds" (an 85-movie map said "about 0 s").
FEW_SECONDS = 5.0
#: From this many runnable tasks per core (:func:`load_per_core`) the cost note says the machine
#: is busy and that the map may take several times its idle figure (views round 43, F1: "about
#: 7 s" at load 6-16 on 2 cores took 170 s). It gives no figure scaled by the load: none held
#: (recheck 16b, F2: "about 153 s" for a map that took 45 s, "about 22 s" for one of 57 s).
BUSY_FROM = 1.5
_UMAP_WARM = False

#: progress(fraction done in [0, 1], message)
Progress = Callable[[float, str], None]
#: Share of a t-SNE / UMAP run's progress bar before its first iteration (neighbour search,
#: affinities, UMAP's compilation) and after its last (the trust numbers).
SETUP_SHARE, TRUST_SHARE = 0.05, 0.05
#: The setup's share where the map searches each movie's neighbours itself (openTSNE's
#: affinities: :func:`tsne_neighbours`); the trust numbers then reuse that search.
SEARCH_SHARE = 0.2
#: openTSNE reports to :func:`iteration_hook` every this many iterations (its callbacks).
HOOK_EVERY = 5
#: t-SNE engines: scikit-learn's Barnes-Hut, openTSNE's FFT interpolation.
TSNE_ENGINES = ("bh", "fft")
#: From this many movies t-SNE runs openTSNE's FFT-interpolated gradient, O(n) per iteration
#: (``benchmarks/bench_projection.py``: faster than Barnes-Hut from the whole ml-latest-small
#: catalogue up, slower on its 2,269-movie default view).
FFT_FROM = 5_000
#: Rows whose spread is at most this share of their largest value count as one point
#: (float32 keeps about 7 digits): :func:`check_spread`.
SAME_POINT = 1e-6


class MapCancelled(MovierateError):
    """A map was cancelled before it finished; nothing was cached."""

    def __init__(self) -> None:
        super().__init__(
            "The map was cancelled before it finished; nothing was saved. Press Compute map "
            "to start it again."
        )


_HOOK = threading.local()
_HOOK_LOCK = threading.Lock()
_HOOKED: set[str] = set()


def iteration_hook(callback: Callable[[int], None] | None) -> None:
    """Make this thread's t-SNE / UMAP runs call ``callback(iteration)`` before each gradient
    iteration (t-SNE, counted over both phases) or layout epoch (UMAP); None removes it. The
    callback may raise to stop the run (e.g. :class:`MapCancelled`). Runs in other threads
    are not affected."""
    _HOOK.callback = callback


def _current_hook() -> Callable[[int], None] | None:
    return getattr(_HOOK, "callback", None)


def _hook_tsne() -> None:
    """Wrap scikit-learn's t-SNE gradient descent once per process, so each iteration calls
    this thread's :func:`iteration_hook` (a no-op for threads without one)."""
    from sklearn.manifold import _t_sne

    with _HOOK_LOCK:
        if "tsne" in _HOOKED:
            return
        original = _t_sne._gradient_descent

        def gradient_descent(objective, p0, it, max_iter, *args, **kwargs):
            callback = _current_hook()
            if callback is None:
                return original(objective, p0, it, max_iter, *args, **kwargs)
            counter = [it]

            def counted(*a, **k):
                callback(counter[0])
                counter[0] += 1
                return objective(*a, **k)

            return original(counted, p0, it, max_iter, *args, **kwargs)

        _t_sne._gradient_descent = gradient_descent
        _HOOKED.add("tsne")


def _hook_umap(umap: Any) -> None:
    """Wrap the epoch loop of umap-learn's layout (its ``tqdm``) once per process, so each
    epoch calls this thread's :func:`iteration_hook`."""
    layouts = umap.layouts
    with _HOOK_LOCK:
        if "umap" in _HOOKED:
            return
        original = layouts.tqdm

        def epochs(iterable, *args, **kwargs):
            callback = _current_hook()
            if callback is None:
                yield from original(iterable, *args, **kwargs)
                return
            for epoch in iterable:
                callback(epoch)
                yield epoch

        layouts.tqdm = epochs
        _HOOKED.add("umap")


def tsne_engine(n_points: int) -> str:
    """The t-SNE engine for ``n_points`` movies: ``"fft"`` (openTSNE's FFT-interpolated
    gradient) from :data:`FFT_FROM` movies when openTSNE is installed, else ``"bh"``
    (scikit-learn's Barnes-Hut)."""
    if n_points < FFT_FROM:
        return "bh"
    from importlib.util import find_spec

    return "fft" if find_spec("openTSNE") is not None else "bh"  # without importing it


def tsne_coordinates(
    embedding: Any,
    *,
    perplexity: float = DEFAULT_PERPLEXITY,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
    engine: str | None = None,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """t-SNE of the rows of ``embedding``: a (rows, 2) float32 array, by ``engine`` (``"bh"``:
    :func:`sklearn_tsne_coordinates`, ``"fft"``: :func:`opentsne_coordinates`, which takes
    ``neighbours``; None: :func:`tsne_engine` picks by size)."""
    x = check_matrix(embedding, min_rows=2)
    engine = tsne_engine(len(x)) if engine is None else engine
    check_choice(engine, "engine", TSNE_ENGINES)
    if engine == "fft":
        return opentsne_coordinates(
            x,
            perplexity=perplexity,
            max_iter=max_iter,
            metric=metric,
            seed=seed,
            neighbours=neighbours,
        )
    return sklearn_tsne_coordinates(
        x, perplexity=perplexity, max_iter=max_iter, metric=metric, seed=seed
    )


def check_spread(x: np.ndarray) -> None:
    """DataError when every row is the same point, to float32 precision (an all-zero or
    constant placeholder, a collapsed embedding): no map can separate them, and scikit-learn's
    t-SNE crashed the whole process on such rows (its PCA start divides by a zero variance)."""
    x64 = np.asarray(x, dtype=np.float64)
    spread = float(np.ptp(x64, axis=0).max()) if x64.size else 0.0
    if spread <= SAME_POINT * float(np.abs(x64).max(initial=0.0)) or spread == 0.0:
        apart = f" to float32 precision (they differ by at most {spread:.1g})" if spread else ""
        raise DataError(
            f"All {len(x):,} vectors to map are the same point{apart}, so a map cannot "
            "separate them: the embedding is a placeholder or has collapsed. Train or import "
            "another."
        )


def check_directions(x: np.ndarray) -> None:
    """DataError when some rows are all zeros: they have no direction, so no cosine distance
    (openTSNE's neighbour search turned them into NaN and failed with scikit-learn's "Input X
    contains NaN")."""
    zero = int(np.count_nonzero(~np.asarray(x).any(axis=1)))
    if zero:
        raise DataError(
            f"{zero:,} of the {len(x):,} vectors to map are all zeros, and a zero vector has no "
            "direction for the cosine metric to compare. Pick the euclidean metric, or map only "
            "the movies with more ratings."
        )


def _initial(x: np.ndarray) -> str:
    """t-SNE's starting layout: the first two principal components, or (a one-dimensional
    embedding, e.g. a model cut to its first dimension) a seeded random one."""
    return "pca" if x.shape[1] >= 2 else "random"


def opentsne_coordinates(
    embedding: Any,
    *,
    perplexity: float = DEFAULT_PERPLEXITY,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
    gradient: str = "fft",
    threads: int | None = None,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """t-SNE of the rows of ``embedding`` by openTSNE: a (rows, 2) float32 array. ``gradient``
    is ``"fft"`` (interpolation, O(n) per iteration) or ``"bh"`` (Barnes-Hut with
    :data:`ANGLE`); 250 early-exaggeration iterations then ``max_iter - 250`` (scikit-learn's
    split of ``max_iter``), PCA init, openTSNE's own learning rate and momentum. Each
    iteration calls this thread's :func:`iteration_hook` (every :data:`HOOK_EVERY`-th, as
    openTSNE's callbacks allow). Affinities come from each movie's exact nearest neighbours,
    ``neighbours`` (:func:`tsne_neighbours` of these rows) or searched here. The same seed
    gives the same map on any number of threads."""
    x = check_matrix(embedding, min_rows=2)
    check_spread(x)
    perplexity, max_iter = _check_tsne_params(perplexity, max_iter, len(x))
    check_choice(metric, "metric", METRICS)
    check_choice(gradient, "gradient", ("fft", "bh"))
    if metric == "cosine":
        check_directions(x)
    openTSNE = _import_opentsne()
    hook = _current_hook()
    threads = threads or free_cores()
    early = MIN_MAX_ITER
    seen = {"phase": 0, "last": 0}

    def callback(iteration: int, error: float, embedding: Any) -> bool:
        if iteration <= seen["last"]:  # the second phase restarts its count
            seen["phase"] += 1
        seen["last"] = iteration
        if hook is not None:
            hook(iteration + (early if seen["phase"] else 0))
        return False

    tsne = openTSNE.TSNE(
        n_components=2,
        perplexity=perplexity,
        early_exaggeration_iter=early,
        n_iter=max_iter - early,
        metric=metric,
        theta=ANGLE,
        initialization=_initial(x),
        negative_gradient_method=gradient,
        n_jobs=threads,
        random_state=seed,
        callbacks=callback if hook is not None else None,
        callbacks_every_iters=HOOK_EVERY,
        verbose=False,
    )
    from threadpoolctl import threadpool_limits

    if neighbours is None:
        neighbours = tsne_neighbours(x, perplexity, metric)
    found, distances = neighbours
    x64 = x.astype(np.float64)
    with threadpool_limits(limits=threads):
        # affinities on one thread: openTSNE's perplexity search differs in the last bits
        # between thread counts (and the optimisation amplifies that), and the thread count
        # here follows the machine's load; the iterations are thread-count independent
        affinities = openTSNE.affinity.MultiscaleMixture(
            perplexities=perplexity,
            knn_index=openTSNE.nearest_neighbors.PrecomputedNeighbors(found, distances),
            n_jobs=1,
            random_state=seed,
        )
        return np.asarray(tsne.fit(x64, affinities=affinities), dtype=np.float32)


def tsne_neighbours(
    embedding: Any,
    perplexity: float,
    metric: str = "cosine",
    *,
    on_fraction: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's 3 x ``perplexity`` exact nearest rows (openTSNE's count) and their
    distances: :func:`movierate.explore.quality.nearest_rows`, in chunks that report
    ``on_fraction`` and may be stopped between two. It replaced openTSNE's own Annoy search,
    which could not be cancelled or followed and found 89% of the true neighbours, in 3.3x
    the time, at 30,000 random 32-dim vectors (issue 15)."""
    from movierate.explore.quality import nearest_rows

    x = np.asarray(embedding, dtype=np.float32)
    if metric == "cosine":
        check_directions(x)
    k = max(1, min(len(x) - 1, int(3 * perplexity)))
    return nearest_rows(x, k, metric, on_fraction=on_fraction, with_distances=True)


def _import_opentsne() -> Any:
    try:
        import openTSNE
    except ImportError as exc:
        raise MovierateError(
            f"Large t-SNE maps use the openTSNE package ({exc}); install it with "
            "`pip install openTSNE`, or pick UMAP or PCA."
        ) from None
    return openTSNE


def sklearn_tsne_coordinates(
    embedding: Any,
    *,
    perplexity: float = DEFAULT_PERPLEXITY,
    max_iter: int = DEFAULT_MAX_ITER,
    metric: str = "cosine",
    seed: int = 0,
) -> np.ndarray:
    """t-SNE of the rows of ``embedding`` by scikit-learn: a (rows, 2) float32 array
    (Barnes-Hut with :data:`ANGLE`, PCA init).

    Runs on the cores that are free (see :func:`free_cores`): OpenMP threads competing for
    busy cores spin and made t-SNE 2-3x slower than one thread on a loaded 2-core machine.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    x = check_matrix(embedding, min_rows=2)
    check_spread(x)
    perplexity, max_iter = _check_tsne_params(perplexity, max_iter, len(x))
    check_choice(metric, "metric", METRICS)
    threads = free_cores()
    _hook_tsne()
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        max_iter=max_iter,
        metric=metric,
        angle=ANGLE,
        init=_initial(x),
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


def pca_coordinates(
    embedding: Any, *, metric: str = "cosine", components: tuple[int, int] = (1, 2)
) -> np.ndarray:
    """The rows on two principal ``components`` (1-based: (1, 2) is PC1 x PC2) of the rows
    (unit-length rows under ``cosine``): a (rows, 2) float32 array."""
    x = _pca_input(embedding, metric)
    first, second = check_components(components, x.shape[1])
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    picked = [vt[c - 1] if c <= len(vt) else np.zeros(x.shape[1]) for c in (first, second)]
    return (x @ np.column_stack(picked)).astype(np.float32)


def pca_shares(embedding: Any, *, metric: str = "cosine") -> np.ndarray:
    """Each principal component's share of the variance of the rows the PCA map projects
    (unit-length rows under ``cosine``; the Principal components view uses the raw rows)."""
    x = _pca_input(embedding, metric)
    singular = np.linalg.svd(x, compute_uv=False)
    variance = singular**2
    total = variance.sum()
    shares = variance / total if total > 0 else np.zeros_like(variance)
    return np.pad(shares, (0, max(0, x.shape[1], 2) - len(shares)))


def check_components(components: Any, dim: int) -> tuple[int, int]:
    """Two distinct component numbers from 1 to ``dim``, or DataError saying which to pick
    (a one-dimensional embedding draws its PC2 as zeros)."""
    top = max(int(dim), 2)
    try:
        first, second = (int(c) for c in components)
    except (TypeError, ValueError):
        raise DataError(
            f"Components must be two numbers such as (1, 2); got {components!r}."
        ) from None
    if not (1 <= first <= top and 1 <= second <= top) or first == second:
        raise DataError(
            f"Components {first} and {second} cannot be drawn: pick two different "
            f"components from 1 to {top} (the embedding has {dim} dimensions)."
        )
    return first, second


def _pca_input(embedding: Any, metric: str) -> np.ndarray:
    x = check_matrix(embedding, min_rows=2).astype(np.float64)
    check_choice(metric, "metric", METRICS)
    if metric == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x - x.mean(axis=0)


def umap_is_warm() -> bool:
    """True once this process has run a UMAP (numba's compilation is paid)."""
    return _UMAP_WARM


def umap_coordinates(
    embedding: Any,
    *,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    min_dist: float = DEFAULT_MIN_DIST,
    metric: str = "cosine",
    seed: int = 0,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """UMAP of the rows of ``embedding``: a (rows, 2) float32 array. umap-learn is imported
    here, without its TensorFlow-based ParametricUMAP. Its neighbour graph is built from each
    row's exact nearest rows, ``neighbours`` (:func:`umap_neighbours` of these rows) or searched
    here, never by umap-learn's own NN-descent (approximate, not cancellable, and its numba
    compilation made a process's first UMAP of a 9,724-movie model take 52 s against 17 s:
    ``bench_projection --cold``)."""
    global _UMAP_WARM
    x = check_matrix(embedding, min_rows=4)
    check_choice(metric, "metric", METRICS)
    n_neighbors, min_dist = _check_umap_params(n_neighbors, min_dist, len(x))
    if neighbours is None:
        neighbours = umap_neighbours(x, n_neighbors, metric)
    found, distances = neighbours
    if found.shape != distances.shape or len(found) != len(x) or found.shape[1] < n_neighbors - 1:
        raise DataError("umap_coordinates needs n_neighbors - 1 neighbours of every row.")
    itself = np.arange(len(x))[:, None]
    knn = (
        np.hstack([itself, found[:, : n_neighbors - 1]]).astype(np.int32),
        np.hstack([np.zeros((len(x), 1)), distances[:, : n_neighbors - 1]]).astype(np.float32),
    )
    umap = _import_umap()
    _hook_umap(umap)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        metric=metric,
        random_state=seed,
        n_jobs=1,
        init="spectral" if len(x) > n_neighbors + 2 else "random",
        precomputed_knn=knn,
    )
    import warnings

    with warnings.catch_warnings():  # "no search index: transform unavailable" (not used)
        warnings.simplefilter("ignore")
        xy = reducer.fit_transform(x.astype(np.float32))
    _UMAP_WARM = True
    return np.asarray(xy, dtype=np.float32)


def umap_neighbours(
    embedding: Any,
    n_neighbors: int,
    metric: str = "cosine",
    *,
    on_fraction: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's exact nearest other rows (``n_neighbors - 1``, UMAP counts the row itself,
    and at least the trust numbers' :data:`~movierate.explore.quality.TRUST_K`) and their
    distances in umap-learn's metric (cosine: 1 - cos, 1 to a zero row, 0 between two):
    :func:`movierate.explore.quality.nearest_rows`, in chunks that report ``on_fraction`` and
    may be stopped between two."""
    from movierate.explore.quality import TRUST_K, nearest_rows

    x = np.asarray(embedding, dtype=np.float32)
    k = max(1, min(len(x) - 1, max(int(n_neighbors) - 1, TRUST_K)))
    if metric != "cosine":
        return nearest_rows(x, k, metric, on_fraction=on_fraction, with_distances=True)
    found = nearest_rows(x, k, metric, on_fraction=on_fraction)
    norms = np.linalg.norm(x, axis=1)
    unit = x / np.where(norms > 0, norms, 1.0)[:, None]
    distances = np.empty(found.shape, dtype=np.float64)
    for start in range(0, len(x), 4096):  # n x k x dim at once would be 157 MB at ml-32m
        part = found[start : start + 4096]
        cos = np.einsum("ij,ikj->ik", unit[start : start + 4096], unit[part])
        zero = (norms[start : start + 4096, None] == 0) | (norms[part] == 0)
        both = (norms[start : start + 4096, None] == 0) & (norms[part] == 0)
        distances[start : start + 4096] = np.where(both, 0.0, np.where(zero, 1.0, 1.0 - cos))
    return found, np.maximum(distances, 0.0)


def _import_umap() -> Any:
    """``import umap`` without umap.parametric_umap, which would import TensorFlow."""
    blocked = "umap.parametric_umap"
    had = blocked in sys.modules
    previous = sys.modules.get(blocked)
    if not had:
        sys.modules[blocked] = None  # type: ignore[assignment]  # makes its import fail
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap
    except ImportError as exc:
        from movierate.errors import MovierateError

        raise MovierateError(
            f"UMAP needs the umap-learn package ({exc}); install it with "
            "`pip install umap-learn`, or pick t-SNE or PCA."
        ) from None
    finally:
        if not had:
            sys.modules.pop(blocked, None)
        elif previous is not None:
            sys.modules[blocked] = previous
    return umap


def projection_map(
    embedding: Any,
    movies: pd.DataFrame,
    *,
    method: str = "tsne",
    movie_bias: Any = None,
    perplexity: float = DEFAULT_PERPLEXITY,
    min_ratings: int = DEFAULT_MIN_RATINGS,
    max_iter: int = DEFAULT_MAX_ITER,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    min_dist: float = DEFAULT_MIN_DIST,
    metric: str = "cosine",
    seed: int = 0,
    components: tuple[int, int] = (1, 2),
    rows: Any = None,
    cache: Callable[[str], Path] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> pd.DataFrame:
    """A 2-D map (``method`` in :data:`METHODS`) of the movies with at least ``min_ratings``
    ratings, or of exactly the movie rows ``rows`` (e.g. a selection to re-project).

    ``cache`` maps a file name to a path (``model.cache_path``); with it, coordinates and trust
    numbers are read from / written to disk (atomically); a cache that cannot be kept only
    sets ``attrs["cache_note"]`` (else None). Returns :func:`map_frame`'s columns;
    ``frame.attrs`` records the parameters, what ``min_ratings`` counted (``counted``:
    :func:`~movierate.explore.validation.counted_ratings`), ``method``, ``from_cache``, ``seconds`` and
    ``trust`` (:meth:`MapTrust.as_dict`, see :func:`movierate.explore.quality.map_trust`); a
    PCA map also its ``components`` (1-based) and their ``shares`` of the variance it projects.
    Only the parameters of the chosen method count (and key the cache). ``progress`` hears
    the real fraction done; setting ``cancel`` stops the run with :class:`MapCancelled`.
    """
    from movierate.explore.quality import MapTrust, map_trust
    from movierate.explore.validation import genre_lists

    x = check_matrix(embedding)
    movies = check_movies(movies, len(x))
    rows = map_rows(x, movies, method=method, metric=metric, min_ratings=min_ratings, rows=rows)
    params: dict[str, Any] = {"method": method, "metric": metric, "seed": int(seed),
                              "min_ratings": int(min_ratings)}  # fmt: skip
    if method == "tsne":
        perplexity, max_iter = _check_tsne_params(perplexity, max_iter, len(rows))
        params.update(perplexity=perplexity, max_iter=max_iter, engine=tsne_engine(len(rows)))
    elif method == "umap":
        n_neighbors, min_dist = _check_umap_params(n_neighbors, min_dist, len(rows))
        params.update(n_neighbors=n_neighbors, min_dist=min_dist)
    elif method == "pca":
        params.update(_pca_params(components, x.shape[1]))
    start = time.perf_counter()
    key = map_cache_key(x[rows], rows, **params) if cache is not None else ""
    kept = atomic.OptionalCache(cache, key)
    cached = kept.read(lambda path: _read_cached(path, rows))
    from_cache = cached is not None
    if cached is None:
        finished: dict[str, Any] = {}

        def keep(
            coordinates: np.ndarray,
            on_fraction: Callable[[float], None],
            space_neighbours: np.ndarray | None = None,
        ) -> None:
            """Trust numbers and the cache file, written by the worker itself: a map whose
            page was left mid-run is still saved for the next visit."""
            finished["trust"] = map_trust(
                x[rows],
                coordinates,
                genre_lists(movies.iloc[rows]),
                metric=metric,
                on_fraction=on_fraction,
                space_neighbours=space_neighbours,
            ).as_dict()
            kept.write(lambda f, name: _write_cached(f, name, rows, coordinates, finished["trust"]))
            _keep_recent_maps(kept.path)

        coordinates = _compute(x[rows], params, progress, keep, cancel)
        trust = finished["trust"]
    else:
        _mark_used(kept.path)
        coordinates, trust = cached
        if trust is None:  # cached before trust numbers existed, or under an older rule
            trust = map_trust(
                x[rows], coordinates, genre_lists(movies.iloc[rows]), metric=metric
            ).as_dict()
            kept.write(lambda f, name: _write_cached(f, name, rows, coordinates, trust))
    seconds = time.perf_counter() - start
    label = METHOD_LABELS[method]
    _report(progress, 1.0, f"{label} map of {len(rows):,} movies ready in {seconds:.1f} s.")
    frame = map_frame(coordinates, rows, x, movies, movie_bias)
    frame.attrs.update(
        params,
        counted=counted_ratings(movies),
        from_cache=from_cache,
        seconds=seconds,
        trust=trust,
        cache_note=kept.note,
    )
    if method == "pca":
        shares = pca_shares(x[rows], metric=metric)
        picked = params.get("components", (1, 2))
        frame.attrs.update(components=tuple(picked), shares=[float(shares[c - 1]) for c in picked])
    MapTrust.from_dict(trust)  # validates the stored numbers
    return frame


def map_rows(
    embedding: np.ndarray,
    movies: pd.DataFrame,
    *,
    method: str,
    metric: str,
    min_ratings: int = DEFAULT_MIN_RATINGS,
    rows: Any = None,
) -> np.ndarray:
    """The movie rows a map of these settings draws (``rows``, checked, or those with
    ``min_ratings`` ratings); DataError when it cannot be drawn: too few movies, or the
    cosine metric on a one-dimensional embedding, where every cosine distance is 0 or 2 (a
    vector's only direction is its sign: bad-input round 48, F1)."""
    check_choice(method, "method", METHODS)
    check_choice(metric, "metric", METRICS)
    if metric == "cosine" and np.shape(embedding)[1] == 1:
        raise DataError(
            "This embedding has one dimension, so every cosine distance between two movies is "
            "0 or 2 (a vector's only direction is its sign): a cosine map could only split "
            "them in two. Pick the euclidean metric, which maps the values themselves."
        )
    at_least = 4 if method == "umap" else 2
    if rows is None:
        return eligible_rows(movies, min_ratings, at_least=at_least)
    return _check_rows(rows, len(embedding), max(at_least, 3))


@takes_models("model")
def model_map_problem(model: EmbeddingModel, *, method: str = "tsne", **params: Any) -> str:
    """Why :func:`model_map` with these parameters cannot draw a map ("" if it can), to say
    before Compute map is offered (bad-input round 48, F2: "0 movies, about 0 s")."""
    try:
        map_rows(
            check_matrix(model.movie_embedding),
            model.movies,
            method=method,
            metric=params.get("metric", "cosine"),
            min_ratings=int(params.get("min_ratings", DEFAULT_MIN_RATINGS)),
            rows=params.get("rows"),
        )
    except DataError as exc:
        return str(exc)
    return ""


@takes_models("model")
def model_map(
    model: EmbeddingModel,
    *,
    method: str = "tsne",
    use_cache: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    **params: Any,
) -> pd.DataFrame:
    """:func:`projection_map` of a saved model, cached in its ``cache/`` folder."""
    use_cache = check_flag(use_cache, "use_cache")
    return projection_map(
        model.movie_embedding,
        model.movies,
        method=method,
        movie_bias=model.movie_bias,
        cache=model.cache_path if use_cache else None,
        progress=progress,
        cancel=cancel,
        **params,
    )


@takes_models("model")
def model_map_cached(model: EmbeddingModel, *, method: str = "tsne", **params: Any) -> bool:
    """True when :func:`model_map` with these parameters would only read the disk cache."""
    x = check_matrix(model.movie_embedding)
    movies = model.movies
    rows = params.pop("rows", None)
    min_ratings = int(params.get("min_ratings", DEFAULT_MIN_RATINGS))
    try:
        metric = params.get("metric", "cosine")
        rows = map_rows(x, movies, method=method, metric=metric, min_ratings=min_ratings, rows=rows)
        key_params: dict[str, Any] = {"method": method,
                                      "metric": metric,
                                      "seed": int(params.get("seed", 0)),
                                      "min_ratings": min_ratings}  # fmt: skip
        if method == "tsne":
            p, it = _check_tsne_params(
                params.get("perplexity", DEFAULT_PERPLEXITY),
                params.get("max_iter", DEFAULT_MAX_ITER),
                len(rows),
            )
            key_params.update(perplexity=p, max_iter=it, engine=tsne_engine(len(rows)))
        elif method == "umap":
            nn, md = _check_umap_params(
                params.get("n_neighbors", DEFAULT_N_NEIGHBORS),
                params.get("min_dist", DEFAULT_MIN_DIST),
                len(rows),
            )
            key_params.update(n_neighbors=nn, min_dist=md)
        elif method == "pca":
            key_params.update(_pca_params(params.get("components", (1, 2)), x.shape[1]))
    except DataError:
        return False
    kept = atomic.OptionalCache(model.cache_path, map_cache_key(x[rows], rows, **key_params))
    return kept.read(lambda path: _read_cached(path, rows)) is not None


def _pca_params(components: Any, dim: int) -> dict[str, Any]:
    """The cache-key parameters of a PCA map's components: none for PC1 x PC2, so the maps
    cached before components could be picked keep their names."""
    picked = check_components(components, dim)
    return {} if picked == (1, 2) else {"components": list(picked)}


def tsne_map(embedding: Any, movies: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """:func:`projection_map` with t-SNE (kept for callers of the first API)."""
    params.pop("method", None)
    return projection_map(embedding, movies, method="tsne", **params)


@takes_models("model")
def model_tsne_map(model: EmbeddingModel, **params: Any) -> pd.DataFrame:
    """:func:`model_map` with t-SNE, cached in the model's ``cache/`` folder."""
    params.pop("method", None)
    return model_map(model, method="tsne", **params)


def expected_seconds(
    method: str, n_points: int, params: dict[str, Any], *, cores: int | None = None
) -> float:
    """Seconds a t-SNE / UMAP run of ``n_points`` movies should take here, UMAP's one-off
    compilation aside (:func:`umap_compile_text`): the fixed set-up plus the work times the
    speed learned from earlier runs of this process (a prior before the first); t-SNE's
    work spread over ``cores`` (default: :func:`free_cores`)."""
    if method == "pca":
        return 0.1
    return (
        MAP_SETUP_SECONDS
        + _work(method, n_points, params, cores) * _RATE[_rate_key(method, n_points, params)]
    )


def expected_text(method: str, n_points: int, params: dict[str, Any]) -> str:
    """``"about 12 s"`` (or ``"a few seconds"``) for :func:`expected_seconds`, with UMAP's
    compilation added where this process has not run a UMAP yet."""
    return _seconds_text(method, expected_seconds(method, n_points, params))


def _seconds_text(method: str, seconds: float) -> str:
    text = "a few seconds" if seconds < FEW_SECONDS else f"about {seconds:.0f} s"
    if method == "umap" and not _UMAP_WARM:
        text += f", plus {umap_compile_text()} once per server to compile UMAP"
    return text


def _load_average() -> float | None:
    """The 1-minute load average, or None where the platform has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_per_core() -> float:
    """Runnable tasks per core from the 1-minute load average (the load plus the map's own),
    at least 1 (1.0 where the platform has no load average): how busy the machine is, not a
    factor a map's time scales by (recheck 16b, F2)."""
    load = _load_average()
    return 1.0 if load is None else max(1.0, (load + 1) / (os.cpu_count() or 1))


def cost_text(method: str, n_points: int, params: dict[str, Any]) -> str:
    """:func:`expected_text` said as what it is: the time on this machine when it is not
    busy (t-SNE on all its cores); while it is busy (:func:`load_per_core` from
    :data:`BUSY_FROM`), the load and that the map may take several times longer. A figure
    scaled by the load was off both ways (recheck 16b, F2: 3.4x too long for openTSNE, 2.6x
    too short for single-threaded Barnes-Hut), and maps at loads 4-16 on 2 cores took 2.6x to
    24x their idle time."""
    cores = os.cpu_count() or 1
    idle = _seconds_text(method, expected_seconds(method, n_points, params, cores=cores))
    load = _load_average()
    if method == "pca" or load is None or load_per_core() < BUSY_FROM:
        return f"{idle} while the machine is not busy"
    return (
        f"{idle} on this machine when it is not busy; it is busy now, with a 1-minute load of "
        f"{load:.1f} on {cores} cores, so it may take several times longer"
    )


#: A t-SNE / UMAP progress message's step count (``"...: iteration 330 of 500…"``).
_STEP = re.compile(r": (iteration|epoch) ([\d,]+) of ([\d,]+)…$")


def step_of(message: str) -> tuple[str, int, int] | None:
    """``("iteration", 330, 500)`` from a map's progress message while it iterates (t-SNE's
    iterations, UMAP's epochs), else None (neighbour search, trust numbers)."""
    found = _STEP.search(message)
    if found is None:
        return None
    word, done, total = found.groups()
    return word, int(done.replace(",", "")), int(total.replace(",", ""))


def steady_from(word: str, total: int) -> int:
    """The step (of :func:`step_of`) from which a map's time left is measured, at that phase's
    own pace: t-SNE's iteration :data:`MIN_MAX_ITER`, where early exaggeration ends (it runs
    at another pace, and scikit-learn's first iterations slower still: recheck 16b, F1), or
    UMAP's epoch a tenth of the way in (its first epoch carries numba's compilation)."""
    return MIN_MAX_ITER if word == "iteration" else max(1, total // 10)


def umap_compile_text() -> str:
    """``"8-25 s"``: how long UMAP's first run in a process compiles (:data:`UMAP_JIT_SECONDS`)."""
    least, most = UMAP_JIT_SECONDS
    return f"{least}-{most} s"


def _work(method: str, n_points: int, params: dict[str, Any], cores: int | None = None) -> float:
    """A run's work in the units of :data:`_RATE`: movies x iterations (x log(movies) for
    Barnes-Hut t-SNE), t-SNE's spread over ``cores`` (default: the free cores)."""
    if method == "umap":
        return n_points * umap_epochs(n_points)
    work = n_points * params["max_iter"] / max(free_cores() if cores is None else cores, 1)
    return work if _rate_key(method, n_points, params) == "tsne-fft" else work * np.log(n_points)


def umap_epochs(n_points: int) -> int:
    """umap-learn's own epoch count for ``n_points`` rows."""
    return 500 if n_points <= 10_000 else 200


def _learn_speed(key: str, work: float, seconds: float, *, compiled: bool) -> None:
    """Fold a run of ``work`` (:func:`_work`, taken before the run loaded the cores) that
    took ``seconds`` into ``_RATE[key]``, unless it carried UMAP's compilation (``compiled``)
    or its per-movie part is too small to tell the speed from the set-up; clamped."""
    expected = work * _RATE[key]
    if compiled or expected < LEARN_FROM_SECONDS:
        return
    factor = max(seconds - MAP_SETUP_SECONDS, 0.0) / expected
    _RATE[key] *= min(max(factor, 1 / LEARN_AT_MOST), LEARN_AT_MOST)


def _rate_key(method: str, n_points: int, params: dict[str, Any]) -> str:
    if method != "tsne":
        return method
    engine = params.get("engine") or tsne_engine(n_points)
    return "tsne-fft" if engine == "fft" else "tsne"


def _compute(
    vectors: np.ndarray,
    params: dict[str, Any],
    progress: Progress | None,
    keep: Callable[..., None],
    cancel: threading.Event | None = None,
) -> np.ndarray:
    """Coordinates of ``vectors`` by ``params['method']``, passed to ``keep`` as soon as they
    exist (with the embedding's neighbours where the map found them). t-SNE and UMAP report
    each iteration (:func:`iteration_hook`), openTSNE's neighbour search each chunk; with
    ``progress`` they run in a worker thread (which also calls ``keep``) while this one
    relays what it reports, so an exception raised by ``progress`` leaves the worker to
    finish."""
    method = params["method"]
    label = METHOD_LABELS[method]
    if method == "pca":
        _report(progress, 0.0, f"PCA of {len(vectors):,} movies…")
        coordinates = pca_coordinates(
            vectors, metric=params["metric"], components=params.get("components", (1, 2))
        )
        measuring = f"Measuring how much the map keeps ({len(vectors):,} movies)"

        def on_measured(fraction: float) -> None:
            _check_cancel(cancel)
            _report(progress, 0.5 + 0.5 * fraction, f"{measuring}: {fraction:.0%}…")

        on_measured(0.0)
        keep(coordinates, on_measured)
        return coordinates
    search: Callable[[Callable[[float], None]], tuple[np.ndarray, np.ndarray]] | None = None
    if method == "tsne":
        total = int(params["max_iter"])
        engine = params.get("engine", "bh")
        run: Callable[[Any], np.ndarray] = lambda found: tsne_coordinates(  # noqa: E731
            vectors,
            perplexity=params["perplexity"],
            max_iter=params["max_iter"],
            metric=params["metric"],
            seed=params["seed"],
            engine=engine,
            neighbours=found,
        )
        if engine == "fft":
            label += " (openTSNE, FFT)"
            search = lambda on_fraction: tsne_neighbours(  # noqa: E731
                vectors, params["perplexity"], params["metric"], on_fraction=on_fraction
            )
        detail = f"perplexity {params['perplexity']:g}, {params['max_iter']} iterations"
        step = "iteration"
        setup = "finding neighbours and affinities"
        after_search = "computing affinities"
    else:
        total = umap_epochs(len(vectors))
        run = lambda found: umap_coordinates(  # noqa: E731
            vectors,
            n_neighbors=params["n_neighbors"],
            min_dist=params["min_dist"],
            metric=params["metric"],
            seed=params["seed"],
            neighbours=found,
        )
        search = lambda on_fraction: umap_neighbours(  # noqa: E731
            vectors, params["n_neighbors"], params["metric"], on_fraction=on_fraction
        )
        detail = f"{params['n_neighbors']} neighbours, min. distance {params['min_dist']:g}"
        step = "epoch"
        setup = "finding neighbours"
        after_search = "building the neighbour graph"
        if not _UMAP_WARM:
            after_search += (
                " (the first UMAP in this process also compiles its code: "
                f"{umap_compile_text()}, once)"
            )
    headline = f"{label} of {len(vectors):,} movies ({detail}, {params['metric']})"
    status = {"fraction": 0.0, "message": f"{headline}: {setup}…"}

    setup_share = SETUP_SHARE if search is None else SEARCH_SHARE

    def on_searched(fraction: float) -> None:
        _check_cancel(cancel)
        status["fraction"] = setup_share * fraction
        status["message"] = (
            f"{headline}: finding each movie's nearest neighbours ({fraction:.0%})…"
            if fraction < 1
            else f"{headline}: neighbours found, {after_search}…"
        )

    def on_iteration(i: int) -> None:
        _check_cancel(cancel)
        done = min(max(i, 0), total)
        status["fraction"] = setup_share + (1 - setup_share - TRUST_SHARE) * done / total
        status["message"] = f"{headline}: {step} {done:,} of {total:,}…"

    def job() -> np.ndarray:
        iteration_hook(on_iteration)
        try:
            _check_cancel(cancel)
            found = None if search is None else search(on_searched)
            coordinates = run(found)
        finally:
            iteration_hook(None)
        on_measured(0.0)
        keep(coordinates, on_measured, None if found is None else found[0])
        return coordinates

    def on_measured(fraction: float) -> None:
        _check_cancel(cancel)
        status["fraction"] = 1 - TRUST_SHARE * (1 - fraction)
        status["message"] = f"{headline}: measuring how much the map keeps ({fraction:.0%})…"

    compiled = method == "umap" and not _UMAP_WARM
    work = _work(method, len(vectors), params)  # before the run itself loads the cores
    if progress is None:
        coordinates, seconds = _timed(job)
    else:
        coordinates, seconds = _run_reporting(job, status, progress)
    _learn_speed(_rate_key(method, len(vectors), params), work, seconds, compiled=compiled)
    return coordinates


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise MapCancelled()


def _timed(job: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    out = job()
    return out, time.perf_counter() - start


def _run_reporting(
    job: Callable[[], np.ndarray], status: dict[str, Any], progress: Progress
) -> tuple[np.ndarray, float]:
    """Run ``job`` in a worker thread; meanwhile pass the ``status`` it keeps up to date
    (fraction from its iterations, message) to ``progress`` every tenth of a second."""
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = job()
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    progress(0.0, status["message"])
    start = time.perf_counter()
    worker = threading.Thread(target=work, name="movierate-map", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
        if worker.is_alive():
            progress(min(status["fraction"], 1.0), status["message"])
    if "error" in result:
        raise result["error"]
    return result["value"], time.perf_counter() - start


def _mark_used(path: Path | None) -> None:
    """Date a cached map file as used now: :func:`_keep_recent_maps` keeps the recent ones."""
    if path is not None:
        with suppress(OSError):
            os.utime(path)


def _keep_recent_maps(path: Path | None) -> None:
    """Remove the map files in the folder of ``path`` beyond the :data:`MAP_CACHE_FILES` most
    recently used (other analyses' files stay); any failure leaves them (a cache is optional)."""
    if path is None:
        return
    with suppress(OSError):  # a file another page removed meanwhile: left to the next write
        maps = [
            (f.stat().st_mtime, f.name, f)
            for f in path.parent.iterdir()
            if f.name.startswith(tuple(f"{m}-" for m in METHODS)) and f.suffix == ".npz"
        ]
        for *_, old in sorted(maps, reverse=True)[MAP_CACHE_FILES:]:
            old.unlink(missing_ok=True)


def map_cache_key(vectors: np.ndarray, rows: np.ndarray, **params: Any) -> str:
    """File name of cached coordinates: the method's parameters plus a hash of the rows and
    vectors, so a retrained model (or another filter) never reads stale coordinates. t-SNE
    files keep their first names (:func:`tsne_cache_key`)."""
    if params.get("method", "tsne") == "tsne":
        return tsne_cache_key(
            vectors,
            rows,
            perplexity=params["perplexity"],
            min_ratings=params["min_ratings"],
            max_iter=params["max_iter"],
            metric=params["metric"],
            seed=params["seed"],
            engine=params.get("engine", "bh"),
        )
    digest = hashlib.blake2b(digest_size=8)
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
    digest.update(json.dumps(params, sort_keys=True).encode())
    method = params["method"]
    extra = f"-n{params['n_neighbors']}-d{params['min_dist']:g}" if method == "umap" else ""
    if method == "umap":  # maps from umap-learn's approximate search are not reused
        digest.update(b"|exact-neighbours")
    return (
        f"{method}-{params['metric']}-m{params['min_ratings']}{extra}-s{params['seed']}-"
        f"{digest.hexdigest()}.npz"
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
    engine: str = "bh",
) -> str:
    """File name of cached coordinates: the parameters and the engine (Barnes-Hut: its
    :data:`ANGLE`; openTSNE's FFT: ``fft``) plus a hash of the rows and vectors, so a retrained
    model (or another filter) never reads stale coordinates. Barnes-Hut maps keep the names
    they had before the FFT engine existed."""
    check_choice(engine, "engine", TSNE_ENGINES)
    how = f"a{ANGLE:g}" if engine == "bh" else "fft"
    digest = hashlib.blake2b(digest_size=8)
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
    last = repr(ANGLE) if engine == "bh" else "fft"
    digest.update(f"{perplexity!r}|{min_ratings}|{max_iter}|{metric}|{seed}|{last}".encode())
    return (
        f"{CACHE_PREFIX}{metric}-p{perplexity:g}-m{min_ratings}-i{max_iter}-s{seed}-{how}-"
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


def map_description(frame: pd.DataFrame) -> list[str]:
    """What a map shows besides its model, from its ``attrs``: the method with its settings,
    and which movies (views round 25, F2: the map's PNG said neither, and how far its distances
    and cluster sizes can be read depends on the method). For a figure's title.

    >>> frame = pd.DataFrame({"x": [0.0, 1.0]})
    >>> frame.attrs.update(method="tsne", perplexity=30.0, max_iter=500, metric="cosine",
    ...                    seed=0, min_ratings=10, counted="training ratings")
    >>> map_description(frame)[1]
    '2 movies with at least 10 training ratings'
    """
    attrs = frame.attrs
    method = attrs.get("method")
    if method not in METHOD_LABELS:
        return ["coordinates computed elsewhere", f"{len(frame):,} movies"]
    if method == "tsne":
        settings = [f"perplexity {attrs['perplexity']:g}", f"{attrs['max_iter']:,} iterations"]
    elif method == "umap":
        settings = [f"{attrs['n_neighbors']} neighbours", f"min. distance {attrs['min_dist']:g}"]
    else:
        settings = ["PC{} × PC{}".format(*attrs.get("components", (1, 2)))]
    settings.append(str(attrs.get("metric", "cosine")))
    if method != "pca":
        settings.append(f"seed {attrs.get('seed', 0)}")
    movies = (
        f"{len(frame):,} movies of a selection, re-projected"
        if attrs.get("rows")
        else movies_text(
            len(frame), attrs.get("min_ratings", 0), counted=attrs.get("counted", "ratings")
        )
    )
    return [f"{METHOD_LABELS[method]}: {', '.join(settings)}", movies]


def movies_text(count: int, min_ratings: int, *, counted: str) -> str:
    """The movies a figure draws, for its title: "1,958 movies with at least 10 training
    ratings" (``counted``: :func:`~movierate.explore.validation.counted_ratings`; accuracy
    round 42, F2: "ratings" read as all ratings, which 2,269 movies have)."""
    noun = counted[:-1] if min_ratings == 1 and counted.endswith("s") else counted
    return f"{count:,} movies" + (f" with at least {min_ratings:,} {noun}" if min_ratings else "")


def coordinates_csv(frame: pd.DataFrame, movies: pd.DataFrame | None = None) -> str:
    """CSV text of a map (``movie_id``, ``title``, ``year``, ``x``, ``y``; no year column when
    no movie has one) to download and load back with :func:`read_coordinates`, here or in
    another tool; with the model's ``movies``, also the columns
    :func:`~movierate.explore.export.label_columns` adds (an import's label columns, the flag
    of ids made up from row numbers: bad-input round 34 F3/F4); and ``map``, the method, its
    settings and the movies drawn (:func:`map_description`). Text cells that a spreadsheet
    would run as formulas start with ``'`` (:mod:`movierate.spreadsheet`)."""
    from movierate.explore.export import label_columns

    missing = [c for c in ("movie_id", "x", "y") if c not in frame.columns]
    if missing:
        raise DataError(f"The map lacks the column(s) {', '.join(missing)}; pass a map frame.")
    columns = [c for c in ("movie_id", "title", "year", "x", "y") if c in frame.columns]
    if "year" in columns and frame["year"].isna().all():
        columns.remove("year")
    table = frame[columns].reset_index(drop=True)
    if movies is not None and "movie_idx" in frame.columns:
        extra = label_columns(movies, frame["movie_idx"].to_numpy())
        table = pd.concat([table, extra], axis=1)
    if frame.attrs.get("method"):  # the settings that made it (views round 24, F5: unnamed)
        table["map"] = " · ".join(map_description(frame))
    return spreadsheet.csv_text(table)


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
    movies = check_movies(movies, len(x))
    table = _read_csv(source)
    missing = [c for c in ("movie_id", "x", "y") if c not in table.columns]
    if missing:
        raise DataError(
            f"The coordinates file lacks the column(s) {', '.join(missing)}; it needs "
            "movie_id, x and y (the format explore.coordinates_csv writes)."
        )
    model_ids = movies["movie_id"]
    numeric = pd.api.types.is_numeric_dtype(model_ids)  # else text ids (an upload's "film-a0")
    if numeric:
        ids = pd.to_numeric(table["movie_id"], errors="coerce")
    else:
        ids = table["movie_id"].astype(str).str.strip().map(spreadsheet.plain_cell)
        ids = ids.where(table["movie_id"].notna())
        model_ids = model_ids.astype(str)
    xy = table[["x", "y"]].apply(pd.to_numeric, errors="coerce")
    values = xy.to_numpy(np.float64)
    with np.errstate(invalid="ignore"):  # within float32, as the map stores them
        finite = (np.abs(values) <= np.finfo(np.float32).max).all(axis=1)
    bad = ids.isna() | xy.isna().any(axis=1) | ~finite
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        kind = "a numeric" if numeric else "a"
        raise DataError(
            f"The coordinates file needs {kind} movie_id and finite numbers x and y (at most "
            f"{np.finfo(np.float32).max:.1e} in size) on every line; line {line} has not."
        )
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise DataError(f"movie_id {dup} appears more than once in the coordinates file.")
    row_of = pd.Series(np.arange(len(movies)), index=model_ids.to_numpy())
    known = ids.isin(row_of.index).to_numpy()
    if not known.any():
        raise DataError(
            "None of the coordinates' movie_ids belongs to this model's dataset; load the "
            "file exported for a model trained on the same dataset."
        )
    rows = row_of.loc[ids[known].astype(np.int64) if numeric else ids[known]].to_numpy()
    if "title" in table.columns:  # the file says which film each id was: check it here
        titles = table["title"].map(spreadsheet.plain_cell).to_numpy()
        _check_titles(titles[known], movies, rows, ids[known].to_numpy())
    frame = map_frame(xy.to_numpy(np.float32)[known], rows, x, movies, movie_bias)
    frame.attrs.update(method="precomputed", unmatched=int((~known).sum()), from_cache=False)
    return frame


#: A coordinates file whose titles name other films for more than this share of its matched
#: ids was made for another data set (ids name different films in different data sets).
OTHER_FILMS_SHARE = 0.05


def _check_titles(titles: np.ndarray, movies: pd.DataFrame, rows: np.ndarray, ids: Any) -> None:
    """DataError when the file's titles name other films than this data set's for the same
    ids (beyond :data:`OTHER_FILMS_SHARE`: titles spelled differently elsewhere may differ)."""
    from movierate.data.identity import normalise_title

    here = movies["title"].astype(str).to_numpy()[rows]
    given = [normalise_title(str(t)) if isinstance(t, str) else None for t in titles]
    other = [
        i for i, (g, h) in enumerate(zip(given, here, strict=True)) if g and g != normalise_title(h)
    ]
    if len(other) > OTHER_FILMS_SHARE * len(rows):
        first = other[0]
        raise DataError(
            f"These coordinates were made for another data set: {len(other):,} of the "
            f"{len(rows):,} movie ids they share with this model name other films here (id "
            f"{ids[first]} is {str(titles[first])[:80]!r} in the file, {here[first][:80]!r} "
            "here). Load the file exported for a model trained on this model's data set."
        )


def perplexity_note(n_points: int, perplexity: float) -> str:
    """A warning when ``perplexity`` is large for ``n_points`` movies (over a fifth of them):
    each point then weighs most others as neighbours and t-SNE tends to draw a ring or a
    ball, not structure (views round 6: 60 books at perplexity 30 made a near-perfect circle);
    "" otherwise."""
    suggested = max(2, round(n_points / 10))
    if n_points <= 0 or perplexity <= n_points / 5 or suggested >= perplexity:
        return ""  # (the recheck: "Try about 2" at perplexity 2)
    return (
        f"A perplexity of {perplexity:g} asks each of these {n_points:,} movies to weigh about "
        f"{min(n_points - 1, round(3 * perplexity)):,} others as its neighbours, so t-SNE tends "
        f"to draw a ring or a ball rather than groups. Try about {suggested} (a tenth of the "
        "movies) and press Compute map."
    )


def _check_tsne_params(perplexity: Any, max_iter: Any, n_points: int) -> tuple[float, int]:
    try:
        perplexity = float(perplexity)
    except (TypeError, ValueError):
        raise DataError(f"perplexity must be a number, got {perplexity!r}.") from None
    if not 0 < perplexity < n_points:
        raise DataError(
            f"perplexity must be above 0 and below the number of movies mapped ({n_points}), "
            f"got {perplexity:g}. Lower the perplexity, or map more movies (a lower "
            "min-ratings filter, where the movies have rating counts)."
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer):
        raise DataError(f"max_iter must be a whole number, got {max_iter!r}.")
    if max_iter < MIN_MAX_ITER:
        raise DataError(f"max_iter must be at least {MIN_MAX_ITER}, got {max_iter}.")
    return perplexity, int(max_iter)


def _check_umap_params(n_neighbors: Any, min_dist: Any, n_points: int) -> tuple[int, float]:
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer):
        raise DataError(f"n_neighbors must be a whole number, got {n_neighbors!r}.")
    if not 2 <= n_neighbors < n_points:
        raise DataError(
            f"n_neighbors must be at least 2 and below the number of movies mapped "
            f"({n_points}), got {n_neighbors}. Lower it or the min-ratings filter."
        )
    try:
        min_dist = float(min_dist)
    except (TypeError, ValueError):
        raise DataError(f"min_dist must be a number, got {min_dist!r}.") from None
    if not 0.0 <= min_dist <= 1.0:
        raise DataError(f"min_dist must be between 0 and 1, got {min_dist:g}.")
    return int(n_neighbors), min_dist


def _check_rows(rows: Any, n_movies: int, at_least: int) -> np.ndarray:
    try:
        rows = np.unique(np.asarray(rows).reshape(-1).astype(np.int64))
    except (TypeError, ValueError):
        raise DataError("rows must be whole numbers (rows of the movies table).") from None
    if len(rows) and (rows.min() < 0 or rows.max() >= n_movies):
        raise DataError(f"rows must lie in 0..{n_movies - 1} (rows of the movies table).")
    if len(rows) < at_least:
        raise DataError(
            f"A map needs at least {at_least} movies; {len(rows)} given. Select more movies."
        )
    return rows


#: A cached map's entries, and the most bytes of its trust numbers (a short JSON text).
_CACHED_ENTRIES = ("coordinates", "rows", "trust", "key")
_MOST_TRUST_BYTES = 1 << 20


def _check_cached(key: str, header: npz.NpyHeader, rows: np.ndarray) -> None:
    """ValueError (a cache miss) when a cached map's entry is larger than the map of ``rows``."""
    most = {"coordinates": 2 * len(rows), "rows": len(rows), "trust": 1, "key": 1}[key]
    too_wide = key in ("trust", "key") and header.dtype.itemsize > _MOST_TRUST_BYTES
    if header.values > most or too_wide or header.nbytes > header.stored:
        raise ValueError(f"the cached '{key}' declares {header.values:,} values")


#: The rule that made a cache file's trust numbers: trust saved under another rule (or before
#: rules were numbered) is recomputed from the cached coordinates (recheck s33, finding 4: a
#: map cached before bad-input round 27 kept "100% of its 2 nearest" out of 3 movies).
TRUST_RULE = 2


def _read_cached(
    path: Path, rows: np.ndarray
) -> tuple[str | None, tuple[np.ndarray, dict[str, Any] | None]] | None:
    """(the file name it records, (coordinates, trust numbers or None)) from a cache file, or
    None if it is missing, unreadable or for other rows; trust of another :data:`TRUST_RULE`
    reads as None. A file from before names were recorded records None (still read)."""
    try:  # bounded by the rows asked for: a cache file handed over in a model folder may
        # declare any size (bad-input round 21), and np.load reads what each entry declares
        cached = npz.read_arrays(path, _CACHED_ENTRIES, lambda k, h: _check_cached(k, h, rows))
        coordinates, cached_rows = cached["coordinates"], cached["rows"]
        trust = json.loads(str(cached["trust"])) if "trust" in cached else None
        recorded = str(cached["key"]) if "key" in cached else None
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # a truncated copy
        return None
    if coordinates.shape != (len(rows), 2) or not np.array_equal(cached_rows, rows):
        return None
    if not np.isfinite(coordinates).all():
        return None
    from movierate.explore.quality import MapTrust  # lazy, as in projection_map

    try:
        if trust is not None:
            MapTrust.from_dict(trust)
    except (KeyError, ValueError, TypeError):  # edited or from another version: a miss
        return None
    if trust is not None and trust.pop("rule", None) != TRUST_RULE:
        trust = None  # computed under an older rule: recomputed, the coordinates kept
    return recorded, (coordinates.astype(np.float32, copy=False), trust)


def _write_cached(
    f: Any, name: str, rows: np.ndarray, coordinates: np.ndarray, trust: dict[str, Any]
) -> None:
    """The cache file's content, recording its own ``name`` (written atomically by
    :class:`atomic.OptionalCache`, which checks that name on reading)."""
    saved = json.dumps({**trust, "rule": TRUST_RULE})
    np.savez(f, rows=rows, coordinates=coordinates, trust=np.array(saved), key=np.array(name))


def _read_csv(source: Any) -> pd.DataFrame:
    """The coordinates file as a table of strings (:func:`read_text_table`: a row with more
    fields than the header is an error, never an index that shifts every column)."""
    from movierate.data.formats import read_text_table
    from movierate.data.textio import decode

    try:
        if isinstance(source, str) and "\n" in source:
            text = source
        else:
            data = source.read() if hasattr(source, "read") else source
            if isinstance(data, str | Path):
                data = Path(data).read_bytes()
            text = (
                data
                if isinstance(data, str)
                else decode(data, "The coordinates file", holds="the coordinates")
            )
    except OSError as exc:
        raise DataError(f"The coordinates file could not be read: {exc}") from None
    table = read_text_table(text, "The coordinates file", advice="export it again")
    return table.replace("", np.nan)


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)
