"""The XLA plain step computes what the general step does (same data, same init, same updates)."""

import numpy as np
import pytest

from movierate.data import make_split, synthetic_dataset
from movierate.nn import training
from movierate.spec import ModelSpec


@pytest.fixture(autouse=True)
def no_reused_loops():
    """These tests watch each loop being built: none may come from the pool of compiled loops."""
    training.LOOPS.clear()
    yield
    training.LOOPS.clear()


@pytest.fixture(scope="module")
def data():
    ds = synthetic_dataset(20_000, n_users=300, n_movies=200, seed=5)
    return ds, make_split(ds, "random", 0.1, seed=2)


def _recorded(monkeypatch, cls, attribute: str) -> list:
    """``attribute`` of every ``cls`` built from now on, in order."""
    seen = []
    original = cls.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(getattr(self, attribute))

    monkeypatch.setattr(cls, "__init__", init)
    return seen


def _train(ds, split, spec, plain, monkeypatch):
    monkeypatch.setattr(training, "XLA_PLAIN_STEP", plain)
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", 0)
    seen = _recorded(monkeypatch, training._TrainingLoop, "plain")
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
        {"learning_rate": 0.02, "learning_rate_decay": 0.5},  # a rate per epoch
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


@pytest.mark.parametrize(
    ("factor", "dense", "changes"),
    [
        (0.0, {"user": False, "movie": False}, {}),  # unique rows gathered and scattered
        (0.5, {"user": False, "movie": True}, {}),  # 300 users > 256 >= 200 movies
        (2.0, {"user": True, "movie": True}, {}),  # whole tables updated inside XLA
        # deep: the short last batch takes the general step
        (0.0, {"user": False, "movie": False}, {"family": "deep", "hidden_units": (8,)}),
    ],
)
def test_dense_and_sparse_sides_match_the_general_step(data, monkeypatch, factor, dense, changes):
    ds, split = data
    monkeypatch.setattr(training, "DENSE_TABLE_FACTOR", factor)
    sides = []
    original = training._TrainingLoop.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        sides.append(dict(self.dense_sides))

    monkeypatch.setattr(training._TrainingLoop, "__init__", init)
    spec = ModelSpec(dim=8, epochs=3, batch_size=512, dropout=0.0, **changes).validate()
    fast, _ = _train(ds, split, spec, True, monkeypatch)
    slow, _ = _train(ds, split, spec, False, monkeypatch)
    assert sides[0] == dense
    assert fast.history["stop_rmse"] == pytest.approx(slow.history["stop_rmse"], abs=2e-4)
    for key, value in slow.arrays.items():
        np.testing.assert_allclose(fast.arrays[key], value, atol=2e-3, err_msg=key)


def test_optional_terms_take_the_general_step(data, monkeypatch):
    ds, split = data
    spec = ModelSpec(dim=8, epochs=1, batch_size=512, regularizers={"l2": 0.1, "whitening": 0.1})
    result, plain = _train(ds, split, spec.validate(), True, monkeypatch)
    assert not plain and np.isfinite(result.metrics["stop_rmse"])


@pytest.mark.parametrize("least, block", [(0, training.SHUFFLE_BLOCK), (10**9, 1)])
def test_large_sets_shuffle_in_blocks_and_small_ones_wholly(data, monkeypatch, least, block):
    ds, split = data
    monkeypatch.setattr(training, "XLA_MIN_RATINGS", least)
    blocks = _recorded(monkeypatch, training.EpochShuffle, "block")
    training.train(ds, split, ModelSpec(dim=4, epochs=1).validate())
    assert blocks == [block]


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


