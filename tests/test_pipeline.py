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
        {"method": "random", "test_fraction": 0.2, "stop_fraction": 0.15, "seed": 7},
        progress=events.append,
    )
    assert name == "p1"
    model = store.load_model("p1")
    assert model.spec == TINY
    recorded = model.meta["split"]
    assert recorded["seed"] == 7 and recorded["test_fraction"] == 0.2
    assert recorded["stop_fraction"] == 0.15
    assert model.meta["dataset"]["fingerprint"] == synthetic.fingerprint
    assert [e.epoch for e in events if e.phase == "epoch"] == [1, 2]
    split = pipeline.recorded_split(synthetic, recorded)  # the mean's RMSE, recomputed
    ratings = synthetic.ratings["rating"].to_numpy(np.float64)
    floor = np.sqrt(np.mean((ratings[split.test] - ratings[split.train].mean()) ** 2))
    assert model.metrics["test_rmse_of_mean"] == pytest.approx(floor)
    # training reported train / stop metrics only; test metrics came afterwards, in numpy
    assert all("test_rmse" not in e.metrics for e in events)
    assert {"train_rmse", "stop_rmse", "test_rmse", "test_mae"} <= set(model.metrics)
    assert "stop_rmse" in model.history and "test_rmse" not in model.history
    assert model.has_test_rows and model.test_rmse == model.metrics["test_rmse"]
    assert model.metrics_label == "test RMSE" and model.reported_rmse == model.test_rmse

    split = make_split(synthetic, test_fraction=0.2, stop_fraction=0.15, seed=7)
    rows = synthetic.ratings.iloc[split.test]
    truth = rows["rating"].to_numpy(np.float64)
    errors = model.predict(rows["user_idx"], rows["movie_idx"]) - truth
    assert model.test_rmse == pytest.approx(float(np.sqrt(np.mean(errors**2))), abs=1e-6)

    recomputed = pipeline.evaluate_model(model, synthetic)
    for part in ("train", "stop", "test"):
        assert recomputed[f"n_{part}"] == recorded[f"n_{part}"]
    assert recomputed["n_train"] + recomputed["n_stop"] + recomputed["n_test"] == len(synthetic)
    assert recomputed["test_rmse"] == pytest.approx(model.metrics["test_rmse"], abs=1e-6)
    assert recomputed["stop_rmse"] == pytest.approx(model.metrics["stop_rmse"], abs=2e-4)
    assert recomputed["stop_mae"] == pytest.approx(model.metrics["stop_mae"], abs=2e-4)


def test_old_two_part_models_open_and_are_labelled(synthetic):
    """A model saved before test rows: no test RMSE, its valid RMSE labelled as steered."""
    import json

    pipeline.train_and_save(synthetic, TINY, "old", {"test_fraction": 0.2, "seed": 3})
    path = store.model_path("old") / "meta.json"
    meta = json.loads(path.read_text())
    old_split = make_split(synthetic, valid_fraction=0.2, seed=3)
    from movierate.data.splits import legacy_digest

    meta["split"] = {
        "method": "random",
        "seed": 3,
        "valid_fraction": 0.2,
        "n_train": len(old_split.train) + len(old_split.stop),
        "n_valid": len(old_split.test),
        "digest": legacy_digest(old_split),
    }
    m = meta["metrics"]
    meta["metrics"] = {"train_rmse": m["train_rmse"], "valid_rmse": 0.91, "valid_mae": 0.7}
    meta["history"] = {"valid_rmse": meta["history"]["stop_rmse"]}
    path.write_text(json.dumps(meta))
    model = store.load_model("old")
    assert not model.has_test_rows and model.test_rmse is None and model.test_mae is None
    assert model.metrics_label == "valid RMSE (steered early stopping)"
    assert model.reported_rmse == 0.91
    (info,) = [i for i in store.list_models()[0] if i.name == "old"]
    assert not info.has_test_rows and info.test_rmse is None and info.reported_rmse == 0.91
    assert pipeline.split_parts(model) == ("train", "valid")
    recomputed = pipeline.evaluate_model(model, synthetic)
    assert set(recomputed) == {"train_rmse", "train_mae", "valid_rmse", "valid_mae"} | {
        "n_train",
        "n_valid",
    }
    assert recomputed["n_valid"] == meta["split"]["n_valid"]
    meta["split"]["digest"] = "0" * 16
    path.write_text(json.dumps(meta))
    with pytest.raises(DataError, match="no longer matches"):
        pipeline.evaluate_model(store.load_model("old"), synthetic)


