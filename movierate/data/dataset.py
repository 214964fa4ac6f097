"""The in-memory dataset every other module works on: encoded ratings, movies table, id maps."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from movierate.errors import DataError

if TYPE_CHECKING:
    from movierate.data.splits import Split


#: The largest error (RMSE, MAE) a model may record, in widths of its rating scale: far beyond
#: what a training that learns anything reaches (clipped outputs stay within one width); a
#: larger one has diverged (CLI round 3: learning rate 10 with a raw output reached RMSE 829 on
#: 1-5 and was saved, then refused as a damaged file).
MOST_ERROR_WIDTHS = 100


MAX_RATING = 1e6
"""Ratings beyond ±MAX_RATING are refused (they are not ratings, and float32 loses them)."""
#: The most steps a rating scale may have: thousandths across ±MAX_RATING, already finer
#: than float32 keeps there (:func:`movierate.data.build.float32_note`); a finer step is no
#: rating scale (fuzz66, F3: 1 to 5 in steps of 1e-300).
MAX_STEPS = 2 * MAX_RATING / 0.001


@dataclass(frozen=True)
class RatingScale:
    """The allowed ratings: ``min`` to ``max`` in steps of ``step`` (``step`` 0 = any value)."""

    min: float
    max: float
    step: float

    def __post_init__(self) -> None:
        values = (self.min, self.max, self.step)
        if not all(np.isfinite(v) for v in values) or self.min >= self.max or self.step < 0:
            raise DataError(
                f"Invalid rating scale min={self.min}, max={self.max}, step={self.step}: "
                "min must be below max and step must be >= 0 (0 means any value in between)."
            )
        if max(abs(self.min), abs(self.max)) > MAX_RATING:  # fuzz66, F3/F4: an OverflowError
            raise DataError(
                f"Invalid rating scale {self.min:g} to {self.max:g}: its ends must lie within "
                f"±{MAX_RATING:g}, as ratings must. Give the scale the ratings use (e.g. 1,5,1), "
                "rescaled if they are that large."
            )
        if self.step and (self.max - self.min) / self.step > MAX_STEPS:
            raise DataError(
                f"Invalid rating scale: a step of {self.step:g} makes "
                f"{(self.max - self.min) / self.step:.3g} steps from {self.min:g} to "
                f"{self.max:g}, more than {MAX_STEPS:,.0f}; give the step the ratings use "
                "(e.g. 0.5), or 0 for any value in between."
            )
        if self.step and not _is_whole((self.max - self.min) / self.step):
            raise DataError(
                f"Invalid rating scale: max - min ({self.max - self.min:g}) is not a whole number "
                f"of steps of {self.step:g}; pick a step that divides the range."
            )

    def bad_positions(self, ratings: np.ndarray) -> np.ndarray:
        """Positions of ``ratings`` outside the scale or off its steps."""
        values = ratings.astype(np.float64, copy=False)
        bad = (values < self.min - 1e-6) | (values > self.max + 1e-6)
        if self.step:
            steps = (values - self.min) / self.step
            bad |= np.abs(steps - np.round(steps)) > 1e-4
        return np.flatnonzero(bad)

    def describe(self) -> str:
        """Human wording, e.g. ``0.5 to 5 in steps of 0.5``."""
        text = f"{self.min:g} to {self.max:g}"
        return text + (f" in steps of {self.step:g}" if self.step else "")

    def as_list(self) -> list[float]:
        """``[min, max, step]`` as plain floats (JSON-safe)."""
        return [float(self.min), float(self.max), float(self.step)]


def _is_whole(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


#: What to do with a (user, movie) pair rated more than once: keep its latest rating, or refuse.
Duplicates = Literal["keep_latest", "error"]


def repeated_pairs(
    user_idx: np.ndarray, movie_idx: np.ndarray, n_movies: int, timestamps: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(kept, dropped)`` row positions when some (user, movie) pair repeats, keeping each
    pair's latest rating by timestamp (else its last row), both ascending; None when every
    pair is rated once. The one rule every path that builds ratings uses (bad-input round 44,
    F1: ``ds.edited`` kept repeated pairs that ``from_csv`` drops)."""
    key = np.asarray(user_idx, dtype=np.int64) * n_movies + np.asarray(movie_idx, np.int64)
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    positions = np.arange(len(key))
    order = np.lexsort((positions, timestamps, key))  # last of each key = latest, then last row
    sorted_key = key[order]
    is_last = np.append(sorted_key[1:] != sorted_key[:-1], True)
    return np.sort(order[is_last]), np.sort(order[~is_last])


