"""python -m movierate: every subcommand, clean errors and exit codes, no TensorFlow for --help."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from movierate import cli, config, store
from movierate.progress import ProgressEvent
from movierate.spec import ModelSpec

REPO = Path(__file__).resolve().parents[1]


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_every_command(capsys):
    code, out, _ = _run(["--help"], capsys)
    assert code == 0
    for name in ("train", "list", "show", "delete", "evaluate", "datasets", "download"):
        assert name in out


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_help_prints_its_own_words(command, capsys):
    """Accuracy round 14: an unescaped '%' in evaluate's --against help printed argparse's
    internals ("± the 95{'option_strings': ...}lf-width")."""
    code, out, _ = _run([command, "--help"], capsys)
    assert code == 0 and f"python -m movierate {command}" in out
    assert "option_strings" not in out and "%(" not in out


def test_no_command_and_unknown_flags_are_usage_errors(capsys):
    assert _run([], capsys)[0] == 2
    code, _, err = _run(["list", "--bogus"], capsys)
    assert code == 2 and "unrecognized arguments: --bogus" in err


def test_every_model_spec_field_has_a_train_flag():
    assert set(cli.SPEC_FLAGS) == {f.name for f in dataclasses.fields(ModelSpec)}


def test_train_flags_build_the_spec():
    args = cli.build_parser().parse_args(
        [
            "train",
            "ml-100k",
            "--family",
            "deep",
            "--dim",
            "8",
            "--hidden-units",
            "16, 8",
            "--reg",
            "l2=1e-4",
            "--reg",
            "decorrelation=0.5",
            "--no-movie-bias",
            "--batch-norm",
            "--patience",
            "3",
            "--learning-rate",
            "0.01",
        ]
    )
    spec = cli.spec_from_args(args)
    expected = ModelSpec(
        family="deep",
        dim=8,
        hidden_units=(16, 8),
        regularizers={"l2": 1e-4, "decorrelation": 0.5},
        movie_bias=False,
        batch_norm=True,
        early_stopping_patience=3,
        learning_rate=0.01,
    )
    assert spec == expected
    assert cli.spec_from_args(cli.build_parser().parse_args(["train", "x"])) == ModelSpec()
    no_reg = cli.build_parser().parse_args(["train", "x", "--reg", "none"])
    assert cli.spec_from_args(no_reg).regularizers == {}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--reg", "l2"], "error: --reg takes KIND=STRENGTH"),
        (["--hidden-units", "64,big"], "error: --hidden-units takes whole numbers"),
        (["--dim", "0"], "error: "),
        (["--name", "../x"], "error: Invalid model name '../x'"),
        (["--split", "alphabetical"], "error: Unknown split method 'alphabetical'"),
    ],
)
def test_bad_train_options_fail_fast_with_one_error_line(flags, message, capsys, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("the dataset must not be loaded for bad options")

    monkeypatch.setattr("movierate.pipeline.load_dataset", no_data)
    code, _, err = _run(["train", "ml-latest-small", *flags], capsys)
    assert code == 1
    assert err.startswith(message) and err.count("\n") == 1


def test_train_list_show_evaluate_delete_end_to_end(capsys):
    code, out, err = _run(
        [
            "train",
            "ml-100k",
            "--dim",
            "4",
            "--epochs",
            "2",
            "--batch-size",
            "4096",
            "--split",
            "official:u1",
            "--name",
            "cli-tiny",
            "--reg",
            "none",
        ],
        capsys,
    )
    assert code == 0, err
    assert "saved 'cli-tiny'" in out and "test RMSE" in out and "early-stopping RMSE" in out
    # CLI round 2: the wall time read as the training time that `list` and the pages show
    recorded = json.loads((config.models_dir() / "cli-tiny" / "meta.json").read_text())
    assert "s of it training:" in out
    assert f", {recorded['timings']['train_seconds']:.1f} s of it training" in out
    assert "epoch 1/2 done" in err and "epoch 2/2 done" in err and "stop_rmse" in err
    assert "test_rmse" not in err  # training never reports test rows
    # cold-start test rows are said from 1% of them on (accuracy round 9)
    unseen = json.loads((config.models_dir() / "cli-tiny" / "meta.json").read_text())["metrics"]
    said = "have a user or movie with no training rating" in err
    assert said == (unseen["test_unseen_rows"] >= 0.01 * 20000)

    (config.models_dir() / "half-saved").mkdir()
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    header, _rule, row = out.splitlines()[:3]
    assert header.split()[:7] == [
        "name",
        "family",
        "dim",
        "regularizers",
        "dataset",
        "test",
        "RMSE",
    ]
    assert header.rstrip().endswith("created (UTC)")  # bad-input round 14: no zone was said
    assert row.split()[:5] == ["cli-tiny", "mf_bias", "4", "-", "ml-100k"]
    assert 0.5 < float(row.split()[5]) < 2.0  # the test RMSE
    assert "1 broken model folder(s)" in out and "half-saved: meta.json is missing" in out

    code, out, _ = _run(["show", "cli-tiny"], capsys)
    assert code == 0
    assert "official" in out and "u1" in out and "n_test 20,000" in out
    # views round 34, F4/F5/F6: counts grouped, differences signed, the rate's clock named
    assert "(100,000 ratings, 943 users, 1,682 movies" in out
    gap = re.search(r"test RMSE minus the averages' \(same rows\)\s+(\S+)", out)
    assert gap and gap[1][0] in "+-", out
    assert "ratings/s in its optimizer steps" in out
    assert "test RMSE" in out and "early-stopping RMSE" in out
    history = out.split("\nhistory\n")[1].splitlines()
    assert history[0].split()[0] == "epoch" and "stop_rmse" in history[0]
    # README review s31: an unset bias printed None, and metrics mixed raw keys with labels
    assert "user_bias                True (unset: the family's default)" in out
    metrics = out.split("\nmetrics\n")[1].split("\nhistory\n")[0].splitlines()
    labels = [line[:38].strip() for line in metrics if line.startswith("  ") and line[2] != "("]
    assert labels and not [label for label in labels if "_" in label]
    # recheck N6: the values line up past the longest label; no field the family never reads
    rows = [line for line in metrics if line.startswith("  ") and line[2] != "("]
    starts = {len(line) - len(line.rstrip().split()[-1]) for line in rows}
    assert len(starts) == 1, rows
    assert "hidden_units" not in out.split("\nmetrics\n")[0]
    assert [line.split()[0] for line in history[2:-1]] == ["1", "2"]
    assert history[-1].startswith("(loss: the epoch's training batches' mean squared error")

    code, out, _ = _run(["evaluate", "cli-tiny"], capsys)
    assert code == 0
    test = next(line for line in out.splitlines() if line.startswith("test "))
    n, rmse, _mae, recorded_rmse = test.split()[1:5]
    assert n == "20,000"
    assert float(rmse) == pytest.approx(float(recorded_rmse), abs=1e-5)
    stop = next(line for line in out.splitlines() if line.startswith("early-stopping"))
    n, rmse, _mae, recorded_rmse = stop.split()[1:5]
    assert n == "8,000"
    assert float(rmse) == pytest.approx(float(recorded_rmse), abs=2e-4)
    # u1.test has movies that no training row rates: their rows are counted and said to be
    unseen = re.search(r"^([\d,]+) of them have a user or movie with no rating", out, re.M)
    assert unseen and 0 < int(unseen[1].replace(",", "")) < 20000, out
    # ml-100k: the first versions' defaults were picked on rows among u1.test's (the caveat)
    assert "test rows: seen by neither training nor early stopping." in out
    assert "Not quite unseen for cli-tiny: defaults" in out

    code, out, _ = _run(["delete", "cli-tiny"], capsys)
    assert code == 0 and "deleted cli-tiny" in out
    assert not (config.models_dir() / "cli-tiny").exists()
    code, _, err = _run(["delete", "cli-tiny"], capsys)
    assert code == 1 and "No model named 'cli-tiny'" in err


def test_evaluate_says_whose_settings_saw_some_of_its_test_rows(capsys):
    argv = ["train", "ml-100k", "--dim", "4", "--epochs", "1", "--batch-size", "8192"]
    code, _, err = _run(
        [*argv, "--name", "ord", "--reg", "l2=0.1", "--reg", "ordered=0.01"], capsys
    )
    assert code == 0, err
    code, out, _ = _run(["evaluate", "ord"], capsys)
    assert code == 0
    assert "test rows: seen by neither training nor early stopping." in out
    assert "Not quite unseen for ord" in out and "seed-7 random split" in out
    assert "nor any choice of settings" not in out


def test_evaluate_against_pairs_the_test_errors(capsys):
    argv = ["train", "ml-latest-small", "--dim", "4", "--epochs", "1", "--batch-size", "8192"]
    for name, l2 in (("a", "0.1"), ("b", "1.0")):
        code, _, err = _run([*argv, "--name", name, "--reg", f"l2={l2}"], capsys)
        assert code == 0, err
    code, out, err = _run(["evaluate", "a", "--against", "b"], capsys)
    assert code == 0, err
    paired = out.split("paired over the same 10,084 test ratings")[1]
    lines = paired.splitlines()
    table = {line.split()[0]: line.split()[1:] for line in lines[3:5]}
    # by the stored RMSEs: both may print the same 4 decimals (the seeded start decides)
    lowest = min(table, key=lambda n: store.load_model(n).metrics["test_rmse"])
    other = next(n for n in table if n != lowest)
    assert table[lowest][1:] == ["lowest", "reference"] and table[other][2] == "±"
    assert table[other][4][0] == "(" and " ".join(table[other][6:]).endswith("the draw")
    assert lines[5].startswith("A difference of at least 2 standard errors")
    code, again, err = _run(["evaluate", "a", "--against", "b", "b", "a"], capsys)
    assert code == 0 and again == out, err  # each model once: still a pair
    code, _, err = _run(["train", "ml-100k", "--dim", "4", "--epochs", "1", "--name", "c"], capsys)
    assert code == 0, err
    code, _, err = _run(["evaluate", "a", "--against", "c"], capsys)
    assert code == 1 and "trained on other data than 'a'" in err
    code, _, err = _run(["evaluate", "a", "--against", "nobody"], capsys)
    assert code == 1 and "nobody" in err


def test_list_on_an_empty_store_says_how_to_start(capsys):
    code, out, err = _run(["list"], capsys)
    assert code == 0 and "No models in" in err and "python -m movierate train" in err
    assert out == ""  # a note, not a model: `list | wc -l` counts 0


def test_datasets_shows_the_shared_copies(capsys):
    code, out, _ = _run(["datasets"], capsys)
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert rows["ml-latest-small"][1] == "yes"
    assert rows["ml-100k"][1] == "yes"


def test_download_fetches_the_zip_with_progress(tmp_path, monkeypatch, capsys):
    """Download ml-latest-small (a tiny synthetic stand-in) from a local web server."""
    from movierate.data import load_dataset, synthetic_dataset, write_movielens_csv

    site = tmp_path / "site"
    write_movielens_csv(synthetic_dataset(500, 20, 30, seed=0), site / "ml-latest-small")
    shutil.make_archive(str(site / "ml-latest-small"), "zip", site, "ml-latest-small")
    handler = functools.partial(_QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        monkeypatch.setenv("MOVIERATE_DOWNLOAD_URL", f"http://127.0.0.1:{httpd.server_port}/")
        monkeypatch.delenv("MOVIERATE_DATA_DIR")
        code, out, err = _run(["download", "ml-latest-small"], capsys)
        httpd.shutdown()
    assert code == 0, err
    assert out.strip() == f"ml-latest-small is ready: {config.data_dir() / 'ml-latest-small'}"
    assert err.startswith("downloading ml-latest-small: ") and "(100%)" in err
    assert len(load_dataset("ml-latest-small")) == 500


def test_download_of_a_set_already_here_names_its_folder_and_downloads_nothing(monkeypatch, capsys):
    """README review s31: the README said `download` extracts into $MOVIERATE_HOME/data; a copy
    under MOVIERATE_DATA_DIR is used where it is, and the command now says so."""
    monkeypatch.setenv("MOVIERATE_DOWNLOAD_URL", "http://127.0.0.1:9/")  # nothing listens
    shared = Path(os.environ["MOVIERATE_DATA_DIR"])
    code, out, err = _run(["download", "ml-100k"], capsys)
    assert code == 0, err
    assert out.strip() == f"ml-100k is ready: {shared / 'ml-100k'}"
    assert f"note: ml-100k was already in {shared}; nothing was downloaded." in err
    assert not (config.data_dir() / "ml-100k").exists()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_of_an_unknown_dataset_is_a_clean_error(capsys):
    code, _, err = _run(["download", "ml-999"], capsys)
    assert code == 1 and err.startswith("error: ")


def test_each_file_of_an_import_has_its_own_encoding_and_a_garbling_one_is_said(tmp_path, capsys):
    """Recheck: --encoding applied to both files, so the ratings file's advice garbled the
    items file's UTF-8 titles unsaid; utf-16 on a file without a byte-order mark was "a bug"."""
    ratings = tmp_path / "r.csv"
    ratings.write_bytes("user,movie,rating\nJos\u00e9,10,4\nRen,11,5\n".encode("latin-1"))
    items = tmp_path / "i.csv"
    items.write_text("movieId,title\n10,Am\u00e9lie (2001)\n11,Z (1969)\n", encoding="utf-8")
    argv = ["datasets", str(ratings), "--items", str(items), "--encoding", "latin-1"]
    code, _, err = _run([*argv, "--name", "a"], capsys)
    assert code == 0 and "reads as UTF-8 text, but was read as latin-1" in err, err
    assert "'Am\u00e9lie' as 'Am\u00c3\u00a9lie'" in err or "AmÃ©lie" in err
    code, _, err = _run([*argv, "--items-encoding", "utf-8", "--name", "b"], capsys)
    assert code == 0 and "garbled" not in err
    from movierate.data.load import load_dataset_by_name

    assert list(load_dataset_by_name("b").movies["title"]) == ["Am\u00e9lie", "Z"]
    code, _, err = _run(["datasets", str(items), "--name", "c", "--encoding", "utf-16"], capsys)
    assert code == 1 and "say utf-16-le or utf-16-be" in err and "bug" not in err


