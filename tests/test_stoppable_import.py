"""Bad-input round 23, F6: a large upload on Home ran behind a spinner with no way out, and
leaving the page let it finish unseen. The import now runs on a thread while the page redraws
its time so far; a run that ends first (Stop, or another page) stops it before it stores
anything, and Home's next run says so."""

from __future__ import annotations

import threading
import time

import pytest

from movierate import config, data
from movierate.data.acquire import CUSTOM_FOLDER
from movierate.errors import ImportStopped
from movierate.ui import stoppable


def test_an_import_asked_to_stop_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path))
    rows = b"user,item,rating\n" + b"".join(
        b"%d,%d,4\n" % (u, m) for u in range(9) for m in range(9)
    )
    with pytest.raises(ImportStopped, match="before anything was stored"):
        data.from_csv(rows, save_as="stopped", should_stop=lambda: True)
    custom = config.data_dir() / CUSTOM_FOLDER
    assert not custom.exists() or not [p.name for p in custom.iterdir() if "stopped" in p.name]
    assert data.from_csv(rows, save_as="kept", should_stop=lambda: False).name == "kept"
    assert (custom / "kept").is_dir()


class _RunEnded(Exception):
    """What Streamlit raises in a script run when a click asks for a new run."""


def test_a_run_that_ends_first_stops_the_work_and_the_next_run_says_so(monkeypatch):
    said: list[str] = []
    redraws = []

    class Line:
        def info(self, body, **_):
            redraws.append(body)
            if len(redraws) == 2:
                raise _RunEnded

        def empty(self):
            pass

        def button(self, *a, **k):  # the Stop button's slot
            return False

    monkeypatch.setattr(stoppable.st, "empty", lambda: Line())
    monkeypatch.setattr(stoppable.st, "info", lambda body, **_: said.append(body))
    asked = threading.Event()

    def work(should_stop):
        while not should_stop():
            time.sleep(0.01)
        asked.set()
        raise ImportStopped("stopped")

    with pytest.raises(_RunEnded):
        stoppable.stoppable(work, "Importing big.csv (111.4 MB)")
    assert asked.wait(5) and "s so far" in redraws[0]
    worker = stoppable._running[None].worker  # no browser session here
    worker.join(5)
    stoppable.show_stopped()
    assert said == ["Stopped Importing big.csv (111.4 MB): nothing was stored."]
    stoppable.show_stopped()
    assert len(said) == 1  # said once


def test_work_that_ends_on_its_own_returns_its_result_or_raises_its_error(monkeypatch):
    monkeypatch.setattr(
        stoppable.st,
        "empty",
        lambda: type(
            "L",
            (),
            {"info": lambda *a, **k: None, "empty": lambda s: None, "button": lambda *a, **k: 0},
        )(),
    )
    assert stoppable.stoppable(lambda should_stop: 42, "x") == 42
    with pytest.raises(ValueError, match="bad file"):
        stoppable.stoppable(lambda should_stop: (_ for _ in ()).throw(ValueError("bad file")), "x")


def test_the_next_run_stops_work_whose_run_has_not_unwound_yet(monkeypatch):
    """Streamlit may start the next run before the stopped one unwinds (its GIL-bound import
    redraws seldom): the next run finds the work still registered and stops it itself."""
    said: list[str] = []
    monkeypatch.setattr(stoppable.st, "info", lambda body, **_: said.append(body))
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    stoppable._running[None] = stoppable._Work("Importing x.csv", worker, {}, stop)
    stoppable.show_stopped()
    assert stop.is_set() and None not in stoppable._running
    assert said == [
        "Stopped Importing x.csv: it ends at its next step and stores nothing, unless it had "
        "begun saving."
    ]
