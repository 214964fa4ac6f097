"""The XLA plain step computes what the general step does (same data, same init, same updates)."""

import numpy as np
import pytest

from movierate.data import make_split, synthetic_dataset
from movierate.nn import training
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def data():
    ds = synthetic_dataset(20_000, n_users=300, n_movies=200, seed=5)
    return ds, make_split(ds, "random", 0.1, seed=2)


def _train(ds, split, spec, plain, monkeypatch):
    monkeypatch.setattr(training, "XLA_PLAIN_STEP", plain)
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", 0)
    seen = []
    original = training._TrainingLoop.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.plain)

    monkeypatch.setattr(training._TrainingLoop, "__init__", init)
    result = training.train(ds, split, spec)
    return result, seen[0]


@pytest.mark.parametrize(
    "changes",
    [
        {},  # mf_bias, Adam, per-example L2
        {"family": "mf", "optimizer": "sgd", "learning_rate": 0.05},
        {"optimizer": "rmsprop", "regularizers": {}},
        {"optimizer": "adagrad", "batch_size": 300},  # a last batch of another size
        {"family": "deep", "hidden_units": (16,), "dropout": 0.0, "dense_l2": 1e-4},
    ],
)
def test_plain_step_matches_the_general_step(data, monkeypatch, changes):
    ds, split = data
    spec = ModelSpec(**{"dim": 8, "epochs": 3, "batch_size": 512, **changes}).validate()
    fast, fast_plain = _train(ds, split, spec, True, monkeypatch)
    slow, slow_plain = _train(ds, split, spec, False, monkeypatch)
    assert fast_plain and not slow_plain
    assert fast.history["stop_rmse"] == pytest.approx(slow.history["stop_rmse"], abs=2e-4)
    for key, value in slow.arrays.items():
        np.testing.assert_allclose(fast.arrays[key], value, atol=2e-3, err_msg=key)


def test_optional_terms_take_the_general_step(data, monkeypatch):
    ds, split = data
    spec = ModelSpec(dim=8, epochs=1, batch_size=512, regularizers={"l2": 0.1, "whitening": 0.1})
    result, plain = _train(ds, split, spec.validate(), True, monkeypatch)
    assert not plain and np.isfinite(result.metrics["stop_rmse"])


def test_small_sets_take_the_general_step(data, monkeypatch):
    ds, split = data
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", len(split.train) + 1)
    seen = []
    original = training._TrainingLoop.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.plain)

    monkeypatch.setattr(training._TrainingLoop, "__init__", init)
    training.train(ds, split, ModelSpec(dim=8, epochs=1, batch_size=512).validate())
    assert seen == [False]


def test_deep_with_dropout_learns_on_the_plain_step(data, monkeypatch):
    ds, split = data
    spec = ModelSpec(dim=8, epochs=4, batch_size=512, family="deep", hidden_units=(16,))
    result, plain = _train(ds, split, spec.with_(dropout=0.3).validate(), True, monkeypatch)
    stop = ds.ratings["rating"].to_numpy()[split.stop]
    baseline = float(np.sqrt(np.mean((stop - result.global_mean) ** 2)))
    assert plain and result.metrics["stop_rmse"] < baseline
