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
import errno
import os
import re
import shlex
import sys
from pathlib import Path

from movierate.errors import DataError, StoreError
from movierate.filenames import bytes_escaped

#: Relative settings made absolute, by (variable, value): each is resolved from the current
#: folder once per process, at first use (recheck B, s27: a training whose current folder was
#: deleted or moved mid-run resolved its home again at save time, and lost or misplaced it).
_RESOLVED: dict[tuple[str, str], Path] = {}


def _setting(variable: str, error: type[Exception] = StoreError) -> Path | None:
    """The folder an environment variable names, absolute (``~`` expanded; a relative value
    taken from the current folder once per process, at first use, so later moves of the current
    folder change nothing); None when unset or blank (a blank value would otherwise put files in
    whatever folder the program started from). ``error`` when ``~user`` names no user of this
    system, or when the value holds a ``$VAR`` that nothing expanded."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if (variable, value) in _RESOLVED:
        return _RESOLVED[variable, value]
    if problem := _written_as_code(variable, value):
        raise error(problem)
    try:
        path = absolute_path(value, f"{variable}={bytes_escaped(value)!r}", error)
    except RuntimeError:  # "~nosuchuser/...": no such user's home to expand
        raise error(
            f"{variable}={value!r} starts with a user name this system does not have; give an "
            "absolute path."
        ) from None
    if not Path(value).expanduser().is_absolute():
        _RESOLVED[variable, value] = path
    return path


def current_folder() -> Path | None:
    """The process's current folder, or None when it no longer exists (deleted or moved
    away after the shell changed into it)."""
    try:
        return Path(os.getcwd())
    except FileNotFoundError:
        return None


def gone_folder_text(named: str) -> str:
    """Why ``named`` (a setting or argument with its value) cannot be used: it is a relative
    path, and the folder it is relative to no longer exists."""
    return (
        f"{named} is a relative path and the current folder no longer exists (deleted or "
        "moved away); cd to an existing folder or give an absolute path."
    )


def absolute_path(
    value: str | os.PathLike, named: str, error: type[Exception] = StoreError
) -> Path:
    """``value`` with ``~`` expanded, made absolute from the current folder; ``error`` saying
    so (:func:`gone_folder_text`, naming ``named``) when it is relative and the current folder
    no longer exists (bad-input round 18: a bare "No such file or directory")."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    here = current_folder()
    if here is None:
        raise error(gone_folder_text(named))
    return here / path


def _written_as_code(variable: str, value: str) -> str | None:
    """Why ``value`` looks like shell text nothing interpreted (a .env file, a service's
    Environment= line or Docker's --env-file pass values as written), else None:

    - a ``$VAR`` that is set: refused even where a folder of the literal name exists (bad-input
      round 16 made a folder named "$HOME"; recheck D, s26: a later run then used it silently);
    - a ``$VAR`` that is not set, a ``$(...)`` or a backtick, where no folder has that literal
      name (a real folder named ``price$5`` is used as it is: recheck B, s26);
    - quotes around the value, or one stray quote at an end, where no such folder exists.
    """
    shown = bytes_escaped(value)
    # $NAME, ${NAME}, and Windows' %NAME% (recheck E, s26: a folder "%USERPROFILE%" was made)
    names = [a or b or c for a, b, c in re.findall(r"\$(?:(\w+)|\{(\w+)\})|%(\w+)%", value)]
    if set_names := [name for name in names if name in os.environ]:
        return (
            f"{variable}={shown!r} holds {set_names[0]}, a variable nothing expanded; give the "
            f"path itself, e.g. {bytes_escaped(_expanded(value))!r}"
            + (" (a folder of that literal name exists: move it away)" if _exists(value) else "")
            + "."
        )
    if _exists(value):
        return None
    if names or "$(" in value or "`" in value:
        what = f"{names[0]}, a variable that is not set" if names else "a command substitution"
        return f"{variable}={shown!r} holds {what}, and nothing expanded it; give the path itself."
    if value[:1] in "'\"" or value[-1:] in "'\"":
        return (
            f"{variable}={shown} starts or ends with a quote, which nothing removed (a .env file "
            f"or a service's Environment= line keeps them); give it without: "
            f"{shown.strip(chr(39) + chr(34))!r}."
        )
    return None


def _expanded(value: str) -> str:
    """``value`` with its set ``$NAME``, ``${NAME}`` and ``%NAME%`` variables expanded."""
    value = os.path.expandvars(value)
    return re.sub(r"%(\w+)%", lambda m: os.environ.get(m.group(1), m.group()), value)


