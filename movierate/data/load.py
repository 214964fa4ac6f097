"""Open a dataset by name or folder (parquet cache first), and report what is available."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from movierate.data.acquire import (
    Progress,
    check_dataset_name,
    escaped_name,
    find_local,
    find_local_zip,
    import_zip,
    is_plain_text,
    local_names,
    locate,
)
from movierate.data.build import build_dataset
from movierate.data.cache import cache_folder, cache_key, is_cached, load_cached, save_cached
from movierate.data.dataset import RatingsDataset
from movierate.data.formats import check_one_layout, detect_layout, read_folder, source_files
from movierate.data.registry import KNOWN_DATASETS
from movierate.errors import DataError, MovierateError


def load_dataset(
    name: str | os.PathLike,
    progress: Progress | None = None,
    *,
    allow_paths: bool = True,
) -> RatingsDataset:
    """Open dataset ``name`` (GroupLens name, imported name, or folder / zip path).

    Looks in MOVIERATE_DATA_DIR then ``data_dir()``, downloads a missing GroupLens set (calling
    ``progress(done_bytes, total_bytes)``), and reuses the parquet cache when the source files
    are unchanged. ``allow_paths=False`` accepts only a dataset name, never a path: use it for
    names read from files (a model's meta.json). Every refusal is a DataError.
    """
    folder, dataset_name = locate(name, progress, allow_paths=allow_paths)
    if not is_plain_text(dataset_name):  # left out of every list: not trained on either (the
        # recheck: `train NAME` took one, and its raw name reversed text on 5 pages)
        raise DataError(
            f"The dataset folder '{escaped_name(dataset_name)}' has a name with bytes that are no UTF-8 text or "
            "invisible control characters, which pages and links cannot show; rename the "
            "folder to plain text to use it."
        )
    return load_folder(folder, dataset_name)


def load_dataset_by_name(name: str, progress: Progress | None = None) -> RatingsDataset:
    """``load_dataset(name, allow_paths=False)``: a dataset NAME only (no path, no '..')."""
    return load_dataset(name, progress, allow_paths=False)


def load_folder(folder: Path, name: str) -> RatingsDataset:
    """Parse (or reopen from cache) the dataset in ``folder`` under the name ``name``."""
    layout = detect_layout(folder)
    if layout is None:
        raise DataError(f"{folder} holds no ratings.csv, u.data or ratings.dat; nothing to load.")
    check_one_layout(folder)
    key = cache_key(name, folder, source_files(folder, layout))
    cached = load_cached(name, key)
    if cached is not None:
        return cached
    known = KNOWN_DATASETS.get(name)
    raw = read_folder(folder, layout, known.scale if known else None)
    if known is not None and len(raw.ratings) != known.approx_ratings:
        raw.warnings.append(
            f"This copy of {name} holds {len(raw.ratings):,} ratings, not the "
            f"{known.approx_ratings:,} of GroupLens' {name}: it is incomplete or edited, and "
            f"models trained on it are still recorded as {name}. Re-extract it from the "
            "official zip for the real set."
        )
    ds = build_dataset(raw, name)
    ds.source = str(folder)
    save_cached(ds, key)
    return ds


def from_zip_bytes(zip_bytes: bytes, filename: str, *, replace: bool = False) -> RatingsDataset:
    """Import an uploaded MovieLens zip (see ``import_zip``) and open it."""
    return load_dataset_by_name(import_zip(zip_bytes, filename, replace=replace))


@dataclass(frozen=True)
class DatasetStatus:
    """One row of the dataset overview: where a dataset is and whether it is ready."""

    name: str
    available: bool
    location: str | None
    url: str | None
    approx_ratings: int | None
    cached: bool


def dataset_status() -> list[DatasetStatus]:
    """Every GroupLens dataset, then every other dataset folder found on this machine."""
    rows = []
    for name in list(KNOWN_DATASETS) + [n for n in local_names() if n not in KNOWN_DATASETS]:
        known = KNOWN_DATASETS.get(name)
        folder = find_local(name)
        location = folder or find_local_zip(name)
        key = _key_of(name, folder)
        rows.append(
            DatasetStatus(
                name=name,
                available=location is not None,
                location=str(location) if location else None,
                url=known.url if known else None,
                # a parsed copy: its own count (a half-copied GroupLens folder shows as such)
                approx_ratings=_cached_count(name, key)
                or (known.approx_ratings if known else _count(name, folder, key)),
                cached=key is not None and is_cached(name, key),
            )
        )
    return rows


def source_key(name: str) -> str | None:
    """The parse-cache key of dataset ``name``'s files as they are now (each file's size,
    mtime, inode and ctime: it changes when one is edited, replaced or restored), or None when
    ``name`` is no dataset name or has no extracted folder here. Stats only, nothing is read."""
    try:
        check_dataset_name(name)
        return _key_of(name, find_local(name))
    except (MovierateError, OSError):
        return None


def _key_of(name: str, folder: Path | None) -> str | None:
    layout = detect_layout(folder) if folder else None
    if folder is None or layout is None:
        return None
    try:
        return cache_key(name, folder, source_files(folder, layout))
    except OSError:
        return None


def _count(name: str, folder: Path | None, key: str | None) -> int | None:
    """Ratings in a dataset that is not a GroupLens one: from its parse cache, or for an
    imported (custom layout) folder from its ratings.parquet's metadata; None when unknown
    (a CSV folder not parsed yet)."""
    count = _cached_count(name, key)
    if count is None and folder is not None and detect_layout(folder) == "custom":
        try:
            count = int(pq.read_metadata(folder / "ratings.parquet").num_rows)
        except (OSError, ValueError):
            return None
    return count


def _cached_count(name: str, key: str | None) -> int | None:
    if key is None or not is_cached(name, key):
        return None
    return int(pq.read_metadata(cache_folder(name, key) / "ratings.parquet").num_rows)
