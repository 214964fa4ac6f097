"""Views round 35 (the README to the letter): `tune --help` names the budget's unit, and the
~700-character notice about one person under two user ids is printed in full by `datasets`
only; `train` and `tune` print one line that points there."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from movierate import cli
from movierate.cli.output import print_notes
from movierate.data import from_csv


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- F1: the budget is minutes ------------------------------------------------------------------
def test_tune_help_names_the_budget_in_minutes(capsys):
    """F1: `--budget 10` in the README read as a short search; it is 10 minutes, and the usage
    line said only BUDGET."""
    code, out, _ = _run(["tune", "--help"], capsys)
    assert code == 0
    assert "--budget MINUTES" in out
    assert "wall-clock minutes" in out


# --- F8: the twins notice in full once, where the data is looked at -----------------------------
def _twins_csv(folder: Path) -> Path:
    """Ratings of 40 users with user u3's ratings copied under the id u3-again."""
    rng = np.random.default_rng(0)
    rows = [
        (f"u{user}", int(movie), float(rng.integers(1, 6)))
        for user in range(40)
        for movie in rng.choice(200, 25, replace=False)
    ]
    frame = pd.DataFrame(rows, columns=["user", "item", "rating"])
    copy = frame[frame["user"] == "u3"].assign(user="u3-again")
    path = folder / "twins.csv"
    pd.concat([frame, copy]).to_csv(path, index=False)
    return path


def _twin_notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if "listed twice" in line]


def test_datasets_prints_the_twins_notice_in_full_and_train_one_line(tmp_path, capsys):
    """F8: every `train` / `tune` on ml-100k printed the same ~700-character note about users
    350 and 890 before any progress. `datasets` still prints it in full; a training prints the
    pair and the command that says why, on one line."""
    code, _, err = _run(["datasets", str(_twins_csv(tmp_path)), "--name", "twins"], capsys)
    assert code == 0, err
    (full,) = _twin_notes(err)
    assert "'u3' and 'u3-again' (100% alike)" in full
    assert "The share is of the (movie, rating) pairs" in full
    code, _, again = _run(["datasets", "twins"], capsys)
    assert code == 0 and _twin_notes(again) == [full]
    code, _, err = _run(["train", "twins", "--dim", "2", "--epochs", "1", "--quiet"], capsys)
    assert code == 0, err
    (brief,) = _twin_notes(err)
    assert "'u3' and 'u3-again' (100% alike)" in brief
    assert "`python -m movierate datasets twins` says why and what to do" in brief
    assert "The share is" not in brief and len(brief) < len(full) / 2


def test_a_dataset_without_a_stored_name_is_pointed_to_by_its_folder(tmp_path, capsys):
    """The pointer names a command that finds the data: a dataset loaded from a file, not
    stored under its name, is named by its source."""
    ds = from_csv(io.StringIO(_twins_csv(tmp_path).read_text()), name="loose")
    ds.source = str(tmp_path / "my data")
    out = io.StringIO()
    print_notes(ds, out)
    (brief,) = _twin_notes(out.getvalue())
    assert f"`python -m movierate datasets '{tmp_path / 'my data'}'`" in brief
