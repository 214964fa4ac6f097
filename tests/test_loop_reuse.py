"""A compiled training loop reused by a later training of the same shape in one process gives
exactly what a newly built loop gives, and never touches an earlier training's result."""

import threading

import numpy as np
import pytest

from movierate.data import make_split, synthetic_dataset
from movierate.nn import training
from movierate.nn.reuse import LoopPool
from movierate.spec import ModelSpec


@pytest.fixture(scope="module")
def data():
    ds = synthetic_dataset(20_000, n_users=300, n_movies=200, seed=5)
    return ds, make_split(ds, "random", 0.1, seed=2)


@pytest.fixture(autouse=True)
def empty_pool():
    training.LOOPS.clear()
    yield
    training.LOOPS.clear()


def _built(monkeypatch) -> list:
    """Loops built from now on (appended as they are made)."""
    built = []
    original = training._TrainingLoop.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(training._TrainingLoop, "__init__", init)
    return built


def _same(a, b) -> None:
    assert a.history == b.history
    assert a.metrics == b.metrics
    assert a.arrays.keys() == b.arrays.keys()
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key], err_msg=key)


@pytest.mark.parametrize(
    ("plain", "changes"),
    [
        (True, {}),  # the XLA step, whole tables updated inside it
        (False, {}),  # the general step
        (True, {"optimizer": "adagrad"}),  # slots that start at 0.1
        (True, {"family": "deep", "hidden_units": (16,), "dropout": 0.0}),
    ],
)
def test_a_reused_loop_trains_exactly_like_a_new_one(data, monkeypatch, plain, changes):
    ds, split = data
    monkeypatch.setattr(training, "XLA_PLAIN_STEP", plain)
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", 0)
    built = _built(monkeypatch)
    spec = ModelSpec(**{"dim": 8, "epochs": 3, "batch_size": 512, **changes}).validate()
    first = training.train(ds, split, spec)  # builds a loop, then pools it
    other_seed = spec.with_(seed=7, epochs=4)
    reused = training.train(ds, split, other_seed)
    assert len(built) == 1, "the second training should take the pooled loop"
    assert built[0].plain == plain
    training.LOOPS.clear()
    new = training.train(ds, split, other_seed)
    assert len(built) == 2
    _same(reused, new)
    assert reused.history != first.history  # another seed: another training
    assert reused.keras_model is not first.keras_model


def test_a_later_training_leaves_an_earlier_result_alone(data, monkeypatch):
    ds, split = data
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", 0)
    spec = ModelSpec(dim=8, epochs=2, batch_size=512).validate()
    first = training.train(ds, split, spec)
    weights = [w.copy() for w in first.keras_model.get_weights()]
    training.train(ds, split, spec.with_(seed=3))
    for before, after in zip(weights, first.keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    "changes",
    [
        {"regularizers": {"l2": 0.1, "whitening": 0.1}},  # a sampled penalty keeps an RNG
        {"family": "deep", "hidden_units": (8,), "dropout": 0.2},  # dropout keeps seed state
        {"dim": 12},  # another shape: another graph
    ],
)
def test_loops_that_cannot_be_reset_or_differ_are_not_reused(data, monkeypatch, changes):
    ds, split = data
    built = _built(monkeypatch)
    base = ModelSpec(dim=8, epochs=1, batch_size=512).validate()
    training.train(ds, split, base)
    training.train(ds, split, base.with_(**changes).validate())
    training.train(ds, split, base.with_(**changes).validate())
    reused_changed = "dim" in changes  # the dim-12 loop itself is reusable
    assert len(built) == (2 if reused_changed else 3)


def test_the_pool_hands_a_loop_to_one_training_at_a_time():
    pool = LoopPool(size=2)
    pool.give("k", "a")
    assert pool.take("k") == "a"
    assert pool.take("k") is None  # in use: a second training builds its own
    for name in ("b", "c", "d"):
        pool.give(name, name)
    assert pool.take("b") is None  # the oldest idle loop went first
    assert (pool.take("c"), pool.take("d")) == ("c", "d")
    seen = []
    pool.give("k", "x")
    threads = [threading.Thread(target=lambda: seen.append(pool.take("k"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen, key=str) == [None] * 7 + ["x"]
