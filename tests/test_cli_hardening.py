"""Bad input on the command line: closed pipes, names the OS refuses, empty names, notices,
evaluate --data, leftovers in ``list``. One clear ``error:`` line and no traceback, always."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import atomic, cli, config, store
from movierate.errors import MovierateError, StoreError

REPO = Path(__file__).resolve().parents[1]
LONG = "a" * 1000


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _python(*args: str, close_stdout: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "movierate", *args]
    if not close_stdout:
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    # like `python -m movierate show NAME | head -0`: the reader is gone before any output
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, "", err)


def _fake_dataset():
    from movierate.data import make_split, synthetic_dataset

    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    return ds, make_split(ds, method="random", valid_fraction=0.1, seed=0)


def _save_fake(name: str, ds=None, split=None) -> Path:
    from movierate.spec import ModelSpec

    if ds is None:
        ds, split = _fake_dataset()
    rng = np.random.default_rng(0)
    result = SimpleNamespace(
        arrays={
            "user_embedding": rng.normal(size=(ds.n_users, 4)).astype(np.float32),
            "movie_embedding": rng.normal(size=(ds.n_movies, 4)).astype(np.float32),
        },
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics={"valid_rmse": 1.0},
        history={"valid_rmse": [float(v) for v in range(1, 60)]},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.5,
    )
    return store.save_model(name, result, ds, split, ModelSpec(family="mf", dim=4))


def _one_error_line(proc_or_err: str) -> str:
    assert "Traceback" not in proc_or_err
    lines = proc_or_err.strip().splitlines()
    assert len(lines) == 1, proc_or_err
    assert lines[0].startswith("error: ")
    assert len(lines[0]) < 400, lines[0]  # a 1,000-character argument is not echoed whole
    return lines[0]


# --- 12: closed pipes ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show", "m"], ["list"], ["datasets"], ["--help"]])
def test_a_closed_pipe_ends_quietly(command):
    _save_fake("m")
    proc = _python(*command, close_stdout=True)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.stderr == ""
    assert proc.returncode in (0, cli.EXIT_BROKEN_PIPE)


# --- 12: arguments that become paths ---------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["show", LONG],
        ["delete", LONG],
        ["evaluate", LONG],
        ["train", "ml-100k", "--name", LONG],
        ["train", LONG],
        ["train", "/tmp/" + LONG],
        ["train", f"/tmp/{'b' * 200}/{'c' * 200}/{'d' * 200}/" * 3],
        ["evaluate", "m", "--data", "/tmp/" + LONG],
        ["study", "--quick", "--out", "/tmp/" + LONG],
        ["study", "--quick", "--out", "/dev/null/out"],
        ["study", "--quick", "--datasets", LONG],
        ["download", LONG],
        ["datasets", LONG],
        ["rename", "m", LONG],
    ],
    ids=lambda argv: " ".join(a[:12] for a in argv),
)
def test_names_the_os_refuses_give_one_error_line(argv, capsys, monkeypatch):
    _save_fake("m")
    monkeypatch.setattr(
        "movierate.study.run_study",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("study must not start")),
    )
    code, _, err = _run(argv, capsys)
    assert code == 1
    _one_error_line(err)


def test_a_long_name_in_a_subprocess_has_no_traceback():
    proc = _python("train", "/tmp/" + LONG, "--epochs", "1")
    assert proc.returncode == 1
    _one_error_line(proc.stderr)
    proc = _python("study", "--quick", "--out", "/tmp/" + LONG)
    assert proc.returncode == 1
    line = _one_error_line(proc.stderr)
    assert "too long" in line.lower()


def test_an_os_error_of_any_command_is_one_line(capsys, monkeypatch):
    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(config.models_dir() / "m"))

    _save_fake("m")
    monkeypatch.setattr(atomic, "remove_folder_now", read_only)
    code, _, err = _run(["delete", "m"], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "Permission denied" in line and "models" in line


# --- 15: train --name "" -----------------------------------------------------------------------


def test_an_empty_model_name_is_refused(capsys, monkeypatch):
    monkeypatch.setattr(
        "movierate.data.load_dataset", lambda *a, **k: pytest.fail("must not load data")
    )
    code, _, err = _run(["train", "ml-100k", "--name", ""], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "empty" in line and "--name" in line


def test_a_taken_name_is_refused_before_loading_and_says_how_to_free_it(capsys, monkeypatch):
    _save_fake("m")
    monkeypatch.setattr(
        "movierate.data.load_dataset", lambda *a, **k: pytest.fail("must not load data")
    )
    code, _, err = _run(["train", "ml-100k", "--name", "m"], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "python -m movierate delete m" in line and "rename" in line and "--overwrite" in line


# --- 7: dataset notices ----------------------------------------------------------------------


def _duplicated_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.0,10\n1,1,3.0,20\n1,2,5.0,10\n"
        "2,1,2.0,10\n2,2,1.0,10\n3,2,3.5,5\n"
    )
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Heat (1995),Action\n"
    )
    return folder


def test_train_shows_the_dataset_notices(tmp_path, capsys, monkeypatch):
    seen = {}

    def fake_train(dataset, spec, name, split, **kwargs):
        seen["dataset"] = dataset
        raise MovierateError("stop here")

    monkeypatch.setattr("movierate.pipeline.train_and_save", fake_train)
    folder = _duplicated_folder(tmp_path)
    code, _, err = _run(["train", str(folder), "--quiet"], capsys)
    assert code == 1 and err.strip().endswith("error: stop here")
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert any("duplicate" in line for line in notes), err
    assert any("inferred" in line for line in notes), err
    assert not isinstance(seen["dataset"], str)  # loaded once, by the CLI, and passed on


def test_datasets_with_a_name_loads_it_and_shows_its_notices(tmp_path, capsys):
    folder = _duplicated_folder(tmp_path)
    code, out, err = _run(["datasets", str(folder)], capsys)
    assert code == 0, err
    assert "5 ratings" in out and "3 users" in out and "2 movies" in out
    assert "note: " in err and "duplicate" in err


# --- evaluate --data -------------------------------------------------------------------------


def test_evaluate_data_reopens_a_moved_folder(tmp_path, capsys):
    from movierate.data import load_dataset, make_split
    from movierate.data.synthetic import synthetic_dataset, write_movielens_csv

    write_movielens_csv(synthetic_dataset(800, 30, 40, seed=3), tmp_path / "orig")
    ds = load_dataset(str(tmp_path / "orig"))
    split = make_split(ds, method="random", valid_fraction=0.2, seed=0)
    _save_fake("moved", ds, split)
    (tmp_path / "orig").rename(tmp_path / "elsewhere")
    code, _, err = _run(["evaluate", "moved"], capsys)
    assert code == 1 and "--data" in _one_error_line(err)
    code, out, err = _run(["evaluate", "moved", "--data", str(tmp_path / "elsewhere")], capsys)
    assert code == 0, err
    assert "test" in out and "recorded" in out
    # the data's inferred scale changes nothing for a model that recorded its own (s31)
    assert "Rating scale inferred" not in err and "--rating-scale" not in err


def test_evaluate_data_refuses_other_data(tmp_path, capsys):
    from movierate.data.synthetic import synthetic_dataset, write_movielens_csv

    _save_fake("m")
    write_movielens_csv(synthetic_dataset(800, 30, 40, seed=4), tmp_path / "other")
    code, _, err = _run(["evaluate", "m", "--data", str(tmp_path / "other")], capsys)
    assert code == 1
    assert "fingerprint" in _one_error_line(err)


# --- 14: leftovers in list -------------------------------------------------------------------


def test_list_reports_and_removes_leftovers_of_dead_writers(capsys):
    _save_fake("m")
    root = config.models_dir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = root / ".tmp-m-deadbeef"
    killed.mkdir()
    (killed / "embeddings.npz").write_bytes(b"x" * 5000)
    record = {**atomic.writer_record(), "pid": int(dead.stdout)}
    (killed / atomic.WRITER_FILE).write_text(json.dumps(record))
    with atomic.staging_folder(root, ".tmp-busy-") as busy:
        (busy / "embeddings.npz").write_bytes(b"y" * 3000)
        code, out, _ = _run(["list"], capsys)
        assert code == 0
        assert not killed.exists() and busy.exists()
        assert "Removed 1 leftover" in out and "1 write(s) in progress" in out
    report = store.leftovers()
    assert report.count == 0 and report.removed == ()


# --- rename ----------------------------------------------------------------------------------


def test_rename_command(capsys):
    _save_fake("m")
    _save_fake("n")
    code, _, err = _run(["rename", "m", "n"], capsys)
    assert code == 1 and "already exists" in _one_error_line(err)
    code, out, _ = _run(["rename", "m", "k"], capsys)
    assert code == 0 and "renamed m to k" in out
    assert store.load_model("k").meta["name"] == "k"


# --- the same class: damaged files and unexpected errors never print a traceback ---------------


@pytest.mark.parametrize(
    "damage",
    [
        {"split": [1, 2]},
        {"timings": 5, "versions": None},
        {"history": {"valid_rmse": "abc", "loss": [None, 1.0], "odd": 3}},
        {"metrics": {"valid_rmse": "x", "best_epoch": [1]}},
        {"spec": "not a dict"},
        {"dataset": {"name": None}},
    ],
    ids=["split", "timings", "history", "metrics", "spec", "dataset"],
)
def test_show_and_list_survive_a_damaged_meta_json(damage, capsys):
    path = _save_fake("m")
    meta = json.loads((path / "meta.json").read_text())
    meta.update(damage)
    (path / "meta.json").write_text(json.dumps(meta))
    code, out, err = _run(["show", "m"], capsys)
    assert "Traceback" not in err
    assert code == 0 or (code == 1 and err.startswith("error: "))
    code, out, err = _run(["list"], capsys)
    assert code == 0 and "Traceback" not in err
    code, out, err = _run(["evaluate", "m"], capsys)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err


def test_an_unexpected_error_is_one_line_with_how_to_see_more(capsys, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli.COMMANDS, "list", cli.Command("list", lambda p: None, broken))
    monkeypatch.delenv("MOVIERATE_DEBUG", raising=False)
    code, _, err = _run(["list"], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "ZeroDivisionError" in line and "MOVIERATE_DEBUG=1" in line
    monkeypatch.setenv("MOVIERATE_DEBUG", "0")  # off, as on the dashboard (README review s31)
    code, _, err = _run(["list"], capsys)
    assert code == 1 and "ZeroDivisionError" in _one_error_line(err)
    monkeypatch.setenv("MOVIERATE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["list"])


@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_dataset_name_is_refused_not_the_current_folder(name, capsys):
    code, out, err = _run(["datasets", name], capsys)
    assert code == 1 and not out
    assert "is not a dataset name" in _one_error_line(err)


def test_show_says_an_ensembles_history_is_its_first_members(capsys):
    path = _save_fake("m")
    meta = json.loads((path / "meta.json").read_text())
    meta["history"] = {"train_rmse": [0.95, 0.9]}
    (path / "meta.json").write_text(json.dumps(meta))
    code, out, _ = _run(["show", "m"], capsys)
    assert code == 0 and "\nhistory\n" in out  # a model's own curves: no note
    meta["metrics"] = {**meta.get("metrics", {}), "ensemble": 2.0}
    (path / "meta.json").write_text(json.dumps(meta))
    code, out, _ = _run(["show", "m"], capsys)
    assert code == 0 and "\nhistory (its first of 2 members)\n" in out


def test_list_names_a_home_that_is_a_file(tmp_path, monkeypatch, capsys):
    home = tmp_path / "homefile"
    home.write_text("not a folder")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    code, out, err = _run(["list"], capsys)
    assert code == 1 and not out
    assert f"{home} is a file, not a folder" in _one_error_line(err)
    assert "MOVIERATE_HOME" in err


def test_names_with_control_characters_never_reach_the_terminal_raw(tmp_path, capsys):
    vectors = tmp_path / "\x1b[31mRED\x1b[0m\nline.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.4\n")
    code, out, err = _run(["import", str(vectors), "--name", "esc"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "'\\x1b[31mRED\\x1b[0m\\nline.tsv'" in out
    code, out, _ = _run(["show", "esc"], capsys)
    assert code == 0 and "\x1b" not in out and "\\x1b[31mRED" in out
    code, _, err = _run(["show", "no\x1bsuch"], capsys)
    assert code == 1 and "\x1b" not in err


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"imported": True}, "'imported' should be null or a record"),
        ({"imported": "yes"}, "'imported' should be null or a record"),
        ({"dataset": {"rating_scale": [0, 1e308, 0]}}, "dataset.rating_scale should be"),
        # bad-input round 12: these loaded, and list / Compare showed them as the model's
        ({"metrics": {"test_rmse": -3.0}}, "metrics.test_rmse should be an error from 0 to"),
        ({"metrics": {"stop_mae": 1e308}}, "metrics.stop_mae should be an error from 0 to"),
        ({"created": "yesterday"}, "'created' should be a date and time as saved"),
        # the recheck's variants
        ({"metrics": {"test_rmse_of_mean": -1.0}}, "metrics.test_rmse_of_mean should be an err"),
        ({"metrics": {"test_rmse": 1.0, "test_mae": 3.0}}, "above the RMSE of the same rows"),
        ({"history": {"stop_rmse": [-1.0, 0.9]}}, "history.stop_rmse holds an error below 0"),
        ({"spec": {"regularizers": {"l9": 0.1}}}, "does not know: regularizer 'l9'"),
        ({"spec": {"dropout": 2.0}}, "dropout"),
        # recheck D (s26): an edited negative half-width flipped the averages verdict
        ({"metrics": {"test_rmse_minus_averages_ci95": -0.5}}, "should be a half-width from 0"),
        ({"metrics": {"test_rmse_minus_averages": 1e300}}, "should be a difference within"),
        # accuracy round 20: the sign-flip p beside the averages gap, and the users counted
        ({"metrics": {"test_rmse_minus_averages_p": 3.0}}, "should be a p-value above 0"),
        ({"metrics": {"test_users": 2.5}}, "metrics.test_users should be a whole number"),
    ],
    ids=[
        "imported-bool",
        "imported-text",
        "huge-scale",
        "rmse<0",
        "mae-1e308",
        "created",
        "mean<0",
        "mae>rmse",
        "history<0",
        "l9",
        "dropout",
        "ci<0",
        "gap-1e300",
        "p>1",
        "users-fraction",
    ],
)
def test_meta_values_the_pages_cannot_use_make_the_model_broken(damage, reason):
    """Round 4 (B1, B2): these passed the checks, and Embeddings / Rate then crashed."""
    path = _save_fake("m")
    meta = json.loads((path / "meta.json").read_text())
    for key, value in damage.items():
        meta[key] = {**meta[key], **value} if isinstance(value, dict) else value
    (path / "meta.json").write_text(json.dumps(meta))
    infos, broken = store.list_models()
    assert not infos and [b.name for b in broken] == ["m"]
    assert reason in broken[0].reason


def test_a_new_name_may_not_start_with_a_dash(capsys):
    """Round 4 (D6): '-x' was saved, then every command read it as an option."""
    with pytest.raises(StoreError, match="starts with '-'"):
        store.validate_name("-x")
    assert store.validate_name("-x", new=False) == "-x"  # one saved before still opens
    _save_fake("m")
    code, _, err = _run(["rename", "m", "--", "-x"], capsys)
    assert code == 1 and "starts with '-'" in err


@pytest.mark.parametrize(
    ("command", "flags", "words"),
    [
        ("train", ["--split", "official:u1", "--test-fraction", "0.5"], "--test-fraction does not"),
        ("tune", ["--split", "official:u1", "--test-fraction", "0.5"], "--test-fraction does not"),
    ],
)
def test_split_options_a_method_ignores_are_refused(capsys, command, flags, words):
    """Round 4 (D1): they were accepted and silently ignored (the model recorded seed 7)."""
    code, _, err = _run([command, "ml-100k", *flags], capsys)
    assert code != 0 and words in _one_error_line(err)
    assert not store.list_models()[0]


def test_ctrl_c_that_surfaces_as_another_error_is_still_interrupted(capsys, monkeypatch):
    """Round 4 (C2): Ctrl-C inside a C extension once ended tune with "unexpected
    SystemError ... bug" instead of "interrupted"."""
    import signal
    import time

    def interrupted_in_c(args):
        try:  # to this thread (os.kill may reach another of the process's threads first, so
            # that under load the interrupt landed after this block: a flaky failure)
            signal.raise_signal(signal.SIGINT)
            time.sleep(1)  # never reached when the handler runs at once
        except KeyboardInterrupt:  # what a C extension may turn it into
            raise SystemError("bad argument to internal function") from None

    # as in a terminal: a process started in the background by a shell without job control
    # (`cmd &` in a script) ignores SIGINT, and the CLI then rightly leaves it alone
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setitem(cli.COMMANDS, "list", cli.Command("list", lambda p: None, interrupted_in_c))
    monkeypatch.delenv("MOVIERATE_DEBUG", raising=False)
    code, _, err = _run(["list"], capsys)
    assert code == cli.EXIT_INTERRUPTED and err.strip() == "error: interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    monkeypatch.setitem(cli.COMMANDS, "list", cli.Command("list", lambda p: None, _raise_system))
    code, _, err = _run(["list"], capsys)
    assert code == 1 and "unexpected SystemError" in err  # without Ctrl-C: a bug, said so
    signal.signal(signal.SIGINT, previous)


