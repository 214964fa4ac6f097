"""Bad-input round 66 (fuzz66): the command line under abuse.

F1: ``study --out`` wrote its results into a saved model's folder (deleted with the model) or
a new folder under models/ (listed as broken). F2: two ``train --overwrite`` of one name both
reported the name while one model was lost. F3/F4: a rating scale of 1e308 failed as "a bug",
one of 1e300 was stored and every training on it failed. F5: test fractions that leave one row
(or none) in a part were trained on. F6-F9: argparse's "expected one argument" for ``-x``
values, non-ASCII digits, an unwritable runs/ folder, and unclear one-liners.
"""

from __future__ import annotations

import json

import pytest
from test_delete_dataset import _csv
from test_store_hardening import _fake, _fake_training

from movierate import config, pipeline, store
from movierate.cli import main
from movierate.data import RatingScale
from movierate.errors import DataError, SpecError, StoreError

# --- F1: one rule for every command's output folder ---------------------------------------


@pytest.mark.parametrize("where", ["model", "new"])
def test_study_refuses_an_out_folder_inside_the_models_folder(capsys, where):
    _fake("base8")
    before = sorted(p.name for p in (config.models_dir() / "base8").iterdir())
    out = config.models_dir() / ("base8" if where == "model" else "studyhere")
    assert main(["study", "--quick", "--out", str(out)]) == 1
    said = capsys.readouterr().err
    assert "inside movierate's models folder, where each folder is read as a saved model" in said
    assert "nothing was written" in said and "--out ./study" in said
    assert sorted(p.name for p in (config.models_dir() / "base8").iterdir()) == before
    assert not (config.models_dir() / "studyhere").exists()
    assert store.list_models()[1] == []  # no broken folder


def test_study_merge_refuses_an_out_folder_inside_a_managed_folder(tmp_path, capsys):
    out = config.home_dir() / "runs" / "merged"
    assert main(["study", "--merge", f"{tmp_path}/a,{tmp_path}/b", "--out", str(out)]) == 1
    assert "inside movierate's run-notes folder" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("part", ["models", "data", "cache", "tmp", "runs"])
def test_export_and_study_share_the_rule(part):
    folder = config.home_dir() / part / "x"
    with pytest.raises(StoreError, match="inside movierate's"):
        store.check_outside_managed(folder, "--out ./export")
    store.check_outside_managed(config.home_dir() / "study", "--out ./study")  # the default


def test_study_refuses_the_home_folder_itself_and_its_keras_folder(capsys):
    """Recheck 14, F2: the home folder itself and its keras folder took a study's files."""
    for out in (config.home_dir(), config.home_dir() / "keras"):
        assert main(["study", "--quick", "--out", str(out)]) == 1
        assert "nothing was written" in capsys.readouterr().err
        assert not (out / "results.csv").exists()


# --- F2: an overwrite keeps a model another run saved under the name meanwhile ---------------


def test_an_overwrite_keeps_the_model_another_run_saved_meanwhile():
    _fake("race2")
    seen = store.model_in_place("race2")  # what the run saw before it trained
    other = store.save_model("race2", *_fake_training(), overwrite=True)  # the other run
    mine = store.save_model(
        "race2", *_fake_training(), overwrite=True, name_base="race2", replaces=seen
    )
    assert mine.name == "race2-2"
    assert store.model_identity(other.name) in store.model_in_place("race2")
    assert store.model_in_place("race2") != seen
    with pytest.raises(StoreError, match="Another run saved a model named 'race2'"):
        store.save_model("race2", *_fake_training(), overwrite=True, replaces=seen)
    # the folder it saw is still there: replaced as asked
    now = store.model_in_place("race2")
    assert store.save_model("race2", *_fake_training(), overwrite=True, replaces=now).name == (
        "race2"
    )


def test_train_overwrite_says_another_run_replaced_the_model(monkeypatch, capsys):
    saving = store.save_model

    def other_run_first(name, *args, **kwargs):  # another `train --overwrite` finished first
        saving(name, *_fake_training(), overwrite=True)
        return saving(name, *args, **kwargs)

    monkeypatch.setattr(store, "save_model", other_run_first)
    argv = ["train", "ml-100k", "--dim", "2", "--epochs", "1", "--name", "race2"]
    assert main([*argv, "--overwrite", "--quiet", "--json"]) == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["name"] == "race2-2"
    assert "another run saved a model as 'race2' while this training ran" in err
    assert store.read_meta("race2-2")["dataset"]["name"] == "ml-100k"


# --- F3 / F4: a rating scale is checked where it is built ---------------------------------


@pytest.mark.parametrize(
    ("scale", "said"),
    [
        ((1, 1e308, 1e-308), "its ends must lie within ±1e+06"),
        ((0, 1e300, 1), "its ends must lie within ±1e+06"),
        ((-1e7, 5, 1), "its ends must lie within ±1e+06"),
        ((1, 1e6, 1e-4), "more than 2,000,000,000"),
        ((1, 5, 1e-300), "more than 2,000,000,000"),
        ((1, 5, 5e-324), "more than 2,000,000,000"),
    ],
)
def test_an_absurd_rating_scale_is_refused_with_what_is_wrong(scale, said):
    with pytest.raises(DataError, match="Invalid rating scale") as caught:
        RatingScale(*scale)
    assert said in str(caught.value)


def test_usual_and_widest_rating_scales_stand():
    RatingScale(-1e6, 1e6, 0.001)
    RatingScale(0.0, 100.0, 1.0)
    RatingScale(1.0, 5.0, 0.0)


