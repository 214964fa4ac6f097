"""Long work a page waits for, with its time so far and a Stop button (bad-input round 23: a
2-million-row upload showed a spinner for 72 s with no way out, and leaving the page let it
finish unseen, its notices never shown).

The work runs on a thread while the script polls it, redrawing one line each
:data:`POLL_S`: a click anywhere (Stop, or another page) ends this script run at that redraw,
which asks the work to stop; the work checks at its own safe points (``should_stop``) and
stores nothing after one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from movierate.errors import ImportStopped
from movierate.ui import text

_T = TypeVar("_T")
#: Seconds between two redraws of the running line (each is where a click ends the run).
POLL_S = 0.25


class _Work(NamedTuple):
    label: str
    worker: threading.Thread
    outcome: dict[str, object]
    stop: threading.Event


#: Per browser session, the work a page run is waiting for. A later run of the session finding
#: it there means that run ended first (runs of one session follow each other): it stops the
#: work and says what became of it. Not ``st.session_state``: Streamlit refuses writes to it
#: once a run is being stopped, and may start the next run before the stopped one unwinds.
_running: dict[str | None, _Work] = {}


def _session() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def stoppable(work: Callable[[Callable[[], bool]], _T], label: str, *, key: str = "stop") -> _T:
    """``work(should_stop)``'s result (or its exception), run on a thread while the page
    shows ``label``, the seconds so far and a Stop button. If this run ends first (Stop, or
    the user went elsewhere), ``should_stop()`` turns True (the work raises
    :class:`~movierate.errors.ImportStopped` at its next safe point) and the page's next run
    says what became of it (:func:`show_stopped`)."""
    stop = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work(stop.is_set)
        except BaseException as exc:  # handed to the script thread below
            outcome["error"] = exc

    session = _session()
    worker = threading.Thread(target=run, name=f"movierate-{key}", daemon=True)
    _running[session] = _Work(label, worker, outcome, stop)
    worker.start()
    line, stop_button = st.empty(), st.empty()  # both go once the work ended (views r. 40, F6)
    stop_button.button(
        "Stop", key=key, icon=":material/stop_circle:", help="Stops it: nothing is stored."
    )
    started = time.monotonic()
    try:
        while worker.is_alive():
            worker.join(POLL_S)
            line.info(
                f"{text.md(label)}: {time.monotonic() - started:.0f} s so far. Nothing is "
                "stored until it is done; Stop, like any other click or page, stops it.",
                icon=":material/hourglass_top:",
            )
    finally:
        if worker.is_alive():  # this run was stopped: the work too (the next run says so)
            stop.set()
    _running.pop(session, None)
    line.empty()
    stop_button.empty()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def show_stopped() -> None:
    """Stop a :func:`stoppable` work whose page run ended first, and say what became of it:
    still ending (it stores nothing after its current step), stopped (nothing stored), or done
    before the stop reached it. Call it on the page's runs before any :func:`stoppable`."""
    work = _running.pop(_session(), None)
    if work is None:
        return
    label, worker, outcome, stop = work
    stop.set()
    if worker.is_alive():
        said = "it ends at its next step and stores nothing, unless it had begun saving"
    elif isinstance(outcome.get("error"), ImportStopped):
        said = "nothing was stored"
    elif "error" in outcome:
        said = f"it had failed: {outcome['error']}"
    else:
        said = "it had finished before the stop reached it, so what it made is kept"
    st.info(f"Stopped {text.md(label)}: {text.md(said)}.", icon=":material/stop_circle:")
