"""Finding, downloading, verifying and extracting MovieLens datasets.

Search order for a dataset name: ``MOVIERATE_DATA_DIR`` (optional, read-only), then
``config.data_dir()``; in each, the extracted folder first, then the official zip (extracted into
``data_dir()``). A known GroupLens name found nowhere is downloaded from
``$MOVIERATE_DOWNLOAD_URL/<name>.zip`` (default GroupLens), checked against the ``.md5`` file
published beside it (or, without one, the zip's structure) and extracted atomically.
Uploaded zips (``import_zip``) keep a GroupLens name only when they hold that official data
and never replace another dataset unless asked; every extraction is bounded (zip bombs).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import io
import json
import os
import re
import stat
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from movierate import atomic, config, schema
from movierate.data.dataset import RatingsDataset
from movierate.data.formats import (
    IMPORT_WAYS,
    LAYOUT_FILES,
    check_one_layout,
    detect_layout,
    source_files,
)
from movierate.data.registry import KNOWN_DATASETS, KnownDataset, name_for_folder
from movierate.data.textio import WORKBOOKS, archive_kind, check_not_empty, zip_kind
from movierate.errors import DataError, DownloadError, MovierateError
from movierate.filenames import (
    CASE_TWINS_RISK,
    DATASET_NAME_RULE,
    NAME_MAX_LENGTH,
    bytes_escaped,
    case_twins,
    name_problem,
    shown,
    twin_difference,
    twin_key,
    unportable_reason,
)

Progress = Callable[[int, int | None], None]
"""``cb(done_bytes, total_bytes | None)``, called as bytes arrive."""

CUSTOM_FOLDER = "custom"
#: In a folder a zip was imported into by path: the zip's name and SHA-256, so loading the same
#: zip again reuses that folder instead of extracting another copy.
SOURCE_RECORD = ".movierate-source.json"
CHUNK = 1 << 20
#: A download slower than MIN_DOWNLOAD_RATE bytes/s over any RATE_WINDOW seconds, or taking
#: longer than DOWNLOAD_DEADLINE seconds in all, is stopped (a stalled or trickling server).
MIN_DOWNLOAD_RATE = 10_000
RATE_WINDOW = 60.0
DOWNLOAD_DEADLINE = 3 * 3600.0
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
_RATINGS_FILES = {files[-1] for files in LAYOUT_FILES.values()}
DEFAULT_MAX_EXTRACT_BYTES = 4 << 30
"""Default cap on what one zip may extract to: 4 GiB (ml-32m, the largest GroupLens set, is
about 0.9 GiB extracted). Change it with ``MOVIERATE_MAX_EXTRACT_BYTES``."""
MAX_COMPRESSION_RATIO = 100
"""A member that inflates more than this (and beyond 1 MiB) is refused: MovieLens CSVs
compress about 3-5x, zip bombs hundreds to millions of times."""
MAX_MEMBERS = 10_000
"""Most entries a dataset zip may list (the official ones have at most 25)."""
MAX_NAME_LENGTH = 64


def max_extract_bytes() -> int:
    """The extraction / upload size cap in bytes (``MOVIERATE_MAX_EXTRACT_BYTES``, default
    4 GiB). DataError if the variable is set to something other than a positive whole number."""
    text = os.environ.get("MOVIERATE_MAX_EXTRACT_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_EXTRACT_BYTES
    if text.isascii() and text.isdigit() and len(text) > 30:  # int() refuses 4,300+ digits
        raise DataError(
            f"MOVIERATE_MAX_EXTRACT_BYTES={text[:40]}… is too large (at most 30 digits); set it "
            "to e.g. 8000000000, or unset it for the default (4 GiB)."
        )
    # ASCII digits only: str.isdigit() is also true for '²'
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise DataError(
            f"MOVIERATE_MAX_EXTRACT_BYTES={text[:40]!r} is not a positive whole number of bytes; "
            "set it to e.g. 8000000000, or unset it for the default (4 GiB)."
        )
    return int(text)


def check_dataset_name(name: object, folders: bool = False) -> str:
    """``name`` if it is a dataset NAME (never a path): 1-64 ASCII letters, digits, '.', '_', '-',
    starting with a letter or digit, without '..'. DataError otherwise (used for names that
    come from files such as a model's meta.json); ``folders``: the caller takes a folder path
    too, and the error says so (fuzz55, F7: it named load_dataset() to a command line)."""
    problem = dataset_name_problem(name) if isinstance(name, str) else "it is no text"
    if problem:
        raise DataError(
            f"{shown(name)} is not a dataset name: {problem}. A name is 1 to 64 ASCII letters, "
            "digits, '.', '_' or '-' (starting with a letter or digit, no '..', no path "
            "separators)."
            + (" A folder of ratings is given by its path instead (e.g. ./my-data)." * folders)
        )
    return name


def dataset_name_taken(name: str) -> bool:
    """True when ``load_dataset(name)`` would already open something (GroupLens names count
    as taken: they are reserved for the official data)."""
    if name in KNOWN_DATASETS or name == CUSTOM_FOLDER or find_local(name) is not None:
        return True
    exact = any(
        (base / n).exists() for base in search_dirs() for n in (name, f"{CUSTOM_FOLDER}/{name}")
    )
    return exact or dataset_case_twin(name) is not None


def dataset_case_twin(name: str) -> str | None:
    """The dataset (or reserved GroupLens name) whose name differs from ``name`` only in case:
    'ML-100K' beside 'ml-100k' is one folder on macOS and Windows. None when there is none."""
    folded = twin_key(name)
    names = [*KNOWN_DATASETS, CUSTOM_FOLDER] + [
        entry.name
        for base in search_dirs()
        for folder in (base, base / CUSTOM_FOLDER)
        for entry in _entries(folder)
        if entry.is_dir()  # a dataset is a folder; README.md beside them is none
    ]
    return next((n for n in names if n != name and twin_key(n) == folded), None)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def free_dataset_name(base: str) -> str:
    """A valid dataset name not in use, derived from ``base``: ``base`` itself when it is free,
    else ``base-upload``, ``base-upload-2``, ... (``base`` is cleaned to the allowed letters)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_letters(base)).strip("-._").replace("..", ".")
    stem = stem[:48].strip("-._") or "dataset"
    if unportable_reason(stem):  # a Windows device name such as 'nul'
        stem = f"data-{stem}"
    candidates = [stem] if stem not in KNOWN_DATASETS else []
    candidates += [f"{stem}-upload"] + [f"{stem}-upload-{i}" for i in range(2, 10_000)]
    for candidate in candidates:
        if not dataset_name_taken(candidate):
            return candidate
    raise DataError(f"No free dataset name left for {base!r}; delete some imported datasets.")


def search_dirs() -> list[Path]:
    """Folders searched for datasets, first match wins: MOVIERATE_DATA_DIR, then data_dir()."""
    extra = config.extra_data_dir()
    return [d for d in (extra, config.data_dir()) if d is not None]


