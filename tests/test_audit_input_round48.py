"""Bad-input round 48, settings at their edges: integer flags given as 2.5 or 1e9 lost their
allowed range in argparse's error, and ``--hidden-units -5,3`` read as an option (F3)."""

from __future__ import annotations

import pytest

from movierate.cli import main

# --- F3: integer flags ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["train", "ml-100k", "--dim", "2.5"], "--dim: '2.5' is not a whole number"),
        (["train", "ml-100k", "--dim", "1e9"], "use a whole number from 1 to 1024"),
        (["train", "ml-100k", "--epochs", "1.0"], "use a whole number from 1 to 10000"),
        (["train", "ml-100k", "--split-seed", "1e3"], "use a whole number from 0 to 2147483647"),
        (["tune", "ml-100k", "--trials", "1e9"], "--trials: '1e9' is not a whole number"),
        (["tune", "ml-100k", "--max-epochs", "2.5"], "use a whole number from 1 to 10000"),
        (["tune", "ml-100k", "--ensemble", "1.5"], "use a whole number from 1 to 8"),
        (["tune", "ml-100k", "--seed", "0.5"], "use a whole number from 0 to 2147483647"),
        (["study", "--epochs", "1e9"], "use a whole number from 1 to 10000"),
    ],
)
def test_a_fractional_integer_flag_says_the_allowed_range(capsys, monkeypatch, argv, allowed):
    monkeypatch.setattr("movierate.data.load_dataset", lambda *a, **k: pytest.fail("loaded"))
    assert main(argv) == 2
    assert allowed in capsys.readouterr().err


def test_a_negative_layer_list_is_read_as_its_value(capsys, monkeypatch):
    monkeypatch.setattr("movierate.data.load_dataset", lambda *a, **k: pytest.fail("loaded"))
    assert main(["train", "ml-100k", "--family", "deep", "--hidden-units", "-5,3"]) != 0
    err = capsys.readouterr().err
    assert "expected one argument" not in err
    assert "layer size -5: use a whole number from 1 to 4096" in err
