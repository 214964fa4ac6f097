"""Bad-input round 40: a hostile environment for the CLI (an ASCII stdout, a home name over
255 bytes, a blank HOME, Keras writing outside MOVIERATE_HOME)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from movierate import config
from movierate.cli import main
from movierate.cli.output import ResultStream, encodable

REPO = Path(__file__).resolve().parents[1]


def test_an_ascii_stdout_gets_plain_symbols_and_escapes_instead_of_an_error():
    """'±' on an ASCII stdout ended a saved training with "unexpected UnicodeEncodeError ...
    This is a bug", exit 1, so a script retried and saved a second model."""
    raw = io.BytesIO()
    stream = ResultStream(io.TextIOWrapper(raw, encoding="ascii"))
    stream.write("test RMSE 0.9187 ± 0.0292 for Amélie\n")
    stream.flush()
    assert raw.getvalue() == b"test RMSE 0.9187 +/- 0.0292 for Am\\xe9lie\n"
    assert stream.failure is None
    assert encodable("plain", "ascii") == "plain"


def test_show_on_an_ascii_stdout_exits_0(small_model_home, tmp_path):
    env = dict(os.environ, MOVIERATE_HOME=str(small_model_home), PYTHONIOENCODING="ascii")
    env.pop("MOVIERATE_MODELS_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "movierate", "show", "small-mf"],
        cwd=REPO, env=env, capture_output=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    assert b"+/-" in done.stdout and b"bug" not in done.stderr


def test_a_home_name_over_255_bytes_is_said_as_such(tmp_path, monkeypatch, capsys):
    """It was "a link to a folder that does not exist (or a loop of links)": no link anywhere."""
    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path / ("a" * 300)))
    monkeypatch.delenv("MOVIERATE_MODELS_DIR", raising=False)
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert "one name in its path has 300 bytes and the system takes up to 255" in err, err
    assert "link" not in err
    from movierate.data import acquire

    assert isinstance(acquire.local_names(), list)  # Home's data sets: none there, no OSError


def test_a_blank_home_is_the_accounts_home_not_the_root(monkeypatch):
    import pwd

    monkeypatch.delenv("MOVIERATE_HOME", raising=False)
    monkeypatch.setenv("HOME", "")
    expected = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".movierate"
    assert config.home_dir() == expected != Path("/.movierate")


def test_keras_writes_under_movierate_home(tmp_path):
    env = dict(os.environ, MOVIERATE_HOME=str(tmp_path / "home"), HOME=str(tmp_path / "user"))
    env.pop("KERAS_HOME", None)
    (tmp_path / "user").mkdir()
    code = "import movierate.nn, keras, os; print(os.environ['KERAS_HOME'])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == str(tmp_path / "home" / "keras")
    assert not (tmp_path / "user" / ".keras").exists()


def test_a_header_repeated_in_a_long_file_is_named_as_a_header_not_a_totals_row(tmp_path):
    """The recheck: the totals-row check (round 36) took a repeated header line for "a totals
    or notes line a spreadsheet added" in a file of 8,752 ratings."""
    import pytest

    from movierate.data.custom import from_csv
    from movierate.errors import DataError

    rows = [f"{u},{m},{(u + m) % 5 + 1}" for u in range(1, 41) for m in range(1, 101)]
    rows.insert(2000, "user,item,rating")
    path = tmp_path / "pasted.csv"
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as refused:
        from_csv(path)
    assert "header line repeated mid-file" in str(refused.value)
    assert "totals" not in str(refused.value)


def test_counts_of_one_are_said_in_the_singular():
    """The recheck and accuracy round 30: "1 are not", "1 of the 300 users (0%) lie"."""
    from movierate.data.exports import _are_not
    from movierate.store import percent

    assert _are_not(1) == "1 is not" and _are_not(3) == "3 are not"
    assert percent(1, 300) == "under 1%"
