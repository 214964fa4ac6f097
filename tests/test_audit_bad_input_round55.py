"""Bad-input round 55 (fuzz55): the command line in scripts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import movierate_env

from movierate import cli
from movierate.cli import data as cli_data
from movierate.cli import study as cli_study


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def home(tmp_path_factory, movielens_dir):
    """Models a, b (same data and split), other (other data), seed7 (another split) and the
    imported embedding imp."""
    from movierate.data import from_csv
    from movierate.explore.imported import ImportedEmbedding, movies_like
    from movierate.imported_models import save_imported
    from movierate.pipeline import train_and_save
    from movierate.spec import ModelSpec

    folder = tmp_path_factory.mktemp("round55")
    rng = np.random.default_rng(0)

    def ratings(n_users: int) -> bytes:
        rows = [f"u{u},m{m},{rng.integers(1, 6)}" for u in range(n_users) for m in range(25)]
        return ("user,item,rating\n" + "\n".join(rows) + "\n").encode()

    spec = ModelSpec(family="mf_bias", dim=2, epochs=1)
    with movierate_env(folder, movielens_dir):
        tiny, other = from_csv(ratings(30), save_as="tiny"), from_csv(ratings(31), save_as="other")
        train_and_save(tiny, spec, "a")
        train_and_save(tiny, spec, "b")
        train_and_save(other, spec, "elsewhere")
        train_and_save(tiny, spec, "seed7", {"method": "random", "seed": 7})
        labels = pd.DataFrame({"title": [f"Film {i} (2000)" for i in range(8)], "genres": "Drama"})
        vectors = rng.normal(size=(8, 3)).astype(np.float32)
        save_imported("imp", ImportedEmbedding(vectors, movies_like(labels), "projector"), "t")
    return folder


@pytest.fixture
def models(home, monkeypatch):
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


@pytest.fixture
def no_study(monkeypatch):
    """A study that would train fails the test instead of running for hours."""
    from movierate import study

    def trained(*args, **kwargs):
        raise AssertionError("the study was started")

    monkeypatch.setattr(study, "run_study", trained)


def test_into_without_merge_is_refused_before_any_training(no_study, tmp_path, capsys):
    """F1: `study --into DIR` without --merge trained the whole study into the default folder."""
    code, _, err = _run(["study", "--into", str(tmp_path)], capsys)
    assert code == 1 and "--into goes with --merge" in err and "drop --into" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("flag", list(cli_study._RUN_OPTIONS))
def test_merge_refuses_each_option_of_a_study_run(flag, no_study, tmp_path, capsys):
    """F1: --merge ignored --quick, --epochs, --datasets, ... without a word."""
    store_true = cli_study._RUN_OPTIONS[flag].get("action") == "store_true"
    given = [flag] if store_true else [flag, "1"]
    argv = ["study", "--merge", "x,y", "--out", str(tmp_path / "out"), *given]
    code, _, err = _run(argv, capsys)
    assert code == 1 and f"error: {flag} does nothing with --merge" in err
    assert not (tmp_path / "out").exists()


def test_merge_names_every_ignored_option_at_once(no_study, tmp_path, capsys):
    argv = ["study", "--merge", "x", "--out", str(tmp_path), "--quick", "--seeds", "0"]
    code, _, err = _run(argv, capsys)
    assert code == 1 and "--quick and --seeds do nothing with --merge" in err


@pytest.mark.parametrize("against", ["imp", "elsewhere", "seed7"])
def test_against_a_model_that_cannot_pair_is_refused_before_the_report(models, against, capsys):
    """F2: the mismatch was said after the whole report of the model on stdout; an imported
    embedding was said to be 'trained on other data'."""
    code, out, err = _run(["evaluate", "a", "--against", "b", against], capsys)
    assert code == 1 and out == ""
    if against == "imp":
        assert "'imp' is an embedding imported from elsewhere" in err and "trained on" not in err
    elif against == "elsewhere":
        assert "'elsewhere' was trained on other data than 'a'" in err
    else:
        assert "'seed7' was tested on other ratings than 'a'" in err


def test_export_with_an_unwritable_stdout_says_its_folder_was_written():
    """F3: `export ... > /dev/full` said only that the output could not be written."""
    from movierate.cli import _unwritten_text

    said = _unwritten_text(["export", "a", "--out", "x"], OSError(28, "No space left on device"))
    assert "`export` ran to its end" in said and "check its --out folder" in said


@pytest.mark.parametrize("command", sorted(set(cli.COMMANDS) - {"list", "show", "evaluate"}))
def test_every_command_that_writes_says_its_work_is_done(command):
    """F3, as a class: every command but the read-only ones (and `datasets` without --name)
    says that what it changed is done; a new command must be placed."""
    from movierate.cli import _unwritten_text

    failure = OSError(28, "No space left on device")
    extra = ["--name", "x"] if command == "datasets" else []
    assert "ran to its end" in _unwritten_text([command, "x", *extra], failure)


def test_against_the_model_itself_or_twice_is_said(models, capsys):
    """F4: `evaluate a --against a` dropped the comparison without a word."""
    code, out, err = _run(["evaluate", "a", "--against", "a"], capsys)
    assert code == 0 and "note: --against a is the model being evaluated; it is left out" in err
    assert "vs lowest" not in out
    code, out, err = _run(["evaluate", "a", "--against", "b", "b", "a", "--json"], capsys)
    assert code == 0 and "b more than once; each is scored once" in err
    record = json.loads(out)
    assert len(record["paired"]) == 2
    assert any("is the model being evaluated" in note for note in record["notes"])


@pytest.mark.parametrize("flag", list(cli_data._IMPORT_OPTIONS))
def test_each_import_option_without_name_says_it_needs_name(flag, capsys):
    """F5: `datasets ml-100k --items x.csv` said to import one file at a time."""
    values = {"--overwrite": [], "--force": [], "--zero-ratings": ["keep"]}
    code, _, err = _run(["datasets", "ml-100k", flag, *values.get(flag, ["x"])], capsys)
    assert code == 1 and f"error: {flag} goes with --name" in err and "one at a time" not in err


def test_items_encoding_without_items_is_refused(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating\nu1,m1,4\n")
    argv = ["datasets", str(path), "--name", "mine", "--items-encoding", "latin-1"]
    code, _, err = _run(argv, capsys)
    assert code == 1 and "--items-encoding goes with --items" in err


def test_a_commands_flag_before_the_command_is_told_to_go_after_it(capsys):
    """F6: `--quiet train ml-100k` hinted 'did you mean --quiet?'."""
    code, _, err = _run(["--quiet", "train", "ml-100k"], capsys)
    assert code == 2 and "did you mean" not in err
    assert (
        "--quiet is a `train` option: put it after the command (python -m movierate train "
        "ml-100k --quiet)" in err
    )


def test_a_commands_flags_with_values_before_the_command_are_told_to_go_after_it(capsys):
    """Recheck 8, F3: `--name x train ml-100k` read 'x' as the command ("invalid choice")."""
    code, _, err = _run(["--name", "x", "--epochs=2", "train", "ml-100k"], capsys)
    assert code == 2 and "invalid choice" not in err
    assert (
        "--name --epochs=2 are `train` options: put them after the command (python -m movierate "
        "train ml-100k --name x --epochs=2)" in err
    )
    code, _, err = _run(["--bogus", "train", "ml-100k"], capsys)  # argparse's own words
    assert code == 2 and "unrecognized arguments: --bogus" in err


@pytest.mark.parametrize("command", ["train", "delete-dataset", "datasets"])
def test_an_empty_dataset_is_refused_in_the_command_lines_words(command, capsys):
    """F7: the refusal told a command-line user to pass a path to load_dataset()."""
    code, _, err = _run([command, ""], capsys)
    assert code == 1 and "is not a dataset name: it is empty" in err and "load_dataset" not in err
    assert ("given by its path" in err) == (command != "delete-dataset")  # it takes no path


def test_list_with_an_empty_pattern_and_no_match(models, capsys):
    """F7: `list ''` listed nothing with rc 0 where `list --dataset ''` is refused, and the
    note that nothing matched went to stdout."""
    code, out, err = _run(["list", ""], capsys)
    assert code == 1 and out == "" and "A PATTERN is empty" in err
    code, out, err = _run(["list", "zz*"], capsys)
    assert code == 0 and out == "" and "No model matches 'zz*'" in err
