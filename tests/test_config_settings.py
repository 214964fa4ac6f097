"""Settings that point at the wrong kind of thing are reported, never silently ignored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from movierate import config, store
from movierate.errors import DataError, StoreError


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_data_dir_setting_that_is_not_a_folder_is_named(tmp_path, monkeypatch, kind):
    target = tmp_path / "data"
    if kind == "file":
        target.write_text("x")
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(target))
    with pytest.raises(DataError, match="MOVIERATE_DATA_DIR"):
        config.extra_data_dir()


def test_data_dir_unset_or_a_folder_is_fine(tmp_path, monkeypatch):
    monkeypatch.delenv("MOVIERATE_DATA_DIR", raising=False)
    assert config.extra_data_dir() is None
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(tmp_path))
    assert config.extra_data_dir() == tmp_path


@pytest.mark.parametrize("variable", ["MOVIERATE_MODELS_DIR", "MOVIERATE_HOME"])
def test_a_store_setting_that_is_a_file_is_named_when_listing(tmp_path, monkeypatch, variable):
    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.delenv("MOVIERATE_MODELS_DIR", raising=False)
    if variable == "MOVIERATE_HOME":
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / "models").write_text("x")
        monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / "home"))
    else:
        monkeypatch.setenv(variable, str(plain))
    with pytest.raises(StoreError, match=variable):
        store.list_models()


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_home_setting_means_the_default_home_not_the_current_folder(monkeypatch, value):
    monkeypatch.setenv("MOVIERATE_HOME", value)
    assert config.home_dir() == Path.home() / ".movierate"


@pytest.mark.parametrize(
    ("variable", "read", "error"),
    [
        ("MOVIERATE_HOME", config.home_dir, StoreError),
        ("MOVIERATE_MODELS_DIR", config.models_dir, StoreError),
        ("MOVIERATE_DATA_DIR", config.extra_data_dir, DataError),
    ],
)
def test_a_home_of_a_user_that_does_not_exist_is_named(monkeypatch, variable, read, error):
    """Round 4 (C1): '~nosuchuser/x' raised RuntimeError ("unexpected ... bug")."""
    monkeypatch.setenv(variable, "~nosuchuser-movierate/x")
    with pytest.raises(error, match=f"{variable}=.*absolute path"):
        read()


def test_a_blank_or_relative_models_dir_is_never_a_folder_called_blank(tmp_path, monkeypatch):
    """Round 4 (D4): MOVIERATE_MODELS_DIR=' ' saved models into a folder named ' '."""
    home = tmp_path / "home"
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", " ")
    assert config.models_dir() == home / "models"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", "relative")
    assert config.models_dir() == tmp_path / "relative"  # absolute, as messages show it


def test_a_data_folder_whose_path_is_no_utf8_is_named_on_the_cli_and_home(tmp_path, monkeypatch):
    """Bad-input round 16: a MOVIERATE_DATA_DIR path with bytes that are no UTF-8 text ended
    `train` and `datasets` in "This is a bug", and Home and Train showed only an error box."""
    import os

    from streamlit.testing.v1 import AppTest

    from movierate import cli

    folder = os.fsdecode(os.fsencode(str(tmp_path)) + b"/data\xff\xfe")
    os.mkdir(folder)
    monkeypatch.setenv("MOVIERATE_DATA_DIR", folder)
    with pytest.raises(DataError, match=r"has bytes that are no UTF-8 text .*rename the folder"):
        config.extra_data_dir()
    assert cli.main(["datasets", "ml-100k"]) == cli.EXIT_ERROR
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("no UTF-8 text" in e.value for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize(
    ("variable", "read", "error"),
    [
        ("MOVIERATE_HOME", config.home_dir, StoreError),
        ("MOVIERATE_MODELS_DIR", config.models_dir, StoreError),
        ("MOVIERATE_DATA_DIR", config.extra_data_dir, DataError),
    ],
)
def test_a_setting_with_an_unexpanded_variable_is_refused(monkeypatch, variable, read, error):
    """Bad-input round 16: MOVIERATE_HOME='$HOME/mr' (from a .env file) made a folder named
    "$HOME" in the current folder."""
    monkeypatch.setenv("HOME", "/home/someone")
    for value in ("$HOME/mr", "${HOME}/mr", "%HOME%/mr"):
        monkeypatch.setenv(variable, value)
        with pytest.raises(
            error, match=r"holds HOME, a variable nothing expanded.*'/home/someone/mr'"
        ):
            read()


def test_a_real_folder_with_a_dollar_is_used_and_unexpanded_text_is_refused(tmp_path, monkeypatch):
    """Recheck B (s26): real folders named "$work" or "price$5" were refused; recheck D: an
    unset variable, a $(...) or a stray quote made a folder of that literal name, and a
    "$HOME" folder an older version made was used silently."""
    monkeypatch.delenv("NO_SUCH_VARIABLE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    for name in ("$work", "price$5", "$NO_SUCH_VARIABLE"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / name))
        assert config.home_dir() == tmp_path / name
    refused = {
        "$NO_SUCH_VARIABLE/mr": r"holds NO_SUCH_VARIABLE, a variable that is not set",
        "%NO_SUCH_VARIABLE%/mr": r"holds NO_SUCH_VARIABLE, a variable that is not set",
        "$(pwd)/mr": "holds a command substitution",
        "`pwd`/mr": "holds a command substitution",
        f'"{tmp_path}/mr': "starts or ends with a quote",
        f'"{tmp_path}/mr"': "starts or ends with a quote",
    }
    for value, message in refused.items():
        monkeypatch.setenv("MOVIERATE_HOME", value)
        with pytest.raises(StoreError, match=message):
            config.home_dir()
    (tmp_path / "$HOME").mkdir()  # left by an older version: still refused, and said
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MOVIERATE_HOME", "$HOME")
    with pytest.raises(StoreError, match="a folder of that literal name exists: move it away"):
        config.home_dir()


def test_a_bad_data_folder_setting_stops_a_training_before_it_starts(monkeypatch, tmp_path):
    """Recheck B (s26): `train <folder path>` with a missing MOVIERATE_DATA_DIR trained to the
    end, then failed to save (the save searches the data folders)."""
    from movierate import pipeline
    from movierate.nn import training
    from movierate.spec import ModelSpec

    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(DataError, match="MOVIERATE_DATA_DIR=.* does not exist"):
        pipeline.train_and_save(str(tmp_path), ModelSpec(dim=2, epochs=1), "x")


def test_relative_settings_are_resolved_once_and_a_relative_home_variable_too(
    tmp_path, monkeypatch
):
    """Recheck B (s27): a relative MOVIERATE_DATA_DIR / MOVIERATE_HOME was resolved again on
    every call, and HOME=relative (MOVIERATE_HOME unset) was never made absolute, so a deleted
    current folder gave "No model named ... in relhomedir/.movierate/models"."""
    start = tmp_path / "start"
    (start / "data").mkdir(parents=True)
    monkeypatch.chdir(start)
    monkeypatch.setenv("MOVIERATE_DATA_DIR", "data")
    monkeypatch.delenv("MOVIERATE_HOME")
    monkeypatch.setenv("HOME", "relhomedir")
    assert config.extra_data_dir() == start / "data"
    assert config.home_dir() == start / "relhomedir" / ".movierate"
    monkeypatch.chdir(tmp_path)
    assert config.extra_data_dir() == start / "data"
    assert config.home_dir() == start / "relhomedir" / ".movierate"
    monkeypatch.setenv("HOME", "other")  # a new value is resolved anew, here: it is gone
    (tmp_path / "gone").mkdir()
    monkeypatch.chdir(tmp_path / "gone")
    (tmp_path / "gone").rmdir()
    with pytest.raises(StoreError, match=r"HOME='other' is a relative path and the current"):
        config.home_dir()


@pytest.mark.parametrize("broken", ["file", "loop"])
def test_a_home_that_cannot_exist_is_named_before_data_or_temp_files_go_there(
    tmp_path, monkeypatch, broken
):
    """Recheck B (s27): with MOVIERATE_HOME a file or under a link loop, `datasets FILE --name`
    said "Could not store 'bds': Not a directory" and `study` "Not a directory: …/tmp"."""
    if broken == "file":
        home = tmp_path / "homefile"
        home.write_text("x")
        said = f"The folder {home} is a file, not a folder, so the data folder"
    else:
        loop = tmp_path / "loop"
        loop.symlink_to(loop)
        home = loop / "home"
        said = f"The folder {loop} is a link to a folder that does not exist (or a loop"
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    with pytest.raises(DataError, match=re.escape(said)):
        config.check_data_folder()
    home_said = "is a file, not a folder; set" if broken == "file" else "so the home folder"
    with pytest.raises(StoreError, match=f"{home_said} .*MOVIERATE_HOME"):
        store.use_process_temp_dir()