def validate_dataset_name(name: str) -> str:
    """``name`` if it is a safe folder name for a dataset, else DataError saying what is allowed."""
    if isinstance(name, str) and (name in KNOWN_DATASETS or name == CUSTOM_FOLDER):
        why = (  # bad-input round 17: the rule it met was given as the reason
            "is a GroupLens dataset's name"
            if name in KNOWN_DATASETS
            else "is reserved for the folder of imported datasets"
        )
        raise DataError(f"The dataset name {name!r} {why}; pick another, e.g. '{name}-mine'.")
    if not isinstance(name, str):
        raise DataError(f"A dataset name must be text, got {type(name).__name__}.")
    if problem := dataset_name_problem(name):
        raise DataError(f"Invalid dataset name {shown(name)}: {problem}. Use {DATASET_NAME_RULE}.")
    if reason := unportable_reason(name):
        fix = (  # a device name with or without an ending, or a name ending in '.'
            f"add a letter (e.g. 'my-{name.rstrip('.')[: NAME_MAX_LENGTH - 3].rstrip('.')}')"
            if "device" in reason
            else f"drop the final '.' (e.g. {name.rstrip('.')!r})"
        )
        raise DataError(
            f"Invalid dataset name {shown(name)}: {reason}, so its folder would not work on "
            f"every system; {fix}."
        )
    return name


def dataset_name_problem(name: str) -> str | None:
    """The exact reason ``name`` is no dataset name (:func:`filenames.name_problem`, and the
    first character a letter or digit), or None; portability is checked for new names only."""
    problem = name_problem(name)
    if problem is None and not name[0].isalnum():
        problem = f"it starts with {name[0]!r}"
    return problem


def find_local(name: str) -> Path | None:
    """The extracted folder of dataset ``name`` if one is on this machine (no extraction)."""
    known = KNOWN_DATASETS.get(name)
    folders = [known.folder, name] if known else [name]
    for base in search_dirs():
        candidates = [base / f for f in dict.fromkeys(folders)]
        if not known:
            candidates.append(base / CUSTOM_FOLDER / name)
        for folder in candidates:
            if folder.is_dir() and detect_layout(folder):
                return folder
    return None


def find_local_zip(name: str) -> Path | None:
    """An official zip of the GroupLens dataset ``name`` lying in a searched folder."""
    known = KNOWN_DATASETS.get(name)
    if known is None:
        return None
    for base in search_dirs():
        if (base / known.zip_name).is_file():
            return base / known.zip_name
    return None


def locate(
    name_or_path: str | os.PathLike,
    progress: Progress | None = None,
    *,
    allow_paths: bool = True,
) -> tuple[Path, str]:
    """(extracted folder, dataset name) for a name or a path; downloads a missing known set.

    A bare name (no path separator) is a dataset name first; a folder or ``.zip`` path is
    opened as it is (a zip is imported into ``data_dir()`` like an upload). With
    ``allow_paths=False`` only a dataset name is accepted (see :func:`check_dataset_name`).
    Names or paths the operating system refuses (too long, NUL bytes) raise DataError.
    """
    allow_paths = schema.flag(allow_paths, "allow_paths", DataError)
    if not isinstance(name_or_path, str | os.PathLike):
        raise DataError(
            f"A dataset is given by its name or a folder / .zip path, not a "
            f"{type(name_or_path).__name__}."
        )
    if not allow_paths or not os.fspath(name_or_path).strip():
        check_dataset_name(name_or_path, allow_paths)  # an empty name is never "the current folder"
    try:
        return _locate(name_or_path, progress, allow_paths)
    except MovierateError:
        raise
    except (OSError, ValueError, RuntimeError) as err:  # ENAMETOOLONG, NUL, symlink loop
        text = str(name_or_path)
        shown = repr(text if len(text) <= 80 else text[:80] + "…")
        raise DataError(
            f"Cannot open dataset {shown}: the system refuses that name or path "
            f"({getattr(err, 'strerror', None) or err}). Pass a dataset name such as "
            "ml-latest-small or an existing folder / .zip path."
        ) from None


def _locate(
    name_or_path: str | os.PathLike, progress: Progress | None, allow_paths: bool
) -> tuple[Path, str]:
    text = os.fspath(name_or_path)
    if "\0" in text:
        raise ValueError("embedded null byte")
    is_name = (
        isinstance(name_or_path, str)
        and "/" not in text
        and os.sep not in text
        and text.strip(".") != ""  # "." and ".." are folders, never names
    )
    if not allow_paths and not is_name:
        check_dataset_name(text)
    if is_name:
        folder = find_local(text)
        if folder is not None:
            return folder, text
        zipped = find_local_zip(text)
        if zipped is not None:
            return _extract_file(zipped, expected=text), text
        if text in KNOWN_DATASETS:
            return download_dataset(text, progress=progress), text
        if not allow_paths:
            raise DataError(
                f"Unknown dataset {text!r}. Known GroupLens datasets: "
                f"{', '.join(KNOWN_DATASETS)}; datasets on this machine: "
                f"{', '.join(local_names()) or 'none'}."
            )
    if is_name and config.current_folder() is None:  # no folder of that name to be reached
        raise DataError(  # recheck B (s27): no word that a folder meant there cannot be seen
            f"{_unknown_dataset(text)} (If {text!r} is a folder in the current folder: that "
            "folder no longer exists (deleted or moved away), so no relative path can be used; "
            "cd to an existing folder or give its absolute path.)"
        )
    path = config.absolute_path(name_or_path, f"The dataset path {text!r}", DataError).resolve()
    if path.is_dir():
        folder = _dataset_folder(path)
        return folder, name_for_folder(folder.name)
    if path.is_file() and is_zip_file(path):
        folder, name, _how = import_zip_once(path, path.name)
        return folder, name
    if not path.exists() and (not is_name or text.lower().endswith(".zip")):
        # bad-input round 68, F7: a missing 'x.zip' was an "Unknown dataset" (a relative name)
        # or "not a folder or a .zip file" (a path), as if it were there but of another kind
        where = "" if text == str(path) else f" ({path})"
        raise DataError(f"There is no file or folder {text}{where}; check the path.")
    if not is_name or path.is_file():  # bad-input round 16: a bare `mine.csv` got "Unknown"
        if path.is_file():  # e.g. the user's own ratings.csv: imported once, then used by name
            # what the file is first (bad-input round 43, F4: a .tar.gz was told to import
            # under a name, then that it is a tar archive)
            check_not_empty(path, text)
            raise DataError(
                f"{text} is a file, not a dataset folder or a MovieLens .zip. Import your own "
                "ratings file once, under a name: `python -m movierate datasets FILE --name "
                "NAME`, the dashboard's Home page (upload), or in Python "
                "movierate.data.from_csv(PATH, save_as=NAME); then use NAME here."
            )
        raise DataError(f"{text} is not a folder or a .zip file; check the path.")
    raise _unknown_dataset(text)