#: Attribute of a :class:`FrozenRatings` holding the checks it passed (not carried to frames
#: made from it, unlike ``attrs``).
_CHECKED_MARK = "_movierate_checked"
#: Key of ``ds.ratings.attrs`` naming the dataset the rows come from: ``{"name", "fingerprint"}``
#: as loaded (pandas carries attrs along through filters and copies).
DATASET_ATTR = "movierate_dataset"


#: The columns every ``ds.ratings`` has.
RATING_COLUMNS = ("user_idx", "movie_idx", "rating", "timestamp")
#: How many row numbers a message lists.
_SHOWN_ROWS = 5


def read_only_message(what: str = "ds.ratings") -> str:
    """Why a write to ``ds.ratings`` is refused, and how to edit a copy instead."""
    return (
        f"{what} is read-only: ds.fingerprint names exactly these rows, and a model trained "
        "on ds records it to find its test rows again. Edit a copy (edited = "
        "ds.ratings.copy(); edited.loc[...] = ...) and make it a dataset of its own: "
        "ds.edited(edited, name='NEW-NAME')."
    )


class _ReadOnlyIndexer:
    """``.loc`` / ``.iloc`` / ``.at`` / ``.iat`` of :class:`FrozenRatings`: reads only."""

    def __init__(self, indexer: Any, what: str) -> None:
        self._indexer, self._what = indexer, what

    def __getitem__(self, key: Any) -> Any:
        return self._indexer[key]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _ReadOnlyIndexer(self._indexer(*args, **kwargs), self._what)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise DataError(read_only_message())


