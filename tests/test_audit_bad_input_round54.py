"""Bad-input round 54: several people, one store, at the same time."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_train import open_train

from movierate import config
from movierate.cli import main
from movierate.cli.train import warn_if_data_gone
from movierate.data import from_csv
from movierate.errors import DataError
from movierate.jobs import JobRegistry
from movierate.run_ledger import LEDGER_FOLDER, RunLedger, noting_cli_run
from movierate.spec import ModelSpec
from movierate.ui import state

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _imported(tmp_path: Path, name: str, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = {(int(u), int(m)) for u, m in rng.integers(1, 40, size=(600, 2))}
    lines = ["user,item,rating"] + [f"{u},{m},{rng.integers(1, 6)}" for u, m in sorted(rows)]
    csv = tmp_path / f"ratings{seed}.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(from_csv(csv, save_as=name).source)


# --- F1: a dataset deleted or replaced under a training that reads it -----------------------


def test_delete_dataset_refuses_while_a_cli_training_reads_it(tmp_path, capsys):
    """F1: `delete-dataset mine2` during `train mine2 --name onmine2` deleted it; the model was
    then saved on data that was gone, unsaid."""
    folder = _imported(tmp_path, "mine")
    with noting_cli_run("train", "onmine", ["mine"]):
        for force in ([], ["--force"]):
            assert main(["delete-dataset", "mine", *force]) == 1
            err = capsys.readouterr().err
            assert "Dataset 'mine' is not deleted: a training in progress is reading it" in err
            assert "'onmine' (python -m movierate train, process" in err
            assert "wait for that training to end, or stop it (Ctrl+C in its terminal)" in err
            assert "Traceback" not in err and folder.is_dir()
            # said once, not wrapped in the refusal of a wrong name ("Correct or leave out")
            assert err.count("Nothing was deleted") == 1 and "Correct or leave out" not in err
        with pytest.raises(DataError, match="'mine' is not replaced: a training in progress"):
            from_csv(tmp_path / "ratings0.csv", save_as="mine", replace=True)
    assert not list((config.home_dir() / LEDGER_FOLDER).glob("*.json"))  # its note went
    assert main(["delete-dataset", "mine"]) == 0 and not folder.exists()


def test_a_killed_cli_training_does_not_block_a_delete_for_ever(tmp_path, capsys):
    """F1: the note of a process that is gone (killed) is ignored, swept, and never reported
    by a dashboard server as its lost run."""
    folder = _imported(tmp_path, "mine")
    code = (
        "import time\nfrom movierate.run_ledger import noting_cli_run\n"
        "with noting_cli_run('tune', 'onmine', ['mine']):\n"
        "    print('ready', flush=True)\n    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    assert main(["delete-dataset", "mine"]) == 1
    assert "'onmine' (python -m movierate tune, process" in capsys.readouterr().err
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    assert RunLedger().claim_lost() == []
    assert main(["delete-dataset", "mine"]) == 0 and not folder.exists()
    assert not list((config.home_dir() / LEDGER_FOLDER).glob("*.json"))


def test_home_refuses_to_delete_a_dataset_another_server_is_training_on(tmp_path):
    """F1: Home asked only this server's registry; a run of another dashboard server (its note
    in the shared home's runs folder) or of the command line was not seen."""
    folder = _imported(tmp_path, "mine")
    RunLedger().add("job1", "m7", "mine")  # a live server's run (this process stands for it)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="delete_dataset_choice").set_value("mine").run()
    at.button(key="ask_delete_dataset").click().run()
    assert not at.exception
    said = [str(i.value) for i in at.info] + [str(e.value) for e in at.error]
    assert any("a training in progress is reading it: 'm7' (a dashboard server" in s for s in said)
    assert not [w for w in at.warning if "for good" in w.value]  # nothing to confirm
    # recheck 8, F2: said once; a server's run is stopped on its Train page, not by Ctrl+C
    refusal = next(s for s in said if "'m7'" in s)
    assert refusal.count("Nothing was deleted") == 1
    assert "Cancel on that server's Train page" in refusal and "Ctrl+C" not in refusal
    assert folder.is_dir()


def test_a_training_whose_dataset_vanished_says_so(tmp_path, capsys):
    """F1: the save of a run whose dataset was deleted meanwhile ended with no word of it."""
    ds = SimpleNamespace(name="mine", source=str(_imported(tmp_path, "mine")))
    warn_if_data_gone(ds)
    assert capsys.readouterr().err == ""
    shutil.rmtree(ds.source)
    warn_if_data_gone(ds)
    err = capsys.readouterr().err
    assert "warning: the dataset 'mine' was deleted or moved while this run trained" in err


# --- F2: another session's run shown as this one's -----------------------------------------


def _run_box(at: AppTest):
    return next(s for s in at.selectbox if s.label == "Run")


def test_train_monitor_follows_the_running_job_and_labels_others_runs(monkeypatch):
    """F2: a newcomer's monitor kept another session's finished run (picked on its first
    page run) as if its own, beside its refusal, while another run held the name it asked."""
    release = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel, **_):
        if name == "dup":
            release.wait(30)
        return name

    registry = JobRegistry(runner=runner, max_workers=2)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    spec = ModelSpec(dim=8, epochs=1)
    registry.wait(registry.submit("ml-latest-small", spec, "same"), 30)
    try:
        at = open_train()
        run = _run_box(at)
        assert run.value == registry.jobs()[0].id
        assert "same (done, started in another tab or before a reload)" in run.options
        assert any("Started in another tab" in str(c.value) for c in at.caption)
        dup = registry.submit("ml-latest-small", spec, "dup")  # another session's run
        next(w for w in at.text_input if w.label == "Model name").set_value("dup")
        next(b for b in at.button if b.label == "Start training").click().run()
        assert not at.exception
        assert any("already producing a model named 'dup'" in str(e.value) for e in at.error)
        assert _run_box(at).value == dup  # the run that holds the name
    finally:
        release.set()


# --- F3: Home's model delete refused, the question still on screen -------------------------


def test_a_refused_model_delete_leaves_only_the_refusal(small_model_home, tmp_path, monkeypatch):
    """F3: "Delete X for good?" and its "Yes, delete X" button stayed above the refusal."""
    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="manage_model").set_value("small-mf").run()
    at.button(key="ask_delete").click().run()
    assert any("for good?" in w.value for w in at.warning)
    other = home / "models" / "small-deep"  # meanwhile: another model put under the name
    (home / "models" / "small-mf").rename(home / "models" / "small-mf-old")
    other.rename(home / "models" / "small-mf")
    at.button(key="confirm_delete_yes").click().run()
    assert not at.exception
    assert any("not the model you were asked about" in e.value for e in at.error)
    assert not [w for w in at.warning if "for good?" in w.value]
    assert "confirm_delete_yes" not in [b.key for b in at.button]
    assert (home / "models" / "small-mf").is_dir() and (home / "models" / "small-mf-old").is_dir()
