"""Parquet copies of parsed datasets under ``config.cache_dir()/datasets/<name>/<key>/``.

The key hashes the source folder, each source file's size, mtime, inode and status-change time
(ctime) and :data:`CACHE_VERSION`, so editing or replacing a file (or changing the parser)
makes the old copy stale, even an edit that keeps the size and sets the mtime back (``cp -p``,
``rsync -t``: the ctime cannot be set back). A copy records the same of its own files and is
used only while they match, so an edited cache file is parsed again, never trusted. A copy is
written to a temporary folder and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from movierate import atomic, config
from movierate.data.dataset import RatingScale, RatingsDataset
from movierate.data.splits import official_split

CACHE_VERSION = 6  # 6: an items file's ids read by the ratings' rule (views round 40, F1)
"""Bump when parsing or the cached layout changes: every cached copy becomes stale."""

_DATA_FILES = ("ratings.parquet", "movies.parquet", "users.parquet", "splits.npz")
_FILES = ("meta.json", *_DATA_FILES)


def cache_key(name: str, folder: Path, files: list[Path]) -> str:
    """16 hex chars from the dataset name, folder and each file's name and :func:`_identity`."""
    h = hashlib.blake2b(digest_size=8)
    # surrogateescape: a folder name that is no UTF-8 (bad-input round 10) hashes as its bytes
    h.update(f"v{CACHE_VERSION}\0{name}\0{folder.resolve()}".encode("utf-8", "surrogateescape"))
    for path in sorted(files):
        h.update(f"\0{path.name}\0{_identity(path)}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _identity(path: Path) -> list[int]:
    """What changes when a file is edited or replaced: size, mtime, inode and ctime."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]


def cache_folder(name: str, key: str) -> Path:
    """``cache_dir()/datasets/<name>/<key>``; ``name`` is cleaned to letters, digits, '.', '_'
    and '-' (no '..'), so a dataset name (which may come from a folder called ``..`` or from a
    file) never aims the cache, or its clean-up of stale copies, outside that folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name)).replace("..", "-").strip("-.")
    return config.cache_dir() / "datasets" / (safe[:100] or "dataset") / key


def is_cached(name: str, key: str) -> bool:
    folder = cache_folder(name, key)
    return all((folder / f).is_file() for f in _FILES)


def load_cached(name: str, key: str) -> RatingsDataset | None:
    """The cached dataset, or None if there is no complete, readable and consistent copy (a
    damaged copy is never an error: the source is parsed again and the copy overwritten)."""
    if not is_cached(name, key):
        return None
    try:
        return _read_copy(cache_folder(name, key), name)
    except Exception:  # noqa: BLE001 - the cache is disposable: anything wrong means re-parse
        return None


_META_TYPES = {
    "name": str,
    "rating_scale": list,
    "fingerprint": str,
    "catalog": dict,
    "warnings": list,
    "source": (str, type(None)),
    "official_splits": list,
    "files": dict,
}
_RATING_KINDS = {"user_idx": "iu", "movie_idx": "iu", "rating": "f", "timestamp": "iu"}
_MOVIE_COLUMNS = ("movie_idx", "movie_id", "title", "year", "genres")


class _Damaged(ValueError):
    """A cached copy that does not hold what :func:`_write` writes."""


def _read_copy(folder: Path, name: str) -> RatingsDataset:
    """The dataset in one cache folder; raises on anything missing, mistyped or inconsistent."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    # the key it records is its folder's name: a copy renamed to another key is parsed again
    # (one saved before keys were recorded has none and is still read)
    if not isinstance(meta, dict) or meta.get("name") != name:
        raise _Damaged("meta.json")
    if meta.get("key", folder.name) != folder.name:
        raise _Damaged("meta.json")
    for field, kind in _META_TYPES.items():
        if not isinstance(meta.get(field), kind):
            raise _Damaged(field)
    if not all(isinstance(w, str) for w in meta["warnings"] + meta["official_splits"]):
        raise _Damaged("warnings")
    for file in _DATA_FILES:  # edited since it was written: parse the source again
        if meta["files"].get(file) != _identity(folder / file):
            raise _Damaged(file)
    ratings = _numeric_frame(pq.read_table(folder / "ratings.parquet"))
    if list(ratings.columns) != list(_RATING_KINDS) or any(
        ratings[c].dtype.kind not in kinds for c, kinds in _RATING_KINDS.items()
    ):
        raise _Damaged("ratings.parquet")
    movies_table = pq.read_table(folder / "movies.parquet")
    movies = movies_table.drop(["genres"]).to_pandas()
    movies.insert(4, "genres", [list(g) for g in movies_table.column("genres").to_pylist()])
    if list(movies.columns[:5]) != list(_MOVIE_COLUMNS):
        raise _Damaged("movies.parquet")
    users = pq.read_table(folder / "users.parquet").column("user_id").to_numpy()
    if movies["movie_id"].dtype.kind not in "iu":
        movies["movie_id"] = movies["movie_id"].astype(object)
    movie_ids = movies["movie_id"].to_numpy()
    users = users if users.dtype.kind in "iu" else users.astype(object)
    _check_codes(ratings["user_idx"].to_numpy(), len(users))
    _check_codes(ratings["movie_idx"].to_numpy(), len(movie_ids))
    with np.load(folder / "splits.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    splits = {}
    for split_name in meta["official_splits"]:
        base, test = arrays[f"{split_name}.base"], arrays[f"{split_name}.test"]
        _check_codes(base, len(ratings))
        _check_codes(test, len(ratings))
        if len(np.intersect1d(base, test)):
            raise _Damaged(split_name)  # made before overlapping split files were refused
        splits[split_name] = official_split(split_name, base, test, len(ratings))
    ds = RatingsDataset(
        name=meta["name"],
        ratings=ratings,
        movies=movies,
        user_ids=users,
        movie_ids=movie_ids,
        rating_scale=RatingScale(*meta["rating_scale"]),
        fingerprint=meta["fingerprint"],
        catalog=meta["catalog"],
        official_splits=splits,
        warnings=meta["warnings"],
        source=meta["source"],
        scale_inferred=bool(
            meta.get("scale_inferred", any("Rating scale inferred" in w for w in meta["warnings"]))
        ),
    )
    ds.pairs_are_unique()  # built by build_dataset, which dropped them
    return ds


def _check_codes(codes: np.ndarray, n: int) -> None:
    """Raise unless ``codes`` are integers in ``0..n-1``."""
    if codes.dtype.kind not in "iu" or (len(codes) and (codes.min() < 0 or codes.max() >= n)):
        raise _Damaged("codes")


def _numeric_frame(table: pa.Table) -> pd.DataFrame:
    """A DataFrame over the table's numeric columns without pandas' block conversion."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        columns[name] = array.to_numpy(zero_copy_only=False)
    return pd.DataFrame(columns, copy=False)


