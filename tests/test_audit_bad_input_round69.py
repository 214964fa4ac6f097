"""Bad-input round 69: the dashboard and the CLI on one home at once.

F1: a Train-page run started first on a free name was thrown away when a CLI ``train`` /
``tune`` started after it saved that name ("A model named 'clash2' already exists", 0 epochs):
the name was held only in the server's memory, and the run checked it again after its
TensorFlow start. A name a live run's note holds now counts as taken for every other process,
and a run whose note holds its name saves under the next free one should it be taken anyway.
F2: the Runs list kept that failure in the present tense after the model was deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from apptest_helpers import APP
from streamlit.testing.v1 import AppTest
from test_delete_dataset import _csv

from movierate import config, store
from movierate.child_runner import in_child_process
from movierate.cli import main
from movierate.errors import NameTakenError
from movierate.jobs import JobRegistry
from movierate.run_ledger import RunLedger
from movierate.spec import ModelSpec
from movierate.ui import state

#: the environment variable naming the file whose presence lets :func:`checking_child` go on
GO = "MOVIERATE_TEST_ROUND69_GO"


class Spec:
    def validate(self) -> None:
        pass


@pytest.fixture
def other_process():
    """A live process standing for another program (a dashboard server, a CLI run)."""
    sleeper = subprocess.Popen(["sleep", "120"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def hold(name: str, pid: int, command: str | None = None, dataset: str = "mine") -> Path:
    """Write the run note of another process's run in progress making ``name``."""
    folder = config.home_dir() / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex[:12]}.json"
    note = {"name": name, "dataset": dataset, "submitted": time.time(), "started": True}
    note.update(pid=pid, start=None, host=socket.gethostname(), command=command)
    path.write_text(json.dumps(note), encoding="utf-8")
    return path


@pytest.fixture
def mine(tmp_path, capsys):
    """Dataset 'mine' (a tiny imported CSV) and model 'base' trained on it (dim 2, 1 epoch)."""
    assert main(["datasets", str(_csv(tmp_path)), "--name", "mine"]) == 0
    assert main(["train", "mine", "--name", "base", "--dim", "2", "--epochs", "1"]) == 0
    capsys.readouterr()


def save_copy(name: str) -> None:
    """Another program saves a model named ``name`` (a copy of 'base')."""
    shutil.copytree(store.model_path("base"), config.models_dir() / name)


# --- F1 (a): a name a live run's note holds counts as taken -------------------------------------


