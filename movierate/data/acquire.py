"""Finding, downloading, verifying and extracting MovieLens datasets.

Search order for a dataset name: ``MOVIERATE_DATA_DIR`` (optional, read-only), then
``config.data_dir()``; in each, the extracted folder first, then the official zip (extracted into
``data_dir()``). A known GroupLens name found nowhere is downloaded from
``$MOVIERATE_DOWNLOAD_URL/<name>.zip`` (default GroupLens), checked against the ``.md5`` file
published beside it (or, without one, the zip's structure) and extracted atomically.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from movierate import atomic, config
from movierate.data.formats import LAYOUT_FILES, detect_layout
from movierate.data.registry import KNOWN_DATASETS, name_for_folder
from movierate.errors import DataError, DownloadError

Progress = Callable[[int, int | None], None]
"""``cb(done_bytes, total_bytes | None)``, called as bytes arrive."""

CUSTOM_FOLDER = "custom"
CHUNK = 1 << 20
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RATINGS_FILES = {files[-1] for files in LAYOUT_FILES.values()}


def search_dirs() -> list[Path]:
    """Folders searched for datasets, first match wins: MOVIERATE_DATA_DIR, then data_dir()."""
    extra = config.extra_data_dir()
    return [d for d in (extra, config.data_dir()) if d is not None]


def validate_dataset_name(name: str) -> str:
    """``name`` if it is a safe folder name for a dataset, else DataError saying what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name) or name in KNOWN_DATASETS:
        taken = " (that is a GroupLens dataset's name)" if name in KNOWN_DATASETS else ""
        raise DataError(
            f"Invalid dataset name {name!r}{taken}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


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


def locate(name_or_path: str | os.PathLike, progress: Progress | None = None) -> tuple[Path, str]:
    """(extracted folder, dataset name) for a name or a path; downloads a missing known set.

    A bare name (no path separator) is a dataset name first; a folder or ``.zip`` path is
    opened as it is (a zip is extracted into ``data_dir()``).
    """
    text = str(name_or_path)
    is_name = isinstance(name_or_path, str) and "/" not in text and os.sep not in text
    if is_name:
        folder = find_local(text)
        if folder is not None:
            return folder, text
        zipped = find_local_zip(text)
        if zipped is not None:
            return _extract_file(zipped, expected=text), text
        if text in KNOWN_DATASETS:
            return download_dataset(text, progress=progress), text
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        folder = _dataset_folder(path)
        return folder, name_for_folder(folder.name)
    if path.suffix == ".zip" and path.is_file():
        folder = _extract_file(path)
        return folder, name_for_folder(folder.name)
    if not is_name:
        raise DataError(f"{text} is not a folder or a .zip file; check the path.")
    raise DataError(
        f"Unknown dataset {text!r}. Known GroupLens datasets: {', '.join(KNOWN_DATASETS)}; "
        f"datasets on this machine: {', '.join(local_names()) or 'none'}. Pass a folder path to "
        "load any folder in a MovieLens layout, or import your own file with from_csv()."
    )


def _extract_file(path: Path, expected: str | None = None) -> Path:
    with path.open("rb") as f:
        return extract_zip(f, path.name, expected=expected)


def local_names() -> list[str]:
    """Names of every dataset folder found in the searched folders (known or not)."""
    names: dict[str, None] = {}
    for base in search_dirs():
        for parent in (base, base / CUSTOM_FOLDER):
            if not parent.is_dir():
                continue
            for folder in sorted(parent.iterdir()):
                if folder.is_dir() and not folder.name.startswith(".") and detect_layout(folder):
                    names[name_for_folder(folder.name)] = None
    return list(names)


def download_dataset(name: str, progress: Progress | None = None) -> Path:
    """Make GroupLens dataset ``name`` available locally and return its extracted folder.

    Does nothing when it is already here. Raises DownloadError naming the URL and the ways out.
    """
    known = KNOWN_DATASETS.get(name)
    if known is None:
        raise DataError(
            f"{name!r} is not a GroupLens dataset; choose one of: {', '.join(KNOWN_DATASETS)}."
        )
    folder = find_local(name)
    if folder is not None:
        return folder
    zipped = find_local_zip(name)
    if zipped is not None:
        return _extract_file(zipped, expected=name)
    target = config.data_dir()
    target.mkdir(parents=True, exist_ok=True)
    url = known.url
    with tempfile.TemporaryFile(dir=target) as part:
        md5 = _fetch(url, part, progress)
        expected = _published_md5(url + ".md5")
        if expected is not None and expected != md5:
            raise DownloadError(
                f"The download of {url} is corrupt: its MD5 is {md5} but {url}.md5 says "
                f"{expected}. Try again; if it keeps failing, {_ways_out(name)}"
            )
        part.seek(0)
        try:
            return extract_zip(part, known.zip_name, expected=name)
        except DataError as err:
            raise DownloadError(
                f"{url} did not give a usable {name} zip: {err} {_sentence(_ways_out(name))}"
            ) from None


def import_zip(zip_bytes: bytes, filename: str) -> str:
    """Store and extract an uploaded MovieLens zip; returns the name to ``load_dataset`` it by."""
    folder = extract_zip(zip_bytes, filename)
    return name_for_folder(folder.name)


def extract_zip(zip_file: bytes | BinaryIO, filename: str, expected: str | None = None) -> Path:
    """Extract the dataset folder in a zip into ``data_dir()`` atomically; returns the folder.

    Refuses unsafe member paths (absolute, ``..``, links), zips without a MovieLens layout and
    (when ``expected`` is a known name) a zip holding a different dataset.
    """
    archive = _open_zip(zip_file, filename)
    with archive:
        members = [m for m in archive.infolist() if not _ignored(m.filename)]
        for member in members:
            _check_member(member, filename)
        prefix = _dataset_prefix(members, filename)
        folder_name = prefix.name if prefix.parts else _folder_from_filename(filename)
        if expected in KNOWN_DATASETS and folder_name != KNOWN_DATASETS[expected].folder:
            raise DataError(
                f"{filename} holds {folder_name!r}, not {expected}. Put the official "
                f"{KNOWN_DATASETS[expected].zip_name} there instead."
            )
        target = config.data_dir()
        target.mkdir(parents=True, exist_ok=True)
        with atomic.staging_folder(target, ".extract-") as temp:
            try:
                staged = temp / folder_name
                staged.mkdir()
                for member in members:
                    path = PurePosixPath(member.filename)
                    if member.is_dir() or not path.is_relative_to(prefix) or path == prefix:
                        continue  # folders are made as needed; files beside the dataset skipped
                    relative = path.relative_to(prefix)
                    out = staged.joinpath(*relative.parts)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst, CHUNK)
                if not detect_layout(staged):
                    raise DataError(f"{filename}: the extracted folder has no ratings file.")
                return atomic.publish_folder(staged, target / folder_name, replace=True)
            except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as err:
                raise DataError(
                    f"{filename} is damaged or truncated ({err}); download or copy it again."
                ) from None