@pytest.mark.parametrize("factor", [0.0, 10.0])  # sparse sides, dense sides
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_plain_step_writes_only_the_batch_rows(monkeypatch, optimizer, factor):
    import tensorflow as tf

    from movierate.nn.models import build_model

    monkeypatch.setattr(training, "XLA_PLAIN_STEP", True)
    spec = ModelSpec(dim=4, optimizer=optimizer, learning_rate=0.1).validate()
    model = build_model(spec, 20, 12, 3.0, (0.5, 5.0))
    monkeypatch.setattr(training, "DENSE_TABLE_FACTOR", factor)
    loop = training._TrainingLoop(model, spec, np.ones(20, np.float32), np.ones(12, np.float32))
    assert loop.plain and loop.dense_sides == {"user": factor > 0, "movie": factor > 0}
    users, movies = np.array([5, 6, 7, 5], np.int32), np.array([3, 4, 3, 9], np.int32)
    ratings = np.array([5.0, 1.0, 4.0, 2.0], np.float32)
    tables = {
        "user": [model.user_embedding.embeddings, model.user_bias.embeddings],
        "movie": [model.movie_embedding.embeddings, model.movie_bias.embeddings],
    }
    tracked = {
        side: [(v, *loop.optimizer.slot_variables(v.value)) for v in group]
        for side, group in tables.items()
    }
    before = {side: [[v.numpy() for v in g] for g in groups] for side, groups in tracked.items()}
    loop.run_batches(*(tf.constant(a) for a in (users, movies, ratings)), 4, 0, 1, 4)
    for side, touched in (("user", {5, 6, 7}), ("movie", {3, 4, 9})):
        for group, old_group in zip(tracked[side], before[side], strict=True):
            for variable, old in zip(group, old_group, strict=True):
                new = variable.numpy()
                others = [i for i in range(len(new)) if i not in touched]
                np.testing.assert_array_equal(new[others], old[others])
        changed = tables[side][0].numpy() != before[side][0][0]
        assert changed[sorted(touched)].any(axis=1).all()


@pytest.mark.parametrize("plain", [True, False])
def test_epoch_evaluation_gives_the_returned_models_rmse_and_mae(data, monkeypatch, plain):
    """The per-epoch RMSE / MAE (compiled and padded to one shape on the XLA path) are those of
    the returned model's predictions, here over several evaluation chunks, the last one short."""
    ds, split = data
    monkeypatch.setattr(training, "EVAL_BATCH", 700)
    assert len(split.stop) % 700
    spec = ModelSpec(dim=8, epochs=2, batch_size=512).validate()
    result, was_plain = _train(ds, split, spec, plain, monkeypatch)
    assert was_plain is plain
    r = ds.ratings.iloc[split.stop]
    pairs = np.stack([r["user_idx"].to_numpy(), r["movie_idx"].to_numpy()], axis=1)
    err = np.asarray(result.keras_model(pairs, training=False)).reshape(-1) - r["rating"].to_numpy()
    assert result.metrics["stop_rmse"] == pytest.approx(np.sqrt(np.mean(err**2)), rel=1e-5)
    assert result.metrics["stop_mae"] == pytest.approx(np.mean(np.abs(err)), rel=1e-5)


@pytest.mark.parametrize("plain", [True, False])
def test_learning_rate_decay_sets_each_epochs_rate(data, monkeypatch, plain):
    """A decay near 0 leaves epochs 2 and 3 at epoch 1's weights; decay 1 keeps learning."""
    ds, split = data
    spec = ModelSpec(dim=8, epochs=3, batch_size=512, early_stopping_patience=5).validate()
    frozen, _ = _train(ds, split, spec.with_(learning_rate_decay=1e-9), plain, monkeypatch)
    steady, _ = _train(ds, split, spec, plain, monkeypatch)
    first, *later = frozen.history["train_rmse"]
    assert later == pytest.approx([first] * 2, abs=1e-6)
    assert frozen.history["train_rmse"][0] == pytest.approx(steady.history["train_rmse"][0])
    assert steady.history["train_rmse"][2] < steady.history["train_rmse"][0] - 1e-3


def test_an_epochs_loss_does_not_depend_on_how_its_steps_are_grouped_into_calls():
    """The batch loop sizes its graph calls by wall time, so one epoch runs as 1 + 1 + 30
    steps and the next as 32; the summed loss must be the same either way (float32 sums of
    different groups differed in the last digits: a reused loop logged another loss)."""
    import tensorflow as tf

    values = tf.constant(np.random.default_rng(0).uniform(0.9, 1.3, 32).astype(np.float32))
    first = tf.Variable(0)

    @tf.function(autograph=False)
    def chunk(count):
        return training.summed_steps(count, lambda i: tf.gather(values, first + i))

    def total(sizes):
        out, first_row = 0.0, 0
        for size in sizes:
            first.assign(first_row)
            out += float(chunk(tf.constant(size)))
            first_row += size
        return out

    groupings = ([32], [1, 1, 30], [5, 7, 9, 11], [1] * 32)
    assert len({total(sizes) for sizes in groupings}) == 1
