"""Bad-input round 42: a dashboard server that stops loses its runs; the next one names them
(the Train page said "No runs in this server session yet" after a restart mid-training)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

from apptest_helpers import APP
from streamlit.testing.v1 import AppTest

from movierate import config
from movierate.jobs import JobRegistry
from movierate.run_ledger import RunLedger
from movierate.ui import state

#: A server stand-in: a registry with a ledger, one run training and one queued, then killed.
SERVER = textwrap.dedent(
    """
    import sys, threading, time
    from movierate.jobs import JobRegistry
    from movierate.run_ledger import RunLedger

    class Spec:
        def validate(self):
            pass

    def runner(dataset, spec, name, split_params, progress, cancel):
        threading.Event().wait()  # trains until the process is killed

    registry = JobRegistry(runner=runner, max_workers=1, ledger=RunLedger())
    registry.submit("ml-latest-small", Spec(), "t1")
    registry.submit("ml-100k", Spec(), "t2")
    while registry.snapshot(registry.jobs()[-1].id).state != "running":
        time.sleep(0.01)
    print("ready", flush=True)
    time.sleep(600)
    """
)


class Spec:
    def validate(self) -> None:
        pass


def _killed_server() -> None:
    """Run :data:`SERVER` until its runs are noted, then kill it (SIGKILL: no clean-up)."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
    finally:
        server.kill()
        server.wait(10)


def test_a_later_registry_names_the_runs_a_killed_server_lost_once():
    _killed_server()
    lost = JobRegistry(ledger=RunLedger()).lost_runs
    assert [(run.name, run.dataset, run.started) for run in lost] == [
        ("t1", "ml-latest-small", True),
        ("t2", "ml-100k", False),
    ]
    assert "'t1' on ml-latest-small" in lost[0].text() and "training when" in lost[0].text()
    assert "waiting to train" in lost[1].text() and "nothing was saved" in lost[1].text()
    assert JobRegistry(ledger=RunLedger()).lost_runs == []  # claimed: reported by one server


def test_runs_of_a_live_server_are_not_lost_and_ended_runs_leave_no_note():
    release = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel):
        release.wait(10)
        return name

    live = JobRegistry(runner=runner, ledger=RunLedger())
    job = live.submit("ml-latest-small", Spec(), "busy")
    notes = config.home_dir() / "runs"
    assert len(list(notes.glob("*.json"))) == 1
    assert JobRegistry(ledger=RunLedger()).lost_runs == []  # its server (this process) lives
    release.set()
    assert live.wait(job, 10).state == "done"
    assert list(notes.glob("*.json")) == []


def test_a_damaged_note_is_dropped_without_a_word_or_a_crash():
    notes = config.home_dir() / "runs"
    notes.mkdir(parents=True)
    (notes / "cut.json").write_text('{"name": "t1", "data')
    (notes / "list.json").write_text(json.dumps(["not", "a", "note"]))
    assert JobRegistry(ledger=RunLedger()).lost_runs == []
    assert list(notes.glob("*.json")) == []


def test_the_train_page_says_which_runs_a_restart_lost(monkeypatch):
    _killed_server()
    registry = JobRegistry(ledger=RunLedger())
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert any("'t1'" in w and "server stopped" in w for w in warnings), warnings
    next(b for b in at.button if b.label == "Dismiss").click().run()
    assert not any("server stopped" in w.value for w in at.warning)


def test_a_refusal_offers_the_way_to_stop_each_reader_by_its_kind_not_its_name():
    """A run's kind was told by the words of its description, so a dashboard run named like a
    command ("python -m movierate train") was offered Ctrl+C in a terminal it does not have."""
    import pytest

    from movierate.errors import DatasetInUseError
    from movierate.run_ledger import check_unread

    ledger = RunLedger()
    ledger.add("job1", "python -m movierate train", "mine")  # a dashboard run, oddly named
    with pytest.raises(DatasetInUseError) as refusal:
        check_unread("mine", "deleted")
    assert "(Cancel on that server's Train page)" in str(refusal.value)
    assert "Ctrl+C" not in str(refusal.value)
    ledger.add("cli-1", "other", "mine", command="train")
    with pytest.raises(DatasetInUseError) as refusal:
        check_unread("mine", "deleted")
    assert "(Ctrl+C in its terminal, or Cancel on that server's Train page)" in str(refusal.value)
