"""movierate.scoring: numpy predictions match the contract and the real Keras models."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from movierate import scoring
from movierate.errors import DataError

SCALE = (0.5, 5.0, 0.5)


def _spec(family: str, output: str = "none") -> SimpleNamespace:
    return SimpleNamespace(family=family, output=output)


def _dot_arrays(rng: np.random.Generator, n_users=7, n_movies=11, dim=4, biases=True) -> dict:
    arrays = {
        "user_embedding": rng.normal(size=(n_users, dim)).astype(np.float32),
        "movie_embedding": rng.normal(size=(n_movies, dim)).astype(np.float32),
        "global_mean": np.float32(3.5),
    }
    if biases:
        arrays["user_bias"] = rng.normal(size=n_users).astype(np.float32)
        arrays["movie_bias"] = rng.normal(size=n_movies).astype(np.float32)
    return arrays


def _deep_arrays(rng: np.random.Generator, hidden=(6, 3), n_users=7, n_movies=11, dim=4) -> dict:
    arrays = _dot_arrays(rng, n_users, n_movies, dim, biases=False)
    arrays["movie_bias"] = rng.normal(size=n_movies).astype(np.float32)
    width = 2 * dim
    for i, units in enumerate(hidden):
        arrays[f"dense_{i}_kernel"] = rng.normal(size=(width, units)).astype(np.float32)
        arrays[f"dense_{i}_bias"] = rng.normal(size=units).astype(np.float32)
        width = units
    arrays["output_kernel"] = rng.normal(size=(width, 1)).astype(np.float32)
    arrays["output_bias"] = rng.normal(size=1).astype(np.float32)
    return arrays


def _deep_reference(arrays: dict, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
    """Straightforward float64 forward pass written from the contract, pair by pair."""
    out = []
    for u, m in zip(users, movies, strict=True):
        h = np.concatenate([arrays["user_embedding"][u], arrays["movie_embedding"][m]])
        h = h.astype(np.float64)
        i = 0
        while f"dense_{i}_kernel" in arrays:
            h = np.maximum(h @ arrays[f"dense_{i}_kernel"] + arrays[f"dense_{i}_bias"], 0)
            i += 1
        z = (h @ arrays["output_kernel"] + arrays["output_bias"])[0] + arrays["movie_bias"][m]
        out.append(z + float(arrays["global_mean"]))
    return np.array(out)


def test_mf_bias_prediction_is_dot_plus_biases_plus_global_mean():
    arrays = _dot_arrays(np.random.default_rng(0))
    users, movies = np.array([0, 3, 6, 6]), np.array([10, 0, 5, 5])
    expected = (
        np.sum(arrays["user_embedding"][users] * arrays["movie_embedding"][movies], axis=1)
        + arrays["user_bias"][users]
        + arrays["movie_bias"][movies]
        + 3.5
    )
    got = scoring.predict(arrays, _spec("mf_bias"), users, movies, SCALE)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_absent_biases_count_as_zero():
    arrays = _dot_arrays(np.random.default_rng(1), biases=False)
    got = scoring.predict(arrays, _spec("mf"), [2], [4], SCALE)
    expected = arrays["user_embedding"][2] @ arrays["movie_embedding"][4] + 3.5
    np.testing.assert_allclose(got, [expected], rtol=1e-5)


def test_clip_output_stays_on_the_scale():
    arrays = _dot_arrays(np.random.default_rng(2))
    arrays["user_embedding"] *= 10  # push raw predictions far off the scale
    users, movies = np.repeat(np.arange(7), 11), np.tile(np.arange(11), 7)
    raw = scoring.predict(arrays, _spec("mf_bias", "none"), users, movies, SCALE)
    clipped = scoring.predict(arrays, _spec("mf_bias", "clip"), users, movies, SCALE)
    assert raw.min() < 0.5 and raw.max() > 5.0
    np.testing.assert_allclose(clipped, np.clip(raw, 0.5, 5.0))


def test_sigmoid_output_maps_zero_to_the_global_mean_and_stays_within_margins():
    arrays = _dot_arrays(np.random.default_rng(3))
    zero = {**arrays, "user_embedding": np.zeros_like(arrays["user_embedding"])}
    zero.pop("user_bias")
    zero.pop("movie_bias")
    got = scoring.predict(zero, _spec("mf", "sigmoid"), [0, 1], [0, 1], SCALE)
    np.testing.assert_allclose(got, [3.5, 3.5], rtol=1e-6)
    arrays["user_embedding"] *= 100
    users, movies = np.repeat(np.arange(7), 11), np.tile(np.arange(11), 7)
    wide = scoring.predict(arrays, _spec("mf_bias", "sigmoid"), users, movies, SCALE)
    assert np.all(np.isfinite(wide))
    assert wide.min() >= 0.0 and wide.max() <= 5.5
    assert wide.min() < 0.1 and wide.max() > 5.4  # saturates towards lo - 0.5 and hi + 0.5


@pytest.mark.parametrize("hidden", [(6, 3), (5,), ()])
def test_deep_prediction_matches_a_plain_forward_pass(hidden):
    arrays = _deep_arrays(np.random.default_rng(4), hidden=hidden)
    users, movies = np.array([0, 1, 6, 3, 3]), np.array([10, 0, 2, 2, 7])
    got = scoring.predict(arrays, _spec("deep"), users, movies, SCALE)
    np.testing.assert_allclose(got, _deep_reference(arrays, users, movies), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", ["mf_bias", "deep"])
@pytest.mark.parametrize("output", ["none", "clip", "sigmoid"])
def test_score_all_movies_equals_predict_on_every_movie(family, output):
    rng = np.random.default_rng(5)
    arrays = _deep_arrays(rng) if family == "deep" else _dot_arrays(rng)
    spec = _spec(family, output)
    for user in (0, 4):
        expected = scoring.predict(arrays, spec, user, np.arange(11), SCALE)
        got = scoring.score_all_movies(arrays, spec, user, SCALE)
        assert got.shape == (11,) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_blocks_give_the_same_answer_as_one_pass(monkeypatch):
    arrays = _deep_arrays(np.random.default_rng(6))
    users, movies = np.repeat(np.arange(7), 11), np.tile(np.arange(11), 7)
    whole = scoring.predict(arrays, _spec("deep"), users, movies, SCALE)
    all_movies = scoring.score_all_movies(arrays, _spec("deep"), 2, SCALE)
    monkeypatch.setattr(scoring, "BLOCK_ROWS", 4)
    np.testing.assert_allclose(
        scoring.predict(arrays, _spec("deep"), users, movies, SCALE), whole, rtol=1e-6
    )
    np.testing.assert_allclose(
        scoring.score_all_movies(arrays, _spec("deep"), 2, SCALE), all_movies, rtol=1e-6
    )


def test_indices_broadcast_and_keep_their_shape():
    arrays = _dot_arrays(np.random.default_rng(7))
    grid = scoring.predict(arrays, _spec("mf_bias"), np.arange(7)[:, None], np.arange(11), SCALE)
    assert grid.shape == (7, 11)
    np.testing.assert_allclose(
        grid[3], scoring.score_all_movies(arrays, _spec("mf_bias"), 3, SCALE), rtol=1e-5
    )
    assert scoring.predict(arrays, _spec("mf_bias"), [], [], SCALE).shape == (0,)


def test_rating_scale_object_works_like_a_tuple():
    arrays = _dot_arrays(np.random.default_rng(8))
    scale = SimpleNamespace(min=1.0, max=5.0, step=1.0)
    a = scoring.predict(arrays, _spec("mf_bias", "sigmoid"), [1, 2], [3, 4], scale)
    b = scoring.predict(arrays, _spec("mf_bias", "sigmoid"), [1, 2], [3, 4], (1.0, 5.0))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("users", "movies", "message"),
    [
        ([7], [0], "user_idx 7 is out of range"),
        ([0], [-1], "movie_idx -1 is out of range"),
        ([0.5], [0], "whole numbers"),
        (
            [0, 1, 2],
            [0, 1],
            r"\(3,\)\) and movie_idx \(shape \(2,\)\) do not pair up",
        ),  # round 24 F6
    ],
)
def test_bad_indices_raise_a_clear_data_error(users, movies, message):
    arrays = _dot_arrays(np.random.default_rng(9))
    with pytest.raises(DataError, match=message):
        scoring.predict(arrays, _spec("mf_bias"), users, movies, SCALE)


def test_score_all_movies_rejects_several_users_and_unknown_family():
    arrays = _dot_arrays(np.random.default_rng(10))
    with pytest.raises(DataError, match="one user index"):
        scoring.score_all_movies(arrays, _spec("mf_bias"), [1, 2], SCALE)
    with pytest.raises(DataError, match="Unknown model family 'svd'"):
        scoring.score_all_movies(arrays, _spec("svd"), 1, SCALE)


def test_shape_problem_names_what_is_wrong():
    rng = np.random.default_rng(11)
    shapes = {k: v.shape for k, v in _deep_arrays(rng).items()}
    assert scoring.shape_problem(shapes, "deep", 4) is None
    assert "dim 8" in scoring.shape_problem(shapes, "deep", 8)
    assert "output_kernel" in scoring.shape_problem(
        {k: v for k, v in shapes.items() if k != "output_kernel"}, "deep", 4
    )
    assert "width 8" in scoring.shape_problem({**shapes, "dense_0_kernel": (7, 6)}, "deep", 4)
    assert "movie_bias" in scoring.shape_problem({**shapes, "movie_bias": (3,)}, "deep", 4)
    assert "'global_mean'" in scoring.shape_problem(
        {k: v for k, v in shapes.items() if k != "global_mean"}, "mf", 4
    )


# --- against the real Keras models --------------------------------------------------------------

KERAS_CASES = {
    "mf": {"family": "mf", "output": "none", "regularizers": {}},
    "mf_bias-sigmoid": {"family": "mf_bias", "output": "sigmoid", "user_bias": True},
    "deep-batchnorm-clip": {
        "family": "deep",
        "output": "clip",
        "hidden_units": (8, 4),
        "batch_norm": True,
        "dropout": 0.1,
        "user_bias": True,
    },
    "deep-one-layer-none": {"family": "deep", "output": "none", "hidden_units": (6,)},
    "deep-dot-product-clip": {
        "family": "deep",
        "output": "clip",
        "hidden_units": (5,),
        "dot_product": True,
        "user_bias": True,
    },
}


@pytest.fixture(scope="module")
def keras_models():
    """One small real model per case, trained 2 epochs on a synthetic dataset."""
    from movierate.data import make_split, synthetic_dataset
    from movierate.nn.export import export_arrays
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(n_ratings=4000, n_users=80, n_movies=120, seed=1)
    split = make_split(ds, method="random", test_fraction=0.1, seed=2)
    trained = {}
    for case, fields in KERAS_CASES.items():
        spec = ModelSpec(dim=6, epochs=2, batch_size=256, learning_rate=0.02, **fields)
        result = train(ds, split, spec)
        trained[case] = (spec, result.keras_model, export_arrays(result.keras_model, spec))
    return ds, trained


@pytest.mark.parametrize("case", list(KERAS_CASES))
def test_numpy_predictions_match_keras_predict(keras_models, case):
    ds, trained = keras_models
    spec, keras_model, arrays = trained[case]
    users = ds.ratings["user_idx"].to_numpy()
    movies = ds.ratings["movie_idx"].to_numpy()
    pairs = np.stack([users, movies], axis=1).astype(np.int32)
    expected = keras_model.predict(pairs, batch_size=4096, verbose=0).reshape(-1)
    got = scoring.predict(arrays, spec, users, movies, ds.rating_scale)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    assert np.std(expected) > 1e-3  # the models learned something to compare

    all_pairs = np.stack([np.full(ds.n_movies, 5), np.arange(ds.n_movies)], axis=1)
    expected_all = keras_model.predict(all_pairs.astype(np.int32), verbose=0).reshape(-1)
    got_all = scoring.score_all_movies(arrays, spec, 5, ds.rating_scale)
    np.testing.assert_allclose(got_all, expected_all, atol=1e-4, rtol=0)


def test_batch_norm_was_folded_into_the_dense_layers(keras_models):
    _, trained = keras_models
    _, keras_model, arrays = trained["deep-batchnorm-clip"]
    raw_kernel = np.asarray(keras_model.hidden[0][0].kernel)
    assert not np.allclose(arrays["dense_0_kernel"], raw_kernel)