def _raise_system(args):
    raise SystemError("no interrupt here")


def test_list_keeps_odd_folder_names_on_one_line_and_says_how_to_name_a_dashed_one(capsys):
    """Bad-input round 5: a folder copied in as 'nl<newline>x' split the listing's line, and a
    model folder '-dash' was listed but every command read its name as an option."""
    from movierate import config
    from movierate.cli import main

    models = config.models_dir()
    models.mkdir(parents=True)
    (models / "nl\nx").mkdir()
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "ok"]) == 0
    (models / "ok").rename(models / "-dash")
    capsys.readouterr()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "  nl\\nx: Invalid model name" in out and "\nx:" not in out
    assert "put -- before it (python -m movierate show -- -dash)" in out
    assert main(["show", "--", "-dash"]) == 0


def test_a_file_where_the_temporary_folder_goes_is_named(capsys):
    """Bad-input round 5: $MOVIERATE_HOME/tmp as a plain file stopped `train` with a bare
    'error: File exists: .../tmp'."""
    from movierate import store
    from movierate.cli import main

    store.temp_root().parent.mkdir(parents=True, exist_ok=True)
    store.temp_root().write_text("not a folder")
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "t"]) == 1
    err = capsys.readouterr().err
    assert "tmp is a file, not a folder" in err and "Move the file away" in err
    # bad-input round 13: a dangling link (an unmounted disk) or a loop of links there, and
    # at the models folder, brought the bare "File exists" back
    store.temp_root().unlink()
    store.temp_root().symlink_to(store.temp_root().parent / "unmounted")
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "t"]) == 1
    assert "tmp is a link to a folder that does not exist" in capsys.readouterr().err
    store.temp_root().unlink()
    models = config.models_dir()
    if models.is_dir():
        models.rmdir()  # empty: nothing was saved
    models.symlink_to(models)  # a loop
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "t"]) == 1
    err = capsys.readouterr().err
    assert "is a link to a folder that does not exist (or a loop of links)" in err


