"""Every family and output mode: Keras predictions == numpy predictions from export_arrays,
and the .keras file reloads with safe_mode=True."""

import keras
import numpy as np
import pytest

from movierate.nn.export import export_arrays
from movierate.nn.models import build_model
from movierate.scoring import predict
from movierate.spec import ModelSpec

SCALE = (0.5, 5.0)


def _randomise(model, seed=0):
    """Move weights away from their (mostly zero) initial values so the check means something."""
    rng = np.random.default_rng(seed)
    for var in model.weights:
        value = np.asarray(var)
        if "moving_variance" in var.path:
            var.assign(rng.uniform(0.5, 2.0, value.shape).astype("float32"))
        else:
            var.assign(rng.normal(0, 0.3, value.shape).astype("float32"))


@pytest.mark.parametrize("output", ["none", "clip", "sigmoid"])
@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(family="mf", dim=5),
        ModelSpec(family="mf_bias", dim=5),
        ModelSpec(family="deep", dim=5, hidden_units=(7, 3)),
        ModelSpec(family="deep", dim=5, hidden_units=(6,), batch_norm=True, user_bias=True),
    ],
    ids=["mf", "mf_bias", "deep", "deep_bn"],
)
def test_numpy_forward_matches_keras(spec, output):
    spec = spec.with_(output=output)
    model = build_model(spec, n_users=11, n_movies=13, global_mean=3.4, rating_scale=SCALE)
    _randomise(model)
    pairs = np.array([[u, m] for u in range(11) for m in range(13)], dtype="int32")
    expected = np.asarray(model(pairs, training=False)).ravel()
    got = predict(export_arrays(model, spec), spec, pairs[:, 0], pairs[:, 1], SCALE)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    if output == "clip":
        assert expected.min() >= SCALE[0] and expected.max() <= SCALE[1]


def test_keras_file_round_trip(tmp_path):
    spec = ModelSpec(family="deep", dim=4, hidden_units=(5, 2), batch_norm=True, dense_l2=0.01)
    model = build_model(spec, n_users=6, n_movies=9, global_mean=3.0, rating_scale=SCALE)
    _randomise(model, seed=1)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    pairs = np.array([[1, 2], [5, 8], [0, 0]], dtype="int32")
    np.testing.assert_allclose(np.asarray(loaded(pairs)), np.asarray(model(pairs)), atol=1e-6)
    assert loaded.spec == spec


def test_deep_exports_first_layer_norms():
    spec = ModelSpec(family="deep", dim=3, hidden_units=(4,))
    arrays = export_arrays(build_model(spec, 2, 2, 3.0, SCALE), spec)
    assert arrays["first_dense_input_norms"].shape == (6,)
    np.testing.assert_allclose(
        arrays["first_dense_input_norms"], np.linalg.norm(arrays["dense_0_kernel"], axis=1)
    )