class FrozenRatings(pd.DataFrame):
    """``ds.ratings``: a DataFrame that refuses writes in place with a message saying how to
    edit a copy (bad-input round 24: pandas said only "assignment destination is read-only",
    and a frame that took the write kept its fingerprint). Everything derived from it
    (``copy()``, ``sample()``, ``assign()``, ...) is a plain, writable DataFrame."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise DataError(read_only_message())

    __setitem__ = __delitem__ = insert = update = _update_inplace = _refuse

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("columns", "index") or (not name.startswith("_") and name in self.columns):
            self._refuse()
        super().__setattr__(name, value)

    @property
    def loc(self) -> Any:  # type: ignore[override]
        return _ReadOnlyIndexer(super().loc, "loc")

    @property
    def iloc(self) -> Any:  # type: ignore[override]
        return _ReadOnlyIndexer(super().iloc, "iloc")

    @property
    def at(self) -> Any:  # type: ignore[override]
        return _ReadOnlyIndexer(super().at, "at")

    @property
    def iat(self) -> Any:  # type: ignore[override]
        return _ReadOnlyIndexer(super().iat, "iat")


def _refusing_inplace(name: str) -> Any:
    """DataFrame method ``name`` for :class:`FrozenRatings`: refused with ``inplace=True``."""
    method = getattr(pd.DataFrame, name)

    def wrapper(self: FrozenRatings, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("inplace"):
            self._refuse()
        return method(self, *args, **kwargs)

    return functools.wraps(method)(wrapper)


for _name in dir(pd.DataFrame):  # fillna(inplace=True) and the like write into the arrays
    _method = getattr(pd.DataFrame, _name, None)
    if not _name.startswith("_") and callable(_method) and not isinstance(_method, type):
        try:
            takes_inplace = "inplace" in inspect.signature(_method).parameters
        except (TypeError, ValueError):
            continue
        if takes_inplace:
            setattr(FrozenRatings, _name, _refusing_inplace(_name))


def timestamp_seconds(column: pd.Series) -> np.ndarray:
    """A ratings ``timestamp`` column as int64 seconds since 1970: datetimes (tz-aware or
    not) are converted, so a temporal split orders them as the numbers loading gives."""
    if isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M":
        stamps = pd.to_datetime(column, utc=True)
        return ((stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
    return column.to_numpy(np.int64)


@dataclass
class RatingsDataset:
    """Ratings with contiguous 0-based ``user_idx`` / ``movie_idx`` and everything to map back.

    ``ratings``: user_idx int32, movie_idx int32, rating float32, timestamp int64 (0 when the
    source has no timestamps). ``movies``: one row per rated movie, indexed by movie_idx.
    ``user_ids`` / ``movie_ids`` map an index back to the original id (sorted ascending).
    ``ratings.attrs[DATASET_ATTR]`` records the name and fingerprint the rows were loaded with.
    """

    name: str
    ratings: pd.DataFrame
    movies: pd.DataFrame
    user_ids: np.ndarray
    movie_ids: np.ndarray
    rating_scale: RatingScale
    fingerprint: str
    catalog: dict[str, int | None] = field(default_factory=dict)
    official_splits: dict[str, Split] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source: str | None = None
    #: True when the source declared no rating scale and ``rating_scale`` was inferred from every
    #: rating (test rows too): training then infers its own from its rows only.
    scale_inferred: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ratings" and isinstance(value, pd.DataFrame):
            value = FrozenRatings(value)  # CoW: the caller's frame stays independent
        super().__setattr__(name, value)
        if name in ("name", "fingerprint") and "ratings" in self.__dict__:
            self._label()  # ds.edited sets its fingerprint last (recheck: the label kept "")

    def __post_init__(self) -> None:
        self._label()

    def _label(self) -> None:
        """Label ``ratings`` with where its rows come from, so an analysis handed ``ds.ratings``
        (or rows of it: pandas carries attrs through filters and copies) can tell another
        dataset's table from its model's (bad-input round 24 F4); the wrapper is this
        dataset's own."""
        if isinstance(self.ratings, pd.DataFrame) and "fingerprint" in self.__dict__:
            self.ratings.attrs[DATASET_ATTR] = {"name": self.name, "fingerprint": self.fingerprint}

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_movies(self) -> int:
        return len(self.movie_ids)

    def __len__(self) -> int:
        return len(self.ratings)

    def __repr__(self) -> str:
        return (
            f"RatingsDataset({self.name!r}: {len(self):,} ratings, {self.n_users:,} users, "
            f"{self.n_movies:,} movies, scale {self.rating_scale.describe()}, "
            f"fingerprint {self.fingerprint})"
        )

    @property
    def has_timestamps(self) -> bool:
        """Whether the timestamps order anything: False when the source had no timestamp
        column (every timestamp is 0) or gave every rating the same one (an export date)."""
        ts = self.timestamps()
        return bool(len(ts)) and bool(ts.min() != ts.max())

    def timestamps(self) -> np.ndarray:
        """The ratings' timestamps as int64 seconds (:func:`timestamp_seconds`)."""
        return timestamp_seconds(self.ratings["timestamp"])

    def check_ratings(self) -> None:
        """DataError naming the rows, unless ``ratings`` holds what every dataset does: the
        four columns, whole ``user_idx`` / ``movie_idx`` within the id maps, finite ratings on
        ``rating_scale`` and whole timestamps (seconds) or datetimes. Training and its record
        read them as they are (bad-input round 24: an index past the movies table failed in
        TensorFlow, a NaN rating as "training diverged"). Checked once per ``ratings``."""
        ratings = self.ratings
        if self._checked("rows"):
            return
        if not isinstance(ratings, pd.DataFrame):
            raise DataError(
                f"ds.ratings must be a DataFrame with columns {', '.join(RATING_COLUMNS)}, "
                f"got {type(ratings).__name__}."
            )
        missing = [c for c in RATING_COLUMNS if c not in ratings.columns]
        if missing:
            raise DataError(
                f"ds.ratings lacks the column(s) {', '.join(missing)}; every dataset has "
                f"{', '.join(RATING_COLUMNS)}. Load one with load_dataset(...) or from_csv(...)."
            )
        for column, limit in (("user_idx", self.n_users), ("movie_idx", self.n_movies)):
            values = _numbers(ratings[column], column)
            bad = ~np.isfinite(values) | (values != np.round(values))
            _refuse_rows(bad, f"{column} value that is not a whole number")
            what = "users" if column == "user_idx" else "movies"
            _refuse_rows(
                (values < 0) | (values >= limit),
                f"{column} value outside 0 to {limit - 1}",
                f"ds has {limit:,} {what}; ds.{what[:-1]}_ids gives each index its original id. ",
            )
        values = _numbers(ratings["rating"], "rating")
        _refuse_rows(~np.isfinite(values), "rating that is not a finite number")
        # the range only: a rating between the steps (an average, a transformed copy) trains and
        # is scored as the number it is; one past an end leaves the scale a model records
        scale = self.rating_scale
        off = (values < scale.min - 1e-6) | (values > scale.max + 1e-6)
        _refuse_rows(
            off,
            f"rating outside the rating scale's range {scale.min:g} to {scale.max:g} "
            "(ds.rating_scale)",
            "Ratings on another scale: make the dataset with that scale, ds.edited(ratings, "
            "name='NEW-NAME', rating_scale=(min, max, step)) or from_csv(..., "
            "rating_scale=(min, max, step)). ",
        )
        column = ratings["timestamp"]
        if not (isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M"):
            values = _numbers(column, "timestamp")
            bad = ~np.isfinite(values) | (values != np.round(values))
            _refuse_rows(bad, "timestamp that is not whole seconds since 1970")
        else:
            _refuse_rows(column.isna().to_numpy(), "missing timestamp")
        if not self._checked("pairs"):  # loaded and edited datasets dropped them already
            self._refuse_repeated_pairs()
        self._remember("rows")

    def _refuse_repeated_pairs(self) -> None:
        """DataError naming the rows that rate a (user, movie) pair again (bad-input round 44,
        F1): a split could put the pair in both training and test rows, and the movie counts
        would count it twice."""
        pairs = repeated_pairs(
            self.ratings["user_idx"].to_numpy(),
            self.ratings["movie_idx"].to_numpy(),
            self.n_movies,
            self.timestamps(),
        )
        if pairs is not None:
            _refuse_rows(
                np.isin(np.arange(len(self.ratings)), pairs[1]),
                "repeated (user, movie) rating",
                "A pair rated twice could land in both training and test rows; ds.edited keeps "
                "each pair's latest rating by timestamp (else its last row) and says what it "
                "dropped. ",
            )

    def check_fingerprint(self) -> None:
        """DataError unless ``fingerprint`` is that of ``ratings`` and the id maps as they are
        now: a model records its data by name and fingerprint to find its test rows again, so
        rows edited or replaced after loading must not pass as the data they came from
        (bad-input round 24: a shuffled copy was saved as ml-latest-small, and evaluate later
        scored training rows as test rows). Computed once per ``ratings``."""
        from movierate.data.build import fingerprint

        self.check_ratings()
        ratings = self.ratings
        if not self._checked("fingerprint"):
            if isinstance(ratings["timestamp"].dtype, pd.DatetimeTZDtype) or (
                ratings["timestamp"].dtype.kind == "M"
            ):
                ratings = ratings.assign(timestamp=self.timestamps())
            actual = fingerprint(ratings, self.user_ids, self.movie_ids)
            if actual != self.fingerprint:
                raise DataError(
                    f"ds.ratings does not hold the data ds.fingerprint names ({self.fingerprint!r}; "
                    f"these rows' is {actual!r}): it was edited or replaced after ds was made. A "
                    f"model records its data by name and fingerprint to find its test rows "
                    f"again, so saved as {self.name!r} it would later be measured on other "
                    "rows. Make the edited rows a dataset of their own: ds.edited(ratings, "
                    "name='NEW-NAME'), or import a ratings file with from_csv(path, "
                    "name='NEW-NAME', rating_scale=(min, max, step))."
                )
            self._remember("fingerprint")

    def edited(
        self,
        ratings: pd.DataFrame,
        name: str,
        rating_scale: RatingScale | tuple[float, float, float] | None = None,
        duplicates: Duplicates = "keep_latest",
    ) -> RatingsDataset:
        """A new dataset ``name`` of ``ratings`` (edited rows of this one: same id maps), with
        its own fingerprint and, if given, ``rating_scale`` (min, max, step); movie counts and
        means recomputed, no official splits (their rows are this dataset's). A model trained
        on it records ``name``: evaluate it with ``evaluate_model(model, edited_ds)``.
        A (user, movie) pair rated more than once keeps its latest rating, with a notice
        (``duplicates="error"`` refuses it), as ``from_csv`` does.

        >>> small = ds.edited(ds.ratings[ds.ratings.rating >= 1], name="no-half-stars")  # doctest: +SKIP
        """
        from movierate.data.build import fingerprint
        from movierate.data.registry import KNOWN_DATASETS

        if not isinstance(name, str) or not name.strip() or name in (self.name, *KNOWN_DATASETS):
            raise DataError(
                f"Name the edited dataset with a new name (got {name!r}): the name "
                f"{self.name!r} and GroupLens' names mean the data as loaded."
            )
        if isinstance(rating_scale, tuple | list):
            rating_scale = RatingScale(*map(float, rating_scale))
        elif rating_scale is not None and not isinstance(rating_scale, RatingScale):
            raise DataError(f"rating_scale must be (min, max, step), got {rating_scale!r}.")
        new = RatingsDataset(
            name=name,
            ratings=ratings,
            movies=self.movies,
            user_ids=self.user_ids,
            movie_ids=self.movie_ids,
            rating_scale=rating_scale or self.rating_scale,
            fingerprint="",
            catalog=dict(self.catalog),
            warnings=[],
            source=None,
            scale_inferred=self.scale_inferred and rating_scale is None,
        )
        if duplicates not in ("keep_latest", "error"):
            raise DataError(f"duplicates={duplicates!r}: use 'keep_latest' or 'error'.")
        new._remember("pairs")  # dropped below, with a notice, rather than refused
        new.check_ratings()
        frame = new.ratings.assign(timestamp=new.timestamps())
        pairs = repeated_pairs(
            frame["user_idx"].to_numpy(), frame["movie_idx"].to_numpy(), self.n_movies,
            frame["timestamp"].to_numpy(),
        )  # fmt: skip
        if pairs is not None:
            new.warnings.append(_dropped_pairs(pairs[1], duplicates))
            new.ratings, frame = new.ratings.iloc[pairs[0]], frame.iloc[pairs[0]]
        new.fingerprint = fingerprint(frame, self.user_ids, self.movie_ids)
        new.movies = _recounted(self.movies, frame, self.n_movies)
        for check in ("rows", "pairs", "fingerprint"):
            new._remember(check)
        return new

    def pairs_are_unique(self) -> None:
        """Record that no (user, movie) pair of ``ratings`` repeats (its loader dropped them),
        so :meth:`check_ratings` skips sorting every pair (seconds on ml-32m)."""
        self._remember("pairs")

    def _checked(self, what: str) -> bool:
        """Whether check ``what`` passed on ``ratings`` as they are, for this fingerprint: only
        a :class:`FrozenRatings` keeps the mark, which nothing can change in place. The mark
        lives on the frame, not in this dataset's ``__dict__`` (``type(ds)(**vars(ds))`` and
        ``dataclasses.replace`` still work)."""
        done = getattr(self.ratings, _CHECKED_MARK, None)
        return (
            isinstance(self.ratings, FrozenRatings)
            and isinstance(done, dict)
            and (done.get(what, object()) == self.fingerprint)
        )

    def _remember(self, what: str) -> None:
        if isinstance(self.ratings, FrozenRatings):
            done = getattr(self.ratings, _CHECKED_MARK, None) or {}
            object.__setattr__(self.ratings, _CHECKED_MARK, {**done, what: self.fingerprint})

    def notices(self) -> list[str]:
        """Everything loading changed or guessed (dropped duplicates with counts, inferred
        scale, outliers, movies missing from the movies file), one sentence each, for the CLI
        and dashboard to show. A copy of ``warnings``."""
        return list(dict.fromkeys(self.warnings))

    def user_index(self, original_id: Any) -> int:
        """The ``user_idx`` of an original user id; KeyError if the user has no ratings."""
        return _lookup(self.user_ids, original_id, "user")

    def movie_index(self, original_id: Any) -> int:
        """The ``movie_idx`` of an original movie id; KeyError if the movie has no ratings."""
        return _lookup(self.movie_ids, original_id, "movie")


def _numbers(column: pd.Series, name: str) -> np.ndarray:
    """``column`` as float64 (missing values NaN); DataError when it holds no numbers (text
    such as "3" too: it reads as a number here and matches no number elsewhere)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    try:
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise TypeError(dtype)
        return column.to_numpy(np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            f"ds.ratings column {name} holds {column.dtype} values, not numbers; it must hold "
            "numbers (build the dataset with load_dataset(...) or from_csv(...))."
        ) from None


def _refuse_rows(bad: np.ndarray, what: str, hint: str = "") -> None:
    """DataError naming the first rows (positions) of ``bad``, if any."""
    rows = np.flatnonzero(bad)
    if not len(rows):
        return
    shown = ", ".join(map(str, rows[:_SHOWN_ROWS])) + (", ..." if len(rows) > _SHOWN_ROWS else "")
    several = len(rows) > 1
    raise DataError(
        f"ds.ratings holds {len(rows):,} {what}{'s' if several else ''} (row"
        f"{'s' if several else ''} {shown}, counted from 0 as ds.ratings.iloc counts). {hint}"
        f"Fix or drop {'those rows' if several else 'it'} in a copy and make it a dataset of "
        "its own: ds.edited(ratings, name='NEW-NAME')."
    )


def _dropped_pairs(dropped: np.ndarray, duplicates: Duplicates) -> str:
    """The notice of ``ds.edited`` dropping the rows ``dropped`` that repeat a (user, movie)
    pair, or its DataError when ``duplicates`` is ``"error"``."""
    shown = ", ".join(map(str, dropped[:_SHOWN_ROWS])) + (
        ", ..." if len(dropped) > _SHOWN_ROWS else ""
    )
    rows = f"row(s) {shown} of the table passed, counted from 0 as .iloc counts"
    if duplicates == "error":
        raise DataError(
            f"ds.edited: {len(dropped):,} duplicate (user, movie) rating(s) ({rows}, repeat an "
            "earlier pair). Remove them (ratings.drop_duplicates(['user_idx', 'movie_idx'], "
            "keep='last')), or pass duplicates='keep_latest' to keep each pair's latest rating."
        )
    return (
        f"ds.edited: dropped {len(dropped):,} duplicate (user, movie) rating(s), keeping each "
        f"pair's latest by timestamp (else the last row); dropped {rows}."
    )


def _recounted(movies: pd.DataFrame, ratings: pd.DataFrame, n_movies: int) -> pd.DataFrame:
    """``movies`` with ``n_ratings`` / ``mean_rating`` counted from ``ratings``."""
    idx = ratings["movie_idx"].to_numpy(np.int64)
    counts = np.bincount(idx, minlength=n_movies)
    sums = np.bincount(idx, weights=ratings["rating"].to_numpy(np.float64), minlength=n_movies)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    out = movies.copy()
    if "n_ratings" in out.columns:
        out["n_ratings"] = counts.astype(out["n_ratings"].dtype, copy=False)
    if "mean_rating" in out.columns:
        out["mean_rating"] = means.astype(out["mean_rating"].dtype, copy=False)
    return out


def _lookup(sorted_ids: np.ndarray, original_id: Any, what: str) -> int:
    if isinstance(original_id, bytes | bytearray):  # bad-input round 24 F10
        text = bytes(original_id).decode("utf-8", "replace")
        raise KeyError(
            f"{what} id {original_id!r} is bytes; pass the id as text or a number, for example "
            f"{what}_index({text!r})"
        )
    if isinstance(original_id, bool | np.bool_):
        raise KeyError(f"{what} id {original_id!r} is a bool, not an id; pass the id itself")
    key = _as_id(original_id, integer=sorted_ids.dtype.kind in "iu")
    if key is not None:
        pos = int(np.searchsorted(sorted_ids, key))
        if pos < len(sorted_ids) and sorted_ids[pos] == key:
            return pos
    raise KeyError(f"{what} id {original_id!r} is not in this dataset")


def _as_id(value: Any, *, integer: bool) -> Any:
    """``value`` as an id of the dataset's kind (int or str), or None if it cannot be one."""
    if not integer:
        return str(value)
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
