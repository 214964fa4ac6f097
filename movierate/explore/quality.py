"""How meaningful is an embedding space? Genre coherence of nearest neighbours.

Genre coherence@k is the share of a movie's k nearest neighbours that share at least one genre
with it, averaged over movies with enough ratings (and at least one genre). The random
baseline is its exact expected value when the k neighbours are drawn at random from the same
eligible movies: for movie i, (number of other eligible movies sharing a genre with i) / (N - 1).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from movierate.data.movies import NO_GENRES
from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import NeighbourIndex
from movierate.explore.threads import single_blas_thread
from movierate.explore.validation import (
    check_k,
    check_matrix,
    check_min_ratings,
    check_movies,
    counted_ratings,
    filter_counts,
    genre_lists,
    most_rated,
    movie_columns,
    takes_models,
)
from movierate.stats import hypergeom_sf

#: Query rows per block when counting genre-sharing pairs (bounds memory).
BLOCK_ROWS = 2048
#: Up to this many distinct genres, the random baseline sums over genre subsets (2^n cells).
SUBSET_GENRES = 22


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
    n_eligible: int | None = None  # movies that passed the filters before a cap (None: n_movies)

    @property
    def subsampled(self) -> bool:
        """True when only the most-rated ``n_movies`` of ``n_eligible`` movies were used."""
        return self.n_eligible is not None and self.n_eligible > self.n_movies

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


@single_blas_thread
def genre_coherence(
    embedding: Any,
    movies: pd.DataFrame,
    *,
    k: int = 10,
    min_ratings: int = 10,
    metric: str = "cosine",
    max_movies: int | None = None,
) -> GenreCoherence:
    """Genre coherence@k over movies with at least ``min_ratings`` ratings and one genre;
    neighbours are searched among those same movies.

    ``max_movies`` bounds the exact all-pairs search: beyond it, only the ``max_movies``
    most-rated of those movies are used (``result.n_eligible`` says how many passed)."""
    x = check_matrix(embedding)
    movies = check_movies(movies, len(x))
    k = check_k(k)
    min_ratings = check_min_ratings(min_ratings)
    if shortfall := coherence_shortfall(movies, k=k, min_ratings=min_ratings):
        raise DataError(shortfall)
    counts = filter_counts(movies)  # the model's training ratings where recorded
    rated = np.flatnonzero(counts >= min_ratings)
    rows = rated[genre_flags(movies)[rated]]
    n_eligible = len(rows)
    rows = most_rated(rows, counts, max_movies)  # lists parsed for these only (~0.1 s / 10k)
    incidence = genre_incidence(genre_lists(movies.iloc[rows]))
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
        n_eligible=n_eligible,
    )


def coherence_shortfall(movies: pd.DataFrame, *, k: int, min_ratings: int) -> str | None:
    """Why genre coherence@``k`` over the movies with ``min_ratings`` ratings cannot be
    measured (too few of them have a genre), or None. Facts only, no advice on a setting:
    its callers differ in what they let a user change (views round 12: the study, which has
    no k, was told to "lower k below" 0).

    >>> movies = pd.DataFrame({"genres": [""] * 20, "n_ratings": [50] * 20})
    >>> coherence_shortfall(movies, k=10, min_ratings=10)
    'None of these movies has a genre, so there is no genre coherence to measure.'
    """
    flags = genre_flags(movies)
    eligible = int(np.count_nonzero(flags & (filter_counts(movies) >= min_ratings)))
    if eligible > k:
        return None
    with_genre = int(np.count_nonzero(flags))
    if with_genre == 0:
        return "None of these movies has a genre, so there is no genre coherence to measure."
    needs = f"genre coherence@{k} needs more than {k}"
    if with_genre <= k:
        return f"Only {with_genre} movies have a genre at all; {needs}."
    return (
        f"Only {eligible} movies have at least {min_ratings} {counted_ratings(movies)} and a "
        f"genre ({with_genre} have a genre with any number of ratings); {needs}."
    )


_FLAGS: dict[int, np.ndarray] = {}


def genre_flags(movies: pd.DataFrame) -> np.ndarray:
    """Per movie, whether it has at least one genre (as :func:`genre_lists` reads them);
    remembered per movies table object while it lives (a loaded model's table is never
    changed), so a new min-ratings filter does not re-read 87,585 genre lists."""
    key = id(movies)
    flags = _FLAGS.get(key)
    if flags is None or len(flags) != len(movies):
        values = movies["genres"].to_numpy()
        flags = np.fromiter(map(_has_genre, values), dtype=bool, count=len(values))
        try:
            weakref.finalize(movies, _FLAGS.pop, key, None)
        except TypeError:  # cannot be weakly referenced: no memo
            return flags
        _FLAGS[key] = flags
    return flags


def _has_genre(value: Any) -> bool:
    """True when :func:`genre_lists` would give this ``genres`` value at least one genre."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, str):
        return any(g not in NO_GENRES for g in value.split("|"))
    return any(g and str(g) not in NO_GENRES for g in value)


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
    other movies that share at least one genre with it.

    Counted without comparing movies pairwise: with up to :data:`SUBSET_GENRES` genres, a
    movie's genres are a bit mask and the movies sharing none with it are those whose mask lies
    within its complement (a sum over subsets, 2^genres cells); with more, per distinct genre
    set. Milliseconds for 87,585 movies either way."""
    n = len(incidence)
    if n < 2:
        raise DataError("A random baseline needs at least 2 movies.")
    incidence = np.asarray(incidence, dtype=bool).reshape(n, -1)
    n_genres = incidence.shape[1]
    if n_genres <= SUBSET_GENRES:
        masks = incidence.astype(np.int64) @ (np.int64(1) << np.arange(n_genres, dtype=np.int64))
        within = np.bincount(masks, minlength=1 << n_genres).astype(np.int64)
        for bit in range(n_genres):  # within[m] = movies whose genres are a subset of m
            view = within.reshape(-1, 2, 1 << bit)
            view[:, 1, :] += view[:, 0, :]
        disjoint = within[((1 << n_genres) - 1) ^ masks]  # a genreless movie counts itself
        return (n - disjoint - 1) / (n - 1)  # minus itself
    patterns, inverse, counts = np.unique(
        incidence, axis=0, return_inverse=True, return_counts=True
    )
    as_float = patterns.astype(np.float32)
    sharing = np.empty(len(patterns), dtype=np.float64)
    for start in range(0, len(patterns), BLOCK_ROWS):
        overlap = as_float[start : start + BLOCK_ROWS] @ as_float.T
        sharing[start : start + BLOCK_ROWS] = (overlap > 0) @ counts
    return (sharing[inverse.reshape(-1)] - 1) / (n - 1)  # minus itself


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


@takes_models("model")
def model_genre_coherence(
    model: EmbeddingModel,
    *,
    k: int = 10,
    min_ratings: int = 10,
    metric: str = "cosine",
    max_movies: int | None = None,
) -> GenreCoherence:
    """:func:`genre_coherence` of a saved model's movie embedding."""
    return genre_coherence(
        model.movie_embedding,
        model.movies,
        k=k,
        min_ratings=min_ratings,
        metric=metric,
        max_movies=max_movies,
    )