def _another_run_saves_first(monkeypatch) -> None:
    """The next save finds its name just taken: another `train` saved under it first."""
    from movierate import store
    from movierate.cli import main

    real = store.save_model

    def another_run_saves_first(name, *args, **kwargs):
        monkeypatch.setattr(store, "save_model", real)
        assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", name]) == 0
        return real(name, *args, **kwargs)

    monkeypatch.setattr(store, "save_model", another_run_saves_first)


def test_a_name_taken_while_training_keeps_the_training_under_a_free_name(capsys, monkeypatch):
    """Bad-input round 5: two `train --name same` runs at once; the second trained to the end,
    then said only "A model named 'same' already exists". Round 9: it then threw the trained
    model away; now it is saved under the next free name, and said so."""
    from movierate import store
    from movierate.cli import main

    _another_run_saves_first(monkeypatch)
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "same"]
    # CLI review round 1: the name was the user's, so a script learns of the change
    assert main(argv) == cli.EXIT_SAVED_AS_OTHER_NAME
    captured = capsys.readouterr()
    kept = store.unique_name("same")  # the next free name after the ones saved
    saved = [n for n in (i.name for i in store.list_models()[0]) if n.startswith("same")]
    assert sorted(saved) == ["same", "same-2"] and kept == "same-3"
    assert "the name 'same' was taken (another run's save or a rename)" in captured.err
    assert "while this training ran, so it is saved as 'same-2' (exit code 3: the model is " in (
        captured.err
    )