def is_zip_file(path: Path) -> bool:
    """Whether the file ``path`` is to be read as a dataset zip: named ``.zip`` in any case
    (``ML-100K.ZIP``), or a zip by its content unless it is named as a workbook (``.xlsx``)."""
    suffix = path.suffix.lower()
    return suffix == ".zip" or (suffix not in WORKBOOKS and zipfile.is_zipfile(path))


def is_dataset_zip(filename: str, content: bytes | BinaryIO) -> bool:
    """Whether an uploaded file named ``filename`` is to be imported as a dataset zip: named
    ``.zip`` in any case, or a zip by its content that is no workbook, saved model or ``.npz``
    (:func:`~movierate.data.textio.zip_kind`; the CSV import names those). Bad-input round 68,
    F3: a renamed zip was told to unzip itself, which lost its movies file."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix == ".zip" or suffix in WORKBOOKS:
        return suffix == ".zip"
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    start = stream.tell()
    try:
        return zipfile.is_zipfile(stream) and zip_kind(stream) is None
    finally:
        stream.seek(start)


def _unknown_dataset(text: str) -> DataError:
    """The error for a dataset name that is no known, local or downloadable dataset."""
    return DataError(
        f"Unknown dataset {text!r}. Known GroupLens datasets: {', '.join(KNOWN_DATASETS)}; "
        f"datasets on this machine: {', '.join(local_names()) or 'none'}. Pass a folder path to "
        f"load any folder in a MovieLens layout, or import your own file ({IMPORT_WAYS})."
    )


def _extract_file(path: Path, expected: str | None = None) -> Path:
    with path.open("rb") as f:
        return extract_zip(f, path.name, expected=expected)


def local_names() -> list[str]:
    """Names of every dataset folder found in the searched folders (known or not), except
    those whose names are no plain text (:func:`unusable_folders` names them)."""
    return [name for name in _found_names() if is_plain_text(name)]


def official_split_names(name: str) -> list[str]:
    """The official splits shipped in dataset ``name``'s folder (ml-100k's u1 ... ub), without
    loading its ratings; [] when it has none or is not here."""
    from movierate.data.formats import OFFICIAL_SPLITS_100K

    folder = find_local(name)
    if folder is not None:
        return [
            s
            for s in OFFICIAL_SPLITS_100K
            if (folder / f"{s}.base").is_file() and (folder / f"{s}.test").is_file()
        ]
    zipped = find_local_zip(name)  # only its zip here (recheck 3: it had "no official split")
    if zipped is None:
        return []
    try:
        with zipfile.ZipFile(zipped) as archive:
            files = {PurePosixPath(n.replace("\\", "/")).name for n in archive.namelist()}
    except (OSError, zipfile.BadZipFile):
        return []
    return [s for s in OFFICIAL_SPLITS_100K if {f"{s}.base", f"{s}.test"} <= files]


def unusable_folders() -> list[str]:
    """Dataset folders left out because their names are no plain text (:func:`is_plain_text`)."""
    return [name for name in _found_names() if not is_plain_text(name)]


def unusable_folders_text(names: list[str]) -> str:
    """The notice for :func:`unusable_folders` (``names``), each written with escapes."""
    shown = ", ".join(f"'{escaped_name(n)}'" for n in names)
    return (
        f"Left out: dataset folder(s) {shown}, whose names hold bytes that are no UTF-8 text "
        "or invisible control characters; rename the folder to plain text to use it."
    )


def damaged_imports() -> dict[Path, list[str]]:
    """Imported copies' folders (``custom/<name>`` in a searched folder) that lack a file every
    import writes, each with the files it lacks: left out of the listings, so said (bad-input
    round 64, F5: with ratings.parquet moved away, `datasets` dropped the set without a word)."""
    needed = LAYOUT_FILES["custom"]
    found: dict[Path, list[str]] = {}
    for base in search_dirs():
        for folder in sorted(_entries(base / CUSTOM_FOLDER)):
            if folder.name.startswith(".") or not folder.is_dir() or detect_layout(folder):
                continue
            missing = [f for f in needed if not (folder / f).is_file()]
            if len(missing) < len(needed) or (folder / "movies.parquet").is_file():
                found[folder] = missing
    return found


def damaged_imports_text(found: dict[Path, list[str]]) -> str:
    """The notice for :func:`damaged_imports` (``found``)."""
    said = "; ".join(
        f"{shown(name_for_folder(folder.name))} in {folder} lacks {' and '.join(missing)}"
        for folder, missing in found.items()
    )
    return (
        f"Left out, damaged: imported dataset(s) {said}. Put the missing file back (from a "
        "backup), or import the same ratings file again under that name, replacing it; models "
        "trained on it need the same ratings to be evaluated or to recommend."
    )


def data_folder_text() -> str:
    """Why the home's folder of datasets (or of imported ones) cannot be read, for the dataset
    listings; "" when it can (recheck B, s27: with the home a file, or data/custom a link loop,
    `datasets` and Home listed the other datasets without a word)."""
    folder = config.data_dir() / CUSTOM_FOLDER
    problem = config.folder_problem(folder, "imported datasets'", config.home_setting())
    return f"Datasets stored in {config.data_dir()} are not listed: {problem}" if problem else ""


def case_twins_text() -> str:
    """A notice naming the dataset folders, side by side in one searched folder, whose names
    differ only in case (``ds1`` and ``Ds1``, copied or synced in: bad-input round 18 saw them
    listed as two normal rows); "" when there are none."""
    found, twins = [], []
    for base in search_dirs():
        for parent in (base, base / CUSTOM_FOLDER):
            names = [e.name for e in _entries(parent) if e.is_dir() and not e.name.startswith(".")]
            for group in case_twins(names):
                found.append(f"{' and '.join(shown(n) for n in group)} in {parent}")
                twins += group
    if not found:
        return ""
    return (
        f"Dataset folders whose names differ {twin_difference(twins)} ({'; '.join(found)}): "
        f"{CASE_TWINS_RISK}. Keep one of each: move the others away or rename them (a model "
        "trained on a renamed one no longer finds its data by name)."
    )


def escaped_name(name: str) -> str:
    """``name`` with bytes that are no UTF-8 as ``\\xff`` and control or format characters as
    ``\\u202e``."""
    text = bytes_escaped(name)
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        if unicodedata.category(c) in ("Cc", "Cf")
        else c
        for c in text
    )


def _found_names() -> list[str]:
    names: dict[str, None] = {}
    for base in search_dirs():
        for parent in (base, base / CUSTOM_FOLDER):
            try:
                if not parent.is_dir():
                    continue
            except OSError:  # a path the system refuses (a name over 255 bytes): no datasets
                continue  # there; the models folder's notice says why (bad-input round 40, F2)
            for folder in sorted(parent.iterdir()):
                if folder.is_dir() and not folder.name.startswith(".") and detect_layout(folder):
                    names[name_for_folder(folder.name)] = None
    return list(names)


def is_plain_text(name: str) -> bool:
    """Whether ``name`` is plain text: a folder name holding bytes that are no UTF-8 (from
    another system) cannot be shown, linked or typed (it made Home and Train fail, bad-input
    round 10), and one holding control or bidirectional formatting characters reversed the
    notices that named it (the recheck), so neither is offered as a dataset; rename the folder
    to use it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in name)


