"""Where movierate keeps its files, configured by environment variables.

- ``MOVIERATE_HOME`` (default ``~/.movierate``): root of everything movierate writes.
- ``MOVIERATE_DATA_DIR`` (optional): an extra folder searched first for extracted MovieLens
  folders or official zips (it may be read-only). Point it at a copy you already have to work
  offline.
- ``$MOVIERATE_HOME/data``: where downloads and uploads are stored and extracted.
- ``$MOVIERATE_HOME/cache``: fast binary (parquet) copies of parsed datasets.
- ``MOVIERATE_MODELS_DIR`` (default ``$MOVIERATE_HOME/models``): one folder per trained model.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

from movierate.errors import DataError, StoreError
from movierate.filenames import bytes_escaped


def _setting(variable: str, error: type[Exception] = StoreError) -> Path | None:
    """The folder an environment variable names, absolute (``~`` expanded; a relative value
    taken from the current folder once, so messages show where it is); None when unset or
    blank (a blank value would otherwise put files in whatever folder the program started
    from). ``error`` when ``~user`` names no user of this system, or when the value holds a
    ``$VAR`` that nothing expanded."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if problem := _written_as_code(variable, value):
        raise error(problem)
    try:
        return Path(value).expanduser().absolute()
    except RuntimeError:  # "~nosuchuser/...": no such user's home to expand
        raise error(
            f"{variable}={value!r} starts with a user name this system does not have; give an "
            "absolute path."
        ) from None


def _written_as_code(variable: str, value: str) -> str | None:
    """Why ``value`` looks like shell text nothing interpreted, when no folder has it as its
    name: a ``$VAR`` that is set (bad-input round 16: a folder literally named "$HOME" was
    made; a .env file, a service's Environment= line or Docker's --env-file pass values as
    written), or quotes around the whole value; else None (a real folder named ``price$5`` is
    used as it is: recheck B, s26)."""
    with contextlib.suppress(OSError, ValueError, RuntimeError):  # RuntimeError: ~nosuchuser
        if Path(value).expanduser().exists():
            return None
    shown = bytes_escaped(value)
    expanded = os.path.expandvars(value)
    if expanded != value:
        found = re.search(r"\$(\w+|\{[^}]*\})", value)
        return (
            f"{variable}={shown!r} holds {found.group() if found else '$'}, which nothing "
            "expanded (a .env file, a service's Environment= line or Docker's --env-file pass "
            f"it as written); give the path itself, e.g. {bytes_escaped(expanded)!r}."
        )
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return (
            f"{variable}={shown} is wrapped in quotes, which nothing removed (a .env file or a "
            f"service's Environment= line keeps them); give it without them: {shown[1:-1]!r}."
        )
    return None


def home_dir() -> Path:
    """Root folder of movierate's files (read from the environment on every call)."""
    return _setting("MOVIERATE_HOME") or Path.home() / ".movierate"


def data_dir() -> Path:
    """Writable folder where downloaded or uploaded datasets are stored and extracted."""
    return home_dir() / "data"


def extra_data_dir() -> Path | None:
    """Optional (possibly read-only) folder searched first for datasets: ``MOVIERATE_DATA_DIR``.

    DataError if it is set to a file or to a folder that does not exist (a typo would
    otherwise be ignored silently, and the datasets looked for elsewhere).
    """
    folder = _setting("MOVIERATE_DATA_DIR", DataError)
    if folder is None:
        return None
    env = os.environ["MOVIERATE_DATA_DIR"]
    try:
        is_dir = folder.is_dir()
        exists = is_dir or folder.exists()
    except (OSError, ValueError):  # a name the system refuses
        is_dir = exists = False
    if not is_dir:
        what = "is a file, not a folder" if exists else "does not exist"
        raise DataError(
            f"MOVIERATE_DATA_DIR={bytes_escaped(env)!r} {what}; point it at a folder holding "
            "extracted MovieLens folders or their zips, or unset it."
        )
    try:
        str(folder).encode("utf-8")
    except UnicodeEncodeError:  # pyarrow cannot open its files (bad-input round 16: "a bug")
        raise DataError(
            f"MOVIERATE_DATA_DIR='{bytes_escaped(env)}' has bytes that are no UTF-8 text in its "
            "path, so its files cannot be read; rename the folder (or one above it) to plain "
            "text, or point MOVIERATE_DATA_DIR at another folder."
        ) from None
    return folder


def cache_dir() -> Path:
    """Folder for parquet copies of parsed datasets and other rebuildable caches."""
    return home_dir() / "cache"


def models_dir() -> Path:
    """Folder holding one sub-folder per trained model."""
    return _setting("MOVIERATE_MODELS_DIR") or home_dir() / "models"


def models_dir_setting() -> str:
    """Which setting decides :func:`models_dir`: the variable to change when it cannot be used."""
    if os.environ.get("MOVIERATE_MODELS_DIR", "").strip():
        return "MOVIERATE_MODELS_DIR"
    if os.environ.get("MOVIERATE_HOME", "").strip():
        return "MOVIERATE_HOME (the models go in its models folder)"
    return "MOVIERATE_HOME (unset: ~/.movierate; the models go in its models folder)"


def home_setting() -> str:
    """How :func:`home_dir` was chosen, for messages: the variable, or its default."""
    return (
        "MOVIERATE_HOME"
        if os.environ.get("MOVIERATE_HOME", "").strip()
        else "MOVIERATE_HOME (unset: ~/.movierate)"
    )


def locale_problem() -> str | None:
    """Why movierate's folders cannot be used under this process's locale, or None: with a
    file-system encoding that is not UTF-8 (a Latin-1 locale such as ``en_US`` without
    ``.UTF-8``), a folder path that is not ASCII reaches pyarrow as another path, and saves,
    imports and the data cache fail with "No such file or directory" after the work is done
    (bad-input round 11)."""
    if sys.getfilesystemencoding().lower().replace("-", "") == "utf8":
        return None
    folders = [home_dir(), models_dir(), extra_data_dir() or home_dir()]
    odd = next((str(f) for f in folders if not str(f).isascii()), None)
    if odd is None:
        return None
    odd = bytes_escaped(odd)
    return (
        f"This process runs with the {sys.getfilesystemencoding()} file-name encoding (its "
        f"locale), and the folder {odd} is not plain ASCII, so its files cannot be written "
        "or read reliably. Run with a UTF-8 locale (e.g. LANG=C.UTF-8) or PYTHONUTF8=1, or "
        "use folders whose paths are ASCII."
    )
