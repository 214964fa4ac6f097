"""What every command shares on the terminal: argument checks for paths, one-line errors,
dataset notices, and a quiet exit when the reader of stdout has gone (``| head``)."""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from movierate import config
from movierate.cli.command import EXIT_OK, EXIT_SAVED_AS_OTHER_NAME
from movierate.errors import MovierateError
from movierate.filenames import UTF8_LOCALE_HINT, bytes_escaped, path_shown, utf8_read_as_bytes

#: Longest file or folder name most file systems take (bytes), and the longest path.
NAME_MAX, PATH_MAX = 255, 4096
#: Runs of non-space characters longer than this are clipped in error lines.
LONG_WORD = 160


class ArgumentError(MovierateError, ValueError):
    """A command-line argument the system cannot use as a name or path."""


def whole_number(allowed: str) -> Callable[[str], int]:
    """An argparse type reading a whole number; for text that is none (``2.5``, ``1e9``) its
    error says ``allowed`` ("use a whole number from 1 to 1024"), not argparse's bare "invalid
    int value" (bad-input round 48, F3). The range itself is checked where the value is used."""

    def parse(text: str) -> int:
        if not ASCII_WHOLE.fullmatch(text):  # int() took ' 8' and Arabic-Indic digits (fuzz66)
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number in digits: {allowed}")
        return int(text)

    return parse


#: A whole number as the messages ask for it: ASCII digits 0-9, a minus sign at most.
ASCII_WHOLE = re.compile(r"-?[0-9]+")


def check_path_argument(value: str, what: str, *, name_first: bool = False) -> str:
    """``value`` if the OS can take it as a name or path, else ArgumentError saying why.

    Catches what the OS refuses before any work starts: an empty path, a NUL character, a
    name (one path component) longer than 255 bytes (ENAMETOOLONG), a path longer than 4096
    bytes, and a relative path where the current folder no longer exists. ``name_first``: a value without
    a path separator is read as a name (a dataset's), which needs no current folder.
    """
    if not value.strip() and not name_first:  # fuzz66, F9: `import ''` read as "."
        raise ArgumentError(f"{what} is empty: give a path.")
    if "\x00" in value:
        raise ArgumentError(f"{what} contains a NUL character; no file name can hold one.")
    encoding = sys.getfilesystemencoding()
    ascii_locale = encoding.lower().replace("-", "") != "utf8"
    # valid UTF-8 read as bytes through an ASCII locale (LC_ALL=C PYTHONUTF8=0) is the locale's
    # fault, not the name's (bad-input round 59, M2)
    read = utf8_read_as_bytes(value) if ascii_locale else None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # pyarrow cannot open it: said now, not as "a bug" (round 10)
        if read is None:
            raise ArgumentError(
                f"{what} holds bytes that are no UTF-8 text ({bytes_escaped(value)}): the "
                "files cannot be read under that name. Rename the folder (or file) to plain "
                "text."
            ) from None
    if not value.isascii() and ascii_locale:
        raise ArgumentError(  # pyarrow would open another path (recheck 3)
            f"{what} is not plain ASCII ({clip(read or value)}) and this process runs with the "
            f"{encoding} file-name encoding (its locale), so its files cannot be read reliably. "
            f"{UTF8_LOCALE_HINT}, or use an ASCII path."
        )
    encoded = os.fsencode(value)
    if len(encoded) > PATH_MAX:
        raise ArgumentError(
            f"{what} is too long ({len(encoded):,} bytes; the system takes paths of up to "
            f"{PATH_MAX:,}): {clip(value)}. Use a shorter name or path."
        )
    longest = max(encoded.split(b"/"), key=len, default=b"")
    if len(longest) > NAME_MAX:
        raise ArgumentError(
            f"{what} is too long: one name in it has {len(longest):,} bytes, the system takes "
            f"up to {NAME_MAX} ({clip(value)}). Use a shorter name or path."
        )
    is_name = name_first and not any(sep in value for sep in ("/", os.sep)) and value.strip(".")
    if not is_name:
        config.absolute_path(value, f"{what} {clip(value)!r}", ArgumentError)
    return value


