"""tune --blend: the weight picked on stop rows, one saved mf_bias model, numpy = Keras, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from movierate import cli, scoring, store
from movierate.data import Split, synthetic_dataset, write_movielens_csv
from movierate.errors import SpecError
from movierate.spec import ModelSpec
from movierate.tuning import (
    DEFAULT_BLEND,
    TuneRequest,
    blend_families,
    blend_spec,
    choose_blend_weight,
    combine_dot_products,
    tune,
)


@pytest.fixture(scope="module")
def tiny():
    return synthetic_dataset(n_ratings=1500, n_users=40, n_movies=60, seed=5)


class _Fake:
    """A TrainResult stand-in: arrays and spec are all the blend reads."""

    def __init__(self, arrays, spec, seconds=1.0):
        self.arrays, self.spec, self.train_seconds = arrays, spec, seconds
        self.metrics = {"best_epoch": 3, "epochs_run": 5}
        self.history = {"loss": [1.0]}


def _planted(ds, rng, noise):
    """A dot-product model that predicts each rating plus ``noise`` x N(0, 1) (per pair)."""
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    truth = ds.ratings["rating"].to_numpy(np.float64)
    mean = float(truth.mean())
    # one-hot movie factors per (user, movie) pair: u[user, k] * m[movie, k] = residual
    dim = ds.n_movies
    user_emb = np.zeros((ds.n_users, dim), np.float32)
    user_emb[users, movies] = truth - mean + noise * rng.standard_normal(len(truth))
    movie_emb = np.eye(ds.n_movies, dim, dtype=np.float32)
    arrays = {
        "user_embedding": user_emb,
        "movie_embedding": movie_emb,
        "user_bias": np.zeros(ds.n_users, np.float32),
        "global_mean": np.asarray(mean, np.float32),
    }
    return _Fake(arrays, ModelSpec(family="autorec", dim=dim))


def test_a_useless_member_gets_a_weight_near_zero(tiny):
    rng = np.random.default_rng(0)
    good = _planted(tiny, rng, noise=0.05)
    useless = _planted(tiny, rng, noise=3.0)
    rows = np.arange(0, len(tiny), 3)
    w, curve = choose_blend_weight([good, useless], tiny, rows)
    assert w >= 0.9 and curve[w] == min(curve.values())
    w, _ = choose_blend_weight([useless, good], tiny, rows)
    assert w <= 0.1
    # two equally noisy, independent members: about half each, and better than either
    a, b = _planted(tiny, rng, noise=0.5), _planted(tiny, rng, noise=0.5)
    w, curve = choose_blend_weight([a, b], tiny, rows)
    assert 0.3 <= w <= 0.7 and curve[w] < min(curve[0.0], curve[1.0]) - 0.02


def test_the_combined_model_predicts_the_weighted_sum_of_its_members(tiny):
    rng = np.random.default_rng(1)
    a = _planted(tiny, rng, noise=0.4)
    a.arrays["user_bias"] = rng.standard_normal(tiny.n_users).astype(np.float32) * 0.1
    b_arrays = {
        "user_embedding": rng.standard_normal((tiny.n_users, 4)).astype(np.float32) * 0.3,
        "movie_embedding": rng.standard_normal((tiny.n_movies, 4)).astype(np.float32) * 0.3,
        "user_bias": rng.standard_normal(tiny.n_users).astype(np.float32) * 0.1,
        "movie_bias": rng.standard_normal(tiny.n_movies).astype(np.float32) * 0.1,
        "global_mean": np.asarray(3.4, np.float32),
    }
    b = _Fake(b_arrays, ModelSpec(family="mf_bias", dim=4))
    spec = blend_spec([a.spec, b.spec])
    assert spec.family == "mf_bias" and spec.dim == a.spec.dim + 4
    combined = combine_dot_products([a, b], [0.3, 0.7], spec, tiny, np.arange(len(tiny)))
    users = tiny.ratings["user_idx"].to_numpy()[:300]
    movies = tiny.ratings["movie_idx"].to_numpy()[:300]
    none = spec.with_(output="none")
    expected = 0.3 * scoring.predict(
        a.arrays, a.spec.with_(output="none"), users, movies, tiny.rating_scale
    ) + 0.7 * scoring.predict(b.arrays, b.spec.with_(output="none"), users, movies, (1, 5))
    ours = scoring.predict(combined.arrays, none, users, movies, tiny.rating_scale)
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    keras_pred = combined.keras_model.predict(np.stack([users, movies], 1), verbose=0).ravel()
    np.testing.assert_allclose(
        keras_pred,
        scoring.predict(combined.arrays, spec, users, movies, tiny.rating_scale),
        atol=1e-4,
    )
    with pytest.raises(SpecError, match="output"):
        blend_spec([a.spec.with_(output="sigmoid"), b.spec])


def test_blend_requests_are_checked():
    assert blend_families(("mf_bias",)) == DEFAULT_BLEND == blend_families(())
    assert blend_families(("mf", "autorec")) == ("mf", "autorec")
    TuneRequest(DEFAULT_BLEND, blend=True).validate()
    with pytest.raises(SpecError, match="blend"):
        TuneRequest(("deep", "mf_bias"), blend=True).validate()
    with pytest.raises(SpecError, match="blend"):
        TuneRequest(("mf_bias",), blend=True).validate()


def test_tune_blend_saves_one_explorable_model_picked_on_stop_rows(tiny, monkeypatch):
    from movierate.pipeline import split_from_settings, split_settings

    split = split_from_settings(tiny, split_settings(None))

    def run(ds, name):
        return tune(
            ds,
            name,
            families=("autorec", "mf_bias"),
            blend=True,
            budget_seconds=300,
            n_trials=1,
            max_epochs=3,
            split=Split(
                split.method,
                split.seed,
                split.test_fraction,
                split.stop_fraction,
                split.train,
                split.stop,
                split.test,
            ),
            base_spec=ModelSpec(dim=8),
        )

    result = run(tiny, "blend-tiny")
    assert [m.best_spec.family for m in result.members] == ["autorec", "mf_bias"]
    model = store.load_model("blend-tiny")
    blend = model.meta["tuning"]["blend"]
    w = blend["weights"][0]
    assert blend["stop_rmse"] == pytest.approx(min(blend["stop_curve"].values()))
    assert blend["stop_curve"][f"{w:g}"] == pytest.approx(blend["stop_rmse"])
    assert model.spec.family == "mf_bias"
    assert model.dim == sum(m["dim"] for m in blend["members"])
    assert model.split_record["stop_rows_trained"] is True
    assert [t.number for t in result.trials] == [1, 2]
    assert [t.params["family"] for t in result.trials] == ["autorec", "mf_bias"]
    assert [m["best_trial"] for m in blend["members"]] == [1, 2]  # numbers of trials.json
    assert "test_rmse" in model.metrics
    assert "0-" in blend["movie_embedding"] and "autorec" in blend["movie_embedding"]
    # numpy and Keras agree on the saved model (clipped)
    users = tiny.ratings["user_idx"].to_numpy()[:300]
    movies = tiny.ratings["movie_idx"].to_numpy()[:300]
    keras_pred = model.keras_model().predict(np.stack([users, movies], 1), verbose=0).ravel()
    np.testing.assert_allclose(
        keras_pred,
        scoring.predict(model.arrays, model.spec, users, movies, tiny.rating_scale),
        atol=1e-4,
    )
    # the saved prediction = w x autorec refit + (1 - w) x mf_bias refit, before clipping
    a, b = (m.result for m in result.members)
    expected = w * scoring.predict(
        a.arrays, a.spec.with_(output="none"), users, movies, tiny.rating_scale
    ) + (1 - w) * scoring.predict(
        b.arrays, b.spec.with_(output="none"), users, movies, tiny.rating_scale
    )
    ours = scoring.predict(
        model.arrays, model.spec.with_(output="none"), users, movies, tiny.rating_scale
    )
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    # opens as a dot-product model in the explore package (no TensorFlow there)
    from movierate.explore.neighbours import nearest_movies

    near = nearest_movies(model.movie_embedding, model.movies, 0, k=3)
    assert len(near) == 3
    # the test rows steer nothing: with every test rating changed, the same weight and members
    ratings = tiny.ratings.copy()  # ds.ratings is read-only (bad-input round 24)
    ratings.loc[ratings.index[split.test], "rating"] = 1.0
    poisoned = tiny.edited(ratings, name="tiny-poisoned")
    again = run(poisoned, "blend-poisoned")
    assert again.summary["blend"]["weights"] == blend["weights"]
    assert again.summary["blend"]["stop_curve"] == blend["stop_curve"]
    assert store.load_model("blend-poisoned").test_rmse != model.test_rmse


def test_cli_tune_blend(tiny, tmp_path, capsys):
    folder = write_movielens_csv(tiny, tmp_path / "tiny-blend")
    code = cli.main(
        ["tune", str(folder), "--blend", "--trials", "1", "--max-epochs", "2", "--name", "cli-b"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "saved 'cli-b': one mf_bias model" in out.out and "x autorec" in out.out
    assert "movie embedding columns" in out.out
    assert store.load_model("cli-b").meta["tuning"]["request"]["blend"] is True
    assert cli.main(["show", "cli-b"]) == 0
    shown = capsys.readouterr().out
    assert "a blend: " in shown and "x autorec (trial 1" in shown and "columns 0-" in shown
    assert cli.main(["tune", str(folder), "--blend", "--family", "deep"]) == 1


def test_the_saved_text_of_a_blend_names_its_weights_and_columns():
    from movierate.ui.text import tuning_saved_text

    summary = {
        "blend": {
            "members": [
                {"family": "autorec", "weight": 0.6, "best_trial": 1, "stop_rmse": 0.9},
                {"family": "mf_bias", "weight": 0.4, "best_trial": 3, "stop_rmse": 0.91},
            ],
            "stop_rmse": 0.89,
            "refit": True,
            "movie_embedding": "columns 0-499 = autorec, 500-531 = mf_bias",
        }
    }
    text = tuning_saved_text(summary)
    assert "0.60 x autorec" in text and "0.40 x mf_bias" in text and "0.8900" in text
    assert "0-499 = autorec" in text and "test RMSE is held out" in text
