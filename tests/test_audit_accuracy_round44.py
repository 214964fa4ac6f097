"""Accuracy review round 44, F1: training is scale-invariant. A model scores in "star units":
on a rating scale whose span is not 3 to 6 points, predictions are g + u * z with u = span / 4
and training measures errors in u, so a x2 (2-10) or 0-100 copy of 1-5 data trains the same
model in its own rating points; star scales (u = 1) train exactly as before."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from movierate import scoring, store, tuning
from movierate.data.splits import make_split
from movierate.data.synthetic import synthetic_dataset
from movierate.explore import fold_in, predict_all
from movierate.explore.notebook import write_notebook_export
from movierate.nn.training import train
from movierate.spec import ModelSpec

#: name -> (factor, shift, declared scale) of each copy of the 1-5 data
COPIES = {"s5": (1, 0, (1, 5, 0.5)), "x2": (2, 0, (2, 10, 1)), "p100": (25, -25, (0, 100, 12.5))}
FAMILIES = ("mf_bias", "deep")


@pytest.fixture(scope="module")
def trained():
    """{(family, copy): (dataset, split, spec, result)} for the same data on three scales."""
    base = synthetic_dataset(6000, seed=3)
    stars = np.clip(base.ratings["rating"].to_numpy(np.float32), 1, 5)
    split = None
    out = {}
    for name, (factor, shift, scale) in COPIES.items():
        ratings = base.ratings.copy()
        ratings["rating"] = (stars * np.float32(factor) + np.float32(shift)).astype(np.float32)
        ds = base.edited(ratings, name=f"round44-{name}", rating_scale=scale)
        split = split or make_split(ds, seed=42)
        for family in FAMILIES:
            spec = ModelSpec(family=family, dim=8, epochs=4, batch_size=256, seed=1).validate()
            out[family, name] = (ds, split, spec, train(ds, split, spec))
    return out


def _test_predictions(ds, split, spec, arrays):
    rows = np.asarray(split.test)
    users = ds.ratings["user_idx"].to_numpy()[rows]
    movies = ds.ratings["movie_idx"].to_numpy()[rows]
    return users, movies, scoring.predict(arrays, spec, users, movies, ds.rating_scale)


def _test_rmse(entry) -> float:
    ds, split, spec, result = entry
    _, _, predicted = _test_predictions(ds, split, spec, result.arrays)
    truth = ds.ratings["rating"].to_numpy()[np.asarray(split.test)]
    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


def test_the_score_unit_is_one_on_star_scales_and_a_quarter_of_the_span_elsewhere():
    units = [scoring.unit_of_scale(s) for s in ((1, 5), (0.5, 5), (1, 7), (2, 10), (0, 100))]
    assert units == [1.0, 1.0, 1.0, 2.0, 25.0]
    assert scoring.unit_of_scale((0, 1)) == 0.25
    assert scoring.score_unit({}) == 1.0  # older models and imported embeddings


@pytest.mark.parametrize("family", FAMILIES)
def test_a_rescaled_copy_of_the_data_trains_the_same_model_in_its_own_points(trained, family):
    stars = _test_rmse(trained[family, "s5"])
    assert _test_rmse(trained[family, "x2"]) == pytest.approx(2 * stars, rel=1e-4)
    assert _test_rmse(trained[family, "p100"]) == pytest.approx(25 * stars, rel=5e-4)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_star_scale_model_keeps_its_old_arrays(trained, family):
    result = trained[family, "s5"][3]
    assert "score_unit" not in result.arrays
    assert result.keras_model.score_unit == 1.0
    units = {trained[family, name][3].arrays["score_unit"].item() for name in ("x2", "p100")}
    assert units == {2.0, 25.0}


@pytest.mark.parametrize("family", FAMILIES)
def test_numpy_scoring_matches_keras_for_a_model_of_another_unit(trained, family):
    ds, split, spec, result = trained[family, "p100"]
    users, movies, predicted = _test_predictions(ds, split, spec, result.arrays)
    keras = result.keras_model.predict(np.stack([users, movies], axis=1), verbose=0)
    np.testing.assert_allclose(predicted, keras.reshape(-1), atol=1e-3)


def test_the_unit_survives_saving_and_a_damaged_one_is_refused(trained):
    ds, split, spec, result = trained["mf_bias", "p100"]
    folder = store.save_model("p100-mf", result, ds, split, spec)
    loaded = store.load_model("p100-mf")
    assert scoring.score_unit(loaded.arrays) == 25.0
    users, movies, predicted = _test_predictions(ds, split, spec, loaded.arrays)
    np.testing.assert_allclose(predicted, _test_predictions(ds, split, spec, result.arrays)[2])
    arrays = dict(np.load(folder / store.EMBEDDINGS_FILE))
    arrays["score_unit"] = np.float32(-1.0)
    np.savez(folder / store.EMBEDDINGS_FILE, **arrays)
    with pytest.raises(store.StoreError, match="'score_unit' is \\[-1.0\\], expected one"):
        store.load_model("p100-mf")


def _model(entry) -> SimpleNamespace:
    """The part of a saved model the fold-in reads."""
    ds, _, spec, result = entry
    return SimpleNamespace(
        arrays=result.arrays,
        spec=spec,
        rating_scale=ds.rating_scale.as_list(),
        metrics=result.metrics,
        movies=ds.movies,
        global_mean=result.global_mean,
    )


def test_fold_in_places_rescaled_ratings_as_on_stars(trained):
    stars = {0: 4.0, 3: 2.0, 5: 5.0, 9: 3.0}
    folds = {}
    for name, (factor, shift, _) in COPIES.items():
        model = _model(trained["mf_bias", name])
        ratings = {k: v * factor + shift for k, v in stars.items()}
        fold = fold_in(model, ratings)
        rows = np.arange(20)
        pushes = fold.contributions(model.arrays["movie_embedding"], rows)
        folds[name] = (predict_all(model, fold, clip=False), pushes, factor, shift)
    base, base_pushes = folds["s5"][:2]
    for predicted, pushes, factor, shift in folds.values():
        np.testing.assert_allclose(predicted, base * factor + shift, rtol=1e-3, atol=1e-3 * factor)
        np.testing.assert_allclose(pushes, base_pushes * factor, rtol=1e-3, atol=1e-4 * factor)


def test_blends_add_the_members_scores_in_rating_points(trained):
    ds, split, spec, result = trained["mf_bias", "p100"]
    stop = np.asarray(split.stop)
    _, _, alone = _test_predictions(ds, SimpleNamespace(test=stop), spec, result.arrays)
    truth = ds.ratings["rating"].to_numpy()[stop]
    weight, curve = tuning.choose_blend_weight([result, result], ds, stop)
    assert curve[weight] == pytest.approx(float(np.sqrt(np.mean((alone - truth) ** 2))), rel=1e-5)
    # the same model in points (unit 1): tables x 5 (dot products x 25), biases x 25
    arrays = {k: v for k, v in result.arrays.items() if k != "score_unit"}
    for key, factor in (("user_embedding", 5), ("movie_embedding", 5), ("user_bias", 25)):
        arrays[key] = arrays[key] * np.float32(factor)
    arrays["movie_bias"] = arrays["movie_bias"] * np.float32(25)
    in_points = SimpleNamespace(arrays=arrays, train_seconds=0.0)
    combined = tuning.combine_dot_products(
        [result, in_points], [0.3, 0.7], spec.with_(dim=2 * spec.dim), ds, stop
    )
    _, _, both = _test_predictions(ds, SimpleNamespace(test=stop), combined.spec, combined.arrays)
    np.testing.assert_allclose(both, alone, atol=1e-3)


def test_the_notebook_export_recomputes_the_test_rmse_of_a_model_of_another_unit(
    trained, tmp_path, monkeypatch
):
    ds, split, spec, result = trained["mf_bias", "p100"]
    store.save_model("p100-export", result, ds, split, spec)
    write_notebook_export(store.load_model("p100-export"), tmp_path / "out", ds=ds)
    readme = (tmp_path / "out" / "README.txt").read_text()
    assert "score units of 25 rating points" in readme
    start = readme.index("  import json")
    code = [line[2:] for line in readme[start:].splitlines() if line.startswith("  ")]
    monkeypatch.chdir(tmp_path / "out")
    scope = {}
    exec("\n".join(line for line in code if not line.startswith("print")), scope)
    rmse = float(np.sqrt(np.mean((scope["p"] - scope["t"].rating) ** 2)))
    assert rmse == pytest.approx(_test_rmse(trained["mf_bias", "p100"]), rel=1e-4)


def test_show_says_the_history_s_loss_is_in_rating_points_squared(trained, capsys):
    """Recheck 10, L2: a 0-100 model's history "loss" (625 x the 1-5 model's: the batches'
    squared error in rating points) sat beside penalties on the vectors with no word on units."""
    from movierate.cli import main

    ds, split, spec, result = trained["mf_bias", "p100"]
    store.save_model("p100-show", result, ds, split, spec)
    assert main(["show", "p100-show"]) == 0
    said = capsys.readouterr().out
    assert "training loss (kept epoch; its batches' mean squared error in rating points²" in said
    assert "(loss: the epoch's training batches' mean squared error, in rating points²" in said
    stars = trained["mf_bias", "s5"][3].history["loss"][-1]
    assert result.history["loss"][-1] == pytest.approx(625 * stars, rel=1e-3)  # as it says
