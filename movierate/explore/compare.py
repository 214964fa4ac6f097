"""Compare two models, on the same dataset or on two datasets that share films.

- :func:`neighbour_overlap`: per movie, Jaccard@k of its nearest-neighbour sets in both spaces
  (:func:`neighbour_sets` keeps both spaces' neighbours up to ``MEMO_K``, so a new k is a slice,
  never a new search).
- :func:`prediction_agreement`: RMSE / correlation between the two models' predictions on the
  same (user, movie) pairs; needs the same users, so :func:`compare_models` measures it only for
  two models of the same dataset.
- :func:`procrustes_alignment`: the orthogonal rotation (and scale) that lays space B over
  space A, with its relative residual; :func:`procrustes_overlay` gives a plottable 2-D view.

Movies are aligned by :func:`align_movies`: within one dataset's catalogue by ``movie_id``;
across datasets by movie identity (IMDb id, else title and year; :func:`movierate.explore.
identity.movie_match`), never by raw id (id 50 is Star Wars in ml-100k and The Usual Suspects
in ml-latest-small).

Size: the neighbour search is exact and all-pairs (n^2 scores), minutes for ml-32m's 87,585
movies; beyond :data:`NEIGHBOUR_CAP` eligible movies the model-level functions search among the
``NEIGHBOUR_CAP`` most-rated ones and say so (:attr:`NeighbourSets.notice`). Procrustes
(n x d^2) always uses every eligible movie; prediction agreement uses ``n_pairs`` seeded pairs,
its correlation beyond the levels every user x movie up to :data:`LEVELS_CELLS` (else samples,
said as such).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from movierate.data.identity import MovieMatch, has_real_titles, identities_of, ids_name_films
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import DataError
from movierate.explore.export import table_file_name
from movierate.explore.identity import movie_match
from movierate.explore.imported import has_rating_counts
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import MEMO_K, NeighbourIndex
from movierate.explore.pca import fit_pca
from movierate.explore.threads import single_blas_thread
from movierate.explore.validation import (
    check_choice,
    check_flag,
    check_k,
    check_matrix,
    check_min_ratings,
    check_movies,
    filter_counts,
    most_rated,
    movie_columns,
    n_ratings_of,
    takes_models,
)
from movierate.paired import FAMILY_ALPHA
from movierate.stats import average_ranks

#: How embeddings of different widths are matched: zero-pad the narrower one, or reduce the
#: wider one to the narrower one's width by PCA.
DIM_MATCHING = ("pad", "pca")
#: Most movies an all-pairs neighbour analysis of the Compare page (overlap, genre coherence)
#: searches among: beyond it, the NEIGHBOUR_CAP most-rated eligible movies (the same set for
#: any min-ratings filter that leaves more than it, so the filter's searches are shared). One
#: exact search among 10,000 movies takes ~1-1.6 s on one core (at 87,585: ~2 minutes); 10,000
#: keeps every movie of ml-latest-small (9,724), ml-100k and ml-1m, so their results are exact.
NEIGHBOUR_CAP = 10_000


@dataclass(frozen=True)
class NeighbourSets:
    """The nearest neighbours of the same movies in space A and in space B, up to ``k_max``.

    ``near_a`` / ``near_b`` hold positions among ``rows_a`` / ``rows_b`` (row i of both is the
    same film), closest first; :meth:`overlap` slices them for any k <= ``k_max`` without a new
    search. ``n_eligible`` counts the shared movies that passed the min-ratings filter, of
    which the ``len(rows_a)`` most-rated were searched (all of them unless ``max_movies``).
    ``counts_from`` says whose rating counts filtered and ranked them ("A", "B", "both": the
    smaller of the two, or None when
    neither table has counts and nothing was filtered), ``training_counts`` whether those were
    the ratings that model trained on (:func:`filter_counts`); ``columns["n_ratings"]`` holds
    that table's counts of all ratings."""

    rows_a: np.ndarray
    rows_b: np.ndarray
    near_a: np.ndarray
    near_b: np.ndarray
    columns: pd.DataFrame  # the movie columns of rows_a (from A's table)
    k_max: int
    min_ratings: int
    n_eligible: int
    max_movies: int | None = None
    metric: str = "cosine"
    counts_from: str | None = "A"
    training_counts: bool = False

    @property
    def n_movies(self) -> int:
        """Movies searched (and given a Jaccard)."""
        return len(self.rows_a)

    @property
    def subsampled(self) -> bool:
        """True when the cap left out some eligible movies."""
        return self.n_eligible > self.n_movies

    def notice(self) -> str | None:
        """What was left out and why (None when every eligible movie was used)."""
        if not self.subsampled:
            return None
        return (
            f"Neighbour overlap over the {self.n_movies:,} most-rated of the "
            f"{self.n_eligible:,} shared movies{counted_by(self.counts_from, self.min_ratings, self.training_counts)}: an "
            f"exact nearest-neighbour search compares every pair of movies, minutes for "
            f"{self.n_eligible:,} (cap: {self.max_movies:,} movies)."
        )

    def overlap(self, k: int) -> pd.DataFrame:
        """Per movie: Jaccard@k of its neighbour sets in A and in B (a slice of the sets).

        Columns: the movie columns (from A), ``jaccard`` and ``n_common``; sorted by movie_idx.
        """
        k = check_k(k)
        if k > self.k_max:
            if self.k_max < self.n_movies - 1:
                raise DataError(
                    f"These neighbour sets hold {self.k_max} neighbours per movie; compute them "
                    f"with k_max >= {k} (explore.neighbour_sets) for Jaccard@{k}."
                )
            raise DataError(
                f"Only {self.n_movies} shared movies"
                f"{counted_by(self.counts_from, self.min_ratings, self.training_counts)} were "
                f"searched; Jaccard@{k} "
                f"needs more than {k}. Lower k"
                f"{' or min_ratings' if self.counts_from and self.min_ratings else ''}."
            )
        set_a, set_b = self.near_a[:, :k], self.near_b[:, :k]
        common = np.zeros(len(set_a), dtype=np.int64)
        for start in range(0, len(set_a), 4096):  # bounds the (rows, k, k) comparison
            block = slice(start, start + 4096)
            common[block] = (set_a[block, :, None] == set_b[block, None, :]).sum(axis=(1, 2))
        frame = self.columns.copy()
        frame["n_common"] = common
        frame["jaccard"] = common / (2 * k - common)
        return frame