def test_cli_train_takes_the_next_free_name_when_a_dashboard_run_holds_it(
    mine, other_process, capsys
):
    note = hold("clash2", other_process)
    code = main(["train", "mine", "--name", "clash2", "--dim", "2", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert not store.model_exists("clash2")
    assert store.model_exists("clash2-2")
    assert "a training in progress will save a model named 'clash2'" in err
    assert f"a dashboard server, process {other_process}" in err and str(note) in err
    assert "saved as 'clash2-2'" in err


def test_cli_tune_takes_the_next_free_name_when_a_dashboard_run_holds_it(
    mine, other_process, capsys
):
    hold("clash1", other_process)
    argv = ["tune", "mine", "--name", "clash1", "--trials", "1", "--max-epochs", "1", "--quiet"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 3, err
    assert store.model_exists("clash1-2") and not store.model_exists("clash1")
    assert "a training in progress will save a model named 'clash1'" in err


def test_a_cli_run_notes_the_name_it_generated(mine, monkeypatch, capsys):
    """While it trains, a CLI run's note holds its model's name (a generated one was noted as
    "a model on mine"), so the dashboard sees the name taken."""
    import movierate.pipeline as pipeline

    seen = {}
    real = pipeline.train_and_save

    def spy(ds, spec, name, *args, **kwargs):
        notes = [json.loads(p.read_text()) for p in (config.home_dir() / "runs").glob("*.json")]
        seen["noted"] = [note["name"] for note in notes]
        return real(ds, spec, name, *args, **kwargs)

    monkeypatch.setattr(pipeline, "train_and_save", spy)
    assert main(["train", "mine", "--dim", "2", "--epochs", "1", "--json"]) == 0
    saved = json.loads(capsys.readouterr().out.splitlines()[-1])["name"]
    assert seen["noted"] == [saved] == ["mine-mf_bias-2"]


def test_the_dashboard_refuses_a_name_another_process_run_holds(other_process):
    hold("clash5", other_process, command="train")
    registry = JobRegistry(runner=lambda *args: args[2], ledger=RunLedger())
    with pytest.raises(NameTakenError, match="A training in progress will save a model named") as e:
        registry.submit("ml-100k", Spec(), "clash5")
    assert f"python -m movierate train, process {other_process}" in str(e.value)
    assert "'clash5-2'" in str(e.value)
    # a generated name passes it by
    assert registry.generate_name("clash5") == "clash5-2"


def test_an_import_refuses_a_name_another_process_run_holds(other_process):
    hold("held", other_process)
    with pytest.raises(NameTakenError, match="A training in progress will save a model named"):
        store.check_name_free("held")


def test_the_train_form_says_which_run_holds_the_name(other_process, monkeypatch):
    hold("clash6", other_process, command="tune")
    registry = JobRegistry(runner=lambda *args: args[2], ledger=RunLedger())
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    next(w for w in at.text_input if w.label == "Model name").set_value("clash6")
    next(b for b in at.button if b.label == "Start training").click().run()
    said = " ".join(e.value for e in at.error)
    assert "Not started: A training in progress will save a model named" in said
    assert f"python -m movierate tune, process {other_process}" in said
    assert not registry.jobs()


# --- F1 (b): a run whose name was taken anyway saves under the next free name -------------------


def test_cli_train_saves_as_the_next_free_name_when_it_is_taken_after_the_start(
    mine, monkeypatch, capsys
):
    import movierate.pipeline as pipeline

    real = pipeline.train_and_save

    def taken_during_the_start(*args, **kwargs):  # e.g. while TensorFlow loaded
        save_copy("clash3")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "train_and_save", taken_during_the_start)
    code = main(["train", "mine", "--name", "clash3", "--dim", "2", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert store.model_exists("clash3-2")
    assert "the name 'clash3' was taken" in err and "saved as 'clash3-2'" in err


def checking_child(dataset, spec, name, split_params, progress, cancel, name_base=None):
    """The dashboard's runner, in its child, once the name is taken: cancelled right after its
    checks, before TensorFlow (what it found is the outcome)."""
    from movierate.tuning import job_runner

    while not Path(os.environ[GO]).exists():
        time.sleep(0.05)
    stop = threading.Event()
    stop.set()
    return job_runner(dataset, spec, name, split_params, progress, stop, name_base)


def test_a_dashboard_run_goes_on_when_a_cli_run_saves_its_name_after_it_started(
    mine, tmp_path, monkeypatch
):
    go = tmp_path / "go"
    monkeypatch.setenv(GO, str(go))
    registry = JobRegistry(runner=in_child_process(checking_child), ledger=RunLedger())
    job_id = registry.submit("mine", ModelSpec(dim=2, epochs=1), "clash4")
    save_copy("clash4")  # the CLI run started after it saves first
    go.touch()
    snap = registry.wait(job_id, timeout=120)
    # past its name check: the model would be saved as 'clash4-2', not thrown away
    assert snap.state == "cancelled", snap.error
    assert "cancelled before it started" in snap.phase or snap.error is None


def test_the_done_run_says_another_program_saved_its_name(monkeypatch):
    def runner(dataset, spec, name, split_params, progress, cancel):
        return f"{name}-2"

    registry = JobRegistry(runner=runner)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    registry.wait(registry.submit("ml-100k", Spec(), "clash7"), timeout=30)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    said = " ".join(i.value for i in at.info)
    assert "saved (or renamed) a model as clash7 after this run started" in said
    assert "this one is saved as clash7-2" in said


# --- F2: a past failure is worded as past --------------------------------------------------------


def named_taken(dataset, spec, name, split_params, progress, cancel):
    """A runner whose name check fails, as train_and_save's does, in the child."""
    raise store.name_taken(name)


def test_a_name_taken_failure_is_worded_as_when_the_run_started():
    registry = JobRegistry(runner=in_child_process(named_taken))
    snap = registry.wait(registry.submit("ml-100k", Spec(), "gone"), timeout=120)
    assert snap.state == "failed"
    assert snap.error.startswith("Stopped before training, nothing saved: the name 'gone' was")
    assert "taken when this run started" in snap.error
    assert "(it was told then: A model named 'gone' already exists" in snap.error
    assert "The models may have changed since: see the Home page" in snap.error


def test_the_runs_list_words_a_name_taken_failure_as_past(monkeypatch):
    def runner(dataset, spec, name, split_params, progress, cancel):
        raise NameTakenError(f"A model named {name!r} already exists; pick another name.")

    registry = JobRegistry(runner=runner)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    registry.wait(registry.submit("ml-100k", Spec(), "clash9"), timeout=30)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    said = " ".join(e.value for e in at.error)
    assert "the name 'clash9' was taken when this run started" in said