def test_a_name_taken_while_tuning_keeps_the_search_under_a_free_name(capsys, monkeypatch):
    """Round 9, left alone then: `tune --name X` threw its whole search away when another run
    saved X while it searched. Now the tuned model is saved as X-2, and the CLI says so."""
    from movierate import store
    from movierate.cli import main

    _another_run_saves_first(monkeypatch)
    argv = ["tune", "ml-100k", "--trials", "1", "--max-epochs", "1", "--no-refit", "--name", "t"]
    assert main(argv) == cli.EXIT_SAVED_AS_OTHER_NAME
    err = capsys.readouterr().err
    assert "the name 't' was taken (another run's save or a rename) while this search ran" in err
    assert store.read_meta("t-2")["tuning"]["n_trials"] == 1  # the search, kept
    assert "tuning" not in store.read_meta("t")  # the other run's training, untouched


def test_running_out_of_memory_is_said_as_such_not_as_a_bug():
    """Bad-input round 6: under `ulimit -v 2G` TensorFlow cannot load ("failed to map segment
    from shared object"), and `train` blamed a bug in movierate or a damaged file."""
    from movierate.cli.output import memory_text

    mapped = ImportError("libtensorflow_cc.so.2: failed to map segment from shared object")
    assert memory_text(mapped).startswith("not enough memory (ImportError: libtensorflow_cc")
    assert "ulimit -v" in memory_text(MemoryError())
    assert memory_text(OSError(12, "Cannot allocate memory")) is not None
    assert memory_text(ImportError("No module named 'x'")) is None
    assert memory_text(ValueError("bad value")) is None