def _open_zip(zip_file: bytes | BinaryIO, filename: str) -> zipfile.ZipFile:
    stream = io.BytesIO(zip_file) if isinstance(zip_file, bytes | bytearray) else zip_file
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, EOFError, ValueError):
        size = stream.seek(0, io.SEEK_END)
        what = "empty" if not size else "not a zip archive, or it is truncated"
        raise DataError(
            f"{filename} is {what} ({size:,} bytes). Upload the complete zip as "
            "downloaded from grouplens.org (for example ml-latest-small.zip)."
        ) from None


def _ignored(member_name: str) -> bool:
    parts = PurePosixPath(member_name).parts
    return any(p == "__MACOSX" or p == ".DS_Store" for p in parts)


def _check_member(member: zipfile.ZipInfo, filename: str) -> None:
    name = member.filename.replace("\\", "/")
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
            f"(found: {shown}). Upload an official GroupLens zip, or use the CSV import for your "
            "own ratings file."
        )
    prefix = hits[0]
    if prefix.parts and not _NAME.match(prefix.name):
        raise DataError(f"{filename}: folder name {prefix.name!r} is not usable; rename it.")
    return prefix


def _folder_from_filename(filename: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(filename).stem).strip("-.")
    return stem[:64] or "uploaded"


def _dataset_folder(path: Path) -> Path:
    """``path`` if it holds a dataset, else its single sub-folder that does."""
    if detect_layout(path):
        return path
    inner = [p for p in sorted(path.iterdir()) if p.is_dir() and detect_layout(p)]
    if len(inner) == 1:
        return inner[0]
    raise DataError(
        f"{path} holds no MovieLens dataset: expected ratings.csv (+ movies.csv), u.data (ml-100k) "
        "or ratings.dat (ml-1m / ml-10m) in it or in one sub-folder."
    )


def _fetch(url: str, sink, progress: Progress | None) -> str:
    """Stream ``url`` into ``sink``; returns the MD5 of what arrived. DownloadError on failure."""
    name = PurePosixPath(url).stem
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(0, total)
            while chunk := response.read(CHUNK):
                sink.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except urllib.error.HTTPError as err:
        raise DownloadError(
            f"Could not download {url}: the server answered {err.code} {err.reason}. "
            f"{_sentence(_ways_out(name))}"
        ) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(
            f"Could not download {url} ({reason}); are you offline? {_sentence(_ways_out(name))}"
        ) from None
    if total is not None and done != total:
        raise DownloadError(
            f"The download of {url} stopped after {done:,} of {total:,} bytes. Try again; if it "
            f"keeps failing, {_ways_out(name)}"
        )
    return digest.hexdigest()


def _published_md5(url: str) -> str | None:
    """The checksum in GroupLens' ``<zip>.md5`` file, or None if the server has none."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            text = response.read(4096).decode("ascii", "replace")
    except (urllib.error.URLError, OSError):
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
