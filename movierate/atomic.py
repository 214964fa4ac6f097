"""Atomic file and folder writes: the one place that writes via a temporary path and a rename.

A reader sees either the old content or the new one, never half a file: a file is written to
a hidden temporary sibling and renamed with ``os.replace``; a folder is filled under a hidden
staging name and renamed into place by :func:`publish_folder`. A failure (or a kill) leaves at
most a hidden temporary entry, never a half-written target.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_json(folder / "meta.json", {"a": 1}).read_text()
'{\\n  "a": 1\\n}\\n'
>>> with staging_folder(folder, ".tmp-") as staged:
...     _ = write_text(staged / "x.txt", "hello")
...     published = publish_folder(staged, folder / "data")
>>> (published / "x.txt").read_text(), sorted(p.name for p in folder.iterdir())
('hello', ['data', 'meta.json'])
>>> shutil.rmtree(folder)
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temp_sibling(path: Path) -> Path:
    """A hidden, unique name next to ``path`` for writing it before the rename."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


@contextmanager
def open_atomic(path: str | Path, *, fsync: bool = False) -> Iterator[IO[bytes]]:
    """A binary file to write ``path`` through: renamed onto ``path`` only if the block succeeds.

    On an error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    temp = temp_sibling(path)
    try:
        with temp.open("wb") as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with open_atomic(path, fsync=fsync) as f:
        f.write(data)
    return Path(path)


def write_text(path: str | Path, text: str, *, fsync: bool = False) -> Path:
    """Write UTF-8 ``text`` (``\\n`` line ends kept as they are) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), fsync=fsync)


def write_json(path: str | Path, value: Any, *, indent: int = 2, fsync: bool = False) -> Path:
    """Write ``value`` as strict JSON (no NaN) plus a final newline to ``path`` atomically."""
    text = json.dumps(value, indent=indent, allow_nan=False) + "\n"
    return write_text(path, text, fsync=fsync)


@contextmanager
def staging_folder(parent: str | Path, prefix: str) -> Iterator[Path]:
    """A new hidden folder ``parent/<prefix><random>`` to fill before :func:`publish_folder`.

    Whatever is still there when the block ends (an error, or nothing published) is removed.
    ``prefix`` should start with '.', so listings skip the folder while it exists.
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    staged = parent / f"{prefix}{uuid.uuid4().hex[:8]}"
    staged.mkdir()
    try:
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    """Flush every file directly in ``folder`` and the folder itself to disk."""
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_folder(
    staged: Path,
    final: Path,
    *,
    replace: bool = False,
    fsync: bool = False,
    trash_prefix: str = ".old-",
) -> Path:
    """Rename the finished folder ``staged`` to ``final``; returns ``final``.

    With ``replace``, an existing ``final`` is first renamed aside (to a hidden
    ``<trash_prefix><name>-<random>`` sibling, put back if the rename fails) and removed once
    the new folder is in place. Without it, the rename itself guards the race with another
    writer: FileExistsError if ``final`` exists (non-empty) by then. ``fsync`` flushes the
    staged files first.
    """
    if fsync:
        fsync_tree(staged)
    trash = None
    if replace and final.exists():
        trash = final.parent / f"{trash_prefix}{final.name}-{uuid.uuid4().hex[:8]}"
        os.rename(final, trash)
    try:
        os.rename(staged, final)
    except OSError as exc:
        if trash is not None and not final.exists():
            os.rename(trash, final)
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR):
            raise FileExistsError(exc.errno, f"{final} already exists") from None
        raise
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
    return final


def remove_folder_now(path: Path, trash_prefix: str = ".trash-") -> None:
    """Delete ``path``: renamed aside first (so it vanishes at once), then removed.

    FileNotFoundError if it is gone already.
    """
    trash = path.parent / f"{trash_prefix}{path.name}-{uuid.uuid4().hex[:8]}"
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)