def test_split_settings_defaults_and_deprecated_valid_fraction():
    assert pipeline.split_settings(None) == {
        "method": "random",
        "test_fraction": 0.1,
        "stop_fraction": 0.1,
        "seed": 42,
    }
    assert pipeline.split_settings({"valid_fraction": 0.3})["test_fraction"] == 0.3
    with pytest.raises(SpecError, match="deprecated"):
        pipeline.split_settings({"valid_fraction": 0.3, "test_fraction": 0.2})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"spec": ModelSpec(dim=0)}, SpecError, "dim"),
        ({"name": "a/b"}, StoreError, "Invalid model name 'a/b'"),
        ({"split_params": {"method": "shuffle"}}, SpecError, "Unknown split method 'shuffle'"),
        ({"split_params": {"test_fraction": 1.5}}, SpecError, "test_fraction"),
        ({"split_params": {"stop_fraction": 0}}, SpecError, "stop_fraction"),
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


def test_an_overwrite_beside_a_new_case_twin_is_saved_under_a_free_name(synthetic, monkeypatch):
    """Round 9, left alone then: `train --name x --overwrite` was refused at save when a model
    named 'X' appeared while it trained (replacing 'x' would leave two spellings of one
    folder elsewhere), and the training was lost. Now it is saved as 'x-2'."""
    pipeline.train_and_save(synthetic, TINY, "x", {"seed": 0})
    real = store.save_model

    def twin_appears(name, *args, **kwargs):
        store.model_path(name.upper()).mkdir()
        return real(name, *args, **kwargs)

    monkeypatch.setattr(store, "save_model", twin_appears)
    assert pipeline.train_and_save(synthetic, TINY, "x", {"seed": 0}, overwrite=True) == "x-2"
    assert store.read_meta("x-2")["name"] == "x-2"


def test_a_disk_too_full_for_the_model_is_said_before_training(synthetic, monkeypatch):
    """Bad-input round 16: on a full disk a training ran to its end and then failed to save."""
    import collections
    import shutil

    from movierate.nn import training

    usage = collections.namedtuple("usage", "total used free")
    real_train = training.train
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(StoreError, match=r"needs about [\d,]+ MB in .* only 0 MB are free"):
        pipeline.train_and_save(synthetic, TINY, "full")
    assert not store.model_exists("full")
    needed = store.saved_size_estimate(synthetic.n_users, synthetic.n_movies, TINY.dim)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 0, needed))
    monkeypatch.setattr(training, "train", real_train)  # enough room: it trains
    pipeline.train_and_save(synthetic, TINY, "full")
    size = sum(f.stat().st_size for f in store.model_path("full").rglob("*") if f.is_file())
    assert size < needed  # the estimate is on the high side


def test_an_overwrite_of_a_folder_that_takes_no_changes_fails_before_training(monkeypatch):
    """Bad-input round 9: `train --overwrite` into a `chattr +i` model folder trained fully,
    then failed naming an internal temp file. Now it fails first, naming the model."""
    import errno

    folder = store.model_path("locked")
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{}")
    real = store._probe_write

    def immutable(path):
        if path == folder:
            raise PermissionError(errno.EPERM, "Operation not permitted")
        real(path)

    monkeypatch.setattr(store, "_probe_write", immutable)
    monkeypatch.setattr(pipeline, "load_dataset", lambda *a, **k: pytest.fail("loaded data"))
    with pytest.raises(StoreError, match=r"'locked' cannot be replaced.*Operation not permitted"):
        pipeline.train_and_save("ml-latest-small", TINY, "locked", overwrite=True)


def test_an_overwrite_beside_an_existing_case_twin_is_refused_before_training(
    synthetic, monkeypatch
):
    """The recheck: with 'Cw' and a hand-copied 'cw', `train --name Cw --overwrite` trained,
    then saved 'Cw-2' saying the name was taken meanwhile; the twin was there from the start."""
    import shutil

    pipeline.train_and_save(synthetic, TINY, "Cw", {"seed": 0})
    shutil.copytree(store.model_path("Cw"), store.model_path("Cw").parent / "cw")
    monkeypatch.setattr(pipeline, "load_dataset", lambda *a, **k: pytest.fail("loaded data"))
    with pytest.raises(StoreError, match="'cw' differs from 'Cw' only in case"):
        pipeline.train_and_save("ml-latest-small", TINY, "Cw", overwrite=True)