def save_cached(ds: RatingsDataset, key: str) -> Path | None:
    """Write ``ds``'s parquet copy; None (and nothing left behind) if the cache is not writable."""
    final = cache_folder(ds.name, key)
    try:
        with atomic.staging_folder(final.parent, f".{key}-") as temp:
            _write(ds, temp, key)
            _remove_stale(final.parent, keep=key, source=ds.source)
            atomic.publish_folder(temp, final, replace=True)  # a copy found stale or damaged
    except (OSError, UnicodeError):  # UnicodeError: pyarrow cannot take a path that is no UTF-8
        return final if is_cached(ds.name, key) else None  # another process may have won
    return final


def _write(ds: RatingsDataset, folder: Path, key: str) -> None:
    ratings = pa.Table.from_pandas(ds.ratings, preserve_index=False)
    # one lz4 row group: read back as one contiguous array per column (measured fastest)
    pq.write_table(
        ratings, folder / "ratings.parquet", compression="lz4", row_group_size=max(len(ratings), 1)
    )
    movies = ds.movies.copy()
    if movies["movie_id"].dtype == object:
        movies["movie_id"] = movies["movie_id"].astype(str)
    movies_table = pa.Table.from_pandas(movies, preserve_index=False)
    pq.write_table(movies_table, folder / "movies.parquet")
    user_ids = ds.user_ids if ds.user_ids.dtype.kind in "iu" else ds.user_ids.astype(str)
    pq.write_table(pa.table({"user_id": user_ids}), folder / "users.parquet")
    arrays = {}
    for name, split in ds.official_splits.items():
        arrays[f"{name}.base"], arrays[f"{name}.test"] = split.train, split.test
    with (folder / "splits.npz").open("wb") as f:  # compressed: ml-100k's 5.6 MB -> 1.1 MB
        np.savez_compressed(f, **arrays)  # (fuzz round 57, F3); read in ~14 ms instead of ~7
    meta = {
        "name": ds.name,
        "key": key,
        "rating_scale": ds.rating_scale.as_list(),
        "fingerprint": ds.fingerprint,
        "catalog": ds.catalog,
        "warnings": ds.warnings,
        "source": ds.source,
        "official_splits": list(ds.official_splits),
        "scale_inferred": ds.scale_inferred,
        "files": {file: _identity(folder / file) for file in _DATA_FILES},
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


def remove_copies(name: str, source: str) -> None:
    """Delete every cached copy of dataset ``name`` parsed from the folder ``source`` (the
    dataset was deleted); copies of other folders of that name stay."""
    parent = cache_folder(name, "x").parent
    if parent.is_dir():
        _remove_stale(parent, keep=None, source=source)
        with contextlib.suppress(OSError):  # the name's folder, when no copy is left in it
            parent.rmdir()


def _remove_stale(parent: Path, keep: str | None, source: str | None) -> None:
    """Delete older cached copies of the same source (other keys than ``keep``); other folders
    that share the dataset name (say a test copy of ml-latest-small) keep theirs."""
    for old in parent.iterdir():
        if not old.is_dir() or old.name == keep or old.name.startswith("."):
            continue
        try:
            old_source = json.loads((old / "meta.json").read_text(encoding="utf-8"))["source"]
        except (OSError, ValueError, KeyError, TypeError):
            old_source = source  # unreadable: treat as ours and replace it
        if old_source == source:
            shutil.rmtree(old, ignore_errors=True)
