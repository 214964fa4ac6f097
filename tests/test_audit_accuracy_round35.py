"""Accuracy round 35 (selection after the fact), F1: a pruned ``ordered`` model recorded the
train and early-stopping RMSE / MAE of the model before its rank selection zeroed dimensions
(ord64: train RMSE 0.6926 recorded, 0.8092 saved), and its early-stopping RMSE was not said to
be picked on the rows that also chose the kept dimensions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from movierate import pipeline, store
from movierate.cli import main
from movierate.study.measure import fit_in_memory, rmse_mae
from movierate.ui import charts, text

#: Rank-2 ratings trained at dim 12: the rank selection zeroes most dimensions.
TRAIN = ["--dim", "12", "--epochs", "3", "--batch-size", "256", "--seed", "3"]
ORDERED = ["--reg", "l2=0.02", "--reg", "ordered=0.1"]


def _rank_two_csv(path) -> None:
    """200 users x 150 movies, 12,000 ratings from two planted factors plus noise."""
    rng = np.random.default_rng(5)
    users, movies = rng.integers(0, 200, 12_000), rng.integers(0, 150, 12_000)
    user_f, movie_f = rng.normal(size=(200, 2)), rng.normal(size=(150, 2))
    score = np.einsum("ij,ij->i", user_f[users], movie_f[movies])
    frame = pd.DataFrame({"userId": users + 1, "movieId": movies + 1})
    frame["rating"] = np.round(np.clip(3.0 + score + rng.normal(size=len(frame)) * 0.3, 1, 5))
    frame["timestamp"] = 1_000_000_000 + np.arange(len(frame))
    frame = frame.drop_duplicates(["userId", "movieId"])
    frame.to_csv(path, index=False)


@pytest.fixture
def pruned(tmp_path, capsys):
    """The model ``ord`` (dim 12, pruned) on the data set ``rank2``; the CLI's output."""
    _rank_two_csv(tmp_path / "rank2.csv")
    assert main(["datasets", str(tmp_path / "rank2.csv"), "--name", "rank2"]) == 0
    capsys.readouterr()
    assert main(["train", "rank2", "--name", "ord", *TRAIN, *ORDERED, "--quiet"]) == 0
    return store.load_model("ord"), capsys.readouterr()


def test_a_pruned_model_records_its_own_train_and_stop_numbers(pruned, capsys):
    """The recorded train / stop RMSE and MAE equal a numpy recomputation on the saved arrays;
    the history keeps what training logged, recorded as ``..._before_pruning``."""
    model, _ = pruned
    metrics, best = model.metrics, int(model.metrics["best_epoch"])
    assert metrics["kept_dims"] < 12, metrics
    result = pipeline.evaluate_model(model)
    for part in ("train", "stop"):
        for error in ("rmse", "mae"):
            key = f"{part}_{error}"
            assert metrics[key] == pytest.approx(result[key], abs=1e-5)
            assert metrics[f"{key}_before_pruning"] == model.history[key][best - 1]
        assert abs(metrics[f"{part}_rmse"] - metrics[f"{part}_rmse_before_pruning"]) > 5e-4
    assert main(["evaluate", "ord"]) == 0
    out = capsys.readouterr()
    assert "early-stopping (chose dims: optimistic)" in out.out
    kept = int(metrics["kept_dims"])
    chose = f"which of its dimensions were kept (the first {kept} of 12)"
    assert f"they also chose {chose}, so their RMSE flatters it" in out.out
    assert "before its rank selection" not in out.err  # its record is the saved model's


def test_the_study_records_its_pruned_models_train_rmse(pruned):
    """``study``'s models prune on rows they never stop on: their train RMSE is the saved
    model's too."""
    ds = pipeline.dataset_of(pruned[0])
    split = pipeline.recorded_split(ds, pruned[0].meta["split"])
    spec = {**pruned[0].spec.to_dict(), "regularizers": {"l2": 0.02, "ordered": 0.1}}
    fitted = fit_in_memory(ds, split, spec)
    metrics = fitted.result.metrics
    assert metrics["kept_dims"] < 12
    rows = ds.ratings.iloc[split.train]
    columns = [rows[c].to_numpy() for c in ("user_idx", "movie_idx", "rating")]
    rmse, mae = rmse_mae(fitted.model, columns[0], columns[1], columns[2].astype(np.float64))
    assert metrics["train_rmse"] == pytest.approx(rmse, abs=1e-5)
    assert metrics["train_mae"] == pytest.approx(mae, abs=1e-5)


def test_the_early_stopping_rmse_says_those_rows_chose_the_kept_dims(pruned, capsys):
    """`train`, `show`, the Train page's tiles and the curves' caption say the early-stopping
    RMSE is the pruned model's, picked on the rows that chose the kept dimensions."""
    model, trained = pruned
    kept, metrics = int(model.metrics["kept_dims"]), model.metrics
    chose = f"also chose which of its dimensions were kept (the first {kept} of 12)"
    assert f"{chose}: their RMSE flatters it" in trained.out
    assert main(["show", "ord"]) == 0
    shown = capsys.readouterr().out
    assert f"{chose}: their RMSE flatters it" in shown
    assert "early-stopping RMSE before the kept-dims selection" in shown
    assert f"Its early-stopping rows {chose}" in text.stop_rows_flatter_text(model.meta)
    tile = text.pruned_tile_help(metrics, "stop_rmse")
    assert f"{metrics['stop_rmse_before_pruning']:.4f}" in tile and "flatters it" in tile
    assert "flatters" not in text.pruned_tile_help(metrics, "train_rmse")
    said = charts.learning_curves_text(
        {"ord": model.history}, {"ord": metrics["best_epoch"]}, {"ord": metrics}
    )
    assert f"{metrics['stop_rmse_before_pruning']:.4f} at the kept epoch" in said
    assert (
        f"(before these rows also chose to keep the first {kept} dimensions; the saved "
        f"model's: {metrics['stop_rmse']:.4f})" in said
    )
    # a model trained without the option says none of it
    assert store.stop_rows_chose_dims({"metrics": {"stop_rmse": 0.9}, "spec": {}}) is None
    assert text.pruned_tile_help({"stop_rmse": 0.9}, "stop_rmse") is None


def test_evaluate_explains_an_older_pruned_models_record(pruned, capsys):
    """A pruned model saved before this round records the unpruned numbers: `evaluate` says
    why they differ from its arrays' instead of showing the gap unexplained."""
    model, _ = pruned
    path = store.model_path("ord") / "meta.json"
    meta = json.loads(path.read_text())
    for key in [k for k in meta["metrics"] if k.endswith("_before_pruning")]:
        meta["metrics"][key.removesuffix("_before_pruning")] = meta["metrics"].pop(key)
    path.write_text(json.dumps(meta))
    assert main(["evaluate", "ord"]) == 0
    err = capsys.readouterr().err
    kept = int(model.metrics["kept_dims"])
    assert f"before its rank selection kept the first {kept} dimensions" in err
    assert f"train {meta['metrics']['train_rmse']:.4f} recorded" in err
