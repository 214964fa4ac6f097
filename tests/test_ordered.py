"""The ``ordered`` regularizer and movierate.explore.ordering: dimensions in order of importance."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import schema, scoring
from movierate.data import make_split, synthetic_dataset
from movierate.errors import DataError
from movierate.explore import ordering
from movierate.spec import ModelSpec

SCALE = (0.5, 5.0, 0.5)
#: Planted factor strengths, strictly decreasing: factor j moves ratings by about STRENGTHS[j].
STRENGTHS = np.array([1.0, 0.8, 0.62, 0.47, 0.35, 0.25])


def _fake(arrays: dict, family: str = "mf_bias", output: str = "none") -> SimpleNamespace:
    return SimpleNamespace(
        arrays=arrays, spec=SimpleNamespace(family=family, output=output), rating_scale=SCALE
    )


def _dot_arrays(rng, n_users=40, n_movies=30, scales=(2.0, 1.0, 0.5, 0.25)) -> dict:
    scales = np.asarray(scales, np.float32)
    return {
        "user_embedding": (rng.normal(size=(n_users, len(scales))) * scales).astype(np.float32),
        "movie_embedding": (rng.normal(size=(n_movies, len(scales))) * scales).astype(np.float32),
        "user_bias": rng.normal(size=n_users).astype(np.float32),
        "movie_bias": rng.normal(size=n_movies).astype(np.float32),
        "global_mean": np.float32(3.5),
    }


def _all_pairs(arrays: dict) -> tuple[np.ndarray, np.ndarray]:
    n_users, n_movies = len(arrays["user_embedding"]), len(arrays["movie_embedding"])
    users, movies = np.meshgrid(np.arange(n_users), np.arange(n_movies), indexing="ij")
    return users.ravel(), movies.ravel()


# --- explore.ordering on hand-made models ---------------------------------------------------------


def test_ablation_measures_each_dimensions_share_on_a_hand_made_model():
    arrays = _dot_arrays(np.random.default_rng(0))
    model = _fake(arrays)
    users, movies = _all_pairs(arrays)
    truth = scoring.predict(arrays, model.spec, users, movies, SCALE)  # exact: base RMSE 0
    ablation = ordering.dimension_ablation(model, users, movies, truth)
    u, m = arrays["user_embedding"][users], arrays["movie_embedding"][movies]
    expected = np.sqrt(np.mean((u.astype(np.float64) * m) ** 2, axis=0))  # dropping u_j m_j
    np.testing.assert_allclose(ablation["rmse_increase"], expected, rtol=1e-4)
    assert ablation.attrs["base_rmse"] == pytest.approx(0.0, abs=1e-5)
    assert ordering.ordering_spearman(ablation) == pytest.approx(1.0)
    reversed_model = _fake({**arrays, **{k: arrays[k][:, ::-1] for k in _EMB}})
    reversed_ablation = ordering.dimension_ablation(reversed_model, users, movies, truth)
    assert ordering.ordering_spearman(reversed_ablation) == pytest.approx(-1.0)


_EMB = ("user_embedding", "movie_embedding")


def test_prefix_curve_and_truncation():
    arrays = _dot_arrays(np.random.default_rng(1))
    model = _fake(arrays)
    users, movies = _all_pairs(arrays)
    truth = scoring.predict(arrays, model.spec, users, movies, SCALE)
    curve = ordering.prefix_curve(model, users, movies, truth)
    assert curve["k"].tolist() == [1, 2, 3, 4]
    assert curve["rmse"].iloc[-1] == pytest.approx(0.0, abs=1e-5)
    assert np.all(np.diff(curve["rmse"]) < 0)  # dims were planted by decreasing scale
    two = ordering.truncated_arrays(arrays, 2)
    assert np.all(two["user_embedding"][:, 2:] == 0) and np.all(two["movie_embedding"][:, 2:] == 0)
    np.testing.assert_array_equal(two["user_embedding"][:, :2], arrays["user_embedding"][:, :2])
    assert arrays["user_embedding"][:, 2:].any()  # the input is not modified
    with pytest.raises(DataError, match="at least one"):
        ordering.truncated_arrays(arrays, 0)
    with pytest.raises(DataError, match="basis"):
        ordering.prefix_curve(model, users, movies, truth, basis="random")
    with pytest.raises(DataError, match="same non-zero length"):
        ordering.dimension_ablation(model, users[:3], movies, truth)


def test_rank_selection_keeps_the_planted_dimensions_and_drops_pure_noise():
    """Truth from 4 planted dims of decreasing scale (+ rating noise); the model also has 3
    trailing dims of pure noise (fitted to nothing): the one-SE rule keeps exactly 4."""
    rng = np.random.default_rng(3)
    arrays = _dot_arrays(rng, n_users=120, n_movies=90, scales=(1.0, 0.8, 0.6, 0.45))
    users, movies = _all_pairs(arrays)
    model = _fake(arrays, output="none")
    truth = scoring.predict(arrays, model.spec, users, movies, (-100.0, 100.0))
    truth = truth + rng.normal(size=len(truth)) * 0.3
    noise = {
        key: np.concatenate(
            [arrays[key], (rng.normal(size=(len(arrays[key]), 3)) * 0.4).astype(np.float32)], 1
        )
        for key in _EMB
    }
    noisy = SimpleNamespace(
        arrays={**arrays, **noise}, spec=model.spec, rating_scale=(-100.0, 100.0)
    )
    selection = ordering.select_rank(noisy, users, movies, truth)
    assert selection.kept == 4 and selection.best_k == 4
    assert selection.mse.shape == (8,) and selection.n_rows == len(truth)
    assert np.all(np.diff(selection.mse[:5]) < 0) and np.all(np.diff(selection.mse[4:]) > 0)
    # a true but tiny 4th dim, on few noisy rows: within one standard error, so dropped
    weak = SimpleNamespace(
        arrays={**arrays, **{k: (arrays[k] * [1, 1, 1, 0.1]).astype(np.float32) for k in _EMB}},
        spec=model.spec,
        rating_scale=(-100.0, 100.0),
    )
    few = rng.choice(len(truth), 300, replace=False)
    exact = scoring.predict(weak.arrays, weak.spec, users[few], movies[few], weak.rating_scale)
    noisy_truth = exact + rng.normal(size=len(few))
    chosen = ordering.select_rank(weak, users[few], movies[few], noisy_truth)
    assert chosen.kept == 3 and chosen.mse[3] - chosen.mse[chosen.best_k] <= chosen.se[3]


def test_pca_basis_keeps_predictions_and_finds_a_hidden_low_rank_product():
    rng = np.random.default_rng(2)
    n_users, n_movies, dim = 50, 40, 4
    # a rank-2 score matrix spread over all 4 dims by a random mixing matrix
    low_u, low_m = rng.normal(size=(n_users, 2)), rng.normal(size=(n_movies, 2))
    mix = rng.normal(size=(2, dim))
    arrays = _dot_arrays(rng, n_users, n_movies, scales=(1.0,) * dim)
    arrays["user_embedding"] = (low_u @ mix).astype(np.float32)
    arrays["movie_embedding"] = (low_m @ np.linalg.pinv(mix).T).astype(np.float32)
    arrays["movie_embedding"] += (rng.normal(size=(n_movies, dim)) * 0.01).astype(np.float32)
    model = _fake(arrays)
    users, movies = _all_pairs(arrays)
    truth = scoring.predict(arrays, model.spec, users, movies, SCALE)
    rotated = ordering.pca_arrays(arrays, model.spec)
    np.testing.assert_allclose(
        scoring.predict(rotated, model.spec, users, movies, SCALE), truth, atol=1e-4
    )
    pca = ordering.prefix_curve(model, users, movies, truth, basis="pca")["rmse"].to_numpy()
    index = ordering.prefix_curve(model, users, movies, truth)["rmse"].to_numpy()
    assert pca[1] < 0.05 and index[1] > 5 * pca[1]  # rank 2 recovered by the first 2 pca dims
    assert np.all(pca <= index + 1e-6)  # Eckart-Young: never worse than the raw order
    weighted = ordering.prefix_curve(
        model, users, movies, truth, "pca", user_weights=np.arange(n_users) + 1.0
    )
    assert weighted["rmse"].iloc[-1] == pytest.approx(0.0, abs=1e-4)
    with pytest.raises(DataError, match="user_weights"):
        ordering.pca_arrays(arrays, model.spec, user_weights=np.ones(3))


@pytest.mark.parametrize("dot", [False, True])
def test_pca_basis_of_a_deep_model_keeps_its_predictions(dot):
    rng = np.random.default_rng(3)
    dim, n_users, n_movies = 4, 9, 12
    arrays = _dot_arrays(rng, n_users, n_movies, scales=(1.0, 0.5, 2.0, 0.1))
    del arrays["user_bias"]
    width = 2 * dim
    for i, units in enumerate((6, 3)):
        arrays[f"dense_{i}_kernel"] = rng.normal(size=(width, units)).astype(np.float32)
        arrays[f"dense_{i}_bias"] = rng.normal(size=units).astype(np.float32)
        width = units
    arrays["output_kernel"] = rng.normal(size=(width, 1)).astype(np.float32)
    arrays["output_bias"] = rng.normal(size=1).astype(np.float32)
    spec = SimpleNamespace(family="deep", output="none", dot_product=dot)
    users, movies = _all_pairs(arrays)
    before = scoring.predict(arrays, spec, users, movies, SCALE)
    rotated = ordering.pca_arrays(arrays, spec)
    after = scoring.predict(rotated, spec, users, movies, SCALE)
    np.testing.assert_allclose(after, before, atol=1e-4)
    variances = rotated["movie_embedding"].var(axis=0)
    if not dot:  # with a dot product the axes are those of U M^T (the dot-product families')
        assert np.all(np.diff(variances) <= 1e-6)  # principal axes come first


# --- the ordered regularizer in training ----------------------------------------------------------


def test_ordered_is_a_schema_regularizer():
    assert "ordered" in schema.names("regularizers")
    ModelSpec(regularizers={"l2": 0.1, "ordered": 1.0}).validate()


@pytest.fixture(scope="module")
def planted():
    """Ratings from a rank-6 model whose factors have strictly decreasing strengths."""
    base = synthetic_dataset(36_000, n_users=400, n_movies=300, seed=5)
    rng = np.random.default_rng(5)
    users = base.ratings["user_idx"].to_numpy()
    movies = base.ratings["movie_idx"].to_numpy()
    user_f = rng.normal(size=(base.n_users, len(STRENGTHS))) * np.sqrt(STRENGTHS)
    movie_f = rng.normal(size=(base.n_movies, len(STRENGTHS))) * np.sqrt(STRENGTHS)
    score = np.einsum("ij,ij->i", user_f[users], movie_f[movies])
    score += rng.normal(size=len(users)) * 0.2
    ratings = base.ratings.assign(rating=np.clip(3.0 + score, 0.5, 5.0).astype(np.float32))
    ds = dataclasses.replace(base, ratings=ratings)
    return ds, make_split(ds, "random", 0.15, seed=1)


def _train(ds, split, **changes):
    from movierate.nn.training import train

    spec = ModelSpec(
        **{
            "family": "mf_bias",
            "dim": len(STRENGTHS),
            "epochs": 25,
            "batch_size": 512,
            "regularizers": {"l2": 0.02, "ordered": 0.1},
            "seed": 3,
            **changes,
        }
    ).validate()
    return train(ds, split, spec), spec


def _model(result, spec, ds):
    return SimpleNamespace(arrays=result.arrays, spec=spec, rating_scale=ds.rating_scale)


def test_ordered_model_ranks_planted_factors_by_strength(planted):
    ds, split = planted
    result, spec = _train(ds, split)
    assert "reg_ordered" in result.history and result.metrics["reg_ordered"] > 0
    held = ds.ratings.iloc[split.test]
    rows = (held["user_idx"].to_numpy(), held["movie_idx"].to_numpy(), held["rating"].to_numpy())
    model = _model(result, spec, ds)
    ablation = ordering.dimension_ablation(model, *rows)
    assert ordering.ordering_spearman(ablation) > 0.8
    curve = ordering.prefix_curve(model, *rows)["rmse"].to_numpy()
    assert curve[0] > curve[-1] + 0.1  # one dimension alone is far from the full model
    assert np.all(np.diff(curve) < 0.005)  # each added dimension helps (or nearly)
    # and the prefix predictions beat the plain L2 model's, cut at the same k, for small k
    plain, plain_spec = _train(ds, split, regularizers={"l2": 0.02})
    plain_curve = ordering.prefix_curve(_model(plain, plain_spec, ds), *rows)["rmse"].to_numpy()
    assert curve[1] < plain_curve[1]


def test_ordered_training_zeroes_the_dimensions_without_held_out_signal(planted, monkeypatch):
    """Planted rank 6, dim 10: the 4 extra dims can only fit noise. The ordered option keeps
    the 6 planted dims (on the early-stopping rows), sets the rest to exactly zero and leaves
    the predictions of the first 6 as they were."""
    from movierate.nn import training

    ds, split = planted
    seen = {}
    real = ordering.select_rank

    def spy(model, *rows):
        seen["arrays"] = {k: np.array(v, copy=True) for k, v in model.arrays.items()}
        return real(model, *rows)

    monkeypatch.setattr(ordering, "select_rank", spy)
    monkeypatch.setattr(training, "ORDERED_RANK_RULE", "one_se")  # best-k may keep a noise dim
    result, spec = _train(ds, split, dim=10, regularizers={"l2": 0.05, "ordered": 0.1})
    kept = result.metrics["kept_dims"]
    assert kept == len(STRENGTHS), result.metrics
    assert result.metrics["rank_rows"] == len(split.stop)
    for key in _EMB:
        assert np.all(result.arrays[key][:, kept:] == 0.0)
        assert np.abs(result.arrays[key][:, kept - 1]).max() > 0.01
        np.testing.assert_array_equal(result.arrays[key][:, :kept], seen["arrays"][key][:, :kept])
    users, movies = np.arange(ds.n_users) % ds.n_users, np.arange(ds.n_users) % ds.n_movies
    before = scoring.predict(
        ordering.truncated_arrays(seen["arrays"], kept), spec, users, movies, ds.rating_scale
    )
    after = scoring.predict(result.arrays, spec, users, movies, ds.rating_scale)
    np.testing.assert_allclose(after, before, atol=1e-6)
    keras_pred = result.keras_model.predict(np.stack([users, movies], 1), verbose=0).ravel()
    np.testing.assert_allclose(after, keras_pred, atol=1e-4)
    # turned off, or without early-stopping rows: every dimension kept, nothing recorded
    monkeypatch.setattr(training, "ORDERED_PRUNE", False)
    off, _ = _train(ds, split, dim=10, epochs=2)
    assert "kept_dims" not in off.metrics and np.all(off.arrays["user_embedding"] != 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"family": "mf"},
        {"family": "mf_bias", "regularizers": {"l2": 0.1, "ordered": 0.1, "decorrelation": 1.0}},
        {"family": "deep", "batch_norm": True, "dropout": 0.1, "output": "sigmoid"},
        {"family": "svdpp"},
    ],
    ids=["mf", "mf_bias+decorrelation", "deep", "svdpp"],
)
def test_ordered_models_predict_the_same_in_numpy_and_keras(planted, changes):
    ds, split = planted
    result, spec = _train(ds, split, epochs=2, **changes)
    users = np.arange(50) % ds.n_users
    movies = (np.arange(50) * 7) % ds.n_movies
    keras_pred = result.keras_model.predict(np.stack([users, movies], 1), verbose=0).ravel()
    numpy_pred = scoring.predict(result.arrays, spec, users, movies, ds.rating_scale)
    np.testing.assert_allclose(numpy_pred, keras_pred, atol=1e-4)
    assert np.isfinite(result.metrics["reg_ordered"])


@pytest.mark.parametrize("shape", ["linear", "quadratic", "geometric"])
def test_graded_ramps_rise_from_zero_to_one(shape):
    from movierate.nn.regularizers import GEOMETRIC_RATIO, ramp_weights

    w = np.asarray(ramp_weights(8, shape))
    assert w[0] == 0 and w[-1] == pytest.approx(1.0) and np.all(np.diff(w) > 0)
    steps = np.diff(w)
    if shape == "linear":
        assert np.allclose(steps, steps[0])
    elif shape == "quadratic":
        assert np.allclose(np.diff(steps), np.diff(steps)[0]) and np.diff(steps)[0] > 0
    else:  # each step costs GEOMETRIC_RATIO times the one before
        assert np.allclose(steps[1:] / steps[:-1], GEOMETRIC_RATIO)


def test_an_unknown_ramp_is_refused():
    from movierate.errors import SpecError
    from movierate.nn.regularizers import ramp_weights

    with pytest.raises(SpecError, match="Graded ramp"):
        ramp_weights(4, "cubic")


@pytest.mark.parametrize("family", ["mf_bias", "svdpp", "deep"])
def test_sorting_the_dimensions_changes_no_prediction(planted, family):
    """sort_dimensions re-expresses a trained model (SVD++: its implicit table too) without
    changing what it predicts."""
    from movierate.nn.training import sort_dimensions

    ds, split = planted
    result, spec = _train(ds, split, epochs=2, family=family, regularizers={"l2": 0.02})
    pairs = np.stack([np.arange(80) % ds.n_users, (np.arange(80) * 7) % ds.n_movies], 1)
    before = result.keras_model.predict(pairs, verbose=0).ravel()
    train = ds.ratings.iloc[split.train]
    sort_dimensions(
        result.keras_model,
        spec,
        train["user_idx"].to_numpy(),
        train["movie_idx"].to_numpy(),
        train["rating"].to_numpy(),
    )
    after = result.keras_model.predict(pairs, verbose=0).ravel()
    np.testing.assert_allclose(after, before, atol=1e-4)


def _skewed_rows(ds, split):
    """Training rows with the first 20 users and movies repeated 30 times: counts far from
    uniform, so the count-weighted and uniform principal bases differ."""
    train = ds.ratings.iloc[split.train]
    u, m, r = (train[c].to_numpy() for c in ("user_idx", "movie_idx", "rating"))
    heavy = np.flatnonzero((u < 20) | (m < 20))
    idx = np.concatenate([np.arange(len(u)), np.repeat(heavy, 30)])
    return u[idx], m[idx], r[idx]


def test_principal_order_kept_gives_the_best_rank_k_truncation_at_every_k(planted, monkeypatch):
    """ORDERED_PERMUTE_ROTATED off: after sort_dimensions the first k dimensions of an mf_bias
    model are the best rank-k approximation (Eckart-Young) of its count-weighted score matrix,
    for every k."""
    from movierate.nn import training

    ds, split = planted
    result, spec = _train(ds, split, epochs=2, regularizers={"l2": 0.02})
    model = result.keras_model
    user = model.user_embedding.embeddings.numpy().astype(np.float64)
    movie = model.movie_embedding.embeddings.numpy().astype(np.float64)
    u, m, r = _skewed_rows(ds, split)
    du = np.sqrt(np.bincount(u, minlength=ds.n_users))[:, None]
    dm = np.sqrt(np.bincount(m, minlength=ds.n_movies))[None, :]
    p, s, qt = np.linalg.svd(du * (user @ movie.T) * dm)
    monkeypatch.setattr(training, "ORDERED_PERMUTE_ROTATED", False)
    monkeypatch.setattr(training, "ORDERED_WEIGHTING", "count")
    order = training.sort_dimensions(model, spec, u, m, r)
    assert order.tolist() == list(range(spec.dim))
    new_user = model.user_embedding.embeddings.numpy().astype(np.float64)
    new_movie = model.movie_embedding.embeddings.numpy().astype(np.float64)
    norm = np.linalg.norm(s)
    for k in range(1, spec.dim + 1):
        prefix = du * (new_user[:, :k] @ new_movie[:, :k].T) * dm
        best = (p[:, :k] * s[:k]) @ qt[:k]
        assert np.linalg.norm(prefix - best) < 1e-4 * norm, k


@pytest.mark.parametrize("planted_weighting", ["count", "uniform"])
def test_rotation_weighting_chosen_on_held_out_rows_picks_the_planted_one(
    planted, monkeypatch, planted_weighting
):
    """ORDERED_WEIGHTING "stop": held-out ratings planted as the rank-1 truncation of one
    weighting's principal basis (dim 2, so k = 2 is the same model either way); the rotation
    picks that weighting, whose first dimension then predicts them exactly."""
    from movierate.nn import training

    ds, split = planted
    result, spec = _train(ds, split, epochs=2, dim=2, regularizers={"l2": 0.02})
    model = result.keras_model
    u, m, r = _skewed_rows(ds, split)
    weights = (
        (np.bincount(u, minlength=ds.n_users), np.bincount(m, minlength=ds.n_movies))
        if planted_weighting == "count"
        else (None, None)
    )
    arrays = training.export_arrays(model, spec)
    planted_arrays = ordering.truncated_arrays(ordering.pca_arrays(arrays, spec, *weights), 1)
    held_u, held_m = np.arange(3000) % ds.n_users, (np.arange(3000) * 7) % ds.n_movies
    unbounded = (-100.0, 100.0)
    model.rating_scale = unbounded
    held_r = scoring.predict(planted_arrays, spec, held_u, held_m, unbounded)
    other = ordering.truncated_arrays(
        ordering.pca_arrays(
            arrays,
            spec,
            *(
                (None, None)
                if planted_weighting == "count"
                else (np.bincount(u, minlength=ds.n_users), np.bincount(m, minlength=ds.n_movies))
            ),
        ),
        1,
    )
    other_r = scoring.predict(other, spec, held_u, held_m, unbounded)
    assert np.sqrt(np.mean((other_r - held_r) ** 2)) > 2e-3  # 20x the tolerance below
    monkeypatch.setattr(training, "ORDERED_PERMUTE_ROTATED", False)
    monkeypatch.setattr(training, "ORDERED_WEIGHTING", "stop")
    training.sort_dimensions(model, spec, u, m, r, (held_u, held_m, held_r))
    first = ordering.truncated_arrays(training.export_arrays(model, spec), 1)
    got = scoring.predict(first, spec, held_u, held_m, unbounded)
    np.testing.assert_allclose(got, held_r, atol=1e-4)


def test_best_k_rule_keeps_the_lowest_held_out_error_rank(planted, monkeypatch):
    """ORDERED_RANK_RULE "best": prune_dimensions keeps select_rank's best_k, not the one-SE K."""
    from movierate.nn import training

    ds, split = planted
    result, spec = _train(ds, split, epochs=2, dim=10, regularizers={"l2": 0.02})
    stop = ds.ratings.iloc[split.test]
    rows = tuple(stop[c].to_numpy() for c in ("user_idx", "movie_idx", "rating"))
    weights = [w.numpy() for w in result.keras_model.weights]
    one_se = training.prune_dimensions(result.keras_model, spec, *rows)
    for variable, value in zip(result.keras_model.weights, weights, strict=True):
        variable.assign(value)
    monkeypatch.setattr(training, "ORDERED_RANK_RULE", "best")
    best = training.prune_dimensions(result.keras_model, spec, *rows)
    assert best.kept == one_se.best_k and best.kept >= one_se.kept
    assert np.all(
        training.export_arrays(result.keras_model, spec)["user_embedding"][:, best.kept :] == 0
    )


