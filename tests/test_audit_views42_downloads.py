"""Views round 42 (a researcher quoting the tool in a paper), findings 3, 4 and 6: Compare's
downloads say how each model was trained and which movies their numbers are over, the
variances' spread is not written like an interval, and models' colours stay apart."""

from __future__ import annotations

import io
import itertools
import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from apptest_helpers import open_page, vega_specs
from cvd import delta_e

from movierate.explore.compare import compare_file_name, settings_columns
from movierate.explore.verdicts import mean_and_sd
from movierate.spec import ModelSpec
from movierate.store import load_model
from movierate.ui import charts, widgets


@pytest.fixture
def downloads(monkeypatch) -> dict[str, tuple[str, str]]:
    """The page's table downloads by key: (file name, CSV text the button gives)."""
    seen: dict[str, tuple[str, str]] = {}
    original = widgets.download_table

    def recorded(label, data, file_name, *, key, where=None):
        seen[key] = (file_name, data() if callable(data) else data)
        return original(label, data, file_name, key=key, where=where)

    monkeypatch.setattr(widgets, "download_table", recorded)
    return seen


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


# --- F3: the accuracy download says how each model was trained ------------------------------


def test_accuracy_download_holds_settings_intervals_and_the_gap_as_numbers(trained_home, downloads):
    """Only the split's seed was in the file; the model's own interval was missing and the gap
    to the averages was text only ("'-0.0084 ± 0.0075, lower beyond the draw")."""
    open_page("pages/compare.py", models=["small-mf", "small-deep"])
    name, text = downloads["accuracy_csv"]
    assert name == "compare_small-mf_small-deep_accuracy.csv"
    table = _csv(text).set_index("model")
    for model in ("small-mf", "small-deep"):
        saved = load_model(model)
        row, metrics = table.loc[model], saved.metrics
        assert row["training seed"] == saved.spec.seed == 42
        assert row["learning rate"] == saved.spec.learning_rate
        assert row["batch size"] == saved.spec.batch_size
        assert row["epoch cap"] == saved.spec.epochs
        assert row["patience"] == saved.spec.early_stopping_patience
        assert row["test RMSE 95% half-width (another sample of test users)"] == pytest.approx(
            metrics["test_rmse_ci95"], rel=1e-12
        )
        assert row["test RMSE minus the averages'"] == pytest.approx(
            metrics["test_rmse_minus_averages"], rel=1e-12
        )
        assert row["its half-width (95%, paired by user)"] == pytest.approx(
            metrics["test_rmse_minus_averages_ci95"], rel=1e-12
        )
    assert table.loc["small-mf", "epoch cap"] == 8 and table.loc["small-deep", "epoch cap"] == 4


def _model(name: str, spec: ModelSpec, **meta) -> SimpleNamespace:
    return SimpleNamespace(name=name, spec=spec, meta=meta)


def test_settings_columns_name_each_model_s_training_and_what_differs():
    plain = _model("plain", ModelSpec(dim=16, seed=7, epochs=8, regularizers={}))
    decor = _model("decor", ModelSpec(dim=16, seed=7, epochs=8, optimizer="sgd"))
    imported = _model("glove", ModelSpec(), imported=True)
    ensemble = _model("ens", ModelSpec(seed=3), tuning={"refit": {"seeds": [3, 4, 5]}})
    blend = _model(
        "blend",
        ModelSpec(),
        tuning={
            "blend": {
                "members": [
                    {"family": "autorec", "spec": {"learning_rate": 0.001, "seed": 42}},
                    {"family": "mf_bias", "spec": {"learning_rate": 0.005, "seed": 42}},
                ]
            }
        },
    )
    columns = settings_columns([plain, decor, imported, ensemble, blend])
    assert columns["training seed"] == [7, 7, None, "3, 4, 5", 42]
    assert columns["epoch cap"] == [8, 8, None, 40, None]
    assert columns["learning rate"][-1] == "autorec: 0.001; mf_bias: 0.005"
    assert columns["optimizer"][:2] == ["adam", "sgd"]
    assert "regularizers" not in columns and "family" not in columns  # shown as columns
    assert "output" not in columns  # the same for every model: nothing to tell apart