def test_paths_that_are_no_utf8_are_refused_before_any_work(tmp_path, monkeypatch, capsys):
    """Bad-input round 10 and its recheck: a MOVIERATE_HOME path with bytes that are no UTF-8
    trained fully, then failed at save with "a bug in movierate"; a dataset path like it gave
    the same line, and such data folders vanished from `datasets` without a word."""
    import os

    from movierate.cli import main

    home = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"h\xffome"))
    monkeypatch.setenv("MOVIERATE_HOME", home)
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "x"]) == 1
    err = capsys.readouterr().err
    assert "no UTF-8 text, where models cannot be saved" in err and "bug" not in err
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    folder = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"my\xffset"))
    assert main(["datasets", folder]) == 1
    err = capsys.readouterr().err
    assert "no UTF-8 text (" in err and "my\\xffset" in err and "bug" not in err
    custom = tmp_path / "home" / "data" / "custom"
    (custom / "rtl\u202eset").mkdir(parents=True)
    (custom / "rtl\u202eset" / "ratings.csv").write_text("userId,movieId,rating\n1,1,4\n")
    assert main(["datasets"]) == 0
    assert "Left out: dataset folder(s) 'rtl\\u202eset'" in capsys.readouterr().out
    # and not trained on by name either (recheck 2: its raw name then reversed page text)
    assert main(["train", "rtl\u202eset", "--epochs", "1", "--name", "r"]) == 1
    assert "The dataset folder 'rtl\\u202eset' has a name" in capsys.readouterr().err


