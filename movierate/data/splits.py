"""Three-part splits (train / stop / test), reproducible from a seed and recorded as plain data.

Every split has three disjoint parts that together cover all ratings:

- ``train``: the rows the model learns from;
- ``stop``: the early-stopping rows, carved from the training part; training watches their
  RMSE to pick the best epoch (and any settings search may tune on them);
- ``test``: rows that neither training, early stopping nor any choice of settings sees; the
  reported accuracy (``test_rmse`` / ``test_mae``) is measured on them only.

The test part is drawn first (``test_fraction`` of the ratings), then the stop part
(``stop_fraction`` of what remains). Defaults: 10% test, then 10% of the remaining 90% as
stop rows (9% of all ratings), leaving 81% for training.

Methods:
- ``random``: a uniformly random ``test_fraction`` of all ratings, then a random
  ``stop_fraction`` of the rest.
- ``per_user``: a random ``test_fraction`` of each user's ratings (at least one, at most all
  but one; users with a single rating stay in train), then the same per user for stop rows.
- ``temporal``: the same per-user counts, but each user's *latest* ratings (by timestamp) are
  the test rows, and the latest of each user's remaining training part are the stop rows.
  Where a user's cut falls among ratings of one timestamp, the split seed draws which of them
  are held out (``ties="seeded"``); splits recorded before accuracy review round 16 took the
  rows last in the file (``ties="row_order"``: a file sorted by rating then held out each
  user's highest ratings). Timestamps that order no user's ratings (one value for all, or
  one per user) are refused: file order alone would choose the test rows. Other users'
  later ratings are training rows, so it is not a forecast of future ratings: ``time`` is.
- ``time``: one cut date for everybody: the latest ``test_fraction`` of all ratings (by
  timestamp) are the test rows, the latest ``stop_fraction`` of the rest the stop rows, so no
  training row is later than a test row (accuracy round 40, F1). The seed draws only among
  ratings of the cut's timestamp. Users and movies first rated after the last training row
  (in the stop or test rows) have no training row (cold). Data without timestamps is refused.
- ``official:<name>``: a split shipped with the dataset (ml-100k's u1..u5, ua, ub): the
  ``.test`` file gives exactly the test rows; stop rows are a random ``stop_fraction`` of the
  ``.base`` file's rows (seeded), the rest of ``.base`` is train. ``ds.official_splits`` holds
  the files as shipped (``stop`` empty).

Models saved before splits had three parts recorded a two-part split (``valid_fraction``,
``n_valid``): their validation rows both steered early stopping and gave the reported RMSE.
:func:`legacy_digest` identifies such a split; those rows are this module's ``test`` rows for
the same method, seed and fraction (the test part is drawn exactly as the old validation part).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from movierate.errors import DataError

if TYPE_CHECKING:
    from movierate.data.dataset import RatingScale, RatingsDataset

SPLIT_METHODS = ("random", "per_user", "temporal", "time")
#: The methods that hold out the latest ratings by timestamp (per user, or all users at one cut).
TIME_ORDERED = ("temporal", "time")
#: How a model's split method reads where its test rows are named ("per-user temporal 10%").
SPLIT_WORDS = {"per_user": "per-user", "temporal": "per-user temporal", "time": "by date"}
OFFICIAL_PREFIX = "official:"
#: How a temporal split orders ratings of one user with the same timestamp: drawn with the
#: split seed (from accuracy review round 16 on), or by row order (records without ``ties``).
TIE_RULES = ("seeded", "row_order")
#: Share of all ratings held out as test rows.
DEFAULT_TEST_FRACTION = 0.1
#: Share of the remaining (training) part used as early-stopping rows.
DEFAULT_STOP_FRACTION = 0.1
_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Split:
    """Row positions (int64, sorted, disjoint) into ``ds.ratings``: train, stop and test."""

    method: str
    seed: int | None
    test_fraction: float
    stop_fraction: float
    train: np.ndarray
    stop: np.ndarray
    test: np.ndarray
    #: time-ordered splits: how timestamp ties were ordered (:data:`TIE_RULES`); None otherwise
    ties: str | None = None
    #: time-ordered splits: test rows whose timestamp equals one of the same user's other rows
    #: (``time``: of any training or stop row), so that the tie rule, not time, chose them
    n_tied_test: int = 0
    #: ``time`` splits: the first timestamp (UTC seconds) of the test rows and of the
    #: early-stopping rows, the cut dates (bad-input round 59, L1)
    test_from: int | None = None
    stop_from: int | None = None

    @property
    def n_rows(self) -> int:
        return int(len(self.train) + len(self.stop) + len(self.test))

    @property
    def digest(self) -> str:
        """16 hex chars identifying exactly which rows are train, stop and test rows."""
        h = hashlib.blake2b(digest_size=8, person=b"split3")
        h.update(np.int64(self.n_rows).tobytes())
        h.update(np.int64(len(self.stop)).tobytes())
        h.update(np.ascontiguousarray(np.sort(self.stop), dtype=np.int64).data)
        h.update(np.ascontiguousarray(np.sort(self.test), dtype=np.int64).data)
        return h.hexdigest()

    def describe(self) -> dict[str, Any]:
        """JSON-safe record: method, seed, test_fraction, stop_fraction, n_train, n_stop,
        n_test, digest; a time-ordered split adds ``ties`` and ``n_tied_test``, a ``time``
        split its cut dates ``test_from`` and ``stop_from``."""
        record: dict[str, Any] = {
            "method": self.method,
            "seed": None if self.seed is None else int(self.seed),
            "test_fraction": float(self.test_fraction),
            "stop_fraction": float(self.stop_fraction),
            "n_train": int(len(self.train)),
            "n_stop": int(len(self.stop)),
            "n_test": int(len(self.test)),
            "digest": self.digest,
        }
        if self.ties is not None:
            record.update(ties=self.ties, n_tied_test=int(self.n_tied_test))
        for key in ("test_from", "stop_from"):
            if getattr(self, key) is not None:
                record[key] = int(getattr(self, key))
        return record

    def __repr__(self) -> str:
        return (
            f"Split({self.method}, seed={self.seed}, test_fraction={self.test_fraction:g}, "
            f"stop_fraction={self.stop_fraction:g}, {len(self.train):,} train / "
            f"{len(self.stop):,} stop / {len(self.test):,} test)"
        )


def training_scale(ds: RatingsDataset, split: Split) -> RatingScale:
    """The rating scale a model of ``ds`` trained on ``split`` uses, and its references are
    clipped to: the dataset's declared scale, or, when the dataset's was inferred from every
    rating, the scale inferred from the train and stop rows only, so that no test rating
    changes the model or what it is read against."""
    from movierate.data.build import infer_scale

    if not ds.scale_inferred:  # declared: nothing to infer (no copy of the row indices)
        return ds.rating_scale
    rows = np.concatenate([split.train, split.stop]).astype(np.int64)
    if not len(rows):
        return ds.rating_scale
    return infer_scale(ds.ratings["rating"].to_numpy()[rows])


def legacy_digest(split: Split) -> str:
    """The digest a model saved before three-part splits recorded for the two-part split
    (train = this split's train + stop rows, validation = its test rows)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(np.int64(len(split.train) + len(split.stop)).tobytes())
    h.update(np.ascontiguousarray(np.sort(split.test), dtype=np.int64).data)
    return h.hexdigest()


def is_legacy(described: dict[str, Any]) -> bool:
    """True for a ``split`` record written before splits had separate test rows."""
    return "n_test" not in described


def make_split(
    ds: RatingsDataset,
    method: str = "random",
    test_fraction: float | None = None,
    stop_fraction: float = DEFAULT_STOP_FRACTION,
    seed: int = 42,
    *,
    valid_fraction: float | None = None,
    ties: str = "seeded",
) -> Split:
    """Split ``ds`` by ``method`` into train / stop / test rows (see the module docstring).

    The same seed gives the same rows. For ``official:<name>`` the ``.test`` file decides the
    test rows (``test_fraction`` is ignored; the split records the file's share).
    ``valid_fraction`` is the deprecated name of ``test_fraction`` (two-part splits); pass one
    of them at most. ``ties``: how a temporal split orders equal timestamps (:data:`TIE_RULES`;
    ``"row_order"`` only to rebuild a split recorded before it was seeded).
    """
    from movierate.data.dataset import RatingsDataset

    if not isinstance(ds, RatingsDataset):
        raise DataError(
            f"make_split splits a RatingsDataset (load_dataset(...), from_csv(...)), got "
            f"{type(ds).__name__}."
        )
    if not isinstance(method, str):
        raise DataError(
            f"method must be a split method's name, got {method!r}: use one of "
            f"{', '.join(map(repr, SPLIT_METHODS))} or '{OFFICIAL_PREFIX}<name>'."
        )
    if not isinstance(ties, str) or ties not in TIE_RULES:
        raise DataError(
            f"Unknown timestamp tie rule {ties!r}; use one of {', '.join(TIE_RULES)} (a model's "
            "meta.json records it: restore that file from a copy, or retrain the model)."
        )
    ds.check_ratings()  # a hand-built one: indices within the id maps, whole timestamps
    if valid_fraction is not None:
        if test_fraction is not None:
            raise DataError("Pass test_fraction only (valid_fraction is its deprecated name).")
        test_fraction = valid_fraction
    if test_fraction is None:
        test_fraction = DEFAULT_TEST_FRACTION
    stop_fraction = _check_fraction("stop_fraction", stop_fraction)
    _check_seed(seed)
    rng = np.random.default_rng(int(seed))
    if method.startswith(OFFICIAL_PREFIX):
        name = method[len(OFFICIAL_PREFIX) :]
        if name not in ds.official_splits:
            available = ", ".join(OFFICIAL_PREFIX + k for k in ds.official_splits) or "none"
            raise DataError(
                f"Dataset {ds.name!r} has no official split {name!r} (available: {available}); "
                f"use one of {', '.join(SPLIT_METHODS)}."
            )
        shipped = ds.official_splits[name]
        base = np.sort(np.concatenate([shipped.train, shipped.stop])).astype(np.int64)
        stop_mask = _random_mask(len(base), stop_fraction, rng)
        return Split(
            method=method,
            seed=int(seed),
            test_fraction=shipped.test_fraction,
            stop_fraction=float(stop_fraction),
            train=base[~stop_mask],
            stop=base[stop_mask],
            test=np.asarray(shipped.test, dtype=np.int64),
        )
    if method not in SPLIT_METHODS:
        raise DataError(
            f"Unknown split method {method!r}; use one of {', '.join(SPLIT_METHODS)} or "
            f"'{OFFICIAL_PREFIX}<name>'."
        )
    test_fraction = _check_fraction("test_fraction", test_fraction)
    if len(ds) < 3:
        raise DataError(f"Dataset {ds.name!r} has {len(ds)} rating(s); a split needs at least 3.")
    if method == "temporal":
        # a split recorded with row-order ties is rebuilt as it was: its digest checks the rows
        check_temporal(ds, rebuilding=ties == "row_order")
    elif method == "time":
        check_time(ds)
    all_rows = np.arange(len(ds), dtype=np.int64)
    # the test part is drawn first, exactly as the old two-part validation part was
    test_mask = _pick(ds, all_rows, method, test_fraction, rng, ties)
    if not test_mask.any():  # per user: a user's only rating always trains
        raise DataError(
            f"The {method} split of {ds.name!r} holds out no rating, so nothing could measure "
            "the model: it holds out a share of each user's ratings, at most all but one, and "
            "no user here has two or more. Use the random split."
        )
    rest = all_rows[~test_mask]
    stop_mask = _pick(ds, rest, method, stop_fraction, rng, ties)
    temporal = method in TIME_ORDERED
    stop_rows, test_rows = rest[stop_mask], all_rows[test_mask]
    stamps = ds.timestamps() if method == "time" else None
    return Split(
        method=method,
        seed=int(seed),
        test_fraction=float(test_fraction),
        stop_fraction=float(stop_fraction),
        train=rest[~stop_mask],
        stop=stop_rows,
        test=test_rows,
        ties=ties if temporal else None,
        n_tied_test=_tied(ds, test_mask, per_user=method == "temporal") if temporal else 0,
        test_from=None if stamps is None else int(stamps[test_rows].min()),
        stop_from=None if stamps is None or not len(stop_rows) else int(stamps[stop_rows].min()),
    )


def official_split(name: str, base: np.ndarray, test: np.ndarray, n_rows: int) -> Split:
    """An official split as shipped: ``.base`` rows as train (no stop rows), ``.test`` rows."""
    return Split(
        method=f"{OFFICIAL_PREFIX}{name}",
        seed=None,
        test_fraction=len(test) / max(n_rows, 1),
        stop_fraction=0.0,
        train=np.asarray(base, dtype=np.int64),
        stop=_EMPTY,
        test=np.asarray(test, dtype=np.int64),
    )


def _check_fraction(name: str, value: Any) -> float:
    """``value`` as a Python float (np.float16 overflowed ``n * fraction``, bad-input round
    24); DataError unless it is a number between 0 and 1."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not 0 < float(value) < 1:
        raise DataError(f"{name} must be between 0 and 1 (exclusive), got {value!r}.")
    return float(str(value)) if isinstance(value, np.floating) else float(value)


def _check_seed(seed: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError(f"The split seed must be a whole number >= 0, got {seed!r}.")


#: What to use where no timestamp orders the ratings, named as the CLI and the Train page
#: name them (bad-input round 53, F4: the page said 'per_user', its box 'Per user').
INSTEAD = (
    "Use the 'random' or 'per_user' split (the Train page's 'Random ratings' or 'Per user'), "
    "or import the data with the time each rating was given."
)


def check_temporal(ds: RatingsDataset, rebuilding: bool = False) -> None:
    """DataError, saying what to use instead, unless ``ds``'s timestamps order some user's
    ratings: with one timestamp for all
    ratings, or one per user, the "latest" ratings would be the rows last in the file (accuracy
    review round 16: a file sorted by rating held out each user's highest ratings).
    ``rebuilding`` a split recorded before that round refuses only data without timestamps."""
    ts = ds.timestamps()
    no_timestamps = not len(ts) or (ts.min() == ts.max() == 0)
    if no_timestamps or (not rebuilding and not ds.has_timestamps):
        what = (
            "no timestamps" if no_timestamps else f"one timestamp ({int(ts[0])}) for every rating"
        )
        raise DataError(
            f"Dataset {ds.name!r} has {what}, so a temporal split is impossible: nothing "
            "tells which ratings are a user's latest, and the file's row order would choose "
            f"the test rows. {INSTEAD}"
        )
    if rebuilding:
        return
    users = ds.ratings["user_idx"].to_numpy()
    latest = np.full(ds.n_users, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, users, ts)
    several = np.bincount(users, minlength=ds.n_users)[users] >= 2  # users with a cut
    if several.any() and np.all(ts[several] == latest[users[several]]):
        raise DataError(
            f"Dataset {ds.name!r} gives each user one timestamp for all of that user's ratings, "
            "so a temporal split is impossible: nothing orders a user's ratings, and the file's "
            f"row order would choose each user's test rows. {INSTEAD}"
        )


def check_time(ds: RatingsDataset) -> None:
    """DataError, saying what to use instead, unless ``ds``'s ratings have more than one
    timestamp: without them, the file's row order would choose a ``time`` split's test rows."""
    if ds.has_timestamps:
        return
    ts = ds.timestamps()
    what = "no timestamps" if not len(ts) or ts.max() == 0 else "one timestamp for every rating"
    raise DataError(
        f"Dataset {ds.name!r} has {what}, so a split by date is impossible: nothing tells "
        "which ratings are the latest, and the file's row order would choose the test "
        f"rows. {INSTEAD}"
    )


def _tied(ds: RatingsDataset, held: np.ndarray, per_user: bool = True) -> int:
    """How many ``held`` rows (a mask over all ratings) share their timestamp with a row that
    was not held (of the same user, when ``per_user``): rows the tie rule, not time, chose."""
    ts = ds.timestamps()
    if not per_user:
        return int(np.count_nonzero(held & (ts == ts[~held].max()))) if (~held).any() else 0
    users = ds.ratings["user_idx"].to_numpy()
    latest_kept = np.full(ds.n_users, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest_kept, users[~held], ts[~held])
    return int(np.count_nonzero(held & (ts == latest_kept[users])))


def _pick(
    ds: RatingsDataset,
    rows: np.ndarray,
    method: str,
    fraction: float,
    rng: np.random.Generator,
    ties: str,
) -> np.ndarray:
    """Boolean mask over ``rows``: the ones ``method`` holds out (``fraction`` of them)."""
    if method == "random":
        return _random_mask(len(rows), fraction, rng)
    if method == "time":
        return _latest_mask(ds.timestamps()[rows], fraction, rng)
    users = ds.ratings["user_idx"].to_numpy()[rows]
    if method != "temporal":
        return _per_user_mask(users, ds.n_users, fraction, rng.random(len(rows)))
    timestamps = ds.timestamps()[rows]
    # the tie-break first, then time: lexsort's last key sorts first
    tie_break = rng.random(len(rows)) if ties == "seeded" else np.arange(len(rows))
    return _per_user_mask(users, ds.n_users, fraction, tie_break, timestamps)


def _random_mask(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if n < 2:
        return mask
    n_held = min(n - 1, max(1, round(n * fraction)))
    mask[rng.permutation(n)[:n_held]] = True
    return mask


def _latest_mask(timestamps: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The latest ``fraction`` of the rows by ``timestamps`` (at least one, all but one at
    most); the seed draws among rows of the cut's timestamp."""
    n = len(timestamps)
    mask = np.zeros(n, dtype=bool)
    if n < 2:
        return mask
    n_held = min(n - 1, max(1, round(n * fraction)))
    mask[np.lexsort((rng.random(n), timestamps))[n - n_held :]] = True
    return mask


def _per_user_mask(
    users: np.ndarray,
    n_users: int,
    fraction: float,
    tie_break: np.ndarray,
    timestamps: np.ndarray | None = None,
) -> np.ndarray:
    """Hold out round(fraction * count) of each user's rows (1..count-1; none if count is 1):
    the last by ``timestamps`` (when given), then by ``tie_break``."""
    n = len(users)
    counts = np.bincount(users, minlength=n_users)
    k = np.clip(np.round(counts * fraction), 1, np.maximum(counts - 1, 0)).astype(np.int64)
    k[counts < 2] = 0
    keys = (tie_break, users) if timestamps is None else (tie_break, timestamps, users)
    order = np.lexsort(keys)  # per user, oldest (or first drawn) first
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sorted_users = users[order]
    rank_from_end = starts[sorted_users] + counts[sorted_users] - 1 - np.arange(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[rank_from_end < k[sorted_users]]] = True
    return mask