def test_train_json_gives_the_saved_name_and_numbers_on_stdout(movielens_dir, capsys):
    """CLI round 3: after exit code 3 (saved under another name) a script could learn the name
    only from prose."""
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "1", "--quiet", "--name", "j"]
    assert cli.main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert record["name"] == "j" and record["exit_code"] == 0 and record["dataset"] == "ml-100k"
    assert record["metrics"]["test_rmse"] == store.read_meta("j")["metrics"]["test_rmse"]
    assert "saved 'j'" in err and "folder:" in err


def test_a_failed_json_command_gives_its_error_as_json_on_stdout(movielens_dir, capsys):
    """Recheck A (s25): a failed `train --json` left stdout empty, so a script's JSON parser
    failed on it instead of reading why."""
    argv = ["train", "no-such-set", "--epochs", "1", "--quiet", "--json"]
    code, out, err = _run(argv, capsys)
    record = json.loads(out)
    assert code == 1 and record["exit_code"] == 1 and "no-such-set" in record["error"]
    assert err.startswith("error: ")
    code, out, _ = _run(["show", "nobody", "--json"], capsys)
    assert code == 1 and "nobody" in json.loads(out)["error"]
    code, out, _ = _run(["show", "nobody"], capsys)  # without --json: stdout stays empty
    assert code == 1 and out == ""
    code, out, err = _run(["show", "--json"], capsys)  # a usage error (recheck B, s26)
    assert code == 2 and json.loads(out) == {
        "error": "bad arguments: the usage is on stderr",
        "exit_code": 2,
    }
    assert "usage:" in err