def download_dataset(name: str, progress: Progress | None = None) -> Path:
    """Make GroupLens dataset ``name`` available locally and return its extracted folder.

    Does nothing when it is already here. Raises DownloadError naming the URL and the ways out.
    """
    known = KNOWN_DATASETS.get(name)
    if known is None:
        raise DataError(
            f"{name!r} is not a GroupLens dataset; choose one of: {', '.join(KNOWN_DATASETS)}."
        )
    limit = max_extract_bytes()  # a bad setting: named now, not after the download
    folder = find_local(name)
    if folder is not None:
        return folder
    zipped = find_local_zip(name)
    if zipped is not None:
        return _extract_file(zipped, expected=name)
    target = config.check_data_folder()
    target.mkdir(parents=True, exist_ok=True)
    url = check_download_url(known.url)
    with tempfile.TemporaryFile(dir=target) as part:
        md5 = _fetch(url, part, progress, limit=limit)
        expected = _published_md5(url + ".md5")
        if expected is not None and expected != md5:
            raise DownloadError(
                f"The download of {url} is corrupt: its MD5 is {md5} but {url}.md5 says "
                f"{expected}. Try again; if it keeps failing, {_ways_out(name)}"
            )
        part.seek(0)
        try:
            # the configured download source is trusted (and MD5-checked when it publishes one)
            return extract_zip(part, known.zip_name, expected=name, trusted=True)
        except DataError as err:
            raise DownloadError(
                f"{url} did not give a usable {name} zip: {err} {_sentence(_ways_out(name))}"
            ) from None


def import_zip(zip_bytes: bytes | BinaryIO, filename: str, *, replace: bool = False) -> str:
    """Store and extract an uploaded MovieLens zip; returns the name to ``load_dataset`` it by.

    A zip whose folder has a GroupLens name keeps that name only if it is that official data
    (same number of ratings as the published set) and no copy of it is here yet; the official
    files under another name or none are known by their layout and count too. Any other zip is
    imported under a free name derived from ``filename`` (``my-upload``,
    ``ml-latest-small-upload-2``, ...), or from its folder where ``filename`` names another
    GroupLens set. An existing dataset is replaced only with
    ``replace=True``; files the official data's copy here lacks are added to it.
    """
    return store_zip(zip_bytes, filename, replace=replace)[0]


def import_zip_once(source: Path | bytes, filename: str) -> tuple[Path, str, str]:
    """Import the zip ``source`` (a file, or an upload's bytes) named ``filename`` as
    :func:`store_zip` does, unless this very zip (its SHA-256) was imported before and that
    folder is still here, whole (bad-input round 68, F2: Home stored a twin on each upload).
    Returns (folder, dataset name, how): how is "stored", "here" (it held official data
    already here, whole) or "before" (imported before); nothing is written for the last two.
    A folder it makes records the zip's name and SHA-256 (:data:`SOURCE_RECORD`)."""
    is_file = isinstance(source, Path)
    digest = _file_digest(source) if is_file else hashlib.sha256(source).hexdigest()
    folder = _imported_before(digest)
    if folder is not None:  # this very zip: the copy it made, not another one
        return folder, name_for_folder(folder.name), "before"
    with source.open("rb") if is_file else contextlib.nullcontext(io.BytesIO(source)) as f:
        name, stored = store_zip(f, filename)
    folder = find_local(name)
    if folder is None:  # pragma: no cover - store_zip just made it
        raise DataError(f"{filename} was imported as {name!r} but cannot be found again.")
    if stored:  # never written into a copy found elsewhere (MOVIERATE_DATA_DIR)
        atomic.write_json(folder / SOURCE_RECORD, {"zip": filename, "sha256": digest})
    return folder, name, "stored" if stored else "here"


def store_zip(
    zip_bytes: bytes | BinaryIO, filename: str, *, replace: bool = False
) -> tuple[str, bool]:
    """:func:`import_zip`'s (name, stored): ``stored`` is False when the zip held a copy of
    the official data that is here already, whole, so nothing was written (bad-input round
    43, F1: Home said "Imported" then)."""
    folder, stored = _extract_zip(zip_bytes, filename, replace=replace)
    return name_for_folder(folder.name), stored


def extract_zip(
    zip_file: bytes | BinaryIO,
    filename: str,
    expected: str | None = None,
    *,
    replace: bool = False,
    trusted: bool = False,
) -> Path:
    """Extract the dataset folder in a zip into ``data_dir()`` atomically; returns the folder.

    Refuses unsafe member paths (absolute, ``..``, links), zip bombs (declared or actual size
    beyond :func:`max_extract_bytes`, compression ratio beyond MAX_COMPRESSION_RATIO, more
    than MAX_MEMBERS entries), zips without a MovieLens layout and (when ``expected`` is a
    known name) a zip that is not that official dataset (its number of ratings; skipped for
    ``trusted`` downloads from the configured source). Without ``expected`` the folder is
    named as described in :func:`import_zip`.
    """
    return _extract_zip(zip_file, filename, expected, replace=replace, trusted=trusted)[0]


