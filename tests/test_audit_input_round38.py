"""Bad-input round 38: models saved by older movierate versions, read by this one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st

from movierate import paired, pipeline, store
from movierate.cli import main
from tests.apptest_helpers import open_page

#: The metrics models of the first version with a store (8eefe86, 2026-12-01) recorded, with
#: their regularizers' ``reg_*`` penalties (the reviewer's a_mfb_l2).
FIRST_METRICS = ("loss", "train_rmse", "train_mae", "stop_rmse", "stop_mae", "best_epoch",
                 "epochs_run", "test_rmse", "test_mae")  # fmt: skip


def _first_version(key: str) -> bool:
    """Whether the first version with a store recorded metric ``key``."""
    return key in FIRST_METRICS or key.startswith("reg_")


def _older_copy(home: Path, name: str, kept: int | None = None, **changes) -> dict:
    """Copy ``small-mf`` in ``home`` to ``name`` with its metrics as an older version saved
    them (no reference numbers; ``kept``: its best epoch, counted back from its last) and
    ``changes`` to its spec; its meta.json as written."""
    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["name"] = name
    meta["metrics"] = {k: v for k, v in meta["metrics"].items() if _first_version(k)}
    if kept is not None:
        meta["metrics"]["best_epoch"] = meta["metrics"]["epochs_run"] - kept
    meta["spec"].update(changes)
    (folder / "meta.json").write_text(json.dumps(meta))
    return meta


@pytest.fixture
def older_home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the trained models, with ``older``: ``small-mf`` as an older version saved it."""
    st.cache_data.clear()
    st.cache_resource.clear()
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    _older_copy(home, "older")
    return home


def test_an_older_model_gets_the_references_a_new_one_records(older_home, capsys):
    """F1: evaluate and show skipped the "no better than the averages" line and warning
    without a word for a model saved before the references were recorded. evaluate computes
    them on its recorded split, the numbers its twin recorded at training; show says so."""
    twin = store.load_model("small-mf").metrics
    assert main(["evaluate", "older"]) == 0
    out, err = capsys.readouterr()
    assert "references: not recorded (or one damped pass's) by the older movierate" in out
    assert store.baselines_text(twin) in out
    if warning := store.reference_warning(twin, store.load_model("small-mf").split_record):
        assert warning in err
    assert main(["show", "older"]) == 0
    out = capsys.readouterr().out
    assert (
        "not recorded (saved by an older movierate version): run `python -m movierate "
        "evaluate older` to compute them" in out
    )
    assert main(["show", "small-mf"]) == 0  # a model that recorded them: no such line
    assert "not recorded" not in capsys.readouterr().out
    computed = pipeline.reference_metrics(store.load_model("older"))
    later = [  # per_user_test_users: training's count for the few-users advice, no reference
        k
        for k in twin
        if not _first_version(k) and k not in ("settled_epoch", "per_user_test_users")
    ]
    assert "test_rmse_of_averages" in later
    for key in later:  # to the digit: the same code path as training's
        assert computed[key] == pytest.approx(twin[key], rel=1e-12, abs=1e-15), key


def test_compare_computes_or_names_an_older_models_references(older_home, monkeypatch):
    """F1: Compare showed "None" in the averages' columns for an older model and left it out
    of its warning: on small data it computes them (its twin's numbers); on large data the cell
    and a warning say they were not recorded and how to get them."""
    twin = store.load_model("small-mf").metrics
    at = open_page("pages/compare.py", models=["older", "small-mf"])
    table = at.dataframe[0].value.set_index("model")
    averages = table["averages' test RMSE"]
    assert averages["older"] == averages["small-mf"] == round(twin["test_rmse_of_averages"], 4)
    gap = "minus the averages' (95%, paired)"
    assert table.loc["older", gap] == table.loc["small-mf", gap]
    assert not [w for w in at.warning if "Not checked" in w.value]
    st.cache_data.clear()
    monkeypatch.setattr(paired, "RUN_UNASKED_UP_TO", 10)  # data too large to compute them
    at = open_page("pages/compare.py", models=["older", "small-mf"])
    table = at.dataframe[0].value.set_index("model")
    assert table.loc["older", gap] == store.references_not_recorded_text("older")
    assert at.dataframe[0].proto.placeholder == "—"  # the empty averages' cell: no "None"
    (warning,) = [w.value for w in at.warning if "Not checked" in w.value]
    assert "older" in warning and "small-mf" not in warning


def test_patience_0_of_an_older_version_is_named(older_home, capsys):
    """F2: patience 0 stopped at the first epoch without a better RMSE before it meant off;
    an older model with it (it kept an epoch before its last) was shown under the new
    meaning, in show and on Compare, and counted as a seed twin of a model trained now."""
    _older_copy(older_home, "old-pat0", 1, early_stopping_patience=0, seed=7)
    _older_copy(older_home, "new-pat0", 0, early_stopping_patience=0)  # kept its last epoch
    assert main(["show", "old-pat0"]) == 0
    out = capsys.readouterr().out
    assert "patience 0 meant 'stop at the first epoch without a better early-stopping RMSE" in out
    assert main(["show", "new-pat0"]) == 0
    assert "patience 0 meant" not in capsys.readouterr().out
    old, new = store.load_model("old-pat0"), store.load_model("new-pat0")
    assert paired.seed_twins(old, new) == ()
    _older_copy(older_home, "new-pat0-7", 0, early_stopping_patience=0, seed=7)
    assert paired.seed_twins(store.load_model("new-pat0-7"), new) != ()  # the rule's twin
    at = open_page("pages/compare.py", models=["old-pat0", "new-pat0"])
    (info,) = [i.value for i in at.info if "patience 0 meant" in i.value]
    assert info.startswith("old-pat0: patience 0 meant") and "new-pat0" not in info


def test_the_models_table_shows_a_dash_for_a_missing_number(older_home):
    """F3: Home's model table showed "None" for an imported embedding's test RMSE, MAE and
    training time; the columns stay numbers."""
    at = open_page("pages/home.py")
    (table,) = [d for d in at.dataframe if "test RMSE" in d.value.columns]
    assert table.proto.placeholder == "—"
    assert table.value["test RMSE"].dtype.kind == "f"


def test_show_names_only_the_references_an_older_model_lacks(older_home, capsys):
    """Bad-input round 58, F3: a model of 12-04 recorded the training mean's test RMSE (shown
    in its metrics) but not the averages'; show said both were "not recorded"."""
    path = older_home / "models" / "older" / "meta.json"
    meta = json.loads(path.read_text())
    meta["metrics"]["test_rmse_of_mean"] = 1.0655
    path.write_text(json.dumps(meta))
    assert main(["show", "older"]) == 0
    out = capsys.readouterr().out
    assert "(the user and movie averages' test RMSE: not recorded (saved by an older" in out
    assert "the training mean's and" not in out


def test_the_note_on_an_old_spread_penalty_models_unseen_vectors_parses():
    """Bad-input round 58, F4: "never moved, but for the movies' that its decorrelation
    penalty moved" did not parse."""
    from types import SimpleNamespace

    import pandas as pd

    from movierate.cli.models import _unseen_vectors

    old = SimpleNamespace(
        spec=SimpleNamespace(regularizers={"decorrelation": 1.0}), movies=pd.DataFrame()
    )
    assert _unseen_vectors(old).startswith(
        "training never moved, except the movies' vectors, which its decorrelation penalty moved"
    )