def _exists(value: str) -> bool:
    """Whether a file or folder has the path ``value`` as written (``~`` expanded)."""
    with contextlib.suppress(OSError, ValueError, RuntimeError):  # RuntimeError: ~nosuchuser
        return Path(value).expanduser().exists()
    return False


def home_dir() -> Path:
    """Root folder of movierate's files (read from the environment on every call)."""
    return _setting("MOVIERATE_HOME") or (_setting("HOME") or _account_home()) / ".movierate"


def _account_home() -> Path:
    """The user's home from the account database: a blank ``HOME`` is unset, and
    ``Path.home()`` read it as "", the root (bad-input round 40: ``/.movierate``)."""
    try:
        import pwd

        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError, OSError):  # Windows: no pwd; Path.home() reads USERPROFILE
        return Path.home()


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


def folder_problem(root: Path, what: str, setting: str) -> str | None:
    """Why the ``what`` folder (``models``, ``data``) ``root`` cannot be used, or None (a
    missing one is made when needed): it, or a folder above it, is a file, a link to nothing,
    or may not be read (:func:`unreadable_text`)."""
    for path in (root, *root.parents):
        try:
            if path.is_dir():
                if path == root:
                    _check_listable(root)
                return None
            dead_link = path.is_symlink()
            a_file = not dead_link and path.exists()
        except PermissionError:
            return unreadable_text(root, what, setting)
        except OSError as exc:  # a loop of links on some systems, or a path refused outright
            if exc.errno != errno.ELOOP:  # bad-input round 40: ENAMETOOLONG read as a link
                return refused_text(root, what, setting, exc)
            dead_link, a_file = True, False
        where = f"The {what} folder" if path == root else "The folder"
        cannot = "" if path == root else f", so the {what} folder {root} cannot exist"
        if dead_link:
            return (
                f"{where} {path} is a link to a folder that does not exist (or a loop of "
                f"links){cannot}; mount or create its target, remove the link, or set {setting} "
                "to a folder."
            )
        if a_file:
            return (
                f"{where} {path} is a file, not a folder{cannot}; set {setting} to a folder (or "
                "move the file away)."
            )
    return None


#: The longest file or folder name most file systems take, in bytes.
NAME_MAX = 255


def refused_text(root: Path, what: str, setting: str, exc: OSError) -> str:
    """Why the system refuses the ``what`` folder ``root`` itself (not a file or link in the
    way): a name in its path too long, or the error's own words."""
    longest = max((len(os.fsencode(part)) for part in root.parts), default=0)
    if exc.errno == errno.ENAMETOOLONG or longest > NAME_MAX:
        why = (
            f"one name in its path has {longest:,} bytes and the system takes up to {NAME_MAX}"
            if longest > NAME_MAX
            else "its path is longer than the system takes"
        )
    else:
        why = f"the system refuses it ({exc.strerror or exc})"
    return f"The {what} folder {root} cannot be used: {why}; set {setting} to a shorter path."


def _check_listable(folder: Path) -> None:
    """PermissionError when ``folder``'s entries can be neither listed nor opened (no read or
    no search permission)."""
    os.stat(os.path.join(folder, "."))  # needs search (x) permission
    with os.scandir(folder):  # needs read (r) permission
        pass


def _blocked_folder(path: Path) -> Path:
    """The folder (``path`` or one above it) whose permissions keep ``path`` from being read:
    the highest one that cannot be searched, else ``path`` itself."""
    for folder in (*reversed(path.parents), path):
        try:
            _check_listable(folder) if folder == path else os.stat(os.path.join(folder, "."))
        except PermissionError:
            return folder
        except OSError:
            return path
    return path


def unreadable_text(root: Path, what: str, setting: str) -> str:
    """Why the ``what`` folder ``root`` cannot be used when this user may not read it (or a
    folder above it): the folder to fix and how. Never "a link to nothing": its files are
    there (recheck B, s27)."""
    blocked = _blocked_folder(root)
    where = "" if blocked == root else f" because {blocked} above it cannot be read"
    return (
        f"The {what} folder {root} cannot be read (permission denied){where}; give your user "
        f"read and search permission on {blocked} (e.g. `chmod u+rwx "
        f"{shlex.quote(str(blocked))}` as its owner), or set {setting} to a folder you can "
        f"read. The {'saved models' if what == 'models' else 'files'} themselves are untouched."
    )


def check_data_folder() -> Path:
    """The home's data folder; DataError (:func:`folder_problem`) when it cannot exist or be
    read, before anything is stored there (recheck B, s27: "Not a directory" and "Too many
    levels of symbolic links" for a home that is a file or under a link loop)."""
    folder = data_dir()
    if problem := folder_problem(folder, "data", home_setting()):
        raise DataError(problem)
    return folder


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
