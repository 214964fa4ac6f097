"""Work started once per click burst, and one-shot messages that outlive a second click.

Streamlit runs the page again for every click; a click that lands while the previous run is
still going stops that run at its next Streamlit call (a session-state read or write
included) and runs the page again, the button still pressed. So a double click on Start
training queued two runs, and a message popped for one run vanished when a second click
replaced that run (views round 16, F1 and F2).

:class:`StartOnce` keeps what this session started in a plain dict held in session state:
filling it is no Streamlit call, so a click arriving right after a start cannot lose the
record. :func:`flash` / :func:`take_flash` keep a message until a run that drew it has
completed and :data:`FLASH_S` seconds have passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import streamlit as st

#: Seconds in which the same request from the same session is taken as a repeated click.
REPEAT_S = 10.0
#: Seconds a flash message stays at least (then until the next run after one that drew it).
FLASH_S = 3.0
_LEDGER = "_movierate_started_once"
_FLASH = "_movierate_flash_"


class Started(NamedTuple):
    """One start: when (``time.monotonic()``), what was asked, and what it gave (e.g. a job id)."""

    at: float
    asked: str
    result: Any


class StartOnce:
    """Start ``action`` with the request ``asked`` (any repr-stable value) at most once per
    click burst of this browser session.

    >>> once = StartOnce("train", (dataset, spec, split))  # doctest: +SKIP
    >>> if (earlier := once.earlier()) is None:  # doctest: +SKIP
    ...     once.done(registry.submit(...))
    """

    def __init__(self, action: str, asked: Any) -> None:
        # read (and made) before the work starts: a stop raised here leaves nothing half done
        self._ledger: dict[str, Started] = st.session_state.setdefault(_LEDGER, {})
        self.action, self.asked = action, repr(asked)

    def earlier(self, still: Callable[[Any], bool] | None = None) -> Started | None:
        """The same request's earlier start, if it came less than :data:`REPEAT_S` seconds ago
        or ``still(result)`` says its work is still going (e.g. the job is queued or running)."""
        done = self._ledger.get(self.action)
        if done is None or done.asked != self.asked:
            return None
        if time.monotonic() - done.at < REPEAT_S or (still is not None and still(done.result)):
            return done
        return None

    def done(self, result: Any) -> None:
        """Record the start (no Streamlit call: call it right after the work started)."""
        self._ledger[self.action] = Started(time.monotonic(), self.asked, result)


def flash(name: str, message: str) -> None:
    """Keep ``message`` for the page's next runs (:func:`take_flash`)."""
    st.session_state[_FLASH + name] = {"text": message, "at": time.monotonic(), "drawn": False}


def take_flash(name: str) -> str | None:
    """The flash message ``name`` to draw on this run, or None.

    It is drawn on every run until one that drew it has completed (:func:`flash_drawn`, the
    page's last call) and :data:`FLASH_S` seconds have passed: a second click's run, which
    replaces the run that drew it, draws it again.
    """
    kept = st.session_state.get(_FLASH + name)
    if kept is None:
        return None
    if kept["drawn"] and time.monotonic() - kept["at"] >= FLASH_S:
        del st.session_state[_FLASH + name]
        return None
    return kept["text"]


def flash_drawn(name: str) -> None:
    """Call at the end of the page: the run drew the message and completed. A click already
    waiting stops the run at this write (a session-state write), so it is not marked."""
    kept = st.session_state.get(_FLASH + name)
    if kept is not None and not kept["drawn"]:
        st.session_state[_FLASH + name] = {**kept, "drawn": True}
