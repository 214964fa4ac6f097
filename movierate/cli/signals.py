"""Ctrl-C (SIGINT) and SIGTERM for the command line: what a script sees (exit status, stdout
JSON, the ``error:`` line) agrees with what was saved, whatever moment a signal lands.

While a command works, either signal stops it as Ctrl-C does (``error: interrupted``, exit 130;
``error: terminated``, exit 143). Once its change is saved (:func:`saved`), a signal no longer
stops it: the command reports what it saved. Once ``python -m movierate`` has its result, the
signals are ignored until the process exits (bad-input round 22: a Ctrl-C in the interpreter's
teardown ended a run with 130 whose JSON record said exit code 0).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movierate import atomic

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A SIGTERM (or SIGINT) that stops a command; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class _State:
    received: int | None = None  # the first signal of this command, if any
    saved: tuple[str, str, str] | None = None  # (what, name, folder) once the change is saved
    ours: bool = False  # whether our handlers are installed
    saves_last: bool = False  # whether the command's one save is its last work
    target: tuple[Path, str] | None = None  # (folder, what) a save outside the store publishes


_state = _State()


def received() -> int | None:
    """The signal number that arrived during this command, or None."""
    return _state.received


def saved_item() -> tuple[str, str, str] | None:
    """(what, name, folder) of what this command saved, or None before it saved."""
    return _state.saved


def expect_save(folder: Path | None = None, what: str | None = None) -> None:
    """Say that this command's one save (a model, a dataset) is its last work: once that is
    saved, signals are held back so it reports the result. Not for a command saving several
    (a study stays stoppable after its first model). A save outside the store and the datasets
    folder names its ``folder`` and ``what`` it holds (``export``: bad-input round 47, F2)."""
    _state.saves_last = True
    _state.target = (Path(folder), what or "folder") if folder is not None else None


def saved(what: str, name: str, folder: Any) -> None:
    """Record that the command's change is saved (``what``: "model", "dataset"); from now on
    SIGINT and SIGTERM are only noted, so the command reports what it saved."""
    _state.saved = (what, name, str(folder))
    if _state.ours:
        for signum in SIGNALS:
            signal.signal(signum, _note)


@contextlib.contextmanager
def _publishing(folder: Path) -> Iterator[None]:
    """:data:`movierate.atomic.PUBLISH_GUARD`: signals held back while ``folder`` is renamed
    into place; a model or dataset folder once there is :func:`saved`, and a signal held back
    during any other rename (a cache) stops the command right after it."""
    if not _state.ours or not _state.saves_last or _state.saved is not None:
        yield
        return
    before = _state.received
    for signum in SIGNALS:
        signal.signal(signum, _note)
    try:
        yield
        what = _saved_kind(folder)
        if what is not None:
            saved(what, folder.name, folder)
            return
    except BaseException:
        _stopping()
        raise
    _stopping()
    if before is None and (signum := _state.received) is not None:
        _stop(signum, None)


def _saved_kind(folder: Path) -> str | None:
    """ "model" or "dataset" when ``folder`` is in the model store or the datasets folder;
    what :func:`expect_save` named for its folder."""
    from movierate import config
    from movierate.data.acquire import CUSTOM_FOLDER

    try:
        if _state.target is not None and folder.resolve() == _state.target[0].resolve():
            return _state.target[1]
        parent = folder.parent.resolve()
        if parent == config.models_dir().resolve():
            return "model"
        data = config.data_dir().resolve()
        return "dataset" if parent in (data, data / CUSTOM_FOLDER) else None
    except (OSError, RuntimeError, ValueError):
        return None


def _stopping() -> None:
    for signum in SIGNALS:
        if signal.getsignal(signum) is _note:
            signal.signal(signum, _stop)


def _note(signum: int, frame: Any) -> None:
    if _state.received is None:
        _state.received = signum


def _stop(signum: int, frame: Any) -> None:
    _note(signum, frame)
    raise KeyboardInterrupt if signum == signal.SIGINT else Interrupted(signum)


@contextlib.contextmanager
def handling(*, final: bool = False) -> Iterator[None]:
    """Run a command with SIGINT and SIGTERM stopping it (raised as KeyboardInterrupt) until
    :func:`saved`. ``final``: this command is the whole process (``python -m movierate``), so
    afterwards both signals are ignored until it exits; otherwise the handlers are put back.
    Signals handled elsewhere (a thread, an embedding program, ``cmd &`` ignoring SIGINT) are
    left alone."""
    _state.received, _state.saved, _state.ours, _state.saves_last = None, None, False, False
    _state.target = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    mine = [signum for signum in SIGNALS if previous[signum] is defaults[signum]]
    for signum in mine:
        signal.signal(signum, _stop)
    _state.ours = bool(mine)
    guard, atomic.PUBLISH_GUARD = atomic.PUBLISH_GUARD, _publishing if mine else None
    try:
        yield
    finally:
        for signum in mine:  # one call each: at every instant a handler of ours is in place
            signal.signal(signum, signal.SIG_IGN if final else previous[signum])
        _state.ours = False
        atomic.PUBLISH_GUARD = guard


def exit_code(signum: int) -> int:
    """The exit status a shell reports for a process ended by ``signum`` (130, 143)."""
    return 128 + signum


def describe(signum: int) -> str:
    """``interrupted`` (SIGINT) or ``terminated (SIGTERM)``."""
    return (
        "interrupted" if signum == signal.SIGINT else f"terminated ({signal.Signals(signum).name})"
    )