def test_a_latin1_locale_with_a_non_ascii_home_is_refused_before_any_work(
    tmp_path, monkeypatch, capsys
):
    """Bad-input round 11: under a Latin-1 locale a home named 'homé' reached pyarrow as
    another path: train trained fully, then failed with "No such file or directory", and Home
    and Train opened on an error box."""
    import sys

    from movierate import config
    from movierate.cli import main

    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "iso8859-1")
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "homé"))
    assert "PYTHONUTF8=1" in config.locale_problem()
    assert main(["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "x"]) == 1
    assert "file-name encoding" in capsys.readouterr().err
    assert not (tmp_path / "homé").exists()
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    assert config.locale_problem() is None  # ASCII paths are fine under any locale


def test_a_non_ascii_path_under_a_latin1_locale_is_refused_up_front(tmp_path, monkeypatch, capsys):
    """Recheck 3: `train /path/dé` under a Latin-1 locale failed with "No such file or
    directory" for a folder that exists (pyarrow opened another path)."""
    import sys

    from movierate.cli import main

    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "iso8859-1")
    (tmp_path / "dé").mkdir()
    assert main(["train", str(tmp_path / "dé"), "--epochs", "1"]) == 1
    assert "file-name encoding" in capsys.readouterr().err


# --- CLI review round 1: a stream that cannot be written ----------------------------------------


class _FailingStream:
    """A text stream whose every write fails with ``error`` (the reader gone, a full disk)."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    "error", [BrokenPipeError(32, "Broken pipe"), OSError(28, "No space left on device")]
)
def test_a_failing_progress_stream_never_costs_the_training(error, monkeypatch):
    """`train ... 2>&1 | head -2` killed the training at its first progress line, after the
    reader went away, and saved nothing; so did a full or closed stderr. Progress only says how
    the run goes: the training is saved and the exit code is 0."""
    monkeypatch.setattr(sys, "stderr", _FailingStream(error))
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "2", "--name", "quiet"]
    assert cli.main(argv) == cli.EXIT_OK
    assert store.read_meta("quiet")["metrics"]["epochs_run"] == 2


def test_output_that_cannot_be_written_says_the_command_ran(monkeypatch, capsys):
    """`train ... >/dev/full` saved the model, then said only "No space left on device (free
    some disk space and try again)"; trying again met the taken name. The rename is done and
    the error says the command ran to its end."""
    _save_fake("old")
    monkeypatch.setattr(sys, "stdout", _FailingStream(OSError(28, "No space left on device")))
    assert cli.main(["rename", "old", "new"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert _one_error_line(err) == (
        "error: `rename` ran to its end, so whatever it changed is done, but its output could "
        "not be written to stdout (No space left on device); check with `list` before running "
        "it again."
    )
    assert [m.name for m in store.list_models()[0]] == ["new"]
    # recheck: a command that changes nothing is not pointed at `list`
    assert cli.main(["show", "new"]) == cli.EXIT_ERROR
    assert _one_error_line(capsys.readouterr().err) == (
        "error: the output of `show` could not be written to stdout (No space left on device)."
    )


def test_a_closed_stderr_is_no_file_number_for_a_saved_model(tmp_path):
    """With `2>&-` the first file opened got descriptor 2, so TensorFlow's log lines on stderr
    went into it, and the "bug" line ended the run. /dev/null now takes the number first."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MOVIERATE_HOME": str(tmp_path)}
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "closed"]
    proc = subprocess.run(
        [sys.executable, "-m", "movierate", *argv],
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
        preexec_fn=lambda: os.close(2),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("saved 'closed' in "), proc.stdout
    folder = tmp_path / "models" / "closed"
    assert json.loads((folder / "meta.json").read_text())["metrics"]["epochs_run"] == 1
    with np.load(folder / "embeddings.npz") as arrays:  # a readable archive, no log lines in it
        assert arrays["movie_embedding"].shape[1] == 2


def test_weights_a_training_never_writes_are_refused_at_load():
    """Bad-input round 12: integer embeddings loaded as "real numbers" (list showed the recorded
    1.0366, evaluate recomputed 1.8434), and a global mean of 1e30 loaded."""
    path = _save_fake("m")
    with np.load(path / "embeddings.npz") as npz:
        arrays = dict(npz)
    np.savez(
        path / "embeddings.npz",
        **{**arrays, "movie_embedding": (100 * arrays["movie_embedding"]).astype(np.int32)},
    )
    infos, broken = store.list_models()
    assert "'movie_embedding' holds int32 values; movierate saves embeddings" in broken[0].reason
    np.savez(path / "embeddings.npz", **{**arrays, "global_mean": np.float32(1e30)})
    with pytest.raises(StoreError, match="global_mean is 1e[+]30, outside the rating scale"):
        store.load_model("m")
    np.savez(path / "embeddings.npz", **arrays)
    assert store.load_model("m").dim == 4


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--dims", "8,8"], "error: --dims names 8 more than once; give each value once"),
        (["--datasets", "ml-100k, ml-100k"], "error: --datasets names ml-100k more than once"),
        (["--dims", "0"], "error: --dims: 0 is invalid: use a whole number from 1 to 1024."),
        (["--seeds", "9" * 20], "error: --seeds: 99999999999999999999 is invalid: use a whole"),
    ],
)
def test_study_lists_are_checked_in_the_study_flags_words(flags, said, capsys, tmp_path):
    """CLI review round 1: a repeated --dims or --datasets value ran its cells twice and the
    summary counted the copies as seeds (n_seeds=4 for 2); --dims 0 was blamed on `--dim`."""
    code = cli.main(["study", "--quick", "--no-save", "--out", str(tmp_path / "o"), *flags])
    assert code == cli.EXIT_ERROR
    assert _one_error_line(capsys.readouterr().err).startswith(said)
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_a_split_that_leaves_no_early_stopping_rows_is_said(capsys):
    """CLI review round 1: `--split temporal --test-fraction 0.999` trained on 943 ratings with
    no early-stopping rows, printed "early-stopping RMSE -" and exited 0 without a word."""
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "1", "--quiet", "--name", "edge"]
    assert cli.main([*argv, "--split", "temporal", "--test-fraction", "0.999"]) == 0
    err = capsys.readouterr().err
    assert "warning: The split left no early-stopping rows (943 training and 99,057 test" in err
    assert store.split_note({"n_train": 100, "n_stop": 20, "n_test": 880}).startswith(
        "It trained on 100 of the 1,000 ratings (10%)"
    )
    assert store.split_note({"n_train": 800, "n_stop": 100, "n_test": 100}) == ""
    # bad-input round 17: a 10-rating upload reported "Test RMSE 4.2410" from one rating
    assert store.split_note({"n_train": 8, "n_stop": 1, "n_test": 1}).startswith(
        "Only 1 test and 1 early-stopping rating(s) (under 30 each): its test RMSE and the epoch it"
    )


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--family", "deep", "--family", "mf"], "--family is given 2 times (--family deep, "),
        (["--dim", "8", "--dim=16"], "--dim is given 2 times (--dim 8, --dim=16)"),
        (["--user-bias", "--no-user-bias"], "--user-bias is given 2 times"),
        (["--test-fraction", "0.2", "--valid-fraction", "0.3"], "--test-fraction is given 2"),
        (["--reg", "l2=0.1", "--reg", "l2=0.5"], "--reg gives l2 twice (l2=0.1 and l2=0.5)"),
        (["--reg", "none", "--reg", "l2=0.5"], "--reg none means no regularizer, but other"),
        # recheck 2: argparse reads a prefix as the option it starts
        (["--family", "deep", "--fam", "mf"], "--family is given 2 times (--family deep, --fam"),
        (["--user-bias", "--no-user-b"], "--user-bias is given 2 times"),
    ],
)
def test_an_option_given_twice_is_refused_not_the_last_kept(flags, said, capsys):
    """CLI review round 1: the last of two values won silently (`--family deep --family mf`
    trained mf; the hidden --valid-fraction overrode --test-fraction)."""
    assert cli.main(["train", "ml-100k", "--name", "twice", *flags]) == cli.EXIT_ERROR
    assert said in _one_error_line(capsys.readouterr().err)
    assert store.list_models() == ([], [])


