"""Bad-input review round 18: a deleted current folder, a models folder that is a file, dataset
names, case twins among folders, the progress bar on narrow or dumb terminals, and a closed
stdout. One clear ``error:`` line, never a bare system message or a traceback."""

from __future__ import annotations

import json
import os
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


# --- 3. dataset names: the exact reason, and a fix that fits it ------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Am\u00e9lie", "it contains 'é' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)"),
        ("Ame\u0301lie", "it contains '\\u0301' (U+0301 COMBINING ACUTE ACCENT)"),
        ("\U0001f600\U0001f600", "it contains '\U0001f600' (U+1F600 GRINNING FACE)"),
        ("a\u0430b", "it contains 'а' (U+0430 CYRILLIC SMALL LETTER A)"),  # recheck B, s27
        ("\u212a9", "it contains '\u212a' (U+212A KELVIN SIGN)"),
        ("ab\udcff", "it contains '\\xff' (a byte that is no UTF-8 text)"),
        ("a/b", "it contains '/'"),
        ("..", "it starts with '.'"),
        ("trail ", "it contains ' '"),
        ("_x", "it starts with '_'"),
        ("a..b", "it contains '..'"),
        ("x" * 250, "it has 250 characters, more than 64"),
    ],
)
def test_a_dataset_name_is_refused_with_its_reason(name, reason):
    from movierate.data.acquire import validate_dataset_name

    with pytest.raises(DataError) as refused:
        validate_dataset_name(name)
    text = str(refused.value)
    assert f": {reason}. Use 1 to 64 ASCII letters" in text, text
    assert "\\udc" not in text  # a byte that is no UTF-8 is \xff, in the name shown too


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("CON", "add a letter (e.g. 'my-CON')"),
        ("com1", "add a letter (e.g. 'my-com1')"),
        ("nul.v2", "add a letter (e.g. 'my-nul.v2')"),
        ("trail.", "drop the final '.' (e.g. 'trail')"),
    ],
)
def test_an_unportable_dataset_name_gets_the_fix_for_its_case(name, fix):
    from movierate.data.acquire import validate_dataset_name

    with pytest.raises(DataError) as refused:
        validate_dataset_name(name)
    text = str(refused.value)
    assert text.endswith(f"; {fix}."), text
    assert ("final '.'" in text) == name.endswith(".")


def test_a_name_from_a_file_gets_its_reason_too():
    from movierate.data.acquire import check_dataset_name

    with pytest.raises(
        DataError,
        match=r"is not a dataset name: it contains 'é' \(U\+00E9 [A-Z ]+\)\. A name is 1 to 64",
    ):
        check_dataset_name("Am\u00e9lie")


def test_model_and_dataset_names_share_one_reason():
    from movierate.data.acquire import validate_dataset_name

    for name in ("Am\u00e9lie", "a b", ".x"):
        with pytest.raises(StoreError) as model:
            store.validate_name(name)
        with pytest.raises(DataError) as dataset:
            validate_dataset_name(name)
        reason = str(model.value).split(": ", 1)[1].split(". Use")[0]
        assert f": {reason}. Use" in str(dataset.value)


# --- 4. long words clipped in error lines ---------------------------------------------------


def test_a_clipped_name_is_counted_without_its_quotes_and_keeps_its_colon(tmp_path, capsys):
    from movierate.cli.output import clip_long_words, error_line

    line = clip_long_words("Invalid dataset name '" + "x" * 250 + "': use 1-64 letters")
    assert line == "Invalid dataset name '" + "x" * 60 + "…' (250 characters): use 1-64 letters"
    assert (
        clip_long_words("(" + "b" * 200 + "), and") == "(" + "b" * 60 + "…) (200 characters), and"
    )
    assert clip_long_words("a " + "c" * 170) == "a " + "c" * 60 + "… (170 characters)"
    ratings = tmp_path / "r.csv"
    ratings.write_text("user,item,rating\n1,1,4\n2,1,3\n")
    code, _, err = _run(["datasets", str(ratings), "--name", "x" * 250], capsys)
    assert code == 1 and "(250 characters): it has 250 characters" in err
    assert error_line("short 'name': kept") == "error: short 'name': kept"


# --- 5. folders whose names differ only in case -----------------------------------------------


@pytest.fixture
def twin_home(isolated_home, tmp_path) -> Path:
    """A home holding model folders m1 and M1 and dataset folders ds1 and Ds1 (copied in)."""
    import shutil

    vectors = tmp_path / "vec.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.5\n0.7\t0.1\n")
    assert cli.main(["import", str(vectors), "--name", "m1"]) == 0
    shutil.copytree(isolated_home / "models" / "m1", isolated_home / "models" / "M1")
    ratings = tmp_path / "r.csv"
    ratings.write_text("user,item,rating\n1,1,4\n1,2,3\n2,1,5\n2,2,2\n")
    assert cli.main(["datasets", str(ratings), "--name", "ds1"]) == 0
    custom = isolated_home / "data" / "custom"
    shutil.copytree(custom / "ds1", custom / "Ds1")
    return isolated_home