def _extract_zip(
    zip_file: bytes | BinaryIO,
    filename: str,
    expected: str | None = None,
    *,
    replace: bool = False,
    trusted: bool = False,
) -> tuple[Path, bool]:
    """:func:`extract_zip`'s folder, and whether anything was written."""
    replace = schema.flag(replace, "replace", DataError)
    trusted = schema.flag(trusted, "trusted", DataError)
    max_extract_bytes()  # a bad setting is a configuration error, not a fault of the zip
    archive = _open_zip(zip_file, filename, downloaded=trusted)
    with archive:
        members = [m for m in archive.infolist() if not _ignored(m.filename)]
        for member in members:
            _check_member(member, filename)
        prefix = _dataset_prefix(members, filename)
        renamed = None  # why the zip's folder name was not used, for a note
        if not prefix.parts:
            folder_name = _folder_from_filename(filename)
        elif (renamed := _new_name_problem(prefix.name)) is None:
            folder_name = prefix.name
        else:  # a folder name that is no dataset name ("ml small é") gives one ("ml-small-e")
            folder_name = _usable_name(prefix.name)
        official = KNOWN_DATASETS.get(expected or name_for_folder(folder_name))
        if expected in KNOWN_DATASETS and folder_name != KNOWN_DATASETS[expected].folder:
            raise DataError(
                f"{filename} holds {folder_name!r}, not {expected}. Put the official "
                f"{KNOWN_DATASETS[expected].zip_name} there instead."
            )
        wanted = [
            m
            for m in members
            if not m.is_dir()
            and PurePosixPath(m.filename).is_relative_to(prefix)
            and PurePosixPath(m.filename) != prefix
        ]
        counts = Counter(str(PurePosixPath(m.filename)) for m in wanted)  # dd//x = dd/./x = dd/x
        twice = sorted(n for n, count in counts.items() if count > 1)
        if twice:  # which copy is the data would be a guess (zip tools keep the last)
            raise DataError(
                f"{filename} holds {twice[0]!r} {counts[twice[0]]} times"
                + (f" ({len(twice)} files are stored more than once)" if len(twice) > 1 else "")
                + ", so which copy is the data would be a guess. Zip the folder again."
            )
        limit = _check_sizes(archive, wanted, filename)
        _check_not_encrypted(wanted, filename)
        target = config.check_data_folder()
        target.mkdir(parents=True, exist_ok=True)
        with atomic.staging_folder(target, ".extract-") as temp:
            try:
                staged = temp / "dataset"
                staged.mkdir()
                written = 0
                for member in wanted:
                    relative = PurePosixPath(member.filename).relative_to(prefix)
                    out = staged.joinpath(*relative.parts)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as src, out.open("wb") as dst:
                        written = _copy_bounded(src, dst, written, limit, member, filename)
                layout = detect_layout(staged)
                if not layout:
                    raise DataError(f"{filename}: the extracted folder has no ratings file.")
                check_one_layout(staged, f"{filename} (folder {str(prefix)!r})")
                found = None  # bad-input round 68, F1: the official files with no top folder,
                if official is None and expected is None:  # in a zip of another name
                    found = official = _official_by_content(staged, layout)
                is_official = found is not None or (
                    official is not None
                    and (
                        (trusted and expected is not None) or _is_official(staged, layout, official)
                    )
                )
                if expected is not None and official is not None and not is_official:
                    raise DataError(
                        f"{filename} has the layout of {official.name} but not its data (the "
                        f"official set has {official.approx_ratings:,} ratings). Put the official "
                        f"{official.zip_name} from https://grouplens.org/datasets/movielens/ there."
                    )
                here = find_local(official.name) if is_official else None
                incomplete = None  # the official copy here that lacks files the zip has
                if is_official and expected is None and not replace and here is not None:
                    # an upload never replaces a copy the user has (its ratings may differ);
                    # the same ratings again are that copy (CLI round 2: a 16 MB duplicate
                    # "ml-100k-upload", said to have a guessed rating scale), completed with
                    # the files it lacks (bad-input round 43, F1: a copy without u.item kept
                    # its 'movie <id>' titles, the complete zip thrown away)
                    if _same_ratings(staged, layout, here, official.name):
                        missing = _missing_files(staged, here)
                        if not missing:
                            return here, False
                        if not _taken_elsewhere(official.name):
                            _check_loads(staged, layout, official.folder, filename, prefix)
                            _add_files(staged, here, missing)
                            return here, True
                        incomplete = (here, missing)
                    is_official = False
                final_name = _import_folder_name(
                    official.folder if is_official else folder_name, filename, is_official, replace
                )
                for _attempt in range(_PUBLISH_TRIES):
                    staged = staged.rename(temp / final_name)  # notices name the folder
                    ds = _check_loads(staged, layout, final_name, filename, prefix)
                    if official is not None and not is_official and here is None:
                        ds.warnings.append(  # bad-input round 43: why the name is not its own
                            f"{filename} holds the layout of {official.name} but not its "
                            f"official data ({len(ds):,} ratings, not "
                            f"{official.approx_ratings:,}), so it was imported as "
                            f"{final_name!r}: GroupLens names are kept for their official sets."
                        )
                    if incomplete is not None:  # read-only, in MOVIERATE_DATA_DIR
                        ds.warnings.append(
                            f"The copy of {official.name} in {incomplete[0]} lacks "
                            f"{', '.join(incomplete[1])} and is not changed from here, so "
                            f"{filename} was imported as {final_name!r}: use that name, or add "
                            "those files to that folder."
                        )
                    if renamed is not None:  # recheck B (s27): 'con' and 'abc\n' were made
                        ds.warnings.append(
                            f"The folder in {filename} is named {shown(bytes_escaped(prefix.name))}"
                            f", which is no dataset name ({renamed}); imported as {final_name!r}."
                        )
                    if is_official:
                        _check_replaceable(target / final_name, official.name)
                    try:  # replaced only when asked, or the official data by itself
                        published = atomic.publish_folder(
                            staged,
                            target / final_name,
                            replace=replace or is_official,
                            what="dataset",
                        )
                    except FileExistsError:  # bad-input round 14: another import took the
                        final_name = free_dataset_name(final_name)  # name while this checked
                        continue
                    _cache_import(ds, staged, published, layout)
                    return published, True
                raise DataError(f"{filename}: other imports kept taking its name; try again.")
            except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:
                raise DataError(
                    f"{filename} is damaged or truncated ({err}); download or copy it again."
                ) from None
            except OSError as err:  # a file and a folder of the same name, disk full, ...
                if err.errno == errno.ENAMETOOLONG:
                    raise DataError(
                        f"{filename} holds a file name too long for this file system "
                        f"({len(Path(err.filename or '').name):,} characters); repack the zip "
                        "with shorter names."
                    ) from None
                said, hint = atomic.write_failure(err)
                entry = Path(err.filename or "").name
                raise DataError(
                    f"{filename} could not be extracted into {target}: {said}"
                    + (f" ({entry})" if entry else "")
                    + ". "
                    + (hint or "Repack the zip with one entry per file and each name once.")
                ) from None


#: How often an import picks the next free name when others keep taking it.
_PUBLISH_TRIES = 5