def test_a_mistyped_flag_gets_its_command_s_usage_and_the_nearest_flag(capsys):
    """Onboarding review: `train ml-100k --dims 8` printed the top-level usage."""
    code, _, err = _run(["train", "ml-100k", "--dims", "8"], capsys)
    assert code == 2 and "usage: python -m movierate train" in err
    assert "unrecognized arguments: --dims 8; --dims: did you mean --dim?" in err


def test_progress_bar_writes_one_line_per_epoch_when_not_a_terminal():
    stream = io.StringIO()
    bar = cli.ProgressBar(stream)
    for epoch in (1, 2):
        for batch in (1, 2, 3):
            bar(ProgressEvent(phase="batch", epoch=epoch, epochs=2, batch=batch, batches=3))
        bar(
            ProgressEvent(
                phase="epoch",
                epoch=epoch,
                epochs=2,
                batch=3,
                batches=3,
                metrics={"train_rmse": 0.9, "valid_rmse": 0.95 - epoch / 100},
            )
        )
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("epoch 2/2 done in") and "valid_rmse 0.9300" in lines[1]
    # README review s31: epoch 1 read as longer than the whole training the summary gives
    assert "(with the model's set-up)" in lines[0] and "set-up" not in lines[1]


def test_progress_bar_draws_batches_on_a_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "80")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = cli.ProgressBar(stream)
    bar(ProgressEvent(phase="batch", epoch=1, epochs=3, batch=5, batches=10, metrics={}))
    bar.close()
    assert "epoch 1/3 [" + "#" * 12 + "-" * 12 + "] batch 5/10" in stream.getvalue()