@dataclass(frozen=True)
class PredictionAgreement:
    """How closely two models' predictions agree on the same pairs (and each model's error on
    the true ratings when given)."""

    n_pairs: int
    rmse_between: float
    mae_between: float
    pearson: float
    spearman: float
    rmse_a: float | None = None
    rmse_b: float | None = None
    #: correlation of what the two predict beyond each user's and each movie's level, and the
    #: grid it was measured on (:func:`beyond_levels_correlation`), None when not measured
    beyond_levels: BeyondLevels | None = None

    def as_frame(self) -> pd.DataFrame:
        """One-column table of the numbers, for display."""
        return pd.DataFrame({"value": pd.Series(self.__dict__, dtype=object)})


@dataclass(frozen=True)
class ProcrustesAlignment:
    """B's movie vectors mapped onto A's: ``aligned_b`` ~ ``target_a`` after centring."""

    rows_a: np.ndarray  # rows of movies_a used, in order
    rows_b: np.ndarray  # matching rows of movies_b
    rotation: np.ndarray  # (d, d) orthogonal, applied as (b - mean_b) @ rotation * scale
    scale: float
    target_a: np.ndarray  # A's centred (padded or reduced) vectors (n, d)
    aligned_b: np.ndarray  # B's vectors mapped into A's space (n, d)
    residual: float  # ||target_a - aligned_b|| / ||target_a|| (0 = same geometry)
    dim: int


@dataclass(frozen=True)
class ModelComparison:
    """Everything the Compare page shows for two models.

    ``agreement`` is None when the models were trained on different datasets (their users are
    different people); ``match`` is then the movie identity match their movie-wise numbers
    stand on (``match.summary()``: "1,335 of 1,682 ml-100k movies found in ml-latest-small
    ...")."""

    neighbours: pd.DataFrame
    agreement: PredictionAgreement | None
    procrustes: ProcrustesAlignment
    match: MovieMatch | None = None
    neighbour_sets: NeighbourSets | None = None  # behind ``neighbours``: what was searched

    def with_k(self, k: int) -> ModelComparison:
        """The same comparison with the neighbour overlap at another k (a slice of
        ``neighbour_sets``: no new search)."""
        if self.neighbour_sets is None:
            raise DataError("This comparison keeps no neighbour sets; call compare_models again.")
        return replace(self, neighbours=self.neighbour_sets.overlap(k))

    @property
    def notice(self) -> str | None:
        """What the neighbour overlap left out and why (None when nothing)."""
        return self.neighbour_sets.notice() if self.neighbour_sets is not None else None

    @property
    def same_data(self) -> bool:
        """True when both models were trained on the same dataset."""
        return self.match is None

    @property
    def mean_jaccard(self) -> float:
        return float(self.neighbours["jaccard"].mean())