def test_list_names_model_folders_that_differ_only_in_case(twin_home, capsys):
    capsys.readouterr()
    code, out, _ = _run(["list"], capsys)
    assert code == 0
    assert "Model folders whose names differ only in case ('M1' and 'm1')" in out
    assert "would merge them" in out and "rename M1 NEW_NAME" in out


def test_datasets_names_dataset_folders_that_differ_only_in_case(twin_home, capsys):
    capsys.readouterr()
    code, out, _ = _run(["datasets"], capsys)
    assert code == 0
    assert "Dataset folders whose names differ only in case ('Ds1' and 'ds1' in " in out
    assert "would merge them" in out


def test_home_names_case_twins_beside_the_windows_note(twin_home):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "Model folders whose names differ only in case" in notes
    assert "Dataset folders whose names differ only in case" in notes


def test_no_case_twins_no_note():
    assert store.unportable_names_notice(["m1", "m2", "M3"]) == ""


def test_an_accent_written_two_ways_is_not_called_a_case_difference():
    """Recheck B (s27), left alone then: NFC and NFD 'Amélie' were said to "differ only in
    case"."""
    notice = store.unportable_names_notice(["Am\u00e9lie", "Ame\u0301lie"])
    assert "differ only in how an accent is written" in notice
    assert "only in case" not in notice
    both = store.unportable_names_notice(["m1", "M1", "Am\u00e9lie", "Ame\u0301lie"])
    assert "differ only in case and in how an accent is written" in both


# --- 6. the live progress bar on narrow and dumb terminals ----------------------------------


class _Terminal:
    """A terminal stream: what is written, and a width the bar may ask for."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def _draw(columns: str, monkeypatch, term: str = "xterm") -> str:
    from movierate.cli.progress import ProgressBar
    from movierate.progress import ProgressEvent

    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("TERM", term)
    stream = _Terminal()
    bar = ProgressBar(stream)
    bar(
        ProgressEvent(
            phase="batch", epoch=1, epochs=2, batch=1, batches=80, metrics={"loss": 1.3257}
        )
    )
    bar(
        ProgressEvent(phase="epoch", epoch=1, epochs=2, batch=80, batches=80, metrics={"loss": 1.3})
    )
    return stream.text


@pytest.mark.parametrize("columns", ["20", "30", "50", "80"])
def test_the_live_bar_fits_the_terminal(monkeypatch, columns):
    drawn = _draw(columns, monkeypatch).split("\r\x1b[K")[1]  # the batch line, before the epoch's
    assert 0 < len(drawn) < int(columns), drawn
    assert not drawn.endswith("1/8")  # never cut inside a number


def test_a_wide_terminal_gets_the_whole_bar(monkeypatch):
    assert "epoch 1/2 [" + "-" * 24 + "] batch 1/80  loss 1.3257" in _draw("200", monkeypatch)
    assert "epoch 1/2 [" + "-" * 13 + "] batch 1/80  loss 1.3257\r" in _draw("50", monkeypatch)


def test_a_dumb_terminal_gets_plain_lines(monkeypatch):
    drawn = _draw("80", monkeypatch, term="dumb")
    assert "\x1b" not in drawn and "\r" not in drawn
    assert drawn == "epoch 1/2 done in 0.0 s (with the model's set-up)  loss 1.3000\n"


def test_download_progress_fits_and_knows_a_dumb_terminal(monkeypatch):
    from movierate.cli.progress import DownloadProgress

    monkeypatch.setenv("COLUMNS", "20")
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal()
    DownloadProgress("ml-latest-small", stream)(10**6, 2 * 10**6)
    assert all(len(line) < 20 for line in stream.text.split("\r\x1b[K"))
    monkeypatch.setenv("TERM", "dumb")
    stream = _Terminal()
    DownloadProgress("ml-latest-small", stream)(2 * 10**6, 2 * 10**6)
    assert stream.text == "downloading ml-latest-small: 2.0 MB of 2.0 MB (100%)\n"


# --- 7. a closed stdout, and what `show` says of an imported model ---------------------------


def test_output_to_a_closed_stdout_is_reported(isolated_home):
    """`list >&-` exited 0 with its output dropped into the /dev/null that took descriptor 1."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo), "MOVIERATE_HOME": str(isolated_home)}
    (isolated_home / "models").mkdir()
    proc = subprocess.run(  # --json: an empty store's plain `list` writes only a stderr note
        [sys.executable, "-m", "movierate", "list", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=repo,
        preexec_fn=lambda: os.close(1),
        timeout=120,
    )
    assert proc.returncode == 1
    assert "error: the output of `list` could not be written to stdout (stdout is closed)" in (
        proc.stderr
    )


def test_show_says_an_imported_models_data_is_not_known(tmp_path, capsys):
    vectors = tmp_path / "vec.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.5\n0.7\t0.1\n")
    assert cli.main(["import", str(vectors), "--name", "imp"]) == 0
    capsys.readouterr()
    code, out, _ = _run(["show", "imp"], capsys)
    line = next(line for line in out.splitlines() if line.startswith("dataset"))
    assert code == 0 and "3 movies; the ratings, users and data" in line and "not known" in line
    assert "None" not in line and "0 ratings" not in line