def test_datasets_rating_scale_1e308_is_no_bug(tmp_path, capsys):
    path = _csv(tmp_path)
    argv = ["datasets", str(path), "--name", "t9", "--rating-scale=1,1e308,1e-308"]
    assert main(argv) == 1
    said = capsys.readouterr().err
    assert "Invalid rating scale 1 to 1e+308" in said and "unexpected" not in said


# --- F5: fractions that leave a part less than one row ---------------------------------------


@pytest.mark.parametrize(
    ("fraction", "said"),
    [
        ("0.9999999", "the test part would get 99,999, early stopping 0 and training 1"),
        ("1e-300", "the test fraction asks for 1e-295 rows"),
    ],
)
def test_train_refuses_a_fraction_that_leaves_a_part_without_rows(capsys, fraction, said):
    argv = ["train", "ml-100k", "--epochs", "1", "--name", "tf", "--test-fraction", fraction]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert said in err and "use a test fraction from 1e-05 to 0.9999" in err
    assert not store.model_exists("tf")


def test_fractions_are_checked_only_where_the_defaults_would_fit():
    pipeline.check_split_parts(
        5, pipeline.split_settings({})
    )  # a tiny dataset: the split forces one row each
    pipeline.check_split_parts(100_000, pipeline.split_settings({"test_fraction": 0.5}))
    with pytest.raises(SpecError, match="early-stopping fraction nearer the default"):
        pipeline.check_split_parts(100_000, pipeline.split_settings({"stop_fraction": 1e-320}))
    pipeline.check_split_parts(
        100_000, pipeline.split_settings({"method": "per_user", "test_fraction": 1e-9})
    )


# --- F6: a value that starts with '-' read as an option ------------------------------------


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["train", "ml-100k", "--dense-l2", "-inf"], "write --dense-l2=-inf"),
        (["train", "ml-100k", "--name", "-x"], "write --name=-x"),
        (["train", "ml-100k", "--dense-l", "-inf"], "write --dense-l2=VALUE"),
    ],
)
def test_expected_one_argument_says_how_to_pass_a_dash_value(capsys, argv, hint):
    assert main(argv) == 2
    said = capsys.readouterr().err.splitlines()[-1]
    assert "expected one argument" in said and hint in said
    assert "was read as an option" in said or "VALUE" in hint


def test_a_missing_value_gets_no_dash_hint(capsys):
    assert main(["train", "ml-100k", "--name", "--quiet"]) == 2
    assert "starts with '-'" not in capsys.readouterr().err


# --- F7: whole numbers in ASCII digits only ---------------------------------------------------


@pytest.mark.parametrize("value", ["\u0668", " 8", "8 ", "1_0", "\uff18"])
def test_whole_number_options_take_ascii_digits_only(capsys, value):
    assert main(["train", "ml-100k", "--dim", value]) == 2
    assert "is not a whole number in digits" in capsys.readouterr().err


def test_study_seeds_take_ascii_digits_only(capsys):
    assert main(["study", "--seeds", "\u0660,1", "--quick"]) == 1
    assert "give distinct integers >= 0" in capsys.readouterr().err


# --- F8: a run note that cannot be written is a warning saying what is lost -------------------


def test_an_unwritable_runs_folder_is_a_warning_with_the_loss_and_the_fix(capsys, caplog):
    from movierate.run_ledger import noting_cli_run

    runs = config.home_dir() / "runs"
    runs.parent.mkdir(parents=True, exist_ok=True)
    runs.write_text("not a folder")
    with noting_cli_run("train", "m", ["ml-100k"]):
        pass
    said = capsys.readouterr().err
    assert said.startswith(f"warning: this run's note could not be written in {runs}")
    assert "`delete-dataset` and a replacing import of 'ml-100k' cannot see" in said
    assert "chattr -i" in said and ".tmp" not in said
    assert "Could not write the run note" not in caplog.text


# --- F9: one-liners that say what is wrong and what to do ------------------------------------


def test_delete_of_a_locked_folder_offers_chattr_too(monkeypatch, capsys):
    folder = _fake("base8")
    monkeypatch.setattr(store.atomic, "undeletable", lambda path: path)
    assert main(["delete", "base8"]) == 1
    said = capsys.readouterr().err
    assert f"chmod -R u+w '{folder}', or chattr -R -i '{folder}' if it was made immutable" in said


def test_delete_of_an_overlong_name_states_the_name_rule(capsys):
    _fake("base8")  # the models folder exists: the system then says "File name too long"
    assert main(["delete", "a" * 300]) == 1
    said = capsys.readouterr().err
    assert "Invalid model name" in said and "more than 64" in said
    assert "File name too long" not in said


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("/dev/null", "is a device or other special file, not a folder: give a folder path"),
        ("/proc/movierate-x", "Give a folder you may create and write files in."),
    ],
)
def test_study_out_that_is_no_folder_says_what_to_pass(capsys, out, said):
    assert main(["study", "--quick", "--out", out]) == 1
    err = capsys.readouterr().err
    assert said in err and "File exists" not in err


def test_an_empty_import_path_is_called_empty(capsys):
    assert main(["import", "", "--name", "x1"]) == 1
    said = capsys.readouterr().err
    assert "The file is empty: give a path." in said and "is a folder" not in said


def test_list_escapes_a_line_break_in_the_models_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "a\nb"))
    assert main(["list"]) == 0
    assert f"No models in {tmp_path}/a\\nb/models." in capsys.readouterr().err