def test_a_cancelled_run_saves_nothing(synthetic):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TrainingCancelled):
        pipeline.train_and_save(synthetic, TINY, "never", cancel=cancel)
    assert store.list_models() == ([], [])


def test_official_splits_are_used_as_shipped(movielens_dir):
    ds = load_dataset("ml-100k")
    split = pipeline.split_from_settings(ds, pipeline.split_settings({"method": "official:u1"}))
    assert (len(split.train), len(split.stop), len(split.test)) == (72_000, 8_000, 20_000)
    np.testing.assert_array_equal(split.test, ds.official_splits["u1"].test)
    with pytest.raises(DataError, match="no official split 'u9'.*official:u1"):
        pipeline.split_from_settings(ds, pipeline.split_settings({"method": "official:u9"}))
    again = pipeline.recorded_split(ds, split.describe())
    np.testing.assert_array_equal(again.test, split.test)
    np.testing.assert_array_equal(again.stop, split.stop)


def test_recorded_splits_are_rebuilt_exactly_or_refused(synthetic):
    split = make_split(synthetic, method="per_user", test_fraction=0.25, seed=5)
    described = split.describe()
    again = pipeline.recorded_split(synthetic, described)
    np.testing.assert_array_equal(again.train, split.train)
    np.testing.assert_array_equal(again.stop, split.stop)
    np.testing.assert_array_equal(again.test, split.test)
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
    assert recomputed["stop_rmse"] == pytest.approx(model.metrics["stop_rmse"], abs=2e-4)
    assert recomputed["test_rmse"] == pytest.approx(model.metrics["test_rmse"], abs=1e-6)
    assert recomputed["train_rmse"] == pytest.approx(model.metrics["train_rmse"], abs=2e-3)


def test_a_diverged_training_saves_nothing_and_keeps_the_old_model(synthetic):
    pipeline.train_and_save(synthetic, TINY, "good")
    before = {p.name: p.read_bytes() for p in store.model_path("good").iterdir() if p.is_file()}
    wild = TINY.with_(optimizer="sgd", learning_rate=10.0, regularizers={"l2": 1e6})
    with pytest.raises(SpecError, match="Training diverged.*nothing was saved"):
        pipeline.train_and_save(synthetic, wild, "good", overwrite=True)
    after = {p.name: p.read_bytes() for p in store.model_path("good").iterdir() if p.is_file()}
    assert after == before
    assert [m.name for m in store.list_models()[0]] == ["good"]


def test_a_model_worse_than_the_mean_says_so():
    """Round 4 (D2): a run that diverged to finite values (test RMSE 320 on a 1-5 scale) was
    saved without a word."""
    note = store.worse_than_mean_note({"test_rmse": 320.43, "test_rmse_of_mean": 1.13})
    assert (
        note.startswith("Its test RMSE 320.4300 is worse than 1.1300") and "learning rate" in note
    )
    assert store.worse_than_mean_note({"test_rmse": 0.9, "test_rmse_of_mean": 1.13}) == ""
    assert store.worse_than_mean_note({"test_rmse": 0.9}) == ""  # saved before the floor


def test_the_worse_than_the_mean_note_fits_degenerate_data():
    """Bad-input round 5: every rating 4 gave 'worse than 0.0000 ... lower the learning rate',
    and a one-movie set printed '1.4773 is worse than 1.4773'."""
    assert store.worse_than_mean_note({"test_rmse": 1.47731, "test_rmse_of_mean": 1.47728}) == ""
    constant = store.worse_than_mean_note({"test_rmse": 0.0128, "test_rmse_of_mean": 0.0})
    assert constant.startswith("Every test rating is the training rows' mean rating")
    assert "learning rate" not in constant and "ratings that vary" in constant
    one_movie = store.worse_than_mean_note({"test_rmse": 1.334, "test_rmse_of_mean": 1.3288})
    assert "1.3340 is worse than 1.3288" in one_movie and "one movie or user" in one_movie