def _check_replaceable(folder: Path, name: str) -> None:
    """DataError when ``folder``, where the official ``name`` is to go, holds files but no
    ratings file: not a copy movierate made, so never replaced (bad-input round 14: a download
    started by ``train`` deleted a user's folder of edited files)."""
    try:
        entries = sorted(p.name for p in folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return
    if entries and not detect_layout(folder):
        shown = ", ".join(entries[:5]) + (
            f" and {len(entries) - 5} more" if len(entries) > 5 else ""
        )
        raise DataError(
            f"{folder} holds files ({shown}) but no {name} ratings file, so movierate will "
            f"not replace it with {name}: move or rename that folder, or put the set's "
            "ratings file back in it, then try again."
        )


def _missing_files(staged: Path, here: Path) -> list[str]:
    """The files in the staged folder that the copy in ``here`` lacks."""
    return sorted(p.name for p in staged.iterdir() if p.is_file() and not (here / p.name).exists())


def _add_files(staged: Path, here: Path, names: list[str]) -> None:
    """Move the staged files ``names`` into ``here`` (one file system: each move is atomic)."""
    for name in names:
        os.replace(staged / name, here / name)


def _same_ratings(staged: Path, layout: str, here: Path, name: str) -> bool:
    """Whether the staged folder holds the ratings of the copy of ``name`` in ``here``."""
    from movierate.data.build import build_dataset
    from movierate.data.formats import read_folder
    from movierate.data.load import load_folder

    known = KNOWN_DATASETS[name]
    try:
        fresh = build_dataset(read_folder(staged, layout, known.scale), name)
        return fresh.fingerprint == load_folder(here, name).fingerprint
    except (DataError, OSError, ValueError):
        return False


def _check_loads(
    staged: Path, layout: str, final_name: str, filename: str, prefix: PurePosixPath
) -> RatingsDataset:
    """Parse the staged folder as it will be loaded, so a zip whose data cannot be read is
    refused before anything is published; messages name the member inside ``filename``."""
    from movierate.data.build import build_dataset
    from movierate.data.formats import read_folder

    name = name_for_folder(final_name)
    known = KNOWN_DATASETS.get(name)
    try:
        return build_dataset(read_folder(staged, layout, known.scale if known else None), name)
    except DataError as err:
        inside = f"{filename}: {prefix}/" if prefix.parts else f"{filename}: "
        text = str(err).replace(f"{staged}{os.sep}", inside).replace(str(staged), filename)
        raise DataError(
            f"{filename} was not imported because its data cannot be loaded. {text} Fix that "
            "file in the zip and import it again."
        ) from None


def _cache_import(ds: RatingsDataset, staged: Path, published: Path, layout: str) -> None:
    """Keep the parse :func:`_check_loads` made as the published folder's parquet cache."""
    from movierate.data.cache import cache_key, save_cached

    ds.source = str(published)
    ds.warnings = [w.replace(str(staged), str(published)) for w in ds.warnings]
    save_cached(ds, cache_key(ds.name, published, source_files(published, layout)))


def _check_sizes(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], filename: str) -> int:
    """Refuse a zip whose headers already declare too much; returns the byte cap."""
    limit = max_extract_bytes()
    if len(archive.infolist()) > MAX_MEMBERS:
        raise DataError(
            f"{filename} lists {len(archive.infolist()):,} entries (more than {MAX_MEMBERS:,}); "
            "a MovieLens zip has a handful of files. Refusing to extract it."
        )
    declared = sum(m.file_size for m in members)
    if declared > limit:
        raise DataError(
            f"{filename} would extract to {declared:,} bytes, more than the limit of "
            f"{limit:,} bytes (MOVIERATE_MAX_EXTRACT_BYTES). Refusing to extract it; raise "
            "MOVIERATE_MAX_EXTRACT_BYTES if this really is a dataset that large."
        )
    for m in members:
        if m.file_size > (1 << 20) and m.file_size > MAX_COMPRESSION_RATIO * max(
            m.compress_size, 1
        ):
            raise DataError(_ratio_message(filename, m.filename, m.file_size, m.compress_size))
    return limit


def _check_not_encrypted(members: list[zipfile.ZipInfo], filename: str) -> None:
    """DataError, in a plain sentence, for a password-protected zip (bad-input round 43, F3:
    Python's ``<ZipInfo ...>`` was shown, and "upload" said in the CLI too)."""
    locked = [m.filename for m in members if m.flag_bits & 0x1]  # ZIP's "encrypted" flag
    if locked:
        more = f" and {len(locked) - 1} more" if len(locked) > 1 else ""
        raise DataError(
            f"{filename} is password-protected ({locked[0]!r}{more} encrypted), so it cannot be "
            "read: unzip it with its password, then zip the folder again without one."
        )


def _ratio_message(filename: str, member: str, size: int, packed: int) -> str:
    return (
        f"{filename}: {member!r} inflates from {packed:,} to {size:,}+ bytes (more than "
        f"{MAX_COMPRESSION_RATIO}x, which no MovieLens file does): it looks like a zip bomb. "
        "Refusing to extract it."
    )


def _copy_bounded(
    src, dst, written: int, limit: int, member: zipfile.ZipInfo, filename: str
) -> int:
    """Copy one member counting the bytes (headers can lie); DataError past any bound."""
    own = 0
    ratio_cap = max(1 << 20, MAX_COMPRESSION_RATIO * max(member.compress_size, 1))
    while chunk := src.read(CHUNK):
        own += len(chunk)
        written += len(chunk)
        if written > limit:
            raise DataError(
                f"{filename} extracts to more than the limit of {limit:,} bytes "
                "(MOVIERATE_MAX_EXTRACT_BYTES); refusing it (its headers understate its size). "
                "Raise MOVIERATE_MAX_EXTRACT_BYTES if this really is a dataset that large."
            )
        if own > ratio_cap:
            raise DataError(_ratio_message(filename, member.filename, own, member.compress_size))
        dst.write(chunk)
    return written


def _is_official(folder: Path, layout: str, known) -> bool:
    """True when the extracted ratings file holds exactly the official number of ratings."""
    return _ratings_count(folder, layout) == known.approx_ratings


#: The layout of each GroupLens dataset's official zip (the others: ratings.csv).
_OFFICIAL_LAYOUTS = {"ml-100k": "ml-100k", "ml-1m": "dat", "ml-10m": "dat"}


def _official_by_content(folder: Path, layout: str) -> KnownDataset | None:
    """The GroupLens dataset whose layout and exact number of ratings the extracted ``folder``
    has, whatever the zip or its folder is named; None when there is none."""
    count = _ratings_count(folder, layout)
    return next(
        (
            known
            for known in KNOWN_DATASETS.values()
            if _OFFICIAL_LAYOUTS.get(known.name, "csv") == layout and known.approx_ratings == count
        ),
        None,
    )


