"""Recommendations for one user: the best-predicted movies they have not rated yet.

Scores come from :mod:`movierate.scoring` (numpy, every model family, no TensorFlow). A
min-ratings threshold keeps obscure movies (whose few, enthusiastic ratings inflate their bias)
out of the list, counting the ratings the model trained on
(:func:`~movierate.explore.validation.filter_counts`); the user's own top-rated movies and the least-recommended movies come along as
a sanity check.

>>> recs = recommend_for_user(model, user_idx=0, ratings=ds.ratings, k=10)  # doctest: +SKIP
>>> recs.recommended[["title", "year", "predicted"]]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from movierate import scoring
from movierate.data.build import fingerprint
from movierate.data.dataset import DATASET_ATTR, RatingsDataset
from movierate.data.movies import TRAINING_COUNTS
from movierate.errors import DataError
from movierate.explore.model import EmbeddingModel
from movierate.explore.neighbours import top_k
from movierate.explore.twins import one_row_per_film, same_film_rows, twin_count
from movierate.explore.validation import (
    check_flag,
    check_k,
    check_min_ratings,
    check_movie_rows,
    check_movies,
    check_vector,
    counted_ratings,
    filter_counts,
    movie_columns,
    n_ratings_of,
    takes_models,
)
from movierate.shown import counted
from movierate.shown import counted as plural_counted
from movierate.spec import ModelSpec


@dataclass(frozen=True)
class UserRecommendations:
    """What the Recommend page shows for one user."""

    user_idx: int
    n_rated: int
    recommended: pd.DataFrame  # rank, movie columns, predicted (highest first)
    least_recommended: pd.DataFrame  # rank, movie columns, predicted (lowest first)
    top_rated: pd.DataFrame  # rank, movie columns, rating, predicted (the user's favourites)
    #: True when the user has rated every movie that passes the min-ratings filter: then
    #: ``recommended`` and ``least_recommended`` are empty and ``message`` says so.
    all_rated: bool = False
    message: str | None = None  # a sentence for the page when the lists are empty
    #: unrated movies left out of both lists because the model has no training rating of them
    #: (:func:`untrained`)
    n_untrained: int = 0
    #: The model's own predictions in the two ranked lists (recommended, least recommended)
    #: against the dataset's rating scale (None when the model has no scale); the tables show
    #: them clipped to that scale. ``shown_favourites``: the same for ``top_rated``, a page that
    #: shows it too says both (:func:`combine_shown`).
    shown: ShownPredictions | None = None
    shown_favourites: ShownPredictions | None = None
    #: why ``recommended`` is no ranking when it is cut inside a tie (:func:`cut_tie_text`:
    #: most of an autorec user's top 10 tie with movies left out), else ""
    tie: str = ""


#: The names :attr:`UserRecommendations.shown` gives its two ranked lists in a caption.
LISTS = ("recommended", "least recommended")
#: A ranked table's column of the scores that ordered it, where they differ from ``predicted``
#: (a clipped model's scores before the clip); :func:`clip_for_display` reads and drops it.
ORDER = "_order"


@dataclass(frozen=True)
class ShownPredictions:
    """Shown predicted ratings against the dataset's scale: a model whose output is not clipped
    (output "none", or "sigmoid" with its margin) can predict past either end; the tables show
    such values clipped to the scale (ranking and RMSE use the model's own numbers)."""

    lo: float  # the dataset's rating scale
    hi: float
    raw_min: float  # the model's own predictions over the shown rows
    raw_max: float
    n_shown: int
    n_outside: int  # shown predictions outside lo..hi, clipped for display
    #: shown predictions the model's own output clipped to an end of the scale, ordered by its
    #: score before that clip (accuracy round 14's ranking), and that score's range over them
    n_tied_at_end: int = 0
    order_min: float = float("nan")
    order_max: float = float("nan")
    #: the tables counted, by name, where there are several ("recommended", ...)
    lists: tuple[str, ...] = ()


def clip_for_display(
    frames: list[pd.DataFrame], rating_scale: Any, names: Sequence[str] = ()
) -> tuple[list[pd.DataFrame], ShownPredictions | None]:
    """``frames`` with their ``predicted`` column clipped to ``rating_scale`` (lo, hi, ...) and
    what the model predicted before the clip over every row of them (``names``: the tables', as
    the caption names them); (frames unchanged, None) without a scale.

    A row's score behind its ``predicted`` is its :data:`ORDER` where given (a clipped model's
    score before the clip), else ``predicted`` itself; every table of this module with a
    ``predicted`` column carries it (:func:`rank_movies`, :func:`top_rated_by_user`).
    Accuracy round 19: the favourites had none, and "10 of the 30 shown are capped" missed
    3 of their 5.0s."""
    if rating_scale is None:
        return [f.drop(columns=ORDER, errors="ignore") for f in frames], None
    lo, hi = float(rating_scale[0]), float(rating_scale[1])
    raw, behind = [np.zeros(0)], [np.zeros(0)]
    for frame in frames:
        if "predicted" in frame.columns:
            predicted = frame["predicted"].to_numpy(np.float64)
            raw.append(predicted)
            behind.append(frame[ORDER].to_numpy(np.float64) if ORDER in frame else predicted)
    raw, behind = np.concatenate(raw), np.concatenate(behind)
    shown_rows = np.isfinite(raw)
    raw, behind = raw[shown_rows], behind[shown_rows]
    outside = (raw < lo) | (raw > hi)
    tied = behind[np.isfinite(behind) & ((behind > hi) | (behind < lo)) & ~outside]
    shown = ShownPredictions(
        lo=lo,
        hi=hi,
        raw_min=float(raw.min()) if len(raw) else float("nan"),
        raw_max=float(raw.max()) if len(raw) else float("nan"),
        n_shown=int(len(raw)),
        n_outside=int(outside.sum()),
        n_tied_at_end=int(len(tied)),
        order_min=float(tied.min()) if len(tied) else float("nan"),
        order_max=float(tied.max()) if len(tied) else float("nan"),
        lists=tuple(names),
    )
    clipped = [
        f.assign(predicted=f["predicted"].clip(lo, hi)) if "predicted" in f.columns else f
        for f in frames
    ]
    return [f.drop(columns=ORDER, errors="ignore") for f in clipped], shown


def combine_shown(parts: Sequence[ShownPredictions | None]) -> ShownPredictions | None:
    """One :class:`ShownPredictions` over the tables of ``parts`` (of one model, one scale),
    for a caption that speaks of all of them; None when none has a scale."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None

    def extreme(pick: Any, name: str, counted: str) -> float:
        values = [getattr(p, name) for p in parts if getattr(p, counted)]
        return float(pick(values)) if values else float("nan")

    return dataclasses.replace(
        parts[0],
        raw_min=extreme(min, "raw_min", "n_shown"),
        raw_max=extreme(max, "raw_max", "n_shown"),
        n_shown=sum(p.n_shown for p in parts),
        n_outside=sum(p.n_outside for p in parts),
        n_tied_at_end=sum(p.n_tied_at_end for p in parts),
        order_min=extreme(min, "order_min", "n_tied_at_end"),
        order_max=extreme(max, "order_max", "n_tied_at_end"),
        lists=tuple(name for p in parts for name in p.lists),
    )


def rank_movies(
    scores: Any,
    movies: pd.DataFrame,
    *,
    exclude: Any = (),
    k: int = 10,
    min_ratings: int = 0,
    lowest: bool = False,
    order: Any = None,
) -> pd.DataFrame:
    """The ``k`` movies with the highest (or, with ``lowest``, the lowest) predicted score,
    leaving out the rows in ``exclude`` and movies with fewer than ``min_ratings`` ratings
    (training ratings where the table records them:
    :func:`~movierate.explore.validation.filter_counts`).
    ``order``: the scores to rank by when they differ from ``scores`` (a clipped model's
    scores before the clip: movies tied at the top of the scale keep the model's order).

    Columns: ``rank``, the movie columns and ``predicted`` (``scores``).
    """
    movies = check_movies(movies, len(movies))
    scores = check_vector(scores, len(movies), "scores")
    order = scores if order is None else check_vector(order, len(movies), "order")
    k = check_k(k)
    lowest = check_flag(lowest, "lowest")
    min_ratings = check_min_ratings(min_ratings)
    eligible = rankable(movies, min_ratings)
    excluded = _excluded_mask(exclude, movies)
    allowed = eligible & ~excluded
    if not allowed.any():
        raise DataError(
            _nothing_left(
                eligible, excluded, min_ratings, counted_ratings(movies), untrained(movies)
            )
        )
    signed = np.where(allowed, -order if lowest else order, -np.inf)
    picked = top_k(signed, min(k + twin_count(movies), int(allowed.sum())))
    picked = one_row_per_film(movies, picked)[:k]  # a film listed under two ids shows once
    frame = movie_columns(movies, picked)
    frame.insert(0, "rank", np.arange(1, len(picked) + 1))
    frame["predicted"] = scores[picked]
    differs = order is not scores and not np.array_equal(order[picked], scores[picked])
    if differs:  # what ranked them, for clip_for_display's caption (then dropped)
        frame[ORDER] = order[picked]
    return frame


def untrained(movies: pd.DataFrame) -> np.ndarray:
    """Movies the model has no training rating of, where its table records training counts:
    their vectors never moved from the random start and their biases stay 0, so a prediction for
    them is no judgement of the movie (:func:`untrained_prediction`; bad-input round 62, F3: they
    topped a by-date split's recommendations)."""
    if TRAINING_COUNTS not in movies.columns:
        return np.zeros(len(movies), dtype=bool)
    return filter_counts(movies) < 1


#: What an autorec model predicts for a movie it has no training rating of (accuracy round 50,
#: F4: "the mean rating plus start noise" was said of autorec, whose value is learned).
AUTOREC_UNTRAINED = (
    "the same value for every such movie, learned per user (the user's output weights on the "
    "code of a movie with no ratings), not a judgement of that movie"
)


def untrained_prediction(spec: ModelSpec) -> str:
    """What a ``spec`` model predicts for a movie it has no training rating of, whose vector is
    the random start and whose bias is 0 (:func:`movierate.scoring.score_all_movies`): with a
    user bias, the user's own bias is added too (accuracy round 56, F4: "the mean rating plus
    start noise" was said of mf_bias, whose users' biases ran from -1.0 to +0.7)."""
    if spec.family == "autorec":
        return AUTOREC_UNTRAINED
    user_bias = " plus this user's bias" if spec.has_user_bias else ""
    if spec.family == "deep":
        said = f"the network's output for that movie's untrained starting vector{user_bias}"
    else:
        said = (
            f"the mean rating{user_bias} plus start noise (this user's vector times the movie's "
            "random starting one)"
        )
    return said + (", through the model's sigmoid" if spec.output == "sigmoid" else "")


def untrained_text(name: str, n_untrained: int, spec: ModelSpec) -> str:
    """That ``name``'s lists (a ``spec`` model) leave out ``n_untrained`` :func:`untrained`
    movies, and why."""
    return (
        f"{name} has no training rating of {counted(n_untrained, 'movie')} this user has not "
        f"rated: {'it is' if n_untrained == 1 else 'they are'} left out of its lists. The "
        f"model never learned them: a prediction for one is {untrained_prediction(spec)}."
    )  # recheck 16a, F3: in brackets, the prediction's own bracket ended "one))"


def with_training_counts(frame: pd.DataFrame, movies: pd.DataFrame) -> pd.DataFrame:
    """A ranked list ``frame`` whose ``n_ratings`` are the counts its min-ratings filter read
    (:func:`~movierate.explore.validation.filter_counts`: training ratings where recorded),
    so the column agrees with the filter (bad-input round 62, F3: "ratings 1" on a movie with
    no training rating)."""
    if TRAINING_COUNTS not in movies.columns or "n_ratings" not in frame.columns:
        return frame
    rows = frame["movie_idx"].to_numpy(np.int64)
    return frame.assign(n_ratings=filter_counts(movies)[rows])


def lists_table(recs: Any, movies: pd.DataFrame) -> pd.DataFrame:
    """``recs``' most and least recommended movies in one table, a ``list`` column saying
    which; with training counts recorded, their counts are those (``n_training_ratings``), as
    the page's tables show (its download counted every rating beside tables of training
    ratings), and the mean, of every rating, is named so (``mean_of_all_ratings``)."""
    lists = pd.concat(
        [with_training_counts(recs.recommended, movies).assign(list="recommended"),
         with_training_counts(recs.least_recommended, movies).assign(list="least recommended")],
        ignore_index=True,
    )  # fmt: skip
    if TRAINING_COUNTS in movies.columns:  # the mean is of every rating, test rows too
        lists = lists.rename(  # (recheck 11: 268 training ratings beside the mean of all 317)
            columns={"n_ratings": "n_training_ratings", "mean_rating": "mean_of_all_ratings"}
        )
    return lists


#: Predicted ratings closer than this many score units (:func:`scoring.unit_of_scale`) show
#: as one value to two decimals: a list ordered on such differences is not a ranking.
TIE_MARGIN = 0.005


@dataclass(frozen=True)
class CutTie:
    """A top-k list cut inside a tie (:func:`tie_at_cut`): ``inside`` of its picks and
    ``left_out`` other candidates lie within :data:`TIE_MARGIN` of its last pick's score,
    which spans ``low``-``high`` over them all."""

    inside: int
    left_out: int
    low: float
    high: float


def tie_at_cut(
    order: Any,
    movies: pd.DataFrame,
    listed: Any,
    *,
    exclude: Any = (),
    min_ratings: int = 0,
    rating_scale: Any = (1, 5),
) -> CutTie | None:
    """Whether the list of rows ``listed`` (ranked by ``order``, with ``exclude`` and
    ``min_ratings`` as :func:`rank_movies` took them) is cut inside a tie: candidates left
    out score within :data:`TIE_MARGIN` of its last pick, so which are listed and their order
    mean nothing (accuracy round 50, F2: an autorec fold-in's top 10 were 10 of 107 within
    0.001, and only the whole catalogue's spread was checked). None when the cut is clear,
    or the tie holds under half the list (a near call for the last place or two is any
    ranking's lot, and its other picks still rank)."""
    order = np.asarray(order, dtype=np.float64)
    listed = np.asarray(listed, dtype=np.int64)
    if not len(listed):
        return None
    allowed = rankable(movies, min_ratings) & ~_excluded_mask(exclude, movies)
    allowed[listed] = False
    margin = TIE_MARGIN * scoring.unit_of_scale(rating_scale)
    last = order[listed[-1]]
    inside = np.abs(order[listed] - last) <= margin
    out = allowed & (np.abs(order - last) <= margin)
    if not out.any() or 2 * inside.sum() < len(listed):
        return None
    tied = np.concatenate([order[listed][inside], order[out]])
    return CutTie(int(inside.sum()), int(out.sum()), float(tied.min()), float(tied.max()))


def cut_tie_text(
    cut: CutTie | None,
    n_listed: int,
    rating_scale: Any,
    then: str = "a model whose predictions differ more ranks them.",
) -> str:
    """Why a list of ``n_listed`` picks cut inside a tie (:func:`tie_at_cut`) is no ranking,
    as Neighbours says it, then ``then`` (what the view does about it, what to do); "" for
    None."""
    if cut is None:
        return ""
    margin = TIE_MARGIN * scoring.unit_of_scale(rating_scale)
    which = "the whole list" if cut.inside == n_listed else f"its last {cut.inside:,} picks"
    out = f"{cut.left_out:,} movie{'s' * (cut.left_out > 1)}"
    return (
        f"The list is cut inside a tie: {which} and {out} left out are predicted within "
        f"{margin:g} of the last pick ({cut.inside + cut.left_out:,} in all, {cut.low:.4f} to "
        f"{cut.high:.4f}), so which of the tied are listed, and their order, come from "
        f"differences too small to show; {then}"
    )


def rankable(movies: pd.DataFrame, min_ratings: int) -> np.ndarray:
    """Movies a list ranked by prediction may show: at least ``min_ratings`` ratings as
    :func:`~movierate.explore.validation.filter_counts` counts them, never an
    :func:`untrained` one, whatever the filter."""
    return (filter_counts(movies) >= check_min_ratings(min_ratings)) & ~untrained(movies)


def _excluded_mask(exclude: Any, movies: pd.DataFrame) -> np.ndarray:
    """The rows ``exclude`` names and their twins (the same film under another id)."""
    n_movies = len(movies)
    excluded = check_movie_rows(exclude, n_movies, "exclude")
    mask = np.zeros(n_movies, dtype=bool)
    mask[same_film_rows(movies, excluded)] = True
    return mask


def _count_of(count: int, counted: str) -> str:
    """``"1 training rating"``, ``"10 ratings"``: ``counted`` (a plural noun) agreeing with
    ``count`` (the recheck: "20 with at least 1 training ratings")."""
    return plural_counted(count, counted.removesuffix("s"))


def _nothing_left(
    eligible: np.ndarray, excluded: np.ndarray, min_ratings: int, counted: str, never: np.ndarray
) -> str:
    """Why no movie is left to rank: the filter, or everything eligible is excluded;
    ``counted``: what the filter counts (:func:`~movierate.explore.validation.counted_ratings`);
    ``never``: the :func:`untrained` movies, which no filter lets through."""
    if never.all():
        return "The model has no training rating of any movie, so it can rank none."
    if not eligible.any():
        return f"No movie has at least {_count_of(min_ratings, counted)}; lower the min-ratings filter."
    text = (
        f"Every eligible movie ({int(eligible.sum()):,} with at least {_count_of(min_ratings, counted)}) "
        "is already rated (excluded); nothing is left to rank."
    )
    if below := _below_filter(eligible, excluded, never):
        text += f" Lower the min-ratings filter to rank the {below:,} others with fewer ratings."
    return text


def _below_filter(eligible: np.ndarray, excluded: np.ndarray, never: np.ndarray) -> int:
    """How many movies a lower min-ratings filter would let into a list."""
    return int((~excluded & ~eligible & ~never).sum())


def check_ratings(
    ratings: Any, *, n_users: int | None = None, n_movies: int | None = None
) -> pd.DataFrame:
    """A ratings table (``ds.ratings``, rows of it, or the dataset itself) checked to have
    user_idx / movie_idx columns of whole numbers (no missing ones) in 0..n_users-1 and
    0..n_movies-1 where those are given, and a numeric rating column.

    Raises DataError saying what is wrong: a ``user_idx`` read as text matched no row, and a
    table of another dataset listed films its user never rated (bad-input round 24 F4).
    """
    frame = ratings.ratings if isinstance(ratings, RatingsDataset) else ratings
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            "ratings must be the dataset's ratings table (ds.ratings) or the dataset itself, "
            f"got {type(ratings).__name__}; to name the movies a user rated, pass "
            "rated=[movie_idx ...] instead."
        )
    missing = [c for c in ("user_idx", "movie_idx", "rating") if c not in frame.columns]
    if missing:
        raise DataError(
            f"The ratings table lacks the column(s) {', '.join(missing)}; pass ds.ratings."
        )
    for column, size, what in (("user_idx", n_users, "users"), ("movie_idx", n_movies, "movies")):
        values = _whole_numbers(frame[column], column)
        if size is not None and len(values) and (values.min() < 0 or values.max() >= size):
            bad = int(values[(values < 0) | (values >= size)][0])
            raise DataError(
                f"The ratings table holds {column} {bad}, but the model knows {size:,} {what} "
                f"(0..{size - 1}): the table comes from other data. Pass the ratings of the "
                "dataset the model was trained on."
            )
    if not pd.api.types.is_numeric_dtype(frame["rating"]) or pd.api.types.is_bool_dtype(
        frame["rating"]
    ):
        raise DataError(
            f"The ratings table's rating column holds {frame['rating'].dtype} values, not "
            "numbers; pass ds.ratings as loaded."
        )
    return frame


def _whole_numbers(column: pd.Series, name: str) -> np.ndarray:
    """An index column as int64, or DataError naming its dtype and the fix."""
    dtype = column.dtype
    integer = pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        integer = pd.api.types.is_integer_dtype(dtype.categories.dtype)
    if not integer:
        raise DataError(
            f"The ratings table's {name} column holds {dtype} values; it must hold whole "
            f"numbers (row indices), or its rows match no user. Pass ds.ratings as loaded, or "
            f"convert it: ratings.astype({{{name!r}: 'int64'}})."
        )
    if column.isna().any():
        raise DataError(
            f"The ratings table's {name} column has {int(column.isna().sum()):,} missing "
            f"value(s); drop those rows (ratings.dropna(subset=[{name!r}])) or pass ds.ratings."
        )
    return column.to_numpy(np.int64)


def _check_identity(model: EmbeddingModel, ratings: Any) -> None:
    """Refuse ratings known to come from other data than ``model`` was trained on: a
    ``RatingsDataset`` by its fingerprint (as loaded, or as its rows are now), a table by the
    dataset its ``attrs`` name (:data:`~movierate.data.dataset.DATASET_ATTR`)."""
    want = getattr(model, "dataset_fingerprint", None)
    if not want:
        return
    if isinstance(ratings, RatingsDataset):
        if want in (ratings.fingerprint, _fingerprint_now(ratings)):
            return
        name, found = ratings.name, ratings.fingerprint
    else:
        tag = ratings.attrs.get(DATASET_ATTR) if isinstance(ratings, pd.DataFrame) else None
        if not isinstance(tag, Mapping) or tag.get("fingerprint") in (None, want):
            return
        name, found = tag.get("name"), tag.get("fingerprint")
    trained_on = getattr(model, "dataset_name", "?")
    raise DataError(
        f"These ratings come from dataset {name!r} (fingerprint {found}), but model "
        f"{getattr(model, 'name', '?')!r} was trained on {trained_on!r} (fingerprint {want}): "
        "their user and movie rows are other people and other films. Pass the ratings of the "
        f"data the model was trained on: load_dataset({trained_on!r}).ratings for a saved "
        "dataset, or ratings=ds for one made in Python (ds.edited(...)) and trained on."
    )


def _fingerprint_now(ds: RatingsDataset) -> str | None:
    """The fingerprint of ``ds``'s rows as they are now (an edited dataset's), or None when
    its columns cannot be read as a dataset's (then :func:`check_ratings` says why)."""
    try:
        return fingerprint(ds.ratings, np.asarray(ds.user_ids), np.asarray(ds.movie_ids))
    except (KeyError, TypeError, ValueError):
        return None


def ratings_of_user(ratings: Any, user_idx: int) -> pd.DataFrame:
    """The user's rows of a ratings table (columns user_idx, movie_idx, rating ...; or the
    dataset itself), checked with :func:`check_ratings`."""
    return _rows_of_user(check_ratings(ratings), _check_user(user_idx))


def _rows_of_user(frame: pd.DataFrame, user_idx: int) -> pd.DataFrame:
    return frame[frame["user_idx"].to_numpy(np.int64) == user_idx]


def _check_user(user_idx: Any, n_users: int | None = None) -> int:
    if isinstance(user_idx, bool) or not isinstance(user_idx, int | np.integer):
        raise DataError(
            f"user_idx must be a whole number (a row of the model's users), got {user_idx!r}. "
            "Map an original user id with the dataset's user_index()."
        )
    if n_users is not None and not 0 <= user_idx < n_users:
        raise DataError(
            f"Unknown user: user_idx {user_idx} is outside 0..{n_users - 1}. "
            "Map an original user id with the dataset's user_index()."
        )
    return int(user_idx)


def top_rated_by_user(
    ratings: Any,
    movies: pd.DataFrame,
    user_idx: int,
    *,
    k: int = 10,
    predicted: Any = None,
    order: Any = None,
) -> pd.DataFrame:
    """The user's ``k`` highest-rated movies (ties: most-rated first), with the model's
    prediction for each when ``predicted`` (one score per movie) is given; ``order``: the
    model's scores before a clip, kept (as :data:`ORDER`) where they differ from ``predicted``
    so :func:`clip_for_display` counts the capped ones, as :func:`rank_movies` does.
    ``ratings``: the dataset's table (or the dataset), checked with :func:`check_ratings`
    against ``movies``.

    Columns: ``rank``, the movie columns, ``rating`` and ``predicted``.
    """
    movies = check_movies(movies, len(movies))
    frame = check_ratings(ratings, n_movies=len(movies))
    return _top_rated(frame, movies, _check_user(user_idx), k=k, predicted=predicted, order=order)


def _top_rated(
    frame: pd.DataFrame,
    movies: pd.DataFrame,
    user_idx: int,
    *,
    k: int,
    predicted: Any,
    order: Any = None,
) -> pd.DataFrame:
    k = check_k(k)
    own = _rows_of_user(frame, user_idx)
    rows = own["movie_idx"].to_numpy(np.int64)
    values = own["rating"].to_numpy(np.float64)
    before = order
    order = np.lexsort((rows, -n_ratings_of(movies)[rows], -values))[:k]
    result = movie_columns(movies, rows[order])
    result.insert(0, "rank", np.arange(1, len(order) + 1))
    result["rating"] = values[order]
    if predicted is None:
        result["predicted"] = np.nan
    else:
        shown = check_vector(predicted, len(movies), "predicted")[rows[order]]
        result["predicted"] = shown
        if before is not None:
            behind = check_vector(before, len(movies), "order")[rows[order]]
            if not np.array_equal(behind, shown):
                result[ORDER] = behind
    return result


@takes_models("model")
def recommend_for_user(
    model: EmbeddingModel,
    user_idx: int,
    *,
    ratings: pd.DataFrame | RatingsDataset | None = None,
    rated: Any = None,
    k: int = 10,
    min_ratings: int = 10,
) -> UserRecommendations:
    """Top-``k`` unrated movies for ``user_idx`` by predicted rating (original scale), the
    ``k`` least recommended, and the user's own top-rated movies. The tables show the
    predictions clipped to the model's rating scale (ranked before the clip); ``shown`` (the
    two lists) and ``shown_favourites`` say what the model predicted before it.

    Pass the dataset's ``ratings`` (``ds.ratings`` or ``ds`` itself: what the user rated is
    excluded and their favourites listed) or just the ``rated`` movie indices; ``rated=[]``
    excludes nothing on purpose. Ratings of other data than the model's are refused
    (:func:`check_ratings`; the dataset's fingerprint where it is known).
    """
    if ratings is None and rated is None:
        raise DataError(
            "Say what the user already rated: pass ratings=ds.ratings (or rated=[movie_idx ...];"
            " rated=[] to exclude nothing)."
        )
    user_idx = _check_user(user_idx, model.n_users)
    movies = check_movies(model.movies, len(model.movies), "model.movies")
    if ratings is not None:
        _check_identity(model, ratings)
        frame = check_ratings(ratings, n_users=model.n_users, n_movies=len(movies))
        rated_rows = _rows_of_user(frame, user_idx)["movie_idx"].to_numpy(np.int64)
    else:
        frame = pd.DataFrame({"user_idx": [], "movie_idx": [], "rating": []})
        rated_rows = check_movie_rows(rated, len(movies))
    scores = model.score_all_movies(user_idx)
    order = model.score_all_movies(user_idx, clip=False)
    given = ratings is not None
    favourites = _top_rated(
        frame,
        movies,
        user_idx,
        k=k,
        predicted=scores if given else None,
        order=order if given else None,
    )
    scale = getattr(model, "rating_scale", None)
    (favourites,), shown_favourites = clip_for_display([favourites], scale, ("favourites",))
    common = {"exclude": rated_rows, "k": k, "min_ratings": min_ratings, "order": order}
    excluded = _excluded_mask(rated_rows, movies)
    eligible, never = rankable(movies, min_ratings), untrained(movies)
    counted = counted_ratings(movies)
    if not eligible.any():
        raise DataError(_nothing_left(eligible, excluded, min_ratings, counted, never))
    if not (eligible & ~excluded).any():  # the user rated everything the filter lets through
        empty = movie_columns(movies, np.zeros(0, dtype=np.int64))
        empty.insert(0, "rank", np.zeros(0, dtype=np.int64))
        empty["predicted"] = np.zeros(0, dtype=scores.dtype)
        message = (
            "This user has rated every eligible movie "
            f"({int(eligible.sum()):,} with at least {_count_of(min_ratings, counted)}), so there is "
            "nothing left to recommend."
        )
        if below := _below_filter(eligible, excluded, never):
            message += f" Lower the min-ratings filter to see the {below:,} unrated others."
        return UserRecommendations(
            user_idx=int(user_idx),
            n_rated=int(len(np.unique(rated_rows))),
            recommended=empty,
            least_recommended=empty.copy(),
            top_rated=favourites,
            all_rated=True,
            message=message,
            n_untrained=int((never & ~excluded).sum()),
            shown_favourites=shown_favourites,
        )
    # ranked on the model's own predictions, then clipped to the rating scale for display
    top = rank_movies(scores, movies, **common)
    cut = None if scale is None else tie_at_cut(
        order, movies, top["movie_idx"], exclude=rated_rows, min_ratings=min_ratings,
        rating_scale=scale,
    )  # fmt: skip
    (recommended, least), shown = clip_for_display(
        [top, rank_movies(scores, movies, lowest=True, **common)], scale, LISTS
    )
    return UserRecommendations(
        user_idx=int(user_idx),
        n_rated=int(len(np.unique(rated_rows))),
        recommended=recommended,
        least_recommended=least,
        top_rated=favourites,
        n_untrained=int((never & ~excluded).sum()),
        shown=shown,
        shown_favourites=shown_favourites,
        tie=cut_tie_text(cut, len(recommended), scale) if scale is not None else "",
    )
