"""The in-memory dataset every other module works on: encoded ratings, movies table, id maps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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


#: Key of ``ds.ratings.attrs`` naming the dataset the rows come from: ``{"name", "fingerprint"}``
#: as loaded (pandas carries attrs along through filters and copies).
DATASET_ATTR = "movierate_dataset"


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

    def __post_init__(self) -> None:
        # a shallow copy (no data copied) labelled with where its rows come from, so an
        # analysis handed ``ds.ratings`` (or rows of it) can tell another dataset's table from
        # its model's (bad-input round 24 F4); a frame shared with another dataset keeps its own
        if isinstance(self.ratings, pd.DataFrame):
            self.ratings = self.ratings.copy(deep=False)
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
        ts = self.ratings["timestamp"].to_numpy()
        return bool(len(ts)) and bool(ts.min() != ts.max())

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
