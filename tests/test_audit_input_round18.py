"""Bad-input review round 18: a deleted current folder, a models folder that is a file, dataset
names, case twins among folders, the progress bar on narrow or dumb terminals, and a closed
stdout. One clear ``error:`` line, never a bare system message or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from movierate import cli, config, store
from movierate.errors import DataError, StoreError

GONE = "is a relative path and the current folder no longer exists"


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def gone_cwd(tmp_path, monkeypatch) -> Path:
    """The current folder deleted after the process changed into it (``cd x && rmdir x``)."""
    folder = tmp_path / "gone"
    folder.mkdir()
    monkeypatch.chdir(folder)
    folder.rmdir()
    return folder


# --- 1. a deleted current folder --------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["datasets"]])
def test_a_relative_home_from_a_deleted_folder_names_the_setting(
    gone_cwd, monkeypatch, capsys, command
):
    monkeypatch.setenv("MOVIERATE_HOME", "relhome")
    code, out, err = _run(command, capsys)
    assert code == 1 and not out
    assert f"error: MOVIERATE_HOME='relhome' {GONE}" in err and "cd to an existing folder" in err


def test_a_relative_data_dir_from_a_deleted_folder_names_the_setting(gone_cwd, monkeypatch):
    monkeypatch.setenv("MOVIERATE_DATA_DIR", "data")
    with pytest.raises(DataError, match=f"MOVIERATE_DATA_DIR='data' {GONE}"):
        config.extra_data_dir()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["datasets", "./x.csv", "--name", "relx"], "The file './x.csv'"),
        (["import", "./vec.npy", "--name", "relx"], "The file './vec.npy'"),
        (["import", "vec.npy", "--labels", "/x/l.csv", "--name", "relx"], "The file 'vec.npy'"),
        (["study", "--quick", "--out", "sout"], "--out 'sout'"),
        (["datasets", "./mine"], "The dataset './mine'"),
    ],
)
def test_a_relative_argument_from_a_deleted_folder_is_named(gone_cwd, capsys, argv, named):
    code, _, err = _run(argv, capsys)
    assert code == 1 and f"error: {named} {GONE}" in err


def test_a_dataset_name_needs_no_current_folder(gone_cwd, capsys):
    code, _, err = _run(["datasets", "no-such-set"], capsys)
    assert code == 1 and "Unknown dataset 'no-such-set'" in err and GONE not in err


def test_an_os_error_on_a_relative_path_says_the_current_folder_is_gone(gone_cwd):
    from movierate.cli.output import os_error_text

    text = os_error_text(FileNotFoundError(2, "No such file or directory", "sout"))
    assert "the current folder no longer exists" in text


# --- 2. the models folder is a file ---------------------------------------------------------


@pytest.fixture
def models_file(isolated_home) -> Path:
    (isolated_home / "models").write_text("x\n")
    return isolated_home / "models"


@pytest.mark.parametrize(
    "argv",
    [
        ["rename", "a", "b"],
        ["delete", "a"],
        ["show", "a"],
        ["list"],
        ["import", "V", "--name", "z"],
    ],
)
def test_every_store_command_names_a_models_folder_that_is_a_file(
    models_file, tmp_path, capsys, argv
):
    vectors = tmp_path / "vec.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.5\n")
    argv = [str(vectors) if a == "V" else a for a in argv]
    code, _, err = _run(argv, capsys)
    assert code == 1
    assert f"{models_file} is a file, not a folder" in err, err
    assert "no models are saved yet" not in err and "File exists" not in err


def test_a_folder_above_the_models_folder_that_is_a_file_is_named(tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(plain / "models"))
    for call in (store.list_models, store.check_writable, lambda: store.rename_model("a", "b")):
        with pytest.raises(StoreError, match=f"{plain} is a file, not a folder, so the models"):
            call()


def test_the_link_check_logs_no_traceback_for_a_store_error_it_shows(models_file, caplog):
    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=180)
    at.run()
    at.query_params["model"] = "x"
    with caplog.at_level("ERROR"):
        at.switch_page("pages/embeddings.py").run()
    assert not at.exception
    assert any("is a file, not a folder" in e.value for e in at.error)
    assert not [r for r in caplog.records if "link's parameters" in r.getMessage()]