# --- How far to trust a 2-D map, and what its regions hold -----------------------------------

#: Neighbours per movie behind a map's trust numbers.
TRUST_K = 10
#: Rows per neighbour query of :func:`nearest_rows` (a cancel is seen between two).
SEARCH_CHUNK = 2_048
#: Share of :func:`map_trust`'s time in the embedding's neighbour search (87,585 random
#: 32-dim vectors on 2 cores under load: the map's own 2-D search 5.3 s, the embedding's 473 s
#: through scikit-learn's cosine path, before the unit-row euclidean search).
SPACE_SHARE = 0.9
#: A map of more movies measures its trust numbers on this many of them, drawn at random (each
#: against every movie): the whole 20,248-movie map took 61 s on a loaded machine before its
#: PCA map appeared (views round 36, M2).
TRUST_SAMPLE = 5_000
#: k-means places a map's regions from at most this many of its points (drawn at random), then
#: assigns every point: on all 20,248 points of a map it took 7.9 s under load (views round 36).
REGION_FIT_POINTS = 5_000
#: A map of fewer movies tells little: a random layout keeps k / (n - 1) of each movie's k
#: nearest neighbours, over half below this (bad-input round 41, F4: "it keeps 100%" of 3).
FEW_MAP_MOVIES = 2 * TRUST_K + 1
#: A genre (tag) labels a region when it is this many times more common there than overall ...
REGION_MIN_RATIO = 1.5
#: ... and at least this many of the region's movies have it ...
REGION_MIN_COUNT = 5
#: ... and at least this share of them (a label must describe a good part of the region).
REGION_MIN_SHARE = 0.15
#: A tag labels a region when this many (and this share) of its movies carry it and it is
#: twice as common there as on the whole map (tags are sparse: most movies have none).
REGION_MIN_TAG_MOVIES = 3
REGION_MIN_TAG_SHARE = 0.04
REGION_MIN_TAG_RATIO = 2.0
#: ... and the count is beyond chance: its hypergeometric tail, Holm-adjusted over every
#: region and genre of the map, is at most this (accuracy round 7b: on maps of random vectors
#: 1.3% of regions, and one map in ten, showed a genre label without it).
REGION_ALPHA = 0.05
#: Not genres: formats and placeholders never label a region.
NOT_A_GENRE = frozenset({"IMAX", "(no genres listed)", "unknown"})