def test_a_compare_file_name_stays_unique_beyond_three_models():
    """``and_1_more`` named two different selections alike."""
    four = compare_file_name(["a", "b", "c", "d"], "accuracy")
    other = compare_file_name(["a", "b", "c", "e"], "accuracy")
    assert four != other
    assert re.fullmatch(r"compare_4_models_a_b_c_and_1_more_[0-9a-f]{8}_accuracy\.csv", four)
    assert compare_file_name(["a", "b"], "spectra") == "compare_a_b_spectra.csv"


# --- F4: the Embedding spaces and Spectra tabs have named, full-precision downloads ---------


def test_embedding_spaces_download_is_named_full_precision_and_filtered(trained_home, downloads):
    at = open_page(
        "pages/compare.py", models=["small-mf", "small-deep"], section="Embedding spaces"
    )
    name, text = downloads["space_csv"]
    assert name == "compare_small-mf_small-deep_embedding_spaces.csv"
    table = _csv(text)
    assert list(table.columns[:4]) == ["model", "dataset", "min_ratings", "filter counts"]
    assert set(table["dataset"]) == {"ml-latest-small"} and set(table["min_ratings"]) == {10}
    assert set(table["filter counts"]) == {"training ratings"}
    assert "variances" not in table.columns  # as numbers instead
    shown = at.dataframe[0].value.set_index("model")
    for model, row in table.set_index("model").iterrows():
        mean, sd = row["variance mean"], row["variance sd over dims"]
        cell = shown.loc[model, "variances"]
        # the spread across dimensions is said as such, not as "mean ± spread"
        assert cell == mean_and_sd(mean, sd) and "±" not in cell and cell.endswith("over dims)")
        assert round(mean, 6) != mean  # full precision, not as shown
        assert row["mean |correlation|"] == pytest.approx(
            shown.loc[model, "mean |correlation|"], abs=5e-4
        )
    help_text = next(
        c.get("help", "")
        for c in json.loads(at.dataframe[0].proto.columns).values()
        if "diagonal" in c.get("help", "")
    )
    assert "±" not in help_text and "standard deviation across the dimensions" in help_text


def test_spectra_downloads_and_titles_name_data_and_filter(trained_home, downloads):
    at = open_page("pages/compare.py", models=["small-mf", "small-deep"], section="Spectra")
    for key, what, column in (
        ("spectra_csv", "spectra", "component"),
        ("variances_csv", "variances", "dimension"),
    ):
        name, text = downloads[key]
        assert name == f"compare_small-mf_small-deep_{what}.csv"
        table = _csv(text)
        assert list(table.columns[:4]) == ["model", "dataset", "min_ratings", "filter counts"]
        assert set(table["model"]) == {"small-mf", "small-deep"}
        assert column in table.columns and "share" in table.columns and "movies" in table.columns
        assert len(table) == 32  # 16 per model
        assert table.groupby("model")["share"].sum().round(9).eq(1).all()
    subtitles = [json.dumps(spec["title"].get("subtitle")) for spec in vega_specs(at)]
    assert len(subtitles) == 2
    for subtitle in subtitles:
        assert "ml-latest-small" in subtitle and "at least 10 training ratings" in subtitle


# --- F6: the models' colours stay apart -------------------------------------------------------


def test_the_first_models_colours_differ_to_the_eye():
    """The Spectra bars of r42-l2 (yellow-orange) and r42-decor (orange) looked alike: the
    palette's orange and vermillion were models 2 and 4."""
    first = [charts.model_colour(i) for i in range(5)]
    for n, least in ((4, 35), (5, 25)):  # CIEDE2000; orange to vermillion is 22
        pairs = itertools.combinations(first[:n], 2)
        assert min(delta_e(a, b, "normal") for a, b in pairs) > least, first[:n]


def test_every_chart_colours_a_model_alike():
    """The learning curves, the regularizer losses and the spectra give each model one colour."""
    variance = pd.DataFrame(
        {"variance": [1.0], "share": [1.0]}, index=pd.Index([0], name="dimension")
    )
    spec = charts.variance_chart({n: variance for n in "abcd"})
    bars = spec["encoding"]["color"]["scale"]["range"]
    curves = charts.curves_chart(
        {n: {"stop_rmse": [1.0, 0.9]} for n in "abcd"}, ["stop_rmse"], title="t", y_title="RMSE"
    )
    lines = next(
        layer["encoding"]["color"]["scale"]["range"]
        for layer in curves.get("layer", [curves])
        if "color" in layer.get("encoding", {})
    )
    assert bars == lines == [charts.model_colour(i) for i in range(4)]