def writable_folder(value: str, what: str) -> Path:
    """The folder ``value`` (created if missing), checked writable now, not after the work,
    and outside movierate's own folders (:func:`movierate.store.check_outside_managed`)."""
    from movierate import store

    check_path_argument(value, what)
    folder = Path(value).expanduser()
    store.check_outside_managed(folder, f"{what if what.startswith('--') else '--out'} ./study")
    if folder.is_symlink() and not folder.is_dir():  # mkdir said "File exists" (recheck 2)
        raise ArgumentError(
            f"{what} {clip(value)} is a link to a folder that does not exist (or a loop of "
            "links): create or mount its target, remove the link, or give another folder."
        )
    if folder.exists() and not folder.is_dir():  # fuzz66, F9: /dev/null said "File exists"
        kind = "a file" if folder.is_file() else "a device or other special file"
        raise ArgumentError(f"{what} {clip(value)} is {kind}, not a folder: give a folder path.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".movierate-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:  # fuzz66, F9: /proc/x said only "No such file or directory"
        raise ArgumentError(
            f"{what} {clip(value)} cannot be used: {os_error_text(exc)}. Give a folder you "
            "may create and write files in."
        ) from None
    return folder


def clip(text: Any, keep: int = 60) -> str:
    """``text`` shortened to ``keep`` characters plus a count when it is longer."""
    text = str(text)
    return text if len(text) <= keep else f"{text[:keep]}… ({len(text):,} characters)"


#: A long run of non-space characters: quotes or brackets around it, and the punctuation
#: after it, are no part of the name it is (bad-input round 18: a 250-character name was
#: counted as 253 and its colon lost).
_LONG_WORD = re.compile(
    rf"(?<!\S)([\'\"(\[<{{]*)(\S{{{LONG_WORD},}}?)([\'\")\]>}}]*)([:;,.!?]*)(?!\S)"
)


def clip_long_words(message: str) -> str:
    """An error message with very long runs (a 1,000-character name or path) clipped, each
    counted without the quotes around it and followed by its punctuation.

    >>> clip_long_words("name '" + "x" * 250 + "': use").replace("x" * 60, "x…x")
    "name 'x…x…' (250 characters): use"
    """

    def clipped(m: re.Match[str]) -> str:
        opening, word, closing, punctuation = m.groups()
        if "/" in word:  # a path: cut in the middle, its last name kept (bad-input round 31)
            return f"{opening}{path_shown(word, LONG_WORD)}{closing}{punctuation}"
        return f"{opening}{word[:60]}…{closing} ({len(word):,} characters){punctuation}"

    return _LONG_WORD.sub(clipped, message)


def os_error_text(exc: OSError) -> str:
    """One line for an OSError: what the system said, about which path, and a hint."""
    what = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    text = f"{what}: {path_shown(where)}" if where is not None else what
    if exc.errno == errno.ENAMETOOLONG:
        text += " (the system refuses a name or path that long; use a shorter one)"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        text += (  # recheck B (s27): MOVIERATE_HOME cannot help with an input file of the user's
            " (check the permissions of that file and its folder: chmod, or chown where another "
            "user owns them; or set MOVIERATE_HOME to a folder you may read and write)"
            if _in_movierates_folders(where)
            else " (check the permissions of that file and of the folders above it)"
        )
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is used up"
        elsewhere = (  # bad-input round 20: a full MOVIERATE_HOME offered only freeing space
            ", or set MOVIERATE_HOME to a folder on another disk," if _in_movierates_folders(where)
            else ""
        )  # fmt: skip
        text += f" ({full}: free some space{elsewhere} and try again)"
    elif exc.errno == errno.EFBIG:
        text += " (a file reached the size limit set on this process: is `ulimit -f` set?)"
    elif (
        exc.errno == errno.ENOENT
        and not os.path.isabs(os.fsdecode(where or ""))
        and config.current_folder() is None
    ):  # a relative path no check foresaw (bad-input round 18: a bare "No such file ...")
        text += (
            " (the current folder no longer exists, so no relative path can be used; cd to an "
            "existing folder or give absolute paths)"
        )
    return text


def _in_movierates_folders(path: str | bytes | os.PathLike | None) -> bool:
    """Whether ``path`` is in MOVIERATE_HOME or the models folder (or no path is known), where
    another MOVIERATE_HOME helps; not for a file the user named, such as an input."""
    if path is None:
        return True
    try:
        here = Path(os.path.abspath(os.fsdecode(path)))
        return any(here.is_relative_to(root) for root in (config.home_dir(), config.models_dir()))
    except (MovierateError, OSError, ValueError):  # a setting that cannot be read, no cwd
        return True


#: What a native library says when the process may not have more memory (address space);
#: a thread's stack is address space too: under ``ulimit -v 3500000`` saving a trained model
#: failed on "can't start new thread", said as a bug (bad-input round 19).
_NO_MEMORY = (
    "failed to map segment",
    "cannot allocate memory",
    "bad_alloc",
    "out of memory",
    "can't start new thread",
)


def memory_text(exc: BaseException) -> str | None:
    """One line when ``exc`` says the process ran out of memory (a MemoryError, or a library
    that could not map or allocate: under ``ulimit -v`` TensorFlow cannot even load); None for
    any other error."""
    said = str(exc).casefold()
    if not isinstance(exc, MemoryError) and not any(s in said for s in _NO_MEMORY):
        return None
    return (
        f"not enough memory ({clip(type(exc).__name__ + ': ' + str(exc), 120)}). Free some "
        "memory, or raise the limit on this process (is `ulimit -v` set? TensorFlow alone "
        "needs several GB of address space to load), then try again."
    )


#: Characters that would steer a terminal rather than show (ESC, C1 controls, bidi overrides).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\x1b``), line breaks and tabs
    kept: a file or model name from the data never moves the cursor or colours the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def one_line(text: str) -> str:
    """:func:`printable` with line breaks and tabs escaped too (``\\n``): a listed folder name
    that holds one stays on its line."""
    return printable(text).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


#: What movierate's own symbols become on a stream that cannot write them (an ASCII stdout).
PLAIN_SYMBOLS = str.maketrans(
    {"±": "+/-", "–": "-", "—": "-", "…": "...", "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x"}
)


def encodable(text: str, encoding: str) -> str:
    r"""``text`` as ``encoding`` can write it: movierate's symbols spelled plainly (± as +/-),
    anything else as a backslash escape.

    >>> encodable("0.91 ± 0.02 for Amélie", "ascii")
    '0.91 +/- 0.02 for Am\\xe9lie'
    """
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        plain = text.translate(PLAIN_SYMBOLS)
        return plain.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # an encoding Python does not know: ASCII is safe
        return encodable(text, "ascii")


class PrintableStream:
    """A text stream that writes :func:`printable` text to ``stream`` (None, as Python gives
    for a closed descriptor (``>&-``): nothing is written)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if self.stream is None:
            return 0
        text = printable(text)
        try:
            return self.stream.write(text)
        except UnicodeEncodeError:  # an ASCII stdout (bad-input round 40: '±' ended a saved
            encoding = getattr(self.stream, "encoding", None) or "ascii"  # training as a "bug")
            return self.stream.write(encodable(text, encoding))

    def write_control(self, code: str) -> int:
        """Write a control sequence of movierate's own as is (a progress bar's ``\r\x1b[K``:
        CLI round 3 saw it printed as text once stderr escaped everything)."""
        return 0 if self.stream is None else self.stream.write(code)

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()

    def isatty(self) -> bool:
        return self.stream is not None and bool(getattr(self.stream, "isatty", bool)())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class ResultStream(PrintableStream):
    """stdout: a reader that went away still raises BrokenPipeError (a listing stops there);
    any other failed write (a full disk) is kept in :attr:`failure` and the rest of the output
    dropped, so the command itself still finishes (a training is saved, a rename done)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.failure: OSError | None = None
        #: Whether anything was written: a ``--json`` command's error record goes only to an
        #: empty stdout, so a script never reads two JSON documents.
        self.written = False

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return self._guarded(super().write, text)

    def write_control(self, code: str) -> int:
        return self._guarded(super().write_control, code)

    def flush(self) -> None:
        self._guarded(super().flush)

    def _guarded(self, action: Any, *args: Any) -> Any:
        if self.failure is not None:
            return 0
        try:
            return action(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            self.failure = exc
            detach_stdout()  # what is still buffered goes nowhere, not to a failing exit flush
            return 0


class DiagnosticStream(PrintableStream):
    """stderr: progress, notes and warnings only say how a command goes, so a write that fails
    (the reader of ``2>&1 | head`` gone, a closed or full stderr) never ends the command: the
    stream goes quiet from then on."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.quiet = False

    def write(self, text: str) -> int:
        return self._guarded(super().write, text)

    def write_control(self, code: str) -> int:
        return self._guarded(super().write_control, code)

    def flush(self) -> None:
        self._guarded(super().flush)

    def _guarded(self, action: Any, *args: Any) -> Any:
        if self.quiet:
            return 0
        try:
            return action(*args)
        except (OSError, ValueError):  # ValueError: a stream closed under us
            self.quiet = True
            return 0


def error_line(message: str) -> str:
    """The one ``error: ...`` line printed for a user error."""
    return "error: " + clip_long_words(printable(" ".join(str(message).split())))


def print_notes(ds: Any, stream: Any = None, *, scale: bool = True, full: bool = False) -> None:
    """The dataset's notices (dropped duplicates, inferred scale ...) as ``note:`` lines;
    ``scale=False`` leaves out those about an inferred rating scale (for a saved model, whose
    scale is recorded: they change nothing for it). A twins notice is one line pointing to
    ``datasets``, which passes ``full=True`` (views round 35, F8)."""
    from movierate.data.build import is_scale_notice
    from movierate.data.twins import brief_notice

    notices = ds.notices() if hasattr(ds, "notices") else list(getattr(ds, "warnings", []))
    look = _datasets_command(ds)
    for notice in notices:
        if not scale and is_scale_notice(notice):
            continue
        shown = notice if full else brief_notice(notice, look)
        print(f"note: {clip_long_words(shown)}", file=stream or sys.stderr)


def _datasets_command(ds: Any) -> str:
    """The ``datasets`` command that describes ``ds``: by its name where that finds it, else by
    its folder."""
    import shlex

    from movierate.data.acquire import find_local

    name, source = getattr(ds, "name", ""), getattr(ds, "source", None)
    if source and not (name and find_local(name) == Path(source)):
        name = str(source)
    return f"`python -m movierate datasets {shlex.quote(name)}`" if name else "`datasets`"


def detach_stdout() -> None:
    """After the reader of stdout went away: send what is still buffered to /dev/null, so
    the interpreter's final flush raises no BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    except Exception:  # e.g. io.UnsupportedOperation from a captured stream
        pass


def print_taken_note(
    asked: str, saved: str, what: str = "training", *, chosen: bool, overwrite: bool = False
) -> int:
    """Say on stderr that ``asked`` was taken while the run worked, so it saved as ``saved``;
    returns the exit code: EXIT_SAVED_AS_OTHER_NAME where the user ``chosen`` the name. With
    ``overwrite``, the note says that another run's model saved under ``asked`` meanwhile was
    kept, not replaced (fuzz66, F2)."""
    if saved == asked:
        return EXIT_OK
    code = EXIT_SAVED_AS_OTHER_NAME if chosen else EXIT_OK
    taken = (
        f"another run saved a model as {asked!r} while this {what} ran; --overwrite replaces "
        "only the model that was there when it started, so that one is kept and this one is "
        f"saved as {saved!r}"
        if overwrite
        else f"the name {asked!r} was taken (another run's save or a rename) while this "
        f"{what} ran, so it is saved as {saved!r}"
    )
    print(
        f"note: {taken}"
        + (f" (exit code {code}: the model is saved, not under --name)" if chosen else ""),
        file=sys.stderr,
    )
    return code