def test_show_json_of_an_imported_model_says_what_is_not_known(tmp_path, capsys):
    """Recheck B (s27): `show --json` gave 0 ratings, 0 users, a rating scale and a training
    spec the imported vectors never had (`list --json` said family "imported"), and the text
    `show` ended with a bare "metrics" heading."""
    vectors = tmp_path / "vec.tsv"
    vectors.write_text("0.1\t0.2\n0.3\t0.5\n0.7\t0.1\n")
    assert cli.main(["import", str(vectors), "--name", "imp"]) == 0
    capsys.readouterr()
    code, out, _ = _run(["show", "imp", "--json"], capsys)
    meta = json.loads(out)
    assert code == 0 and meta["spec"] == {"family": "imported", "dim": 2}
    dataset = meta["dataset"]
    assert dataset["n_movies"] == 3 and dataset["name"] == "imported"
    assert [dataset[k] for k in ("n_users", "n_ratings", "rating_scale")] == [None] * 3
    _, out, _ = _run(["show", "imp"], capsys)
    assert "metrics" not in out.split()


def test_a_permission_error_on_an_input_file_gives_no_movierate_home_advice(
    isolated_home, tmp_path, monkeypatch
):
    """Recheck B (s27): `import vec.npy` from an unreadable folder said "or set MOVIERATE_HOME
    to a writable folder", which cannot help with the user's own input file."""
    from movierate.cli.output import os_error_text

    monkeypatch.chdir(tmp_path)
    text = os_error_text(PermissionError(13, "Permission denied", "vec.npy"))
    assert "MOVIERATE_HOME" not in text and "permissions of that file" in text
    inside = os_error_text(PermissionError(13, "Permission denied", str(isolated_home / "data")))
    assert "set MOVIERATE_HOME to a folder you may read and write" in inside


def test_the_example_for_a_long_device_name_keeps_the_length_rule():
    """Recheck B (s27): 'con.yyy…' (64 characters) was told to try a 67-character name."""
    from movierate.data.acquire import validate_dataset_name

    with pytest.raises(DataError) as refused:
        validate_dataset_name("con." + "y" * 60)
    example = str(refused.value).split("(e.g. '")[1].split("'")[0]
    assert len(example) <= 64 and validate_dataset_name(example) == example


def test_a_dataset_stored_before_stdout_failed_is_said_to_be_stored():
    """Recheck B (s27): `datasets small.csv --name x >&-` imported, then said only that the
    output could not be written, unlike train, import, rename and delete."""
    from movierate.cli import _unwritten_text

    failure = OSError(9, "Bad file descriptor")
    stored = _unwritten_text(["datasets", "small.csv", "--name", "x"], failure)
    assert "ran to its end" in stored and "check with `datasets`" in stored
    assert "ran to its end" not in _unwritten_text(["datasets"], failure)


def test_datasets_says_when_the_homes_datasets_cannot_be_listed(tmp_path, monkeypatch, capsys):
    """Recheck B (s27): with data/custom a link loop (or the home a file), `datasets` and Home
    dropped every imported dataset without a word."""
    loop = config.data_dir() / "custom"
    loop.parent.mkdir(parents=True)
    loop.symlink_to(loop)
    code, out, _ = _run(["datasets"], capsys)
    assert code == 0 and f"Datasets stored in {config.data_dir()} are not listed" in out
    assert f"{loop} is a link to a folder that does not exist (or a loop of links)" in out


def test_a_bare_name_from_a_deleted_folder_says_a_folder_there_cannot_be_seen(gone_cwd, capsys):
    """Recheck B (s27): `train folder` from a deleted current folder said only "Unknown
    dataset 'folder' … Pass a folder path", though `train ./folder` named the deleted folder."""
    code, _, err = _run(["datasets", "folder"], capsys)
    assert code == 1 and "Unknown dataset 'folder'" in err
    assert "If 'folder' is a folder in the current folder" in err and "absolute path" in err


def test_case_twins_are_what_a_case_insensitive_file_system_merges():
    """Recheck B (s27): 'STRASSE'/'straße' were called case twins (no file system keeps them as
    one), and an accent written two ways (NFC and NFD 'Amélie', one name on macOS) was not."""
    from movierate.filenames import case_twins

    names = ["m1", "M1", "m10", "k2", "\u212a2", "STRASSE", "stra\u00dfe"]
    names += ["Am\u00e9lie", "Ame\u0301lie"]
    assert case_twins(names) == [["M1", "m1"], ["k2", "\u212a2"], sorted(names[-2:])]