def align_movies(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in A and in B of the films both tables hold, in A's order.

    Two tables of one catalogue (the same ``movie_id`` s with the same titles, in any order) are
    paired by ``movie_id``; any other two (different datasets) by movie identity (IMDb id, else
    title and year: :func:`movierate.explore.identity.movie_match`). Raises DataError when they
    share no film.
    """
    movies_a = check_movies(movies_a, len(movies_a), "movies_a")
    movies_b = check_movies(movies_b, len(movies_b), "movies_b")
    if same_catalogue(movies_a, movies_b):
        ids_b = pd.Series(np.arange(len(movies_b)), index=movies_b["movie_id"].to_numpy())
        ids_a = movies_a["movie_id"].to_numpy()
        return np.arange(len(movies_a), dtype=np.int64), ids_b.loc[ids_a].to_numpy(np.int64)
    match = movie_match(movies_a, movies_b)
    if match.n_matched == 0:
        untitled = [
            name for name, m in (("A", movies_a), ("B", movies_b)) if not has_real_titles(m)
        ]
        why = (
            f" The movies of {' and '.join('model ' + n for n in untitled)} have no titles "
            "(the data came without a movies file), so a film there cannot be told apart from "
            "another dataset's film of the same number."
            if untitled
            else ""
        )
        raise DataError(
            "The two models share no movie: no film of one matches a film of the other by IMDb "
            f"id or by title and year.{why} Compare models trained on the same dataset, or on "
            "two datasets that share films."
        )
    return match.a_idx.copy(), match.b_idx.copy()


def same_catalogue(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
    """True when two movies tables list the same films under the same ``movie_id`` s (one
    dataset's catalogue, maybe in another order): every id once in each, with equal titles."""
    if len(movies_a) != len(movies_b):
        return False
    ids_a, ids_b = movies_a["movie_id"], movies_b["movie_id"]
    if _same_in_order(ids_a, ids_b) and _same_in_order(movies_a["title"], movies_b["title"]):
        # the usual case, without re-indexing by id
        return not ids_a.duplicated().any() and ids_name_films(movies_a, movies_b)
    if ids_a.duplicated().any() or ids_b.duplicated().any():
        return False
    titles_a = pd.Series(movies_a["title"].astype(str).to_numpy(), index=ids_a.to_numpy())
    titles_b = pd.Series(movies_b["title"].astype(str).to_numpy(), index=ids_b.to_numpy())
    if not titles_a.index.isin(titles_b.index).all():
        return False
    if not (titles_a.to_numpy() == titles_b.loc[titles_a.index].to_numpy()).all():
        return False
    rows_b = pd.Series(np.arange(len(movies_b)), index=ids_b.to_numpy()).loc[ids_a.to_numpy()]
    return ids_name_films(movies_a, movies_b.iloc[rows_b.to_numpy()])


def renamed_ids(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> pd.DataFrame:
    """The movie ids both tables hold under different films (IMDb id, else title and year):
    one dataset's movies file edited between two trainings on the same ratings (bad-input
    round 64, F1: ids 1 and 50 swapped titles). Columns ``movie_id``, ``film_a``, ``film_b``."""
    columns = ["movie_id", "film_a", "film_b"]
    same = [c for c in ("movie_id", "title", "year") if c in movies_a and c in movies_b]
    if movies_a is movies_b or (  # one movies file (the usual case): no identity computed
        len(movies_a) == len(movies_b)
        and all(_same_in_order(movies_a[c], movies_b[c]) for c in same)
    ):
        return pd.DataFrame(columns=columns)
    sides = []
    for movies in (movies_a, movies_b):
        years = movies["year"] if "year" in movies.columns else pd.Series(np.nan, movies.index)
        films = [
            str(t) if pd.isna(y) else f"{t} ({int(y)})"
            for t, y in zip(movies["title"], years, strict=True)
        ]
        side = pd.DataFrame(
            {"key": movies["movie_id"].astype(str).to_numpy(), "ident": identities_of(movies)}
        )
        sides.append(side.assign(film=films, movie_id=movies["movie_id"].to_numpy()))
    both = (
        sides[0]
        .drop_duplicates("key")
        .merge(sides[1].drop_duplicates("key"), on="key", suffixes=("_a", "_b"))
    )
    changed = both[both["ident_a"] != both["ident_b"]]
    return pd.DataFrame(
        {
            "movie_id": changed["movie_id_a"],
            "film_a": changed["film_a"],
            "film_b": changed["film_b"],
        }
    ).reset_index(drop=True)


@takes_models("model_a", "model_b")
def renamed_ids_note(model_a: EmbeddingModel, model_b: EmbeddingModel) -> str | None:
    """For two models trained on the same ratings, what changed between their movies tables
    (:func:`renamed_ids`) and what that means for the views; None when no id names another
    film, or the models were trained on different ratings."""
    if not _same_ratings(model_a, model_b):
        return None
    renamed = renamed_ids(model_a.movies, model_b.movies)
    if renamed.empty:
        return None
    name_a, name_b = model_a.name, model_b.name
    shown = "; ".join(
        f"id {r.movie_id}: {r.film_a} for {name_a}, {r.film_b} for {name_b}"
        for r in renamed.head(3).itertuples()
    )
    more = f"; and {len(renamed) - 3:,} more" if len(renamed) > 3 else ""
    return (
        f"The movies file changed between these trainings on the same ratings: "
        f"{len(renamed):,} movie id(s) name another film ({shown}{more}). Movies are "
        "matched by title and year, not by id, so a film's two vectors may come from "
        "different rows of ratings; retrain on one movies file to compare like with like."
    )


def rating_counts_side(movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> str | None:
    """Whose rating counts filter the shared movies of two tables: "both" for two datasets'
    tables with counts (a film needs the ratings in each, as Explore's two-model view counts:
    accuracy round 49, F1, 58% of m16 vs ls16's films had under 10 in ls16), "A" when A's table
    has counts, else "B" when B's has (A imported without them), else None (no filter)."""
    if has_rating_counts(movies_a):
        if has_rating_counts(movies_b) and not same_catalogue(movies_a, movies_b):
            return "both"
        return "A"
    return "B" if has_rating_counts(movies_b) else None


def counted_by(side: str | None, min_ratings: int, training: bool = False) -> str:
    """Words for the filter :func:`rating_counts_side` chose: " with at least 10 ratings in
    model B's training rows" (``training``: the counts :func:`filter_counts` read were that
    model's training ratings), "... in model B's table" (all its ratings), or "" when nothing
    was filtered."""
    if side is None or min_ratings == 0:
        return ""
    return f" with at least {min_ratings} ratings in {counts_place(side, training)}"


def counts_place(side: str, training: bool) -> str:
    """Where a shared-movie filter counted: "model A's training rows" or "model A's table"
    (``side`` "both": "each model's training rows")."""
    whose = "each model's" if side == "both" else f"model {side}'s"
    return f"{whose} {'training rows' if training else 'table'}"


def too_few_shared(
    purpose: str, needed: int, counts: np.ndarray, min_ratings: int, whose: str
) -> DataError:
    """The error for too few shared movies: how many films the two models share before the
    min-ratings filter (``counts``: each shared film's count, inf where none applies) and
    after it, and what would help (another pair of models, or the highest filter that keeps
    ``needed``)."""
    counts = np.asarray(counts, dtype=np.float64)
    n_shared, n_kept = len(counts), int((counts >= min_ratings).sum())
    if n_shared < needed:
        return DataError(
            f"Only {n_shared} movies are in both models (before any min-ratings filter): "
            f"{purpose.lower()} needs at least {needed}. Pick two models whose catalogues "
            "overlap more; lowering the min-ratings filter cannot help."
        )
    highest = int(np.sort(counts)[-needed])
    return DataError(
        f"{purpose} needs at least {needed} shared films: the two models share {n_shared:,}, "
        f"but only {n_kept} of them have at least {min_ratings} ratings {whose}. Lower the "
        f"min-ratings filter to {highest} or less."
    )


def _filter_shared(
    movies_a: pd.DataFrame,
    movies_b: pd.DataFrame,
    rows_a: np.ndarray,
    rows_b: np.ndarray,
    min_ratings: int,
    purpose: str,
    needed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """The shared rows with at least ``min_ratings`` ratings by :func:`rating_counts_side`'s
    table (the ratings that model trained on where recorded: :func:`filter_counts`; the
    smaller of the two for "both"), their counts and that side; :func:`too_few_shared` when
    fewer than ``needed``."""
    side = rating_counts_side(movies_a, movies_b)
    if side is None:
        counts = np.zeros(len(rows_a), dtype=np.int64)
        keep = np.ones(len(rows_a), dtype=bool)
    else:
        counts = np.minimum.reduce(
            [
                filter_counts(t)[r]
                for t, r in _counted_tables(side, movies_a, rows_a, movies_b, rows_b)
            ]
        )
        keep = counts >= min_ratings
    if keep.sum() < needed:
        whose = (
            f"in {counts_place(side, _training_counts(side, movies_a, movies_b))}" if side else ""
        )
        shown = counts if side else np.full(len(counts), np.inf)
        raise too_few_shared(purpose, needed, shown, min_ratings, whose)
    return rows_a[keep], rows_b[keep], counts[keep], side


def _counted_tables(
    side: str,
    movies_a: pd.DataFrame,
    rows_a: np.ndarray,
    movies_b: pd.DataFrame,
    rows_b: np.ndarray,
) -> list[tuple[pd.DataFrame, np.ndarray]]:
    """The (table, rows) whose counts :func:`rating_counts_side`'s ``side`` reads."""
    return [(t, r) for name, t, r in (("A", movies_a, rows_a), ("B", movies_b, rows_b))
            if side in (name, "both")]  # fmt: skip


def _training_counts(side: str | None, movies_a: pd.DataFrame, movies_b: pd.DataFrame) -> bool:
    """Whether every table ``side`` reads counts only the ratings its model trained on."""
    rows = np.zeros(0, dtype=np.int64)
    return side is not None and all(
        TRAINING_COUNTS in t.columns
        for t, _ in _counted_tables(side, movies_a, rows, movies_b, rows)
    )


def neighbour_overlap(
    embedding_a: Any,
    movies_a: pd.DataFrame,
    embedding_b: Any,
    movies_b: pd.DataFrame,
    *,
    k: int = 10,
    min_ratings: int = 10,
    metric: str = "cosine",
    max_movies: int | None = None,
) -> pd.DataFrame:
    """Per shared movie with at least ``min_ratings`` ratings (in A's table; in both for two
    datasets; in B's when A has no counts: :func:`rating_counts_side`): Jaccard@k of its
    k nearest neighbours in A and in B (searched among those same movies; only the
    ``max_movies`` most-rated of them when given).

    Columns: the movie columns (from A), ``jaccard`` (0 = no neighbour in common, 1 = same set)
    and ``n_common``; sorted by movie_idx.
    """
    k = check_k(k)
    sets = neighbour_sets(
        embedding_a,
        movies_a,
        embedding_b,
        movies_b,
        min_ratings=min_ratings,
        metric=metric,
        max_movies=max_movies,
        k_max=k,
    )
    return sets.overlap(k)


@single_blas_thread
def neighbour_sets(
    embedding_a: Any,
    movies_a: pd.DataFrame,
    embedding_b: Any,
    movies_b: pd.DataFrame,
    *,
    min_ratings: int = 10,
    metric: str = "cosine",
    max_movies: int | None = None,
    k_max: int = MEMO_K,
) -> NeighbourSets:
    """The nearest neighbours, up to ``k_max`` (at least ``MEMO_K``, at most what the movies
    allow), of every shared movie with at least ``min_ratings`` ratings in A's table (in both for
    two datasets, B's when A has no counts: :func:`rating_counts_side`), searched
    among those same movies; only the ``max_movies`` most-rated of them when given. One search
    per space; :meth:`NeighbourSets.overlap` then answers any k <= ``k_max``."""
    x_a, x_b = check_matrix(embedding_a, "embedding_a"), check_matrix(embedding_b, "embedding_b")
    movies_a = check_movies(movies_a, len(x_a), "movies_a")
    movies_b = check_movies(movies_b, len(x_b), "movies_b")
    k_max = check_k(k_max, "k_max")
    min_ratings = check_min_ratings(min_ratings)
    rows_a, rows_b = align_movies(movies_a, movies_b)
    rows_a, rows_b, counts, side = _filter_shared(
        movies_a, movies_b, rows_a, rows_b, min_ratings, "Neighbour overlap", 2
    )
    n_eligible = len(rows_a)
    picked = most_rated(np.arange(n_eligible), counts, max_movies)
    rows_a, rows_b, counts = rows_a[picked], rows_b[picked], counts[picked]
    if len(rows_a) < 2:
        raise DataError(f"max_movies {max_movies} leaves 1 movie; raise it.")
    kept = min(max(k_max, MEMO_K), len(rows_a) - 1)
    near_a = NeighbourIndex(x_a, movies_a).neighbour_rows(
        rows_a, k=kept, metric=metric, candidates=rows_a
    )
    near_b = NeighbourIndex(x_b, movies_b).neighbour_rows(
        rows_b, k=kept, metric=metric, candidates=rows_b
    )
    columns = movie_columns(movies_a, rows_a)
    if side == "B":  # the table whose counts filtered and ranked these movies
        columns["n_ratings"] = n_ratings_of(movies_b)[rows_b]
    shared_index = np.full(len(x_a), -1, dtype=np.int64)  # A row -> position among shared
    shared_index[rows_a] = np.arange(len(rows_a))
    from_b = np.full(len(x_b), -1, dtype=np.int64)
    from_b[rows_b] = np.arange(len(rows_b))
    return NeighbourSets(
        rows_a=rows_a,
        rows_b=rows_b,
        near_a=shared_index[near_a].astype(np.int32),  # half the bytes to cache
        near_b=from_b[near_b].astype(np.int32),
        columns=columns,
        k_max=kept,
        min_ratings=min_ratings,
        n_eligible=n_eligible,
        max_movies=max_movies,
        metric=metric,
        counts_from=side,
        training_counts=_training_counts(side, movies_a, movies_b),
    )


def _same_in_order(a: pd.Series, b: pd.Series) -> bool:
    try:
        return bool(np.array_equal(a.to_numpy(), b.to_numpy()))
    except (TypeError, ValueError):
        return False


def prediction_agreement(
    predictions_a: Any, predictions_b: Any, truth: Any = None
) -> PredictionAgreement:
    """Agreement of two prediction arrays for the same pairs; ``truth`` adds each model's RMSE."""
    a = np.asarray(predictions_a, dtype=np.float64).reshape(-1)
    b = np.asarray(predictions_b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or len(a) < 2:
        raise DataError(
            f"Need two prediction arrays of the same length (at least 2), got {a.shape} and "
            f"{b.shape}."
        )
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise DataError("Predictions hold NaN or infinite values; a model diverged.")
    diff = a - b
    rmse_a = rmse_b = None
    if truth is not None:
        t = np.asarray(truth, dtype=np.float64).reshape(-1)
        if t.shape != a.shape:
            raise DataError(f"truth has {t.shape[0]} values for {len(a)} predictions.")
        rmse_a, rmse_b = _rmse(a - t), _rmse(b - t)
    return PredictionAgreement(
        n_pairs=len(a),
        rmse_between=_rmse(diff),
        mae_between=float(np.abs(diff).mean()),
        pearson=_pearson(a, b),
        spearman=_pearson(average_ranks(a), average_ranks(b)),
        rmse_a=rmse_a,
        rmse_b=rmse_b,
    )


@single_blas_thread
def procrustes_alignment(
    embedding_a: Any,
    movies_a: pd.DataFrame,
    embedding_b: Any,
    movies_b: pd.DataFrame,
    *,
    min_ratings: int = 10,
    dims: str = "pad",
    scale: bool = True,
) -> ProcrustesAlignment:
    """Orthogonal Procrustes: the rotation R (and scale s) minimising ||A - s (B - mean) R||
    over the shared movies with at least ``min_ratings`` ratings (both centred) in A's table,
    in both for two datasets, or in B's when A has no counts (:func:`rating_counts_side`).

    Different widths are matched by zero-padding (``dims="pad"``, exact) or by reducing the
    wider space to the narrower one's top principal components (``dims="pca"``).
    """
    x_a, x_b = check_matrix(embedding_a, "embedding_a"), check_matrix(embedding_b, "embedding_b")
    movies_a = check_movies(movies_a, len(x_a), "movies_a")
    movies_b = check_movies(movies_b, len(x_b), "movies_b")
    check_choice(dims, "dims", DIM_MATCHING)
    scale = check_flag(scale, "scale")
    min_ratings = check_min_ratings(min_ratings)
    rows_a, rows_b = align_movies(movies_a, movies_b)
    rows_a, rows_b, _, _ = _filter_shared(
        movies_a, movies_b, rows_a, rows_b, min_ratings, "Procrustes alignment", 2
    )
    a = x_a[rows_a].astype(np.float64)
    b = x_b[rows_b].astype(np.float64)
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    a, b = _match_widths(a, b, dims)
    u, sigma, vt = np.linalg.svd(b.T @ a)
    rotation = u @ vt
    b_norm = float((b**2).sum())
    s = float(sigma.sum() / b_norm) if scale and b_norm > 0 else 1.0
    aligned = s * (b @ rotation)
    a_norm = float(np.linalg.norm(a))
    residual = float(np.linalg.norm(a - aligned) / a_norm) if a_norm > 0 else float("nan")
    return ProcrustesAlignment(rows_a, rows_b, rotation, s, a, aligned, residual, a.shape[1])


def procrustes_overlay(alignment: ProcrustesAlignment, movies_a: pd.DataFrame) -> pd.DataFrame:
    """Both spaces on A's first two principal components after alignment: two rows per movie
    (``model`` "A" and "B"), columns ``model``, ``x``, ``y``, the movie columns and
    ``displacement`` (distance between the movie's two aligned vectors, relative to the mean
    norm in A), for a scatter plot with lines between a movie's two positions."""
    pca = fit_pca(alignment.target_a, n_components=2)
    coords_a = pca.transform(alignment.target_a)
    coords_b = pca.transform(alignment.aligned_b)
    mean_norm = float(np.linalg.norm(alignment.target_a, axis=1).mean()) or 1.0
    displacement = np.linalg.norm(alignment.target_a - alignment.aligned_b, axis=1) / mean_norm
    parts = []
    for label, coords in (("A", coords_a), ("B", coords_b)):
        part = movie_columns(movies_a, alignment.rows_a)
        part.insert(0, "y", coords[:, 1] if coords.shape[1] > 1 else 0.0)
        part.insert(0, "x", coords[:, 0])
        part.insert(0, "model", label)
        part["displacement"] = displacement
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@takes_models("model_a", "model_b")
def compare_models(
    model_a: EmbeddingModel,
    model_b: EmbeddingModel,
    *,
    pairs: pd.DataFrame | None = None,
    k: int = 10,
    min_ratings: int = 10,
    n_pairs: int = 20_000,
    seed: int = 0,
    dims: str = "pad",
    max_movies: int | None = NEIGHBOUR_CAP,
) -> ModelComparison:
    """Neighbour overlap, prediction agreement and Procrustes alignment of two saved models.

    ``pairs`` (columns user_idx, movie_idx, optional rating; e.g. the validation ratings) are
    the pairs both models predict; without it ``n_pairs`` random pairs (seeded) are used.
    Models of two different datasets are compared on the films both hold (matched by identity,
    ``result.match``); their predictions are not compared (``result.agreement`` is None), as
    their users are different people. The three parts are also available one by one
    (:func:`model_neighbour_overlap`, :func:`model_prediction_agreement`,
    :func:`model_procrustes`), so a caller can cache each on its own parameters.

    The neighbour overlap searches among at most ``max_movies`` movies (the most-rated;
    ``result.notice`` says when some were left out) and keeps ``MEMO_K`` neighbours per movie:
    ``result.with_k(20)`` is the same comparison at k = 20 without a new search.
    """
    sets = model_neighbour_sets(
        model_a, model_b, min_ratings=min_ratings, max_movies=max_movies, k_max=max(k, MEMO_K)
    )
    return ModelComparison(
        neighbours=sets.overlap(k),
        agreement=model_prediction_agreement(
            model_a, model_b, pairs=pairs, n_pairs=n_pairs, seed=seed
        ),
        procrustes=model_procrustes(model_a, model_b, min_ratings=min_ratings, dims=dims),
        match=model_movie_match(model_a, model_b),
        neighbour_sets=sets,
    )


@takes_models("model_a", "model_b")
def model_neighbour_sets(
    model_a: EmbeddingModel,
    model_b: EmbeddingModel,
    *,
    min_ratings: int = 10,
    max_movies: int | None = NEIGHBOUR_CAP,
    k_max: int = MEMO_K,
) -> NeighbourSets:
    """:func:`neighbour_sets` of two saved models' movie embeddings (at most ``max_movies``
    movies, the most-rated): cache this once, then :meth:`NeighbourSets.overlap` per k."""
    return neighbour_sets(
        model_a.movie_embedding,
        model_a.movies,
        model_b.movie_embedding,
        model_b.movies,
        min_ratings=min_ratings,
        max_movies=max_movies,
        k_max=k_max,
    )


@takes_models("model_a", "model_b")
def model_neighbour_overlap(
    model_a: EmbeddingModel,
    model_b: EmbeddingModel,
    *,
    k: int = 10,
    min_ratings: int = 10,
    max_movies: int | None = NEIGHBOUR_CAP,
) -> pd.DataFrame:
    """:func:`neighbour_overlap` of two saved models' movie embeddings (at most
    ``max_movies`` movies, the most-rated)."""
    return model_neighbour_sets(
        model_a, model_b, min_ratings=min_ratings, max_movies=max_movies, k_max=max(k, MEMO_K)
    ).overlap(k)


@takes_models("model_a", "model_b")
def model_prediction_agreement(
    model_a: EmbeddingModel,
    model_b: EmbeddingModel,
    *,
    pairs: pd.DataFrame | None = None,
    n_pairs: int = 20_000,
    seed: int = 0,
    movies: Sequence[int] | None = None,
) -> PredictionAgreement | None:
    """:func:`prediction_agreement` of two models of the same dataset on ``pairs`` (or
    ``n_pairs`` seeded random pairs, of the ``movies`` given (indices; default all): views
    round 9 found Compare's numbers over every movie under a caption naming the shared movies
    with enough ratings); None for models of different datasets (their users are different
    people) or without users (embeddings imported from elsewhere)."""
    if not same_dataset(model_a, model_b) or min(model_a.n_users, model_b.n_users) == 0:
        return None
    pool = None if movies is None else np.asarray(movies, dtype=np.int64)
    users, movie_rows, truth = _pairs(model_a, pairs, n_pairs, seed, pool)
    agreement = prediction_agreement(
        model_a.predict(users, movie_rows), model_b.predict(users, movie_rows), truth
    )
    beyond = beyond_levels_correlation(model_a, model_b, seed=seed, movies=pool)
    return replace(agreement, beyond_levels=beyond)


#: Most (user, movie) cells :func:`beyond_levels_correlation` predicts per model: up to it, every
#: user x every movie named (ml-latest-small, 610 x 1,958 = 1.2 M: well under a second for mf8);
#: beyond it, :data:`LEVELS_SAMPLES` seeded sample grids of a share of it each.
LEVELS_CELLS = 2_000_000
#: Sample grids averaged when the full grid is over :data:`LEVELS_CELLS` (their range is shown).
LEVELS_SAMPLES = 5


@dataclass(frozen=True)
class BeyondLevels:
    """:func:`beyond_levels_correlation`: the correlation and the grid it was measured on (one
    full grid, or the mean of ``n_grids`` sample grids whose values run ``low`` to ``high``)."""

    pearson: float
    n_users: int
    n_movies: int
    n_grids: int = 1
    low: float = float("nan")
    high: float = float("nan")

    @property
    def sampled(self) -> bool:
        """True when the value is a mean over sample grids, not the full grid."""
        return self.n_grids > 1

    def grid_text(self) -> str:
        """What the value was measured on, in words (accuracy review round 19b: a 300 x 300
        sample read 0.81 under no word of sampling, 0.82 over every user and movie)."""
        grid = f"{self.n_users:,} users x {self.n_movies:,} movies"
        if not self.sampled:
            return f"every pair of the {grid}"
        return (
            f"the mean over {self.n_grids} random samples of {grid} each, which give "
            f"{self.low:.2f} to {self.high:.2f}: the full grid is too large to predict whole"
        )


@takes_models("model_a", "model_b")
def beyond_levels_correlation(
    model_a: EmbeddingModel,
    model_b: EmbeddingModel,
    *,
    max_cells: int = LEVELS_CELLS,
    seed: int = 0,
    movies: np.ndarray | None = None,
) -> BeyondLevels:
    """Pearson correlation of two models' predictions once each user's and each movie's level
    is taken out: both predict every (user, movie) pair of a grid, and each grid loses its row
    and column means (the additive part). Two models fitted to the same training rows agree on
    those levels whatever else they learned: two trained on shuffled ratings, both worse than
    the mean rating, correlated 0.86 on raw predictions (accuracy review round 5); what is left
    says whether they agree on who likes what. The grid is every user x every movie of
    ``movies`` (indices; default all) up to ``max_cells`` cells, else :data:`LEVELS_SAMPLES`
    seeded sample grids, averaged (:class:`BeyondLevels` says which)."""
    max_cells = check_k(max_cells, "max_cells")
    every_user = np.arange(model_a.n_users)
    pool = np.arange(model_a.n_movies) if movies is None else np.asarray(movies, np.int64)
    if len(every_user) * len(pool) <= max_cells:
        value = _double_centred_pearson(model_a, model_b, every_user, pool)
        return BeyondLevels(value, len(every_user), len(pool))
    n_users, n_movies = _sample_shape(len(every_user), len(pool), max_cells // LEVELS_SAMPLES)
    rng = np.random.default_rng(seed)
    values = np.array(
        [
            _double_centred_pearson(
                model_a,
                model_b,
                np.sort(rng.choice(every_user, n_users, replace=False)),
                np.sort(rng.choice(pool, n_movies, replace=False)),
            )
            for _ in range(LEVELS_SAMPLES)
        ]
    )
    return BeyondLevels(
        float(values.mean()),
        n_users,
        n_movies,
        LEVELS_SAMPLES,
        float(values.min()),
        float(values.max()),
    )


def _sample_shape(n_users: int, n_movies: int, cells: int) -> tuple[int, int]:
    """Users and movies of a sample grid of at most ``cells`` (square where both allow)."""
    side = max(2, int(np.sqrt(cells)))
    if n_movies <= side:
        return max(2, min(n_users, cells // n_movies)), n_movies
    if n_users <= side:
        return n_users, max(2, min(n_movies, cells // n_users))
    return side, side


def _double_centred_pearson(
    model_a: EmbeddingModel, model_b: EmbeddingModel, users: np.ndarray, movies: np.ndarray
) -> float:
    """Pearson correlation of both models' users x movies prediction tables, each less its row
    and column means."""
    pair_users, pair_movies = np.repeat(users, len(movies)), np.tile(movies, len(users))
    residuals = []
    for model in (model_a, model_b):
        table = np.asarray(model.predict(pair_users, pair_movies), np.float64).reshape(
            len(users), len(movies)
        )
        table = table - table.mean(axis=1, keepdims=True) - table.mean(axis=0) + table.mean()
        residuals.append(table.reshape(-1))
    return _pearson(*residuals)


@takes_models("model_a", "model_b")
def model_procrustes(
    model_a: EmbeddingModel, model_b: EmbeddingModel, *, min_ratings: int = 10, dims: str = "pad"
) -> ProcrustesAlignment:
    """:func:`procrustes_alignment` of two saved models' movie embeddings."""
    return procrustes_alignment(
        model_a.movie_embedding,
        model_a.movies,
        model_b.movie_embedding,
        model_b.movies,
        min_ratings=min_ratings,
        dims=dims,
    )


@takes_models("model_a", "model_b")
def model_movie_match(model_a: EmbeddingModel, model_b: EmbeddingModel) -> MovieMatch | None:
    """The identity match of two models' films when they come from different datasets (None
    for one dataset, whose movies are paired by id)."""
    if same_dataset(model_a, model_b):
        return None
    return movie_match(
        model_a.movies, model_b.movies, name_a=model_a.dataset_name, name_b=model_b.dataset_name
    )


@takes_models("model_a", "model_b")
def same_dataset(model_a: EmbeddingModel, model_b: EmbeddingModel) -> bool:
    """True when both models were trained on the same data (same dataset name and fingerprint,
    and no movie id naming another film in their movies tables), so they share users and
    movie ids."""
    return (  # bad-input round 64, F1: the ratings alone made two movies files "the same"
        _same_ratings(model_a, model_b) and renamed_ids(model_a.movies, model_b.movies).empty
    )


@takes_models("model_a", "model_b")
def shared_seed_note(model_a: EmbeddingModel, model_b: EmbeddingModel) -> str | None:
    """For two models trained here on the same ratings with the same seed, that their vectors
    started from the same draws (each starting row comes from the seed, the table and the id:
    ``nn.models.initial_rows``), so part of their agreement is that shared start (accuracy
    round 54, F4: Jaccard@10 0.357 for l2 and l2 + decorrelation at one seed, 0.111 at two).
    None otherwise, when a seed is not recorded as the one trained (imported, tuned), or for a
    model and its own exact whitening (one training)."""
    seeds = {_training_seed(m) for m in (model_a, model_b)}
    if len(seeds) != 1 or None in seeds or not _same_ratings(model_a, model_b):
        return None
    sources = {m.meta.get("exact_whitening_of", m.name) for m in (model_a, model_b)}
    if len(sources) == 1:
        return None
    return (
        f"{model_a.name} and {model_b.name} were trained with the same seed ({seeds.pop()}), so "
        "their vectors started from the same draws: part of the agreement below is that shared "
        "start, not their settings. Retrain one with another seed to see what their settings "
        "alone share."
    )


def _training_seed(model: EmbeddingModel) -> int | None:
    """The seed ``model`` was trained with, as its meta records it (its spec); None for an
    imported embedding or a tuned model (a refit or a seed ensemble records its own)."""
    meta = getattr(model, "meta", None)
    if not isinstance(meta, dict) or meta.get("imported") or meta.get("tuning"):
        return None
    seed = getattr(getattr(model, "spec", None), "seed", None)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _same_ratings(model_a: EmbeddingModel, model_b: EmbeddingModel) -> bool:
    """Whether two models recorded the same data: the same fingerprint (its ratings), as
    ``list`` groups them, whatever name each recorded (bad-input round 67, F2: a name edited in
    meta.json made the same people "different people"); the same name where neither has one."""
    data_a, data_b = model_a.meta.get("dataset", {}), model_b.meta.get("dataset", {})
    prints = data_a.get("fingerprint"), data_b.get("fingerprint")
    if all(prints):
        return prints[0] == prints[1]
    return data_a.get("name") == data_b.get("name") and prints[0] == prints[1]


@takes_models("model_a", "model_b")
def shared_filters_differ(model_a: EmbeddingModel, model_b: EmbeddingModel) -> bool:
    """Whether Compare's 'Movie by movie' (A's rating counts, within one catalogue) and
    Explore's two-model view (both models' counts) can keep different shared movies for one
    min-ratings filter: both models have counts, of one catalogue, and they differ (one dataset
    split or seeded differently: accuracy round 19, 1,958 and 1,850 movies for two splits).
    Across two datasets both count both (accuracy round 49, F1)."""
    if rating_counts_side(model_a.movies, model_b.movies) != "A" or not has_rating_counts(
        model_b.movies
    ):
        return False
    a, b = filter_counts(model_a.movies), filter_counts(model_b.movies)
    return a.shape != b.shape or not np.array_equal(a, b)


def _pairs(
    model: EmbeddingModel,
    pairs: pd.DataFrame | None,
    n_pairs: int,
    seed: int,
    pool: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if pairs is None:
        n = check_k(n_pairs, "n_pairs")
        rng = np.random.default_rng(seed)
        users = rng.integers(0, model.n_users, n)
        if pool is None:
            return users, rng.integers(0, model.n_movies, n), None
        if not len(pool):
            raise DataError("No movies to draw pairs from; lower the minimum ratings.")
        return users, pool[rng.integers(0, len(pool), n)], None
    missing = [c for c in ("user_idx", "movie_idx") if c not in pairs.columns]
    if missing:
        raise DataError(f"pairs lacks the column(s) {', '.join(missing)}; pass a ratings table.")
    truth = pairs["rating"].to_numpy(np.float64) if "rating" in pairs.columns else None
    return pairs["user_idx"].to_numpy(np.int64), pairs["movie_idx"].to_numpy(np.int64), truth


def _match_widths(a: np.ndarray, b: np.ndarray, dims: str) -> tuple[np.ndarray, np.ndarray]:
    da, db = a.shape[1], b.shape[1]
    if da == db:
        return a, b
    if dims == "pad":
        width = max(da, db)
        return np.pad(a, ((0, 0), (0, width - da))), np.pad(b, ((0, 0), (0, width - db)))
    width = min(da, db)
    if da > width:
        a = fit_pca(a, n_components=width).transform(a)
    if db > width:
        b = fit_pca(b, n_components=width).transform(b)
    return a, b


def _rmse(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2)))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(method="average").to_numpy()


#: The training settings every row of Compare's accuracy download names, whatever the models
#: share (views round 42, F3: only the split's seed was in the file, so a reader could not tell
#: that four models shared one training seed, nor their rate, batch, cap and patience).
TRAINING_SETTINGS = {
    "seed": "training seed",
    "learning_rate": "learning rate",
    "batch_size": "batch size",
    "epochs": "epoch cap",
    "early_stopping_patience": "patience",
}
#: Settings the accuracy table already shows in columns of its own (family, dim, regularizers).
SHOWN_SETTINGS = ("family", "dim", "regularizers")


def settings_columns(models: Sequence[Any]) -> dict[str, list[Any]]:
    """Columns of the training settings of ``models`` for a download, one value per model:
    :data:`TRAINING_SETTINGS` always, then every other setting that two of them set to
    different values (by its spec field name; blank where a model's family does not read it). A seed ensemble gives its
    seeds, a blend each member's value (``"autorec: 0.001; mf_bias: 0.005"``) where they differ;
    an imported embedding, trained elsewhere, none."""
    trained = [_trained_settings(m) for m in models]
    keys = [
        k
        for k in dict.fromkeys(k for settings in trained for k in settings)
        if k not in TRAINING_SETTINGS and k not in SHOWN_SETTINGS
    ]
    differ = [k for k in keys if len({repr(v) for s in trained if (v := s.get(k)) is not None}) > 1]
    columns = {label: [s.get(key) for s in trained] for key, label in TRAINING_SETTINGS.items()}
    return columns | {key: [s.get(key) for s in trained] for key in differ}


def _trained_settings(model: Any) -> dict[str, Any]:
    """The settings ``model`` was trained with as one value each (see :func:`settings_columns`),
    without the fields its family ignores; {} for an imported embedding."""
    meta = model.meta if isinstance(getattr(model, "meta", None), dict) else {}
    spec = getattr(model, "spec", None)
    if meta.get("imported") or not hasattr(spec, "to_dict"):
        return {}
    tuning = meta.get("tuning") if isinstance(meta.get("tuning"), dict) else {}
    blend = tuning.get("blend") if isinstance(tuning.get("blend"), dict) else {}
    members = [
        (m["family"], m["spec"])
        for m in blend.get("members") or ()
        if isinstance(m, dict) and isinstance(m.get("spec"), dict) and m.get("family")
    ]
    if members:  # a blend's spec holds the combined model's shape, not its members' training
        keys = dict.fromkeys(k for _, spec in members for k in spec)
        return {k: _joined([(family, spec.get(k)) for family, spec in members]) for k in keys}
    settings = {k: v for k, v in spec.to_dict().items() if k not in spec.ignored_fields()}
    refit = tuning.get("refit") if isinstance(tuning.get("refit"), dict) else {}
    if isinstance(refit.get("seeds"), list) and len(refit["seeds"]) > 1:  # a seed ensemble
        settings["seed"] = ", ".join(str(s) for s in refit["seeds"])
    return {k: _cell(v) for k, v in settings.items()}


def _joined(values: list[tuple[str, Any]]) -> Any:
    """One value where every member has it, else each member's: ``"autorec: 40; mf_bias: 32"``."""
    if len({repr(v) for _, v in values}) == 1:
        return _cell(values[0][1])
    return "; ".join(f"{family}: {_cell(v)}" for family, v in values)


def _cell(value: Any) -> Any:
    """A setting as a CSV cell: lists and mappings as compact text, the rest as they are."""
    if isinstance(value, dict):
        return ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return "-".join(str(v) for v in value)
    return value


def paired_columns(differences: Sequence[Any]) -> dict[str, list[Any]]:
    """Compare's accuracy download's paired gaps to the lowest model as numbers, one per
    ``differences`` (``paired.PairedDifference``, in the models' order): the gap, its
    half-width under a header naming its level (recheck 16b, F5: "its half-width (the level
    in the cell)"), and the sign-flip p where that test decided (few test users)."""
    n_models = differences[0].n_models if differences else 2
    pairs = n_models * (n_models - 1) // 2
    level = f"{1 - FAMILY_ALPHA:.0%}" + (
        f", Bonferroni over the {pairs} pairs" if pairs > 1 else ""
    )
    flip = any(d.p_value is not None for d in differences)
    others = [d.name != d.reference for d in differences]
    columns = {
        "test RMSE minus the lowest's": [d.difference for d in differences],
        f"its half-width ({level}{', sign-flip by user' if flip else ''})": [
            d.half_width if other and d.has_interval else None
            for d, other in zip(differences, others, strict=True)
        ],
    }
    if flip:
        columns["its sign-flip p"] = [
            d.p_value if other else None for d, other in zip(differences, others, strict=True)
        ]
    return columns


def compare_file_name(names: Sequence[str], what: str) -> str:
    """The file name of a Compare download of ``what`` for the models ``names``: every name up
    to three, else the count, the first three, "and N more" and a short digest of all the
    names, so two selections never share a name (views round 42, F3: ``and_1_more``)."""
    if len(names) <= 3:
        return table_file_name("compare", *names, what)
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:8]
    return table_file_name(
        "compare", f"{len(names)} models", *names[:3], f"and {len(names) - 3} more", digest, what
    )