def test_progress_redraws_with_real_control_codes_through_the_escaping_stderr(monkeypatch):
    """CLI round 3: once stderr escaped control characters (a name from the data never moves
    the cursor), the bar's own carriage return and erase-line came out as the text
    ``\\r\\x1b[K``; a name in the label stays escaped."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "80")
    from movierate.cli.output import DiagnosticStream
    from movierate.cli.progress import DownloadProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    raw = Terminal()
    stderr = DiagnosticStream(raw)
    bar = cli.ProgressBar(stderr)
    bar(ProgressEvent(phase="batch", epoch=1, epochs=3, batch=5, batches=10, metrics={}))
    bar.close()
    DownloadProgress("ml\x1b[31m-100k", stderr)(10**6, 2 * 10**6)
    written = raw.getvalue()
    assert written.count("\r\x1b[K") == 2 and "\\r" not in written
    assert "downloading ml\\x1b[31m-100k: 1.0 MB of 2.0 MB (50%)" in written


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


def test_user_errors_exit_1_with_one_line_and_no_traceback():
    proc = _python("-m", "movierate", "show", "no-such-model")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: No model named 'no-such-model'")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_help_and_list_do_not_import_tensorflow():
    for command in (["--help"], ["list"], ["train", "--help"]):
        proc = _python("-X", "importtime", "-m", "movierate", *command)
        assert proc.returncode == 0, proc.stderr
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
        assert "tensorflow" not in imported and "keras" not in imported, command


def test_store_models_are_listed_by_the_cli(trained_home, capsys):
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
    assert {"small-mf", "small-deep"} <= set(names)
    assert store.list_models()[1] == []
    # views review round 3: a column only models saved before test rows fill was always empty
    assert "old valid RMSE" not in out.splitlines()[0] and "test RMSE" in out.splitlines()[0]


def test_list_says_when_test_rmses_come_from_different_test_rows(capsys, monkeypatch):
    """Two models tested on different ratings: `list` names each one's test rows and warns
    that their test RMSEs do not compare (one column of numbers would suggest they do)."""

    def info(name: str, method: str) -> store.ModelInfo:
        split = {"method": method, "seed": 42, "test_fraction": 0.2, "n_test": 10}
        return store.ModelInfo(
            name=name, path=Path(name), created="2026-12-03T10:00:00", spec=ModelSpec(),
            dataset="ml-latest-small", metrics={"test_rmse": 0.9}, train_seconds=1.0,
            format_version=1, split_record=split, dataset_fingerprint="f1",
        )  # fmt: skip

    models = [info("by-time", "temporal"), info("at-random", "random")]
    monkeypatch.setattr(store, "list_models", lambda: (models, []))
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    assert "test rows" in out.splitlines()[0]
    assert "per-user temporal 20%" in out and "random 20%, seed 42" in out
    assert "tested on different ratings" in out
    monkeypatch.setattr(store, "list_models", lambda: (models[:1], []))
    code, out, _ = _run(["list"], capsys)
    assert "test rows" not in out and "tested on different" not in out


def test_tune_says_a_bad_dataset_before_announcing_a_search(tmp_path, capsys):
    """Recheck B (s27), left alone then: 'tuning mf_bias on ./x for 1 min -> model ...' came
    before the error that ./x is no dataset."""
    code, _, err = _run(["tune", str(tmp_path / "nowhere"), "--budget", "1"], capsys)
    assert code == 1 and "There is no file or folder" in err
    assert "tuning" not in err


def test_tune_names_a_refit_only_where_there_was_one():
    """Accuracy round 9: `tune --no-refit` printed "rows neither the search nor the refit saw"."""
    from movierate.cli.tune import _test_text

    assert _test_text({"test_rmse": 0.9072}, refit=False) == (
        "; test RMSE (rows the search never saw): 0.9072"
    )
    assert _test_text({"test_rmse": 0.9072}, refit=True).startswith(
        "; test RMSE (rows neither the search nor"
    )
    assert _test_text({}, refit=True) == ""
    # recheck A (s26): tune printed no interval where train did
    said = _test_text({"test_rmse": 0.9072, "test_rmse_ci95": 0.0123}, refit=False)
    assert said.startswith("; test RMSE (rows the search never saw): 0.9072 ± 0.0123 (95%")


def test_datasets_imports_your_own_ratings_file_by_name(tmp_path, capsys):
    """Onboarding review: the README's own CSV layout (user, item, rating) could not be loaded
    from the command line; `datasets FILE --name NAME` imports it, then NAME trains."""
    path = tmp_path / "my ratings.csv"
    rows = [f"{u},{m},{1 + (u * m) % 5}" for u in range(30) for m in range(20)]
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    code, out, err = _run(["datasets", str(path), "--name", "mine"], capsys)
    assert code == 0, err
    assert out.startswith("mine: 600 ratings, 30 users, 20 movies, ratings 1 to 5 (step 1)")
    code, out, _ = _run(["datasets", "mine"], capsys)
    assert code == 0 and out.startswith("mine: 600 ratings")
    code, _, err = _run(["train", "mine", "--dim", "2", "--epochs", "1", "--quiet"], capsys)
    assert code == 0, err
    code, _, err = _run(["datasets", str(path), "--name", "mine"], capsys)  # never replaced
    assert code == 1 and "'mine' already exists" in err and "replace=True" not in err
    assert "or pass --overwrite" in err
    # bad-input round 16: a damaged copy could be imported again only from Python or Home
    from movierate import config

    (config.data_dir() / "custom" / "mine" / "ratings.parquet").write_bytes(b"torn")
    code, _, err = _run(["datasets", "mine"], capsys)
    assert code == 1 and "damaged" in err
    assert "`python -m movierate datasets FILE --name mine --overwrite`" in err
    code, out, err = _run(["datasets", str(path), "--name", "mine", "--overwrite"], capsys)
    assert code == 0 and out.startswith("mine: 600 ratings"), err
    # recheck B (s26): --overwrite replaced any folder under data/custom (saved models, a
    # GroupLens copy, notes); an imported copy's folder with a user's subfolder is refused too
    (config.data_dir() / "custom" / "mine" / "sub").mkdir()
    (config.data_dir() / "custom" / "mine" / "sub" / "a.txt").write_text("mine")
    code, _, err = _run(["datasets", str(path), "--name", "mine", "--overwrite"], capsys)
    assert code == 1 and "is not replaced" in err and "'sub/'" in err
    assert (config.data_dir() / "custom" / "mine" / "sub" / "a.txt").read_text() == "mine"
    code, _, err = _run(["datasets", "mine", "--overwrite"], capsys)  # not silently ignored
    assert code != 0 and "--overwrite goes with --name" in err
    any_value = tmp_path / "decimals.csv"
    any_value.write_text(
        "user,item,rating\n" + "".join(f"{u},{u % 7},{1 + u / 997:.6f}\n" for u in range(50))
    )
    code, out, _ = _run(["datasets", str(any_value), "--name", "dec"], capsys)
    assert code == 0 and "(any value)" in out and "step 0" not in out  # bad-input round 16
    code, out, _ = _run(["datasets"], capsys)
    assert code == 0 and any(line.split()[:2] == ["mine", "yes"] for line in out.splitlines())
    code, _, err = _run(["datasets", str(path), "--name", "m2", "--items", "nope.csv"], capsys)
    assert code == 1 and "nope.csv is not a file; give the path of your items file" in err
    code, _, err = _run(["datasets", str(path)], capsys)
    assert code == 1 and "python -m movierate datasets FILE --name NAME" in err
    code, _, err = _run(["datasets", str(tmp_path), "--name", "x"], capsys)
    assert code == 1 and "is not a file" in err


def test_the_cli_import_takes_the_options_its_messages_name(tmp_path, capsys):
    """Bad-input round 15: the CLI import's messages said "Python: encoding='latin-1'" (and
    rating_scale=, columns=), which `datasets FILE --name` had no way to give."""
    path = tmp_path / "books.csv"
    rows = [f"{u};{m};{1 + (u * m) % 10};Caf\u00e9" for u in range(20) for m in range(15)]
    path.write_bytes(("reader;book;stars;note\n" + "\n".join(rows) + "\n").encode("cp1252"))
    code, _, err = _run(["datasets", str(path), "--name", "books"], capsys)
    assert code == 1 and "CLI: datasets FILE --name NAME --encoding cp1252" in err, err
    argv = ["datasets", str(path), "--name", "books", "--encoding", "cp1252"]
    code, _, err = _run([*argv, "--columns", "user=reader,item=book,rating=stars"], capsys)
    assert code == 0, err
    code, out, err = _run(
        [
            *argv[:2],
            "--name",
            "b2",
            "--encoding",
            "cp1252",
            "--columns",
            "user=reader,item=book,rating=stars",
            "--rating-scale",
            "0,10,1",
        ],
        capsys,
    )
    # accuracy round 16: a declared scale wider than the data says what the data uses
    assert code == 0 and "ratings 0 to 10 (step 1; those given run 1 to 10)" in out, (out, err)
    code, _, err = _run(["datasets", str(path), "--name", "b3", "--rating-scale", "1,5"], capsys)
    assert code == 1 and "give three numbers MIN,MAX,STEP" in err
    code, _, err = _run(["datasets", str(path), "--name", "b3", "--columns", "rating"], capsys)
    assert code == 1 and "ROLE=COLUMN pairs" in err


def test_a_bare_file_name_is_told_how_to_import_it(tmp_path, capsys, monkeypatch):
    """Bad-input round 16: `datasets mine.csv` (a file in the current folder) got "Unknown
    dataset", while `datasets ./mine.csv` got the import command."""
    (tmp_path / "mine.csv").write_text("user,item,rating\n1,1,4\n")
    monkeypatch.chdir(tmp_path)
    for spelling in ("mine.csv", "./mine.csv"):
        code, _, err = _run(["datasets", spelling], capsys)
        assert code == 1 and f"{spelling} is a file, not a dataset folder" in err
        assert "datasets FILE --name NAME" in err
