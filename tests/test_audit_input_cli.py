"""Command-line values that used to be misread: an empty option value silently meant "option
left out" (``study --out ''`` ran a whole study into the default folder, ``--merge ''`` ran a
study instead of merging), and a path that is a symlink loop crashed ``datasets``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from movierate.cli import main
from movierate.data import from_csv
from movierate.errors import DataError


def _no_work(monkeypatch) -> None:
    """Fail the test if a command gets as far as loading data or running a study."""
    monkeypatch.setattr("movierate.study.run_study", lambda *a, **k: pytest.fail("study ran"))
    monkeypatch.setattr("movierate.study.merge_results", lambda *a, **k: pytest.fail("merge ran"))
    monkeypatch.setattr("movierate.data.load_dataset", lambda *a, **k: pytest.fail("data loaded"))


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["study", "--quick", "--out", ""], "--out"),
        (["study", "--merge", "", "--out", "OUT"], "--merge"),
        (["study", "--quick", "--dims", " "], "--dims"),
        (["study", "--quick", "--seeds", ""], "--seeds"),
        (["study", "--quick", "--variants", "  "], "--variants"),
        (["study", "--quick", "--datasets", ""], "--datasets"),
        (["tune", "ml-100k", "--name", ""], "--name"),
        (["train", "ml-100k", "--name", " "], "--name"),
        (["import", "VECTORS", "--labels", "", "--name", "x"], "--labels"),
        (["import", "VECTORS", "--name", ""], "--name"),
    ],
)
def test_an_empty_option_value_is_an_error_not_the_default(
    tmp_path, capsys, monkeypatch, argv, flag
):
    _no_work(monkeypatch)
    np.save(tmp_path / "v.npy", np.zeros((3, 2), dtype=np.float32))
    argv = [
        {"OUT": str(tmp_path / "out"), "VECTORS": str(tmp_path / "v.npy")}.get(a, a) for a in argv
    ]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and f"{flag} is empty" in lines[0]
    assert not (tmp_path / "out").exists() and "Traceback" not in out + err


def test_a_symlink_loop_is_one_error_line(tmp_path, capsys):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for target in ("a", "b"):
        assert main(["datasets", str(tmp_path / target)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error:") and "unexpected" not in err and "loop" in err.lower()
    with pytest.raises(DataError):
        from_csv(Path(tmp_path / "a"))