def _ratings_count(folder: Path, layout: str) -> int | None:
    """The lines of the ratings file of ``layout`` in ``folder``, less a CSV's header; None for
    a layout without one."""
    from movierate.data.formats import RATINGS_FILE

    if layout not in RATINGS_FILE:
        return None
    lines = 0
    last = b"\n"
    with (folder / RATINGS_FILE[layout]).open("rb") as f:
        while chunk := f.read(CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"  # a last line without a newline
    return lines - (1 if layout == "csv" else 0)


def _import_folder_name(folder_name: str, filename: str, is_official: bool, replace: bool) -> str:
    """The folder an import is published as (never silently over another dataset)."""
    known = KNOWN_DATASETS.get(name_for_folder(folder_name))
    if known is not None and is_official:
        return known.folder  # the official data under its own name (same data if it exists)
    if known is not None:  # a GroupLens name on other data: its own name, from the filename
        stem = _folder_from_filename(filename)
        if _grouplens_name(stem) not in (None, known.name):  # bad-input round 68, F6: ml-10m.zip
            stem = folder_name  # holding ml-1m/ was 'ml-10m-upload', its note saying ml-1m
        if (
            replace
            and stem not in KNOWN_DATASETS
            and stem != CUSTOM_FOLDER  # the uploaded CSVs' folder: never replaced by a zip
            and not _taken_elsewhere(stem)
        ):
            return stem
        return free_dataset_name(stem)
    if not dataset_name_taken(folder_name):
        return folder_name
    if replace and folder_name != CUSTOM_FOLDER:
        if _taken_elsewhere(folder_name):
            raise DataError(
                f"Dataset {folder_name!r} exists outside {config.data_dir()} (in "
                "MOVIERATE_DATA_DIR) and cannot be replaced from here; import under another "
                f"name, for example {free_dataset_name(folder_name)!r}."
            )
        return folder_name
    return free_dataset_name(folder_name)


def _grouplens_name(text: str) -> str | None:
    """The GroupLens dataset a name starts with ('ml-10m-b' -> 'ml-10m', 'ML-10M100K' ->
    'ml-10m'), or None."""
    names = {k.name: k.name for k in KNOWN_DATASETS.values()}
    names |= {k.folder.lower(): k.name for k in KNOWN_DATASETS.values()}
    for prefix in sorted(names, key=len, reverse=True):
        rest = text.lower().removeprefix(prefix)
        if rest != text.lower() and not rest[:1].isalnum():
            return names[prefix]
    return None


def _taken_elsewhere(name: str) -> bool:
    """True when ``name`` is found somewhere a replace in data_dir() would not reach."""
    found = find_local(name)
    return found is not None and found.parent.resolve() != config.data_dir().resolve()


def _file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _imported_before(digest: str) -> Path | None:
    """The folder in ``data_dir()`` a zip with this SHA-256 was imported into by path (its
    :data:`SOURCE_RECORD`), if it is still there and whole; else None."""
    root = config.data_dir()
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        try:
            record = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("sha256") == digest and detect_layout(folder):
            return folder
    return None


#: ZIP's flag for names stored as UTF-8 (without it, readers assume the old DOS code page).
_UTF8_NAMES = 0x800


def _member_names(archive: zipfile.ZipFile) -> zipfile.ZipFile:
    """``archive`` with names that are UTF-8 but lack ZIP's UTF-8 flag (Info-ZIP's ``zip`` on
    Linux, macOS' Archive Utility) read as UTF-8, not as DOS code page 437 ("ml small é", not
    "ml small ├⌐"; names that are no UTF-8 stay as read), and with ``\\`` read as the folder
    separator it is in zips made on Windows (bad-input round 43, F2: ``ml-100k\\u.data`` was
    "no u.data"), so every name is matched, checked and extracted as a path."""
    for member in archive.infolist():
        if not member.flag_bits & _UTF8_NAMES:
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                member.filename = member.filename.encode("cp437").decode("utf-8")
        member.filename = member.filename.replace("\\", "/")
    return archive


def _open_zip(
    zip_file: bytes | BinaryIO, filename: str, downloaded: bool = False
) -> zipfile.ZipFile:
    stream = io.BytesIO(zip_file) if isinstance(zip_file, bytes | bytearray) else zip_file
    try:
        return _member_names(zipfile.ZipFile(stream))
    except (zipfile.BadZipFile, EOFError, ValueError):
        stream.seek(0)
        if other := archive_kind(stream.read(1 << 16)):  # bad-input round 68, F5: a 7z
            raise DataError(f"{filename} is {other[0]}, not a zip: {other[1]}") from None
        size = stream.seek(0, io.SEEK_END)
        what = "empty" if not size else "not a zip archive, or it is truncated"
        fix = (  # bad-input round 14: the CLI's download said "Upload", where nothing was
            "Try the download again."
            if downloaded
            # bad-input round 43, F3: the CLI said "Upload" too; worded for either surface
            else "Use the complete zip as downloaded from grouplens.org (for example "
            "ml-latest-small.zip)."
        )
        raise DataError(f"{filename} is {what} ({size:,} bytes). {fix}") from None


#: What macOS and Windows add to the zips they make: never data.
_SYSTEM_FILES = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


def _ignored(member_name: str) -> bool:
    """Whether a member is a file the system that made the zip added (bad-input round 43, F5:
    macOS' AppleDouble ``._ratings.csv`` was extracted beside ``ratings.csv``)."""
    parts = PurePosixPath(member_name).parts
    return any(p in _SYSTEM_FILES or p.startswith("._") for p in parts)


def _check_member(member: zipfile.ZipInfo, filename: str) -> None:
    name = member.filename  # '\\' already read as '/' (:func:`_member_names`)
    path = PurePosixPath(name)
    mode = member.external_attr >> 16
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise DataError(
            f"{filename} contains the unsafe path {member.filename!r} (it would be written outside "
            "the data folder); refusing to extract it. Use the official GroupLens zip."
        )
    if stat.S_ISLNK(mode):
        raise DataError(
            f"{filename} contains a symbolic link ({member.filename!r}); refusing to extract it."
        )


def _dataset_prefix(members: list[zipfile.ZipInfo], filename: str) -> PurePosixPath:
    """The shallowest folder in the zip that holds a ratings file of a known layout."""
    hits = sorted(
        (
            PurePosixPath(m.filename).parent
            for m in members
            if PurePosixPath(m.filename).name in _RATINGS_FILES
        ),
        key=lambda p: len(p.parts),
    )
    if not hits:
        shown = ", ".join(m.filename for m in members[:6]) or "nothing"
        raise DataError(
            f"{filename} is not a MovieLens zip: it holds no ratings.csv, u.data or ratings.dat "
            f"(found: {shown}). Use an official GroupLens zip, or import your own ratings file as "
            f"a CSV ({IMPORT_WAYS})."
        )
    folders = sorted({str(p) for p in hits}, key=lambda p: (p.count("/"), p))
    if len(folders) > 1:  # which one the user meant is a guess: say so instead of picking one
        # (side by side, or one inside another: a backup copy, a second set in a sub-folder)
        shown = ", ".join(f"{p}/" if p != "." else "(top level)" for p in folders[:4])
        raise DataError(
            f"{filename} holds {len(folders)} rating sets ({shown}), so which one to read "
            "would be a guess; use a zip with one dataset."
        )
    return hits[0]


def _folder_from_filename(filename: str) -> str:
    return _usable_name(PurePosixPath(filename).stem)


def _new_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new dataset folder (the rule typed names follow:
    :func:`validate_dataset_name`), or None."""
    return dataset_name_problem(name) or unportable_reason(name)


def ascii_letters(text: str) -> str:
    """``text`` with accented letters as their plain ASCII letter ('été' -> 'ete'), so that a
    name made from it keeps them (dataset names are ASCII; recheck s33: 'Mes films été.zip'
    became 'Mes-films-t').

    >>> ascii_letters("Mes films été, Ærø")
    'Mes films ete, Ærø'
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _usable_name(text: str) -> str:
    """``text`` as a dataset folder name that :func:`validate_dataset_name` accepts: accents
    dropped (:func:`ascii_letters`), runs of other characters become "-", and a Windows device
    name gets "-data" ('con' -> 'con-data')."""
    text = ascii_letters(text)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).replace("..", "-").strip("-.")[:64]
    name = name.strip("-.") or "uploaded"
    if unportable_reason(name):
        name = f"{name[:59]}-data"
    return name


