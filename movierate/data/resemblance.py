"""How many of a split's test ratings are ratings of a known data set (by raw ids and value).

Some settings were chosen on the test rows of the MovieLens sets shipped beside movierate
(``advice.DEFAULTS_CHOSEN_ON`` and the like). A model trained on those sets is named in the
caveat by its dataset's name or fingerprint; a near copy (the same ratings.csv less a line,
uploaded under another name) matched neither, so its test rows were called unseen though
almost all of them had chosen settings (accuracy round 8). This measures the share directly:
each rating is keyed by its raw user id, raw movie id and value, and the test rows' keys are
looked up among every rating of each known set found on this machine (never downloaded).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from movierate.data.dataset import RatingsDataset
from movierate.errors import MovierateError

#: A share below this is not reported: by chance alone 0.2-2.0% of the default split's test rows
#: of ml-100k, ml-latest-small and ml-1m-sample are ratings of another of them (same user id,
#: movie id and value; measured 2026-12-05), and a large set that merely contains a small
#: known one holds few of its test rows.
MIN_SHARE = 0.1
#: ... and fewer matched rows than this are not reported either: in a set of a few hundred
#: ratings whose ids start at 1, a handful of chance matches made 5-25% of the test rows (the
#: recheck: 17 of 30 random 200-rating sets); a copy of a known set matches thousands.
MIN_MATCHED = 50


def rating_keys(ds: RatingsDataset, rows: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit key per rating of ``ds`` (``rows`` of it, default all): its raw user id and
    movie id as text, and its value to 3 decimals, so a copy re-parsed with other index numbers
    (another set of users) gets the same keys for the same ratings."""
    ratings = ds.ratings if rows is None else ds.ratings.iloc[np.asarray(rows, dtype=np.int64)]
    users = _id_hashes(ds.user_ids)[ratings["user_idx"].to_numpy()]
    movies = _id_hashes(ds.movie_ids)[ratings["movie_idx"].to_numpy()]
    values = np.round(ratings["rating"].to_numpy(np.float64) * 1000).astype(np.int64)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the point
        return (
            users * np.uint64(0x9E3779B97F4A7C15)
            ^ movies * np.uint64(0xC2B2AE3D27D4EB4F)
            ^ values.astype(np.uint64) * np.uint64(0x165667B19E3779F9)
        )


def _id_hashes(ids: np.ndarray) -> np.ndarray:
    """A 64-bit hash per id, of its text (``1`` and ``"1"`` alike)."""
    return pd.util.hash_pandas_object(pd.Series(ids).astype(str), index=False).to_numpy()


def shares_from_known(
    ds: RatingsDataset, test_rows: np.ndarray, names: Iterable[str]
) -> dict[str, float]:
    """Per known set in ``names`` other than ``ds`` itself (by name or fingerprint), found on
    this machine: the share of ``ds``'s ``test_rows`` that are ratings of it, where that share
    is at least :data:`MIN_SHARE` and :data:`MIN_MATCHED` rows or more."""
    from movierate.data.acquire import find_local

    shares = {}
    test_rows = np.asarray(test_rows, dtype=np.int64)
    if not len(test_rows):
        return shares
    keys = None
    for name in dict.fromkeys(names):
        folder = find_local(name)
        if name == ds.name or folder is None:
            continue
        try:
            known = _known_keys(name, folder, folder.stat().st_mtime_ns)
        except OSError:
            continue
        if known is None or known[0] == ds.fingerprint:
            continue
        keys = rating_keys(ds, test_rows) if keys is None else keys
        matched = np.isin(keys, known[1])
        share = float(matched.mean())
        if share >= MIN_SHARE and int(matched.sum()) >= MIN_MATCHED:
            shares[name] = round(share, 4)
    return shares


@functools.lru_cache(maxsize=4)
def _known_keys(name: str, folder: Path, mtime: int) -> tuple[str, np.ndarray] | None:
    """(fingerprint, sorted rating keys) of the known set ``name`` in ``folder`` (as changed
    last at ``mtime``); None when it does not load."""
    from movierate.data.load import load_folder

    try:
        known = load_folder(folder, name)
    except (MovierateError, OSError, ValueError):
        return None
    return known.fingerprint, np.unique(rating_keys(known))