def test_list_and_show_print_json_for_scripts(capsys):
    """CLI review round 1: a script had to scrape `list`, whose columns come and go with the
    store's contents (test rows, old valid RMSE) and whose cells hold spaces."""
    _save_fake("good")
    path = _save_fake("bad")
    (path / "meta.json").write_text("{")
    assert cli.main(["list", "--json"]) == cli.EXIT_OK
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == ["good", "bad"]
    assert [list(r) for r in records] == [list(records[0])] * 2  # the same keys, in order
    good, bad = records
    assert good["broken"] is False and good["dim"] == 4 and good["family"] == "mf"
    assert good["split"]["n_test"] > 0 and good["test_rmse"] is None  # the fake has none
    assert bad["broken"] is True and "meta.json" in bad["reason"] and bad["dim"] is None
    assert cli.main(["show", "good", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == store.read_meta("good")
    # recheck 2: a NaN in a hand-edited file is null, not "a bug"
    meta = json.loads((store.model_path("good") / "meta.json").read_text())
    meta["spec"]["regularizers"] = {"l2": float("nan")}
    (store.model_path("good") / "meta.json").write_text(json.dumps(meta))
    assert cli.main(["show", "good", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["spec"]["regularizers"] == {"l2": None}


def test_evaluate_says_when_the_arrays_are_not_the_ones_training_recorded(capsys):
    """Bad-input round 12: another training's embeddings.npz copied over a model (meta.json
    kept) recomputed 0.9861 beside "recorded 1.0366" without a word."""
    import shutil

    for name, epochs in (("a", "1"), ("b", "5")):
        argv = ["train", "ml-100k", "--dim", "2", "--epochs", epochs, "--quiet", "--name", name]
        assert cli.main(argv) == 0
    capsys.readouterr()  # training's own notes (a 1-epoch model is no better than the averages)
    assert cli.main(["evaluate", "a"]) == 0
    assert "the recomputed test RMSE" not in capsys.readouterr().err
    shutil.copy(store.model_path("b") / "embeddings.npz", store.model_path("a") / "embeddings.npz")
    assert cli.main(["evaluate", "a"]) == 1  # bad-input round 52: its record refuses the file
    assert "embeddings.npz is not the file this model saved" in capsys.readouterr().err
    meta = json.loads((store.model_path("a") / "meta.json").read_text())
    meta.pop("files")  # a model saved before that record
    (store.model_path("a") / "meta.json").write_text(json.dumps(meta))
    assert cli.main(["evaluate", "a"]) == 0
    assert "warning: the recomputed test RMSE" in capsys.readouterr().err


def test_a_save_date_far_ahead_is_not_the_newest_model():
    """Recheck 1 and 2: a meta.json dated 2099 sorted first, so every many-model page picked it
    as "the newest" by default."""
    for name in ("older", "newer", "future"):
        _save_fake(name)
    path = store.model_path("future") / "meta.json"
    meta = json.loads(path.read_text())
    meta["created"] = "2099-01-01T00:00:00+00:00"
    path.write_text(json.dumps(meta))
    names = [info.name for info in store.list_models()[0]]
    assert names[-1] == "future" and set(names[:2]) == {"older", "newer"}


def test_tensorflow_s_native_error_lines_are_quiet_unless_asked_for():
    """CLI round 1 left this: every training printed TensorFlow's "failed call to cuInit" error
    line (and its CPU-feature notice) between movierate's lines on a machine without a GPU."""
    import subprocess
    import sys

    code = "import movierate, os, tensorflow; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() in {"2", "3"}
    assert "cuInit" not in quiet.stderr and "cpu_feature_guard" not in quiet.stderr
    asked = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"},
        capture_output=True,
        text=True,
    )
    assert asked.stdout.strip() == "0" and len(asked.stderr) > len(quiet.stderr)


def test_a_ratings_csv_without_line_feeds_is_read_by_its_first_line(tmp_path, movielens_dir):
    """Bad-input round 14: a GroupLens ratings.csv with old Mac CR-only line ends was read whole
    as its header ("missing column(s) timestamp", then the whole 2.4 MB file in the message); a
    file with no line break at all (500 MB sparse) took 23 GB before the OOM killer. CR-only
    files now load, and a file without a line break in its first 64 KB is refused early."""
    from movierate.data import formats
    from movierate.data.load import load_folder
    from movierate.errors import MAX_MESSAGE, DataError

    source = movielens_dir / "ml-latest-small"
    folder = tmp_path / "cronly"
    folder.mkdir()
    (folder / "movies.csv").write_bytes((source / "movies.csv").read_bytes())
    (folder / "ratings.csv").write_bytes(
        (source / "ratings.csv").read_bytes().replace(b"\n", b"\r")
    )
    assert len(load_folder(folder, "cronly").ratings) == 100_836
    (folder / "ratings.csv").write_bytes(b"\0" * (formats.HEADER_LIMIT * 4))
    with pytest.raises(DataError, match="no line break in its first 64 KB"):
        load_folder(folder, "nul")
    (folder / "ratings.csv").write_bytes(("x," * 20_000 + "\n1,2,3\n").encode())
    with pytest.raises(DataError) as raised:
        load_folder(folder, "wide")
    message = str(raised.value)
    assert "missing column(s) userId" in message and len(message) < 1_000
    assert len(str(DataError("x" * 10 * MAX_MESSAGE))) < MAX_MESSAGE + 100  # any long message


def test_show_and_evaluate_warn_of_too_few_held_out_ratings(tmp_path, capsys):
    """Recheck E (s26): the few-held-out-ratings warning came only right after training."""
    rows = [f"{u},{m},{1 + (u + m) % 5}" for u in range(4) for m in range(4)]
    path = tmp_path / "tiny.csv"
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    assert cli.main(["datasets", str(path), "--name", "tiny"]) == 0
    assert cli.main(["train", "tiny", "--dim", "2", "--epochs", "1", "--quiet", "--name", "t"]) == 0
    capsys.readouterr()
    for command in (["show", "t"], ["evaluate", "t"]):
        cli.main(command)
        assert "warning: Only " in capsys.readouterr().err