def _dataset_folder(path: Path) -> Path:
    """``path`` if it holds a dataset, else its single sub-folder that does."""
    if detect_layout(path):
        return path
    inner = [p for p in sorted(path.iterdir()) if p.is_dir() and detect_layout(p)]
    if len(inner) == 1:
        return inner[0]
    special = [
        name
        for files in LAYOUT_FILES.values()
        for name in files
        if (path / name).exists() and not (path / name).is_file()
    ]
    if special:  # a pipe, device or folder under a ratings file's name
        raise DataError(
            f"{path / special[0]} is not a regular file (a folder, pipe or device), so it holds "
            "no ratings to read. Put the ratings file itself there."
        )
    raise DataError(
        f"{path} holds no MovieLens dataset: expected ratings.csv (+ movies.csv), u.data (ml-100k) "
        "or ratings.dat (ml-1m / ml-10m) in it or in one sub-folder."
    )


def check_download_url(url: str) -> str:
    """``url`` if it is a download address urllib can fetch, else DataError naming
    ``MOVIERATE_DOWNLOAD_URL`` (the only way a download address goes wrong)."""
    problem = None
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError as err:
        problem = str(err)
    else:
        if parts.scheme not in ("http", "https", "ftp", "file"):
            problem = "it does not start with http://, https://, ftp:// or file://"
        elif parts.scheme != "file" and not parts.hostname:
            problem = "it names no server"
        elif any(c.isspace() for c in url):
            problem = "it contains spaces"
        elif parts.query or parts.fragment:  # bad-input round 14: "...?x=1/ml-latest-small.zip"
            problem = "it has a ?query or #fragment, after which no zip name can follow"
    if problem:
        base = os.environ.get("MOVIERATE_DOWNLOAD_URL", "")
        raise DataError(
            f"MOVIERATE_DOWNLOAD_URL={base!r} is not a usable URL ({problem}); set it to the "
            "folder the MovieLens zips are served from, e.g. "
            "https://files.grouplens.org/datasets/movielens, or unset it for that default."
        )
    return url


def _fetch(url: str, sink, progress: Progress | None, limit: int | None = None) -> str:
    """Stream ``url`` into ``sink``; returns the MD5 of what arrived. DownloadError on failure.

    Stops a download larger than ``limit`` bytes (default: :func:`max_extract_bytes`), one
    slower than :data:`MIN_DOWNLOAD_RATE` over :data:`RATE_WINDOW` seconds, and one taking
    longer than :data:`DOWNLOAD_DEADLINE` seconds.
    """
    name = PurePosixPath(url).stem
    limit = max_extract_bytes() if limit is None else limit
    digest = hashlib.md5(usedforsecurity=False)
    started = time.monotonic()
    window_start, window_done = started, 0
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            if response.headers.get_content_type() == "text/html":
                raise DownloadError(
                    f"Could not download {url}: the server sent a web page, not a zip (a "
                    "network's sign-in page, or an error page). Open the address in a browser "
                    f"to see it; {_ways_out(name)}"
                )
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > limit:
                raise DownloadError(_too_big(url, name, total, limit))
            done = 0
            if progress:
                progress(0, total)
            read = getattr(response, "read1", response.read)  # what has arrived: no waiting
            while chunk := read(min(CHUNK, max(1, limit + 1 - done))):
                sink.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if done > limit:
                    raise DownloadError(_too_big(url, name, done, limit))
                now = time.monotonic()
                if now - started > DOWNLOAD_DEADLINE:
                    raise DownloadError(
                        f"The download of {url} took longer than {DOWNLOAD_DEADLINE / 60:.0f} "
                        f"minutes ({done:,} bytes so far) and was stopped. Try again later; "
                        f"{_ways_out(name)}"
                    )
                if now - window_start >= RATE_WINDOW:
                    if done - window_done < MIN_DOWNLOAD_RATE * (now - window_start):
                        raise DownloadError(
                            f"The download of {url} is too slow (under "
                            f"{MIN_DOWNLOAD_RATE / 1000:g} kB/s for {now - window_start:.0f} s; "
                            f"{done:,} bytes so far) and was stopped. Try again later; "
                            f"{_ways_out(name)}"
                        )
                    window_start, window_done = now, done
                if progress:
                    progress(done, total)
    except DownloadError:
        raise
    except urllib.error.HTTPError as err:
        raise DownloadError(
            f"Could not download {url}: the server answered {err.code} {err.reason}. "
            f"{_sentence(_ways_out(name))}"
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        offline = "." if url.lower().startswith("file:") else "; are you offline?"
        raise DownloadError(
            f"Could not download {url} ({reason}){offline} {_sentence(_ways_out(name))}"
        ) from None
    except http.client.HTTPException as err:  # bad-input round 14: "This is a bug" before
        raise DownloadError(  # a chunked download cut off, a server that is no web server
            f"Could not download {url}: the connection broke off or the server did not answer "
            f"as a web server ({type(err).__name__}: {str(err)[:200] or 'no details'}). Try "
            f"again; {_ways_out(name)}"
        ) from None
    except ValueError as err:  # urllib's "unknown url type" and the like
        raise DataError(
            f"Could not download {url}: {err}. Check MOVIERATE_DOWNLOAD_URL (unset it for the "
            "GroupLens default)."
        ) from None
    if total is not None and done != total:
        raise DownloadError(
            f"The download of {url} stopped after {done:,} of {total:,} bytes. Try again; if it "
            f"keeps failing, {_ways_out(name)}"
        )
    return digest.hexdigest()


def _too_big(url: str, name: str, size: int, limit: int) -> str:
    return (
        f"The download of {url} is larger than {limit:,} bytes (MOVIERATE_MAX_EXTRACT_BYTES; "
        f"{size:,} bytes) and was stopped: no MovieLens zip is that large. Check "
        f"MOVIERATE_DOWNLOAD_URL, or raise MOVIERATE_MAX_EXTRACT_BYTES if it really is; "
        f"{_ways_out(name)}"
    )


def _published_md5(url: str) -> str | None:
    """The checksum in GroupLens' ``<zip>.md5`` file, or None if the server has none."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            if response.headers.get_content_type() == "text/html":
                return None  # a web page (a soft 404, a login portal) holds no checksum
            text = response.read(4096).decode("ascii", "replace")
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return None
    match = _MD5.search(text)
    return match.group(1).lower() if match else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ways_out(name: str) -> str:
    known = KNOWN_DATASETS.get(name)
    zip_name = known.zip_name if known else f"{name}.zip"
    folder = known.folder if known else name
    return (
        f"either put {zip_name} (from https://grouplens.org/datasets/movielens/) in "
        f"{config.data_dir()}, or set MOVIERATE_DATA_DIR to a folder that holds an extracted "
        f"{folder}/ copy."
    )