@pytest.mark.parametrize("rows", [(1, 40), (40, 1), (3, 2)])
def test_principal_rotation_of_fewer_rows_than_dimensions_keeps_predictions(rows):
    """One user (or movie) gave a d x 1 'rotation' and the ordered training crashed on it."""
    from movierate.basis import principal_rotation

    rng = np.random.default_rng(0)
    user, movie = rng.normal(size=(rows[0], 6)), rng.normal(size=(rows[1], 6))
    a, b = principal_rotation(user, movie)
    assert a.shape == b.shape == (6, 6)
    np.testing.assert_allclose((user @ a) @ (movie @ b).T, user @ movie.T, atol=1e-9)


def test_ordered_training_on_a_single_user_dataset():
    from movierate.data import from_csv
    from movierate.nn.training import train

    rows = "".join(f"1,{m},{m % 5 + 1}\n" for m in range(1, 40))
    ds = from_csv(("userId,movieId,rating\n" + rows).encode())
    spec = ModelSpec(dim=4, epochs=2, regularizers={"l2": 0.1, "ordered": 0.01})
    result = train(ds, make_split(ds, "random", 0.1, seed=0), spec)
    assert result.arrays["user_embedding"].shape == (1, 4)


def test_a_gain_too_small_to_measure_has_no_first_k():
    """Accuracy review round 6: a model trained on shuffled ratings gained 0.000004 RMSE and
    the page said its first 7 of 32 dimensions gave 95% of that gain."""
    from movierate.explore.ordering import MIN_GAIN, gain_k, ordering_verdict

    assert gain_k([1.1186379, 1.1186400, 1.1186338]) is None
    assert gain_k([1.0, 0.95, 0.90]) == 2 and gain_k([1.0, 0.90, 0.90]) == 1
    assert f"by {MIN_GAIN} or more" in ordering_verdict(0.1, None, None, 32, rows="stop")
