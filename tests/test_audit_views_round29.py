"""Views round 29 (a returning user with thirty models): F1 (Home's caption listed every trained
model by name when an imported embedding was the one left out), F2 (a refused rename ended
Home: no Delete button, no Datasets), F3 (Compare drew one "no better than the averages" box per
model) and F4 (pickers and tables gave bare, cut names and hid the data set).

Shown: copies of the session's ``small-mf`` and ``small-deep`` (ml-latest-small), an imported
embedding, and test_app_identity's two models on two data sets.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from apptest_helpers import APP, assert_clean, open_page
from streamlit.testing.v1 import AppTest
from test_app_identity import MODEL_100K, MODEL_LATEST, two_dataset_home  # noqa: F401
from test_imported_models import synthetic

from movierate import store
from movierate.imported_models import read_embedding, save_imported

LONG = "a-long-experiment-name-mf-bias-dim-16-l2"  # 40 characters: cut in a pinned column
IMPORTED = "imported-vectors"


@pytest.fixture
def home(small_model_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """small-mf, small-deep, a copy of small-mf named :data:`LONG`, and an imported embedding."""
    home = tmp_path / "home"
    for name in ("small-mf", "small-deep"):
        shutil.copytree(small_model_home / "models" / name, home / "models" / name)
    shutil.copytree(small_model_home / "models" / "small-mf", home / "models" / LONG)
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    npy = tmp_path / "v.npy"
    np.save(npy, synthetic()[0])
    save_imported(IMPORTED, read_embedding(npy), "v.npy")
    return home


def home_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert_clean(at)
    return at


def test_an_imported_embedding_leaves_the_settings_summary_short(home):
    """F1: it has no test rows, so it never was in "some": 28 names stood under Home's table."""
    infos = store.list_models()[0]
    assert IMPORTED in [i.name for i in infos]
    summary = store.settings_caveat_summary(infos)
    assert summary == (
        "Some settings of every model here with test rows were chosen partly on ratings among "
        "their test rows."
    )
    at = home_page()
    under = next(c.value for c in at.caption if c.value.startswith("Test RMSE and MAE"))
    settings = under[under.index("Some settings") :]  # the cold-rows sentence names models
    assert "every model here with test rows" in settings and "small-deep" not in settings


def test_a_long_list_of_models_is_counted_not_named():
    """F1: more than the summary names are counted; the note below the caption names them."""
    models = [SimpleNamespace(name=f"m{i}", has_test_rows=True, meta={}) for i in range(7)]
    some = models[: store.SUMMARY_NAMES + 1]
    assert store._names_of(some, models, most=store.SUMMARY_NAMES) == (
        f"{len(some)} of the 7 models here with test rows (the note below names them)"
    )
    assert store._names_of(some[:2], models, most=store.SUMMARY_NAMES) == "m0, m1"


@pytest.mark.parametrize("new", ["small-mf", "small mf"])
def test_a_refused_rename_keeps_the_rest_of_home(home, new):
    """F2: the refusal (a taken or invalid name) shows in the expander; Delete and the
    Datasets section stay, and nothing on disk changes."""
    at = home_page()
    at.selectbox(key="manage_model").set_value("small-deep")
    at.text_input(key="manage_new_name").set_value(new).run()
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception
    (error,) = at.error
    assert "small" in error.value
    assert any(b.key == "ask_delete" for b in at.button)
    assert "Datasets" in [h.value for h in at.header]
    assert (home / "models" / "small-deep").is_dir()
    at.button(key="ask_delete").click().run()  # the delete path still works after it
    assert any("Delete **small-deep** for good?" in w.value for w in at.warning)


def test_models_no_better_than_the_same_averages_share_one_warning(home, monkeypatch):
    """F3: one box names the models and their own numbers (12 boxes took ~950 px)."""
    real = store.no_better_than_averages_note
    monkeypatch.setattr(  # the real note, against averages every model fails to beat
        store,
        "no_better_than_averages_note",
        lambda metrics, *a: real({**(metrics or {}), "test_rmse_of_averages": 0.5}, *a),
    )
    names = ["small-mf", "small-deep", LONG]
    at = open_page("pages/compare.py", models=names)
    (warned,) = [w.value for w in at.warning if "no better than 0.5000" in w.value]
    assert warned.startswith("All 3 models, ")
    for name in names:
        rmse = store.load_model(name).metrics["test_rmse"]
        assert f"{name} (test RMSE {rmse:.4f})" in warned
    assert "each one's test RMSE is no better than 0.5000" in warned


def test_a_picker_says_each_picks_data_set_and_keeps_the_name_in_the_link(home):
    """F4: the data set, family and dim stand under the box; the link still holds the name."""
    at = open_page("pages/dimensions.py", model="small-deep")
    # one model: its summary line says it (no second line under the box)
    said = [c.value for c in at.caption]
    assert any("**small-deep**: deep, dim 16" in c and "ml-latest-small" in c for c in said)
    assert not any("On ml-latest-small:" in c for c in said)
    assert at.query_params["model"] == "small-deep"
    at = open_page("pages/neighbours.py", models=["small-mf", LONG])
    said = "On ml-latest-small: small-mf (mf_bias, dim 16), " + LONG + " (mf_bias, dim 16)"
    assert any(said in c.value for c in at.caption)


def test_a_name_the_table_cuts_is_given_in_full(home):
    """F4: Compare's pinned name column cut the lowest model to "my-very-long-experiment-name-"."""
    at = open_page("pages/compare.py", models=["small-mf", LONG])
    assert any(c.value == f"Names cut short in the table, in full: {LONG}." for c in at.caption)


def test_home_shows_the_data_set_beside_the_name(two_dataset_home, monkeypatch):  # noqa: F811
    """F4: with two data sets, "dataset" came eighth and was cut to "ml-latest-smal"."""
    monkeypatch.setenv("MOVIERATE_HOME", str(two_dataset_home))
    at = home_page()
    table = at.dataframe[0].value
    assert list(table.columns[:2]) == ["model", "dataset"]
    assert set(table["model"]) == {MODEL_100K, MODEL_LATEST}
