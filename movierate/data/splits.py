"""Train/validation splits, reproducible from a seed and recorded as plain data.

Methods:
- ``random``: a uniformly random ``valid_fraction`` of all ratings.
- ``per_user``: a random ``valid_fraction`` of each user's ratings (at least one, at most all
  but one); users with a single rating stay in train.
- ``temporal``: the same per-user counts, but each user's *latest* ratings (by timestamp, ties
  by row order) are held out.
- ``official:<name>``: a split shipped with the dataset (ml-100k's u1..u5, ua, ub).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from movierate.errors import DataError

if TYPE_CHECKING:
    from movierate.data.dataset import RatingsDataset

SPLIT_METHODS = ("random", "per_user", "temporal")
OFFICIAL_PREFIX = "official:"


@dataclass(frozen=True, eq=False)
class Split:
    """Row positions (int64, sorted) into ``ds.ratings`` for training and validation."""

    method: str
    seed: int | None
    valid_fraction: float
    train: np.ndarray
    valid: np.ndarray

    @property
    def digest(self) -> str:
        """16 hex chars identifying exactly which rows are validation rows."""
        h = hashlib.blake2b(digest_size=8)
        h.update(np.int64(len(self.train)).tobytes())
        h.update(np.ascontiguousarray(np.sort(self.valid), dtype=np.int64).data)
        return h.hexdigest()

    def describe(self) -> dict[str, Any]:
        """JSON-safe record: method, seed, valid_fraction, n_train, n_valid, digest."""
        return {
            "method": self.method,
            "seed": None if self.seed is None else int(self.seed),
            "valid_fraction": float(self.valid_fraction),
            "n_train": int(len(self.train)),
            "n_valid": int(len(self.valid)),
            "digest": self.digest,
        }

    def __repr__(self) -> str:
        return (
            f"Split({self.method}, seed={self.seed}, valid_fraction={self.valid_fraction:g}, "
            f"{len(self.train):,} train / {len(self.valid):,} valid)"
        )


def make_split(
    ds: RatingsDataset, method: str = "random", valid_fraction: float = 0.1, seed: int = 42
) -> Split:
    """Split ``ds`` by ``method`` (see the module docstring); the same seed gives the same rows."""
    if method.startswith(OFFICIAL_PREFIX):
        name = method[len(OFFICIAL_PREFIX) :]
        if name not in ds.official_splits:
            available = ", ".join(OFFICIAL_PREFIX + k for k in ds.official_splits) or "none"
            raise DataError(
                f"Dataset {ds.name!r} has no official split {name!r} (available: {available}); "
                f"use one of {', '.join(SPLIT_METHODS)}."
            )
        return ds.official_splits[name]
    if method not in SPLIT_METHODS:
        raise DataError(
            f"Unknown split method {method!r}; use one of {', '.join(SPLIT_METHODS)} or "
            f"'{OFFICIAL_PREFIX}<name>'."
        )
    fraction_ok = isinstance(valid_fraction, int | float | np.number) and not isinstance(
        valid_fraction, bool
    )
    if not fraction_ok or not 0 < float(valid_fraction) < 1:
        raise DataError(
            f"valid_fraction must be between 0 and 1 (exclusive), got {valid_fraction!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError(f"The split seed must be a whole number >= 0, got {seed!r}.")
    if len(ds) < 2:
        raise DataError(f"Dataset {ds.name!r} has {len(ds)} rating(s); a split needs at least 2.")
    rng = np.random.default_rng(int(seed))
    if method == "random":
        valid_mask = _random_mask(len(ds), valid_fraction, rng)
    else:
        if method == "temporal" and not ds.has_timestamps:
            raise DataError(
                f"Dataset {ds.name!r} has no timestamps, so a temporal split is impossible; "
                "use 'random' or 'per_user', or load the data with its timestamp column."
            )
        valid_mask = _per_user_mask(ds, valid_fraction, rng, latest=method == "temporal")
    return Split(
        method=method,
        seed=int(seed),
        valid_fraction=float(valid_fraction),
        train=np.flatnonzero(~valid_mask).astype(np.int64),
        valid=np.flatnonzero(valid_mask).astype(np.int64),
    )


def _random_mask(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    n_valid = min(n - 1, max(1, round(n * fraction)))
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[:n_valid]] = True
    return mask


def _per_user_mask(
    ds: RatingsDataset, fraction: float, rng: np.random.Generator, *, latest: bool
) -> np.ndarray:
    """Hold out round(fraction * count) of each user's ratings (1..count-1; none if count is 1)."""
    users = ds.ratings["user_idx"].to_numpy()
    n = len(users)
    counts = np.bincount(users, minlength=ds.n_users)
    k = np.clip(np.round(counts * fraction), 1, np.maximum(counts - 1, 0)).astype(np.int64)
    k[counts < 2] = 0
    if latest:
        secondary = ds.ratings["timestamp"].to_numpy()
        order = np.lexsort((np.arange(n), secondary, users))  # per user, oldest first
    else:
        order = np.lexsort((rng.random(n), users))  # per user, random order
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sorted_users = users[order]
    rank_from_end = starts[sorted_users] + counts[sorted_users] - 1 - np.arange(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[rank_from_end < k[sorted_users]]] = True
    return mask