@dataclass(frozen=True)
class MapTrust:
    """How much of the embedding's neighbourhood structure a 2-D map keeps.

    ``kept``: mean share of each movie's k nearest embedding neighbours that are also among its
    k nearest neighbours in the map. ``genre_embedding`` / ``genre_map``: share of those
    neighbours (embedding / map) that share a genre with the movie; ``genre_random``: the same
    for random neighbours (exact expectation). Genre shares average over movies with a genre.
    """

    k: int
    n_movies: int
    kept: float
    genre_embedding: float
    genre_map: float
    genre_random: float
    n_measured: int | None = None  # movies whose neighbours were compared; None: all

    def as_dict(self) -> dict[str, float]:
        """The numbers as a plain dict (saved beside cached coordinates)."""
        return {
            "k": self.k,
            "n_movies": self.n_movies,
            "kept": self.kept,
            "genre_embedding": self.genre_embedding,
            "genre_map": self.genre_map,
            "genre_random": self.genre_random,
            "n_measured": self.n_measured,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MapTrust:
        """Inverse of :meth:`as_dict`; ValueError, KeyError or TypeError for anything else (a
        damaged or hand-edited cache: strings, NaN, a list)."""
        trust = cls(
            k=int(values["k"]),
            n_movies=int(values["n_movies"]),
            kept=float(values["kept"]),
            genre_embedding=float(values["genre_embedding"]),
            genre_map=float(values["genre_map"]),
            genre_random=float(values["genre_random"]),
            n_measured=None if values.get("n_measured") is None else int(values["n_measured"]),
        )
        if not 0 <= trust.kept <= 1:  # genre shares are NaN for a map without genres
            raise ValueError("the kept share must be between 0 and 1")
        return trust


def nearest_rows(
    points: np.ndarray,
    k: int,
    metric: str = "euclidean",
    *,
    on_fraction: Callable[[float], None] | None = None,
    with_distances: bool = False,
    queries: np.ndarray | None = None,
) -> Any:
    """(n, k) positions of each row's k nearest other rows (itself excluded), nearest first
    (only the rows ``queries`` when given, each among all rows);
    with ``with_distances`` also their (n, k) distances (for ``cosine``: between the unit
    rows, sqrt(2 - 2 cos), as Annoy's angular distance; 1 - cos where a row is all zeros).
    The rows are searched :data:`SEARCH_CHUNK` at a time and ``on_fraction(share done)`` is
    called after each chunk: it may raise to stop the search (a cancelled map), which took
    40 s of an 87,585-movie map's trust numbers in one uninterruptible call before."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(points) - 1)
    algorithm = "auto"
    if metric == "cosine":
        algorithm = "brute"
        norms = np.linalg.norm(points, axis=1, keepdims=True)
        if np.all(norms > 0):
            # the same order as cosine distance (|a - b|^2 = 2 - 2 cos on unit rows), through
            # scikit-learn's euclidean kernel: 3-4x faster than its cosine path at 30,000 rows
            # (issue 15). A zero row has no direction, so cosine keeps it (distance 1 to all).
            points, metric = points / norms, "euclidean"
    index = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm=algorithm).fit(points)
    asked = np.arange(len(points)) if queries is None else np.asarray(queries, np.int64)
    out = np.empty((len(asked), k), dtype=np.int64)
    far = np.empty((len(asked), k), dtype=np.float64)
    for start in range(0, len(asked), SEARCH_CHUNK):
        stop = min(start + SEARCH_CHUNK, len(asked))
        distances, found = index.kneighbors(points[asked[start:stop]])
        for i, (row, near) in enumerate(zip(found, distances, strict=True), start=start):
            others = row != asked[i]
            out[i], far[i] = row[others][:k], near[others][:k]
        if on_fraction is not None:
            on_fraction(stop / len(asked))
    return (out, far) if with_distances else out


def map_trust(
    vectors: Any,
    coordinates: Any,
    genres: list[list[str]],
    *,
    k: int = TRUST_K,
    metric: str = "cosine",
    on_fraction: Callable[[float], None] | None = None,
    space_neighbours: np.ndarray | None = None,
) -> MapTrust:
    """Trust numbers of a 2-D map (:class:`MapTrust`) of the rows of ``vectors`` drawn at
    ``coordinates``; ``genres`` lists each row's genres. ``k`` is capped at n - 2 neighbours,
    below the n - 1 every map keeps. ``on_fraction(share done)`` follows the two neighbour
    searches (:func:`nearest_rows`) and may raise to stop them. ``space_neighbours``: each
    row's nearest rows in ``vectors`` by ``metric`` (:func:`nearest_rows`' positions, at
    least k of them), already found for the map itself, so the embedding is not searched
    again. Over :data:`TRUST_SAMPLE` movies, the numbers are of that many drawn at random
    (seed 0; ``n_measured`` says so)."""
    x = check_matrix(vectors, min_rows=3)
    xy = np.asarray(coordinates, dtype=np.float64)
    if xy.shape != (len(x), 2) or len(genres) != len(x):
        raise DataError(
            f"map_trust needs one (x, y) pair and one genre list per vector; got {len(x)} "
            f"vectors, coordinates of shape {xy.shape} and {len(genres)} genre lists."
        )
    # at most n - 2: the n - 1 nearest of n movies are all the others, kept by any map (a
    # 3-movie map "kept 100%" and matched random pairs: bad-input round 27, F6)
    k = min(check_k(k), len(x) - 2)
    sampled = len(x) > TRUST_SAMPLE
    rows = (
        np.sort(np.random.default_rng(0).choice(len(x), TRUST_SAMPLE, replace=False))
        if sampled
        else np.arange(len(x))
    )
    found = None if space_neighbours is None else np.asarray(space_neighbours)
    if found is not None and found.ndim == 2 and len(found) == len(x) and found.shape[1] >= k:
        in_space, mapped_from = found[rows, :k], 0.0
    else:  # the embedding's search (brute force over every dimension): most of the time
        in_space = nearest_rows(
            x.astype(np.float32),
            k,
            metric,
            on_fraction=_scaled(on_fraction, 0.0, SPACE_SHARE),
            queries=rows,
        )
        mapped_from = SPACE_SHARE
    in_map = nearest_rows(
        xy, k, "euclidean", on_fraction=_scaled(on_fraction, mapped_from, 1.0), queries=rows
    )
    kept = np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(in_space, in_map, strict=True)])
    measured = len(rows) if sampled else None
    incidence = genre_incidence([list(g) for g in genres])
    has = incidence.any(axis=1)
    if not has[rows].any():
        nan = float("nan")
        return MapTrust(k, len(x), float(kept), nan, nan, nan, measured)

    def agreement(neighbours: np.ndarray) -> float:
        shared = (incidence[rows, None, :] & incidence[neighbours]).any(axis=2).mean(axis=1)
        return float(shared[has[rows]].mean())

    return MapTrust(
        k=k,
        n_movies=len(x),
        kept=float(kept),
        genre_embedding=agreement(in_space),
        genre_map=agreement(in_map),
        genre_random=float(random_baseline(incidence)[has].mean()),
        n_measured=measured,
    )


def _scaled(
    on_fraction: Callable[[float], None] | None, low: float, high: float
) -> Callable[[float], None] | None:
    """``on_fraction`` with a share of one step mapped into [low, high] of the whole."""
    if on_fraction is None:
        return None
    return lambda share: on_fraction(low + (high - low) * share)


def map_regions(
    coordinates: Any,
    genres: list[list[str]],
    *,
    movie_idx: Any = None,
    tags: pd.DataFrame | None = None,
    n_regions: int | None = None,
    top: int = 2,
    seed: int = 0,
) -> pd.DataFrame:
    """Regions of a 2-D map (k-means on the coordinates) and what sets each apart.

    Per region: ``region``, ``x``, ``y`` (the median point, where its label goes), ``n_movies``,
    ``genres`` (up to ``top`` genres at least :data:`REGION_MIN_RATIO` times more common there
    than in the whole map and held by at least :data:`REGION_MIN_COUNT` of its movies, most
    over-represented first; also at least :data:`REGION_MIN_SHARE` of the region, and beyond
    chance (:data:`REGION_ALPHA`, Holm over the map's regions and genres); IMAX and
    placeholders never count), ``ratios`` (theirs), ``tags`` (the same for user tags when
    ``tags`` = ``read_tags`` output and ``movie_idx`` (each point's movie) are given) and
    ``label`` ("Horror · Thriller", empty when nothing stands out). Also returns ``assignment``
    in ``frame.attrs`` (each point's region).
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    xy = np.asarray(coordinates, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(genres) != len(xy):
        raise DataError("map_regions needs (n, 2) coordinates and one genre list per point.")
    n = len(xy)
    if n_regions is None:
        n_regions = int(np.clip(round(n / 250), 3, 10))
    n_regions = max(1, min(int(n_regions), n))
    fit = xy
    if n > REGION_FIT_POINTS:
        fit = xy[np.random.default_rng(seed).choice(n, REGION_FIT_POINTS, replace=False)]
    # one thread: on 2 busy cores KMeans' OpenMP threads spin-waited 0.8-3 s for 2,000 points
    # that one thread clusters in 0.02 s (views round 39, F3: a saved map was blank for 13 s)
    with threadpool_limits(limits=1):
        labels = KMeans(n_clusters=n_regions, n_init=4, random_state=seed).fit(fit).predict(xy)
    genres = [[g for g in movie if g not in NOT_A_GENRE] for movie in genres]
    incidence = genre_incidence(genres)
    names = sorted({g for movie in genres for g in movie})
    overall = incidence.mean(axis=0) if len(names) else np.zeros(0)
    tag_table = _tag_incidence(tags, movie_idx, n) if tags is not None else None
    beyond = _beyond_chance(labels, n_regions, incidence)
    records = []
    for region in range(n_regions):
        members = labels == region
        size = int(members.sum())
        if size == 0:
            continue
        centre = np.median(xy[members], axis=0)
        found, ratios = _over_represented(
            np.where(beyond[region], incidence[members].sum(axis=0), 0),
            size,
            overall,
            names,
            max(REGION_MIN_COUNT, REGION_MIN_SHARE * size),
            top,
            REGION_MIN_RATIO,
        )
        region_tags: list[str] = []
        if tag_table is not None:
            tag_names, tag_has = tag_table
            region_tags, _ = _over_represented(
                tag_has[members].sum(axis=0),
                size,
                tag_has.mean(axis=0),
                tag_names,
                max(REGION_MIN_TAG_MOVIES, REGION_MIN_TAG_SHARE * size),
                top,
                REGION_MIN_TAG_RATIO,
            )
        records.append(
            {
                "region": region,
                "x": float(centre[0]),
                "y": float(centre[1]),
                "n_movies": size,
                "genres": found,
                "ratios": ratios,
                "tags": region_tags,
                "label": " · ".join(found),
            }
        )
    frame = pd.DataFrame(
        records,
        columns=["region", "x", "y", "n_movies", "genres", "ratios", "tags", "label"],
    )
    frame.attrs["assignment"] = labels
    return frame


def _beyond_chance(labels: np.ndarray, n_regions: int, incidence: np.ndarray) -> np.ndarray:
    """(regions x genres) booleans: whether the region holds more movies of the genre than
    random regions of its size would (hypergeometric upper tail), Holm-adjusted over every
    region and genre at :data:`REGION_ALPHA`."""
    from movierate.explore.selection import holm

    counts = np.stack([incidence[labels == r].sum(axis=0) for r in range(n_regions)])
    sizes = np.bincount(labels, minlength=n_regions)[:, None]
    totals = incidence.sum(axis=0)[None, :]
    p = hypergeom_sf(counts - 1, len(labels), totals, sizes)
    if not p.size:
        return np.zeros(p.shape, dtype=bool)
    return (holm(p.ravel()) <= REGION_ALPHA).reshape(p.shape)


def _over_represented(
    counts: np.ndarray,
    size: int,
    overall_share: np.ndarray,
    names: list[str],
    min_count: float,
    top: int,
    min_ratio: float,
) -> tuple[list[str], list[float]]:
    """Names whose share among ``size`` members beats their overall share ``min_ratio`` times
    with at least ``min_count`` members, most over-represented first."""
    if not len(names):
        return [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (counts / size) / overall_share
    ok = (counts >= min_count) & (ratio >= min_ratio) & np.isfinite(ratio)
    order = [i for i in np.argsort(-np.where(ok, ratio, -np.inf), kind="stable") if ok[i]]
    return [names[i] for i in order[:top]], [float(ratio[i]) for i in order[:top]]


def _tag_incidence(
    tags: pd.DataFrame, movie_idx: Any, n_points: int
) -> tuple[list[str], np.ndarray] | None:
    """(tag names, points x tags boolean) for the tags of the mapped movies."""
    if movie_idx is None:
        raise DataError("map_regions needs movie_idx (each point's movie) to use tags.")
    idx = np.asarray(movie_idx, dtype=np.int64)
    if len(idx) != n_points:
        raise DataError(f"movie_idx has {len(idx)} entries for {n_points} points.")
    position = pd.Series(np.arange(n_points), index=idx)
    picked = tags[tags["movie_idx"].isin(idx)]
    if picked.empty:
        return None
    names = sorted(picked["tag"].unique())
    column = {name: i for i, name in enumerate(names)}
    has = np.zeros((n_points, len(names)), dtype=bool)
    has[
        position.loc[picked["movie_idx"].to_numpy()].to_numpy(),
        picked["tag"].map(column).to_numpy(),
    ] = True
    return names, has
