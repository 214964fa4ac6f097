"""Accuracy round 56, finding 2: the share of test rows whose user or movie has no training
rating (1% or more) is said next to the test RMSE on Home and on Compare, not only by the
CLI and the Train page.

The session's ``small-mf`` and ``small-deep`` are copied to a home of their own, and their
recorded cold rows set here as a split by date leaves them (the review's 94%).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from apptest_helpers import open_page

COLD = "test rows cold"


def set_cold(home: Path, name: str, share: float, seen_rmse: float = 0.8708) -> tuple[int, int]:
    """Record ``share`` of ``name``'s test rows as cold, with ``seen_rmse`` over the rest;
    (cold rows, test rows)."""
    path = home / "models" / name / "meta.json"
    meta = json.loads(path.read_text())
    n_test = meta["split"]["n_test"]
    unseen = round(share * n_test)
    meta["metrics"].update(test_unseen_rows=unseen, test_rmse_seen=seen_rmse)
    path.write_text(json.dumps(meta))
    return unseen, n_test


@pytest.fixture
def home(small_model_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the session's models, ``small-mf`` 94% cold, ``small-deep`` none."""
    home = tmp_path / "home"
    shutil.copytree(small_model_home / "models", home / "models")
    set_cold(home, "small-mf", 0.94)
    set_cold(home, "small-deep", 0.0)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


def models_table(at):
    return next(t.value for t in at.dataframe if "model" in t.value.columns)


def test_home_shows_the_cold_share_beside_the_test_rmse_and_the_rmse_over_the_rest(home):
    at = open_page("pages/home.py")
    table = models_table(at).set_index("model")
    assert list(table.columns[:3]) == ["test RMSE", "test MAE", COLD]  # in view at 1280 px
    assert table.loc["small-mf", COLD] == "94%"
    assert table.loc["small-deep", COLD] == ""  # under 1%: no figure
    under = next(c.value for c in at.caption if c.value.startswith("Test RMSE and MAE"))
    assert f"'{COLD}' (shown from 1%): the share of a model's test rows" in under
    assert "Test RMSE over the other rows: small-mf 0.8708." in under
    assert "small-deep" not in under


def test_home_says_nothing_of_cold_rows_under_one_percent(home):
    set_cold(home, "small-mf", 0.005)
    at = open_page("pages/home.py")
    assert COLD not in models_table(at).columns
    assert not any(COLD in c.value for c in at.caption)


def test_home_gives_no_rmse_over_too_few_other_rows(home):
    unseen, n_test = set_cold(home, "small-mf", 1.0)
    path = home / "models" / "small-mf" / "meta.json"
    meta = json.loads(path.read_text())
    meta["metrics"]["test_unseen_rows"] = n_test - 2
    path.write_text(json.dumps(meta))
    at = open_page("pages/home.py")
    under = next(c.value for c in at.caption if c.value.startswith("Test RMSE and MAE"))
    assert "small-mf none (only 2 other rows, too few for an RMSE of their own)." in under
    assert models_table(at).set_index("model").loc["small-mf", COLD] == "over 99%"


def test_compare_shows_the_cold_notes_under_its_table_not_in_an_expander(home):
    unseen, n_test = set_cold(home, "small-mf", 0.94)
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"], paired="false")
    nodes = list(at.tabs[0])
    table = next(i for i, n in enumerate(nodes) if n.type == "dataframe")
    # the table's own "What the columns mean" expander may stand between
    folded = {id(n) for e in at.tabs[0].expander for n in [e, *e]}
    below = next(n for n in nodes[table + 1 :] if id(n) not in folded)
    assert below.type == "caption"
    assert below.value.startswith(f"small-mf: {unseen:,} of its {n_test:,} test rows (94%)")
    assert "(over the other" in below.value and "it is 0.8708)." in below.value
    inside = " ".join(c.value for e in at.expander for c in e.caption)
    assert "no training rating" not in inside  # said once, in view
    trust = [e for e in at.expander if e.label == "How far to trust these differences"]
    assert trust and trust[0].caption  # its other notes are kept
