"""movierate.pipeline: train-and-save, early validation, splits, numpy re-evaluation."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import pipeline, store
from movierate.data import load_dataset, make_split, synthetic_dataset
from movierate.errors import DataError, SpecError, StoreError, TrainingCancelled
from movierate.spec import ModelSpec

TINY = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=256)


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_dataset(n_ratings=3000, n_users=60, n_movies=90, seed=3)


def test_train_and_save_returns_the_name_and_records_everything(synthetic):
    events = []
    name = pipeline.train_and_save(
        synthetic,
        TINY,
        "p1",
        {"method": "random", "valid_fraction": 0.2, "seed": 7},
        progress=events.append,
    )
    assert name == "p1"
    model = store.load_model("p1")
    assert model.spec == TINY
    assert model.meta["split"]["seed"] == 7 and model.meta["split"]["valid_fraction"] == 0.2
    assert model.meta["dataset"]["fingerprint"] == synthetic.fingerprint
    assert [e.epoch for e in events if e.phase == "epoch"] == [1, 2]

    recomputed = pipeline.evaluate_model(model, synthetic)
    assert recomputed["n_valid"] == model.meta["split"]["n_valid"]
    assert recomputed["n_train"] + recomputed["n_valid"] == len(synthetic)
    assert recomputed["valid_rmse"] == pytest.approx(model.metrics["valid_rmse"], abs=2e-4)
    assert recomputed["valid_mae"] == pytest.approx(model.metrics["valid_mae"], abs=2e-4)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"spec": ModelSpec(dim=0)}, SpecError, "dim"),
        ({"name": "a/b"}, StoreError, "Invalid model name 'a/b'"),
        ({"split_params": {"method": "shuffle"}}, SpecError, "Unknown split method 'shuffle'"),
        ({"split_params": {"valid_fraction": 1.5}}, SpecError, "valid_fraction"),
        ({"split_params": {"seed": -1}}, SpecError, "seed"),
        ({"split_params": {"fraction": 0.1}}, SpecError, "Unknown split option.*'fraction'"),
    ],
)
def test_bad_arguments_fail_before_loading_data(kwargs, error, message, monkeypatch):
    def no_data(*args, **kw):
        raise AssertionError("the dataset must not be loaded for bad arguments")

    monkeypatch.setattr(pipeline, "load_dataset", no_data)
    args = {"dataset": "ml-latest-small", "spec": TINY, "name": "ok", **kwargs}
    with pytest.raises(error, match=message):
        pipeline.train_and_save(**args)


def test_a_taken_name_fails_before_training(synthetic, monkeypatch):
    store.model_path("taken").mkdir(parents=True)
    monkeypatch.setattr(pipeline, "load_dataset", lambda *a, **k: pytest.fail("loaded data"))
    with pytest.raises(StoreError, match="'taken' already exists.*'taken-2'"):
        pipeline.train_and_save("ml-latest-small", TINY, "taken")


def test_a_cancelled_run_saves_nothing(synthetic):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        pipeline.train_and_save(synthetic, TINY, "never", cancel=cancel)
    assert store.list_models() == ([], [])


def test_official_splits_are_used_as_shipped(movielens_dir):
    ds = load_dataset("ml-100k")
    split = pipeline.split_from_settings(ds, pipeline.split_settings({"method": "official:u1"}))
    assert (len(split.train), len(split.valid)) == (80_000, 20_000)
    with pytest.raises(DataError, match="no official split 'u9'.*official:u1"):
        pipeline.split_from_settings(ds, pipeline.split_settings({"method": "official:u9"}))
    again = pipeline.recorded_split(ds, split.describe())
    np.testing.assert_array_equal(again.valid, split.valid)


def test_recorded_splits_are_rebuilt_exactly_or_refused(synthetic):
    split = make_split(synthetic, method="per_user", valid_fraction=0.25, seed=5)
    described = split.describe()
    again = pipeline.recorded_split(synthetic, described)
    np.testing.assert_array_equal(again.train, split.train)
    np.testing.assert_array_equal(again.valid, split.valid)
    with pytest.raises(DataError, match="no longer matches"):
        pipeline.recorded_split(synthetic, {**described, "digest": "0" * 16})


def test_evaluation_refuses_a_changed_dataset(movielens_dir):
    fake = SimpleNamespace(
        name="old", meta={"dataset": {"name": "ml-latest-small", "fingerprint": "0" * 16}}
    )
    with pytest.raises(DataError, match="changed since model 'old' was trained"):
        pipeline.dataset_of(fake)


@pytest.mark.parametrize("name", ["small-mf", "small-deep"])
def test_saved_models_reproduce_their_metrics_in_numpy(trained_home, name):
    model = store.load_model(name)
    recomputed = pipeline.evaluate_model(model)
    assert recomputed["valid_rmse"] == pytest.approx(model.metrics["valid_rmse"], abs=2e-4)
    assert recomputed["train_rmse"] == pytest.approx(model.metrics["train_rmse"], abs=2e-3)
