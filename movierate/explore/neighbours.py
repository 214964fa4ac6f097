"""Nearest movies by cosine similarity or euclidean distance.

:class:`NeighbourIndex` normalises the embedding once; each query is then one matrix-vector
product and an ``argpartition`` (milliseconds even for 60,000 movies). Build it once per model
(:func:`neighbour_index` memoises it on the loaded model) and reuse it.

>>> index = neighbour_index(model)  # doctest: +SKIP
>>> index.nearest(movie_idx=0, k=10, metric="cosine", min_ratings=20)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.twins import film_of_row, one_row_per_film, same_film_rows, twin_count
from movierate.explore.validation import (
    check_choice,
    check_k,
    check_matrix,
    check_min_ratings,
    check_movie_idx,
    check_movies,
    counted_ratings,
    filter_counts,
    movie_columns,
    takes_models,
)
from movierate.shown import number

METRICS = ("cosine", "euclidean")
#: Query rows per block in batch searches (bounds memory to BLOCK_ROWS x n_movies floats).
BLOCK_ROWS = 1024
#: Batch searches keep this many neighbours per row in a small memo (the Compare page's k
#: slider goes up to 50), so genre coherence and neighbour overlap of one model share one
#: search and a new k <= 50 needs none.
MEMO_K = 50
#: Batch searches remembered (per process), least recently used dropped first; a search
#: whose result is larger than MEMO_MAX_CELLS row x neighbour cells is not remembered.
MEMO_ENTRIES = 16
MEMO_MAX_CELLS = 1_000_000
_MEMO: OrderedDict[tuple, np.ndarray] = OrderedDict()
_MEMO_LOCK = threading.Lock()


#: A movie with fewer training ratings than this has a vector that is mostly its initial
#: draw and L2's pull towards 0: its neighbours say little (views review round 3: War of the
#: Worlds (2005)'s duplicate entry, 1 training rating, got a normal-looking list).
FEW_TRAINING_RATINGS = 5


def few_ratings_note(movies: pd.DataFrame, row: int) -> str | None:
    """A warning when the movie in ``row`` was trained on fewer than
    :data:`FEW_TRAINING_RATINGS` ratings (its training count where recorded, else all its
    ratings); None otherwise or when the table has no rating counts."""
    from movierate.explore.imported import has_rating_counts

    if not has_rating_counts(movies):  # imported without counts: unknown, not 0
        return None
    count = int(filter_counts(movies)[row])  # as the Min. ratings filter counts
    if count >= FEW_TRAINING_RATINGS:
        return None
    which = counted_ratings(movies)
    return (
        f"This movie has {count} {which[:-1] if count == 1 else which}: its vector is "
        "mostly where training started, so its neighbours here are close to chance (the "
        "ratings filter applies to the neighbours, not to the movie picked)."
    )


#: A listed neighbour with fewer ratings than this many times the filter (at least
#: :data:`RARE_FLOOR`) is rarely rated; a note is shown when most of a list are. Measured on
#: the views round 13 models (ml-latest-small dim 16, the 100 most rated films, cosine): at
#: Min. ratings 10 their neighbours share a genre with the film 65% (mfb16) and 63%
#: (white16) of the time, at 30 71% and 69% (random pairs: 53%); mfb16's list for Toy Story
#: went from ten films of 10-30 ratings to one with Toy Story 2, Finding Nemo and Big Hero 6.
RARE_FACTOR = 3
RARE_FLOOR = 10


def rare_neighbours_note(
    movies: pd.DataFrame, rows: Any, min_ratings: int, *, highest: int = 200
) -> str | None:
    """A note when most of the listed neighbours ``rows`` of ``movies`` are rarely rated
    (under :data:`RARE_FACTOR` x the filter, counting a filter under :data:`RARE_FLOOR` as
    that, in the filter's counts: :func:`~movierate.explore.validation.filter_counts`), saying
    how many and how to see better-known films; None otherwise or without rating counts (views
    round 13: Toy Story's ten neighbours all had 10-30 ratings, unsaid); ``highest``: the most
    the Min. ratings control allows, the most the note suggests."""
    from movierate.explore.imported import has_rating_counts

    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows) or not has_rating_counts(movies):
        return None
    below = RARE_FACTOR * max(int(min_ratings), RARE_FLOOR)
    rare = int((filter_counts(movies)[rows] < below).sum())
    if rare * 2 <= len(rows):
        return None
    to = f" (to {below}, say)" if below <= highest else ""
    return (
        f"{rare} of these {len(rows)} have fewer than {below} {counted_ratings(movies)}. A "
        "vector learned from "
        f"few ratings is rough, so such neighbours can be near by chance; raise Min. ratings{to} "
        "to see better-known films."
    )


def rating_filter(movies: pd.DataFrame, min_ratings: int) -> np.ndarray:
    """Per movie: does it have at least ``min_ratings`` ratings, counted on the rows the model
    trained on where its table records them (:func:`~movierate.explore.validation.filter_counts`:
    test rows shaped no vector)? All True for a table without rating counts (an embedding
    imported without them counts 0 everywhere, which says nothing), so beside a model with
    counts the filter applies to that model and this one keeps all."""
    from movierate.explore.imported import has_rating_counts

    min_ratings = check_min_ratings(min_ratings)
    if not has_rating_counts(movies):
        return np.ones(len(movies), dtype=bool)
    return filter_counts(movies) >= min_ratings


#: Scores within this share of the candidates' score range of the list's last one tie with
#: it (float32 search noise between equal vectors is far smaller).
TIE_TOLERANCE = 1e-6

#: Up to this many movies, :meth:`NeighbourIndex.random_pair_cosines` reads every pair
#: (3,000 movies: 4.5 M pairs, one matrix product).
EXACT_PAIRS_MOVIES = 3000


class NeighbourIndex:
    """Precomputed unit vectors and centred vectors of a movie embedding, for fast queries.

    Accuracy round 26: with a common offset (every vector near 1e3, spread 1e-2) float32
    distances as |q|^2 + |v|^2 - 2 q.v cancelled to noise (0 of the true 10 neighbours, a list
    out of its own order) and float32 unit vectors all read 1.0. Euclidean distances are taken
    between vectors centred on their mean (a shift changes no distance); cosines rank as the
    distances between unit vectors do (cos = 1 - |u - v|^2 / 2), so they are searched the same
    way on the unit vectors centred in float64, and their values come from float64 unit
    vectors. Searches stay float32 (as fast as before)."""

    def __init__(self, embedding: Any, movies: pd.DataFrame) -> None:
        self.embedding = check_matrix(embedding)
        self.movies = check_movies(movies, len(self.embedding))
        wide = self.embedding.astype(np.float64)
        self.norms = np.linalg.norm(wide, axis=1)
        self.centre = wide.mean(axis=0) if len(wide) else np.zeros(wide.shape[1])
        self.centred = (wide - self.centre).astype(np.float32)
        self.squared_norms = (self.centred.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
        safe = np.where(self.norms > 0, self.norms, 1.0)
        self.unit = wide / safe[:, None]
        self.unit_centre = self.unit.mean(axis=0) if len(wide) else np.zeros(wide.shape[1])
        self.unit_centred = (self.unit - self.unit_centre).astype(np.float32)
        self.unit_squared = (
            (self.unit_centred.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
        )

    def __len__(self) -> int:
        return len(self.embedding)

    @property
    def dim(self) -> int:
        return int(self.embedding.shape[1])

    def random_pair_cosines(
        self, min_ratings: int = 0, pairs: int = 200_000, seed: int = 0
    ) -> tuple[float, float] | None:
        """(median, 90th percentile) of the cosine similarity of random pairs of these movies
        (with ``min_ratings`` ratings or more): the reference a neighbour's score needs (views
        round 4b read 0.98 as "nearly the same film" in a deep model where 10% of random pairs
        pass 0.83). Over every pair up to :data:`EXACT_PAIRS_MOVIES` movies, else ``pairs``
        random ones (views round 9: 4,000 pairs moved the second decimal). None with fewer
        than 3 such movies."""
        # the list's own filter: an import without rating counts keeps every movie (the
        # recheck: beside a trained model its reference vanished at min ratings 10)
        pool = np.flatnonzero(rating_filter(self.movies, min_ratings) & (self.norms > 0))
        if len(pool) < 3:
            return None
        if len(pool) <= EXACT_PAIRS_MOVIES:
            unit = self.unit[pool]
            upper = np.triu_indices(len(pool), k=1)
            cosines = (unit @ unit.T)[upper]
        else:
            rng = np.random.default_rng(seed)
            a, b = rng.choice(pool, pairs), rng.choice(pool, pairs)
            keep = a != b
            cosines = np.sum(self.unit[a[keep]] * self.unit[b[keep]], axis=1)
        median, top = np.quantile(np.clip(cosines, -1.0, 1.0), [0.5, 0.9])
        return float(median), float(top)

    def random_pair_distances(
        self, min_ratings: int = 0, pairs: int = 200_000, seed: int = 0
    ) -> tuple[float, float] | None:
        """(median, 10th percentile) of the euclidean distance of random pairs of these movies
        (with ``min_ratings`` ratings or more): the reference a euclidean neighbour's distance
        needs, as :meth:`random_pair_cosines` is for the cosine. Every pair up to
        :data:`EXACT_PAIRS_MOVIES` movies, else ``pairs`` random ones; None with fewer than 3."""
        pool = np.flatnonzero(rating_filter(self.movies, min_ratings))
        if len(pool) < 3:
            return None
        x = self.embedding.astype(np.float64)
        if len(pool) <= EXACT_PAIRS_MOVIES:
            upper = np.triu_indices(len(pool), k=1)
            norms = (x[pool] ** 2).sum(axis=1)
            squared = (norms[:, None] + norms[None, :] - 2.0 * (x[pool] @ x[pool].T))[upper]
        else:
            rng = np.random.default_rng(seed)
            a, b = rng.choice(pool, pairs), rng.choice(pool, pairs)
            keep = a != b
            squared = np.sum((x[a[keep]] - x[b[keep]]) ** 2, axis=1)
        low, median = np.quantile(np.sqrt(np.maximum(squared, 0.0)), [0.1, 0.5])
        return float(median), float(low)

    def random_pair_text(
        self, min_ratings: int = 0, metric: str = "cosine", listed: Any = None
    ) -> str:
        """:meth:`random_pair_cosines` (or, for ``euclidean``, :meth:`random_pair_distances`)
        in words ("" when there are too few movies). With ``listed`` (a neighbour list's
        cosines), says why the list scores below the median pair when it does: the vectors
        share one direction (accuracy round 22: a blend's best neighbour scored 0.865 beside a
        median pair of 0.89)."""
        if metric == "euclidean":
            found = self.random_pair_distances(min_ratings)
            if found is None:
                return ""
            return (
                f"For reference, random pairs of these movies are {found[0]:#.3g} apart "
                f"(median) and {found[1]:#.3g} or closer one time in ten"
            )
        found = self.random_pair_cosines(min_ratings)
        if found is None:
            return ""
        text = (
            f"For reference, random pairs of these movies score {number(found[0], '.2f')} "
            f"(median) and {number(found[1], '.2f')} or more one time in ten"
        )
        scores = np.asarray([] if listed is None else listed, dtype=np.float64)
        if len(scores) and scores.max() < found[0]:
            text += (
                f", above every film listed ({scores.max():.3f} at best): these vectors share "
                f"one direction (a median movie's cosine with their mean is "
                f"{self.common_direction_cosine(min_ratings):.2f}), so any two of them score "
                "high; the list's order, not its scores, says which films are closest"
            )
        return text

    def common_direction_cosine(self, min_ratings: int = 0) -> float:
        """The median cosine of a movie (with ``min_ratings`` ratings or more) with the mean of
        their unit vectors: near 1 when the vectors share one direction, near 0 when not."""
        pool = np.flatnonzero(rating_filter(self.movies, min_ratings) & (self.norms > 0))
        if not len(pool):
            return 0.0
        mean = self.unit[pool].astype(np.float64).mean(axis=0)
        length = float(np.linalg.norm(mean))
        if length == 0:
            return 0.0
        return float(np.median(self.unit[pool] @ (mean / length)))

    def nearest(
        self, movie_idx: int, *, k: int = 10, metric: str = "cosine", min_ratings: int = 0
    ) -> pd.DataFrame:
        """The ``k`` movies closest to ``movie_idx`` (itself excluded) among those with at least
        ``min_ratings`` ratings (:func:`rating_filter`).

        Columns: ``rank``, the movie columns, ``cosine_similarity`` and ``euclidean_distance``
        (both always given; rows are ranked by ``metric``).
        """
        movie_idx = check_movie_idx(movie_idx, len(self))
        found = self.nearest_to_vector(
            self.embedding[movie_idx],
            k=k,
            metric=metric,
            min_ratings=min_ratings,
            exclude=[movie_idx],
        )
        if metric == "cosine" and not np.any(self.embedding[movie_idx]):
            row = self.movies.iloc[movie_idx]
            year = pd.to_numeric(row.get("year"), errors="coerce")
            title = f"{row['title']} ({int(year)})" if pd.notna(year) else str(row["title"])
            found.attrs["tie_note"] = no_direction_note(f"{title}'s vector")
        return found

    def nearest_to_vector(
        self,
        vector: Any,
        *,
        k: int = 10,
        metric: str = "cosine",
        min_ratings: int = 0,
        exclude: Any = (),
    ) -> pd.DataFrame:
        """The ``k`` movies closest to any point of the space (for example ``a - b + c``)."""
        check_k(k)
        check_choice(metric, "metric", METRICS)
        min_ratings = check_min_ratings(min_ratings)
        query = np.asarray(vector, dtype=np.float64).reshape(-1)
        if query.shape != (self.dim,) or not np.isfinite(query).all():
            raise DataError(
                f"The query vector must hold {self.dim} finite numbers (the embedding's dim), "
                f"got shape {np.shape(vector)}."
            )
        scores = self._scores(query, metric)
        allowed = rating_filter(self.movies, min_ratings)
        excluded = np.asarray(exclude, dtype=np.int64).reshape(-1)
        if len(excluded) and (excluded.min() < 0 or excluded.max() >= len(self)):
            raise DataError(f"exclude holds movie indices outside 0..{len(self) - 1}.")
        left_out = same_film_rows(self.movies, excluded)  # and their twins
        allowed[left_out] = False
        if not allowed.any():
            # bad-input round 62, F4: lowering the filter was advised with no other movie
            others = len(self) - len(np.unique(left_out))
            raise DataError(
                f"No movie other than the query has at least {min_ratings} "
                f"{counted_ratings(self.movies)}; lower the min-ratings filter."
                if min_ratings > 1 and others > 0
                else "There is no movie here other than the query (and what it excludes) to list."
            )
        scores[~allowed] = -np.inf
        top = top_k(scores, min(k + twin_count(self.movies), int(allowed.sum())))
        top = one_row_per_film(self.movies, top)[:k]  # a film listed under two ids shows once
        if zero := metric == "cosine" and not query.any():
            top = top[:0]  # no direction: every movie at cosine 0 (bad-input round 61, F3)
        frame = movie_columns(self.movies, top)
        frame.insert(0, "rank", np.arange(1, len(top) + 1))
        frame["cosine_similarity"] = self._cosine(query, top)
        frame["euclidean_distance"] = np.linalg.norm(
            self.centred[top].astype(np.float64) - (query - self.centre), axis=1
        )
        value = "cosine_similarity" if metric == "cosine" else "euclidean_distance"
        last = f"{frame[value].iloc[-1]:.3f}" if len(frame) else ""
        frame.attrs["tie_note"] = (
            no_direction_note("The query vector")
            if zero
            else self._tie_note(scores[allowed], scores[top], metric, last)
        )
        return frame

    def ranks_in_list(
        self, movie_idx: int, rows: Any, *, metric: str = "cosine", min_ratings: int = 0
    ) -> pd.DataFrame:
        """Where each of ``rows`` stands in ``movie_idx``'s whole neighbour list, ranked as
        :meth:`nearest` ranks them (the same filter and metric, k = every movie): columns
        ``rank`` (1 = nearest; <NA> for -1, the movie itself or its twin, and a movie the
        filter leaves out) and ``value`` (its cosine similarity or euclidean distance to the
        movie; NaN for -1). Views round 26: whether model B's #1 is A's #11 or #900."""
        movie_idx = check_movie_idx(movie_idx, len(self))
        check_choice(metric, "metric", METRICS)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if len(rows) and (rows.min() < -1 or rows.max() >= len(self)):
            raise DataError(f"rows must be movie indices 0..{len(self) - 1} (or -1 for none).")
        query = self.embedding[movie_idx].astype(np.float64)
        allowed = rating_filter(self.movies, min_ratings)
        allowed[same_film_rows(self.movies, [movie_idx])] = False
        scores = self._scores(query, metric)
        scores[~allowed] = -np.inf
        order = one_row_per_film(self.movies, top_k(scores, int(allowed.sum())))
        films = film_of_row(self.movies)
        films = np.arange(len(self)) if films is None else films
        film_rank = np.zeros(len(self), dtype=np.int64)  # 0: not in the list
        film_rank[films[order]] = np.arange(1, len(order) + 1)
        known = rows >= 0
        ranks = np.zeros(len(rows), dtype=np.int64)
        ranks[known] = film_rank[films[rows[known]]]
        values = np.full(len(rows), np.nan)
        if metric == "cosine":
            values[known] = self._cosine(query, rows[known])
        else:
            centred = self.centred[rows[known]].astype(np.float64)
            values[known] = np.linalg.norm(centred - (query - self.centre), axis=1)
        return pd.DataFrame(
            {"rank": pd.Series(ranks).where(ranks > 0).astype("Int64"), "value": values}
        )

    def neighbour_rows(
        self, rows: Any, *, k: int, metric: str = "cosine", candidates: Any = None
    ) -> np.ndarray:
        """The ``k`` nearest ``candidates`` (row positions; default all) of each row in ``rows``,
        a row never being its own neighbour: an int64 array (len(rows), k), closest first."""
        check_choice(metric, "metric", METRICS)
        rows = np.asarray(rows, dtype=np.int64)
        pool = np.arange(len(self)) if candidates is None else np.asarray(candidates, np.int64)
        available = len(pool) - int(np.isin(rows, pool).any())
        k = check_k(k, maximum=max(available, 0))
        kept = min(max(k, MEMO_K), available)
        if len(rows) * kept > MEMO_MAX_CELLS:
            return self._search(rows, pool, k, metric)
        key = (self.digest, metric, _digest(rows), _digest(pool), kept)
        with _MEMO_LOCK:
            found = _MEMO.get(key)
            if found is not None:
                _MEMO.move_to_end(key)
        if found is None:
            found = self._search(rows, pool, kept, metric)
            with _MEMO_LOCK:
                _MEMO[key] = found
                while len(_MEMO) > MEMO_ENTRIES:
                    _MEMO.popitem(last=False)
        return found[:, :k].copy()

    @property
    def digest(self) -> str:
        """A hash of the embedding (computed once): the memo's key for this space."""
        if getattr(self, "_digest", None) is None:
            self._digest = _digest(self.embedding)
        return self._digest

    def _search(self, rows: np.ndarray, pool: np.ndarray, k: int, metric: str) -> np.ndarray:
        """:meth:`neighbour_rows` without the memo."""
        position_in_pool = np.full(len(self), -1, dtype=np.int64)
        position_in_pool[pool] = np.arange(len(pool))
        vectors, squared = (
            (self.unit_centred, self.unit_squared)
            if metric == "cosine"
            else (self.centred, self.squared_norms)
        )
        result = np.empty((len(rows), k), dtype=np.int64)
        for start in range(0, len(rows), BLOCK_ROWS):
            block = rows[start : start + BLOCK_ROWS]
            scores = _minus_squared_distances(vectors[block], vectors[pool], squared[pool])
            if metric == "cosine":
                _no_direction(scores, self.norms[block] == 0, self.norms[pool] == 0)
            self_hits = position_in_pool[block]
            hit = self_hits >= 0
            scores[np.flatnonzero(hit), self_hits[hit]] = -np.inf
            result[start : start + len(block)] = pool[top_k_rows(scores, k)]
        return result

    def _scores(self, query: np.ndarray, metric: str) -> np.ndarray:
        """Higher-is-closer score of every movie: cosine, or minus the squared distance."""
        if metric == "cosine":
            norm = float(np.linalg.norm(query))
            if norm == 0:  # no direction: every movie alike
                return np.zeros(len(self), np.float32)
            unit = (query / norm - self.unit_centre).astype(np.float32)
            scores = _minus_squared_distances(unit[None, :], self.unit_centred, self.unit_squared)
            _no_direction(scores, np.zeros(1, bool), self.norms == 0)
            return scores[0]
        centred = (query - self.centre).astype(np.float32)
        return _minus_squared_distances(centred[None, :], self.centred, self.squared_norms)[0]

    def _tie_note(self, scores: np.ndarray, listed: np.ndarray, metric: str, last: str) -> str:
        """Why the list's order means little when its last score ties with candidates left
        out (``scores``: every candidate's search score, ``listed``: the list's, ``last``: its
        last value as shown), else "" (bad-input round 48, F1: a dim-1 model's cosines are all
        +1 or -1, so its "closest 10" were 10 of 4,590 tied at 1.000, in table order). At dim
        1 a cosine is only a sign: said always."""
        sign = (
            "This embedding has one dimension, so a cosine similarity only says whether two "
            "vectors point the same way (+1) or opposite ways (-1); pick the euclidean "
            "metric to compare the values themselves."
            if metric == "cosine" and self.dim == 1
            else ""
        )
        if not len(listed) or len(listed) >= len(scores):
            return sign
        near = TIE_TOLERANCE * float(np.ptp(scores))
        tied = int(np.count_nonzero(np.abs(scores - listed[-1]) <= near))
        inside = int(np.count_nonzero(np.abs(listed - listed[-1]) <= near))
        if tied <= inside:
            return sign
        every = "the whole list ties" if inside == len(listed) else f"its last {inside} tie"
        measure = "cosine similarity" if metric == "cosine" else "euclidean distance"
        out = tied - inside
        cut = (
            f"The list is cut inside a tie: {every} with {out:,} movie{'s' * (out > 1)} left out "
            f"({tied:,} in all at {measure} {last}), so which of the tied are listed, and "
            "their order, is arbitrary (the order of the model's movie table)."
        )
        return f"{sign} {cut}" if sign else cut

    def _cosine(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        norm = float(np.linalg.norm(query))
        if norm == 0:
            return np.zeros(len(rows))
        return np.clip(self.unit[rows] @ (query / norm), -1.0, 1.0)


def no_direction_note(what: str) -> str:
    """Why a cosine neighbour list of an all-zero vector (``what``) is empty."""
    return (
        f"{what} is all zeros: it has no direction, so it has no cosine neighbours (every "
        "movie is at cosine 0 to it). Pick the euclidean metric for the movies nearest to it."
    )


def _digest(array: np.ndarray) -> str:
    data = np.ascontiguousarray(array)
    digest = hashlib.blake2b(data.view(np.uint8), digest_size=16).hexdigest()
    return f"{data.dtype}{data.shape}{digest}"


def _minus_squared_distances(
    queries: np.ndarray, vectors: np.ndarray, squared_norms: np.ndarray
) -> np.ndarray:
    return (
        2.0 * (queries @ vectors.T)
        - squared_norms[None, :]
        - (queries.astype(np.float32) ** 2).sum(axis=1)[:, None]
    )


def _no_direction(scores: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> None:
    """Cosine search scores are -|u - v|^2 = 2 cos - 2 between unit vectors; a zero vector
    has no direction, so its pairs score as cosine 0 (-2), as a dot product with it did."""
    scores[:, columns] = -2.0
    scores[rows, :] = -2.0


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, highest first (ties by position)."""
    everything = k >= len(scores)
    candidates = np.arange(len(scores)) if everything else np.argpartition(-scores, k - 1)[:k]
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`top_k` for every row of a (queries, candidates) score matrix."""
    if k >= scores.shape[1]:
        candidates = np.broadcast_to(np.arange(scores.shape[1]), scores.shape).copy()
    else:
        candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, candidates, axis=1)
    order = np.lexsort((candidates, -picked), axis=1)
    return np.take_along_axis(candidates, order, axis=1)[:, :k]


_INDEXES: weakref.WeakKeyDictionary[Any, NeighbourIndex] = weakref.WeakKeyDictionary()


@takes_models("model")
def neighbour_index(model: EmbeddingModel) -> NeighbourIndex:
    """The :class:`NeighbourIndex` of a loaded model's movie embedding, built once per model."""
    try:
        index = _INDEXES.get(model)
    except TypeError:  # an object that cannot be weakly referenced: no memo
        return NeighbourIndex(model.movie_embedding, model.movies)
    if index is None:
        index = NeighbourIndex(model.movie_embedding, model.movies)
        _INDEXES[model] = index
    return index


def nearest_movies(
    embedding: Any,
    movies: pd.DataFrame,
    movie_idx: int,
    *,
    k: int = 10,
    metric: str = "cosine",
    min_ratings: int = 0,
) -> pd.DataFrame:
    """One-off :meth:`NeighbourIndex.nearest` (build a :class:`NeighbourIndex` for many queries).

    ``movie_idx`` is the movie's row in ``embedding`` and in ``movies``, which must list the
    movies in movie_idx order as model.movies does (a re-ordered table is refused): the number
    :func:`~movierate.explore.search.find_movie` returns.
    """
    return NeighbourIndex(embedding, movies).nearest(
        movie_idx, k=k, metric=metric, min_ratings=min_ratings
    )
