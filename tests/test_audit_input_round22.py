"""Bad-input review round 22 (signals and scripted callers): what a script sees (exit status,
stdout JSON, the ``error:`` line) agrees with what was saved, whatever moment SIGINT or SIGTERM
lands: after a save the result is reported, SIGTERM is handled like Ctrl-C, and once the result
is written the exit status no longer changes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from movierate import atomic, cli, store

ROOT = Path(__file__).resolve().parents[1]


def _run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_training(small_model_home, monkeypatch):
    """`train` without TensorFlow: the save copies the session's small-mf model, published as
    the store publishes (so the CLI's publish guard sees it); ``at`` (a checkpoint label of
    that publish) sends this process a real SIGINT there."""
    import movierate.pipeline

    at = []

    def train_and_save(ds, spec, name, split=None, **kwargs):
        staged = store.check_writable() / f".tmp-{name}-test"
        shutil.copytree(small_model_home / "models" / "small-mf", staged)
        monkeypatch.setattr(
            atomic, "checkpoint", lambda label: label in at and os.kill(os.getpid(), 2)
        )
        atomic.publish_folder(staged, store.model_path(name))
        return name

    monkeypatch.setattr(movierate.pipeline, "train_and_save", train_and_save)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield at
    signal.signal(signal.SIGINT, previous)


TRAIN = ["train", "ml-latest-small", "--name", "m", "--quiet", "--json"]


def test_ctrl_c_right_after_the_publish_reports_the_saved_model(fake_training, monkeypatch, capsys):
    """F1: a real SIGINT right after the rename (before `train` knew of the save) said
    "interrupted", 130, {"error": "interrupted"} while the model was saved and listed."""
    fake_training.append("publish:renamed")
    code, out, err = _run(TRAIN, capsys)
    record = json.loads(out)
    assert code == 0 and record["exit_code"] == 0 and record["name"] == "m", err
    assert "error:" not in err and "interrupted after model 'm' was saved" in err
    assert [m.name for m in store.list_models()[0]] == ["m"]


@pytest.mark.parametrize(
    ("stop", "word"),
    [(KeyboardInterrupt, "interrupted"), (cli.signals.Interrupted(15), "terminated (SIGTERM)")],
)
def test_an_interrupt_that_still_cuts_the_report_names_the_saved_model(
    fake_training, monkeypatch, capsys, stop, word
):
    """F1, the fallback: an interrupt raised after the save (here by the report itself) says
    what was saved and where, with exit code 4 (README), never "nothing saved"-style 130."""
    import movierate.cli.train

    def cut(*args, **kwargs):
        raise stop

    monkeypatch.setattr(movierate.cli.train, "print_taken_note", cut)
    code, out, err = _run(TRAIN, capsys)
    record = json.loads(out)
    assert code == cli.EXIT_SAVED_THEN_STOPPED == record["exit_code"] == 4
    assert record["name"] == "m" and record["folder"] == str(store.model_path("m"))
    assert f"error: {word} after saving model 'm'" in err and "it is saved" in err


def test_an_interrupt_before_the_save_still_says_nothing_was_done(
    fake_training, monkeypatch, capsys
):
    """A SIGINT just before the model's folder is renamed into place: nothing saved, and the
    command says so as before."""
    fake_training.append("publish:start")
    code, out, err = _run(TRAIN, capsys)
    assert code == 130 and json.loads(out) == {"error": "interrupted", "exit_code": 130}
    assert store.list_models()[0] == []


def test_a_dataset_import_interrupted_after_it_is_stored_names_it(tmp_path, monkeypatch, capsys):
    """The class: every command that saves (here `datasets FILE --name`)."""
    import movierate.cli.data

    csv = tmp_path / "r.csv"
    csv.write_text(
        "user,item,rating\n"
        + "".join(f"{u},{i},{(u + i) % 5 + 1}\n" for u in range(9) for i in range(9))
    )

    def cut(ds):
        raise KeyboardInterrupt

    monkeypatch.setattr(movierate.cli.data, "_describe", cut)
    code, out, err = _run(["datasets", str(csv), "--name", "mine"], capsys)
    assert code == 4 and "interrupted after saving dataset 'mine'" in err


def test_sigterm_is_handled_like_ctrl_c(monkeypatch, capsys):
    """F4: SIGTERM ended a command with no message (-15); now "error: terminated", 143, and
    the default action is put back afterwards."""

    def terminated(args):
        signal.raise_signal(signal.SIGTERM)
        raise AssertionError("not stopped")

    monkeypatch.setitem(
        cli.COMMANDS,
        "list",
        cli.Command("list", lambda p: p.add_argument("--json", action="store_true"), terminated),
    )
    code, out, err = _run(["list", "--json"], capsys)
    assert code == cli.EXIT_TERMINATED == 143
    assert err.strip() == "error: terminated (SIGTERM)"
    assert json.loads(out) == {"error": "terminated (SIGTERM)", "exit_code": 143}
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_signals_after_the_result_do_not_change_the_exit_status(tmp_path):
    """F2: a SIGINT or SIGTERM in the interpreter's teardown (after the JSON result) ended
    the process with -2 / -15 while stdout said exit code 0. Sent here from an atexit
    function, which runs in that teardown: no timing race."""
    script = (
        "import atexit, os, runpy, signal, sys\n"
        "sys.argv = ['movierate', 'list', '--json']\n"
        "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT),"
        " os.kill(os.getpid(), signal.SIGTERM)))\n"
        "runpy.run_module('movierate', run_name='__main__')\n"
    )
    env = {**os.environ, "MOVIERATE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [] and "Traceback" not in done.stderr


def test_tune_json_gives_trains_record_and_the_search(capsys):
    """F3: `tune --json` was refused (exit 2) while `train --json` existed for the exit code 3
    case; its record has train's keys, the tuning summary, and the prose goes to stderr."""
    argv = ["tune", "ml-latest-small", "--trials", "1", "--max-epochs", "1", "--no-refit"]
    code, out, err = _run([*argv, "--name", "t", "--quiet", "--json"], capsys)
    record = json.loads(out)
    assert code == 0 == record["exit_code"] and record["name"] == "t", err
    assert record["folder"] == str(store.model_path("t"))
    assert record["dataset"] == "ml-latest-small"
    assert record["metrics"] == store.read_meta("t")["metrics"]
    assert record["tuning"] == store.read_meta("t")["tuning"]
    assert "saved 't'" in err and "folder:" in err
    assert "early-stopping RMSE  kept epoch" not in err  # --quiet: no trial table (s31)


def test_a_command_saving_several_models_stays_stoppable_after_the_first(monkeypatch, capsys):
    """Only a command whose one save is its last work holds signals back after it: a study
    (several models) is still stopped by Ctrl-C after its first save."""

    def saves_then_more(args):
        staged = store.check_writable() / ".tmp-first-test"
        staged.mkdir()
        atomic.publish_folder(staged, store.model_path("first"))
        signal.raise_signal(signal.SIGINT)
        raise AssertionError("not stopped")

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setitem(
        cli.COMMANDS, "study", cli.Command("study", lambda p: None, saves_then_more)
    )
    try:
        code, _, err = _run(["study"], capsys)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130 and err.strip() == "error: interrupted"
