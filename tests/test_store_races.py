"""The store under other processes' changes: a save, a load and a listing stay correct while
another process deletes, renames or replaces the same model (paused deterministically at the
right step with :data:`movierate.atomic.CHECKPOINT_HOOK` or a patched reader)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import atomic, config, store
from movierate.data import make_split, synthetic_dataset
from movierate.spec import ModelSpec


def _result(version: float, dim: int = 4):
    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    split = make_split(ds, method="random", valid_fraction=0.1, seed=0)
    arrays = {
        "user_embedding": np.full((ds.n_users, dim), version, np.float32),
        "movie_embedding": np.full((ds.n_movies, dim), version, np.float32),
        "global_mean": np.float32(version),
    }

    def save_keras(path):
        Path(path).write_bytes(b"PK not a real keras file")

    result = SimpleNamespace(
        arrays=arrays,
        save_keras=save_keras,
        metrics={},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=version,
    )
    return result, ds, split, ModelSpec(family="mf", dim=dim)


def _save(name: str, version: float, *, overwrite: bool = False, dim: int = 4) -> Path:
    result, ds, split, spec = _result(version, dim)
    return store.save_model(name, result, ds, split, spec, overwrite=overwrite)


@pytest.fixture
def hook(monkeypatch):
    """Run ``action`` once when the save reaches checkpoint ``label``."""

    def install(label, action):
        done = []

        def fire(step):
            if step == label and not done:
                done.append(step)
                action()

        monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", fire)
        return done

    return install


@pytest.mark.parametrize("exchange", [True, False])
@pytest.mark.parametrize("label", ["publish:start", "publish:old-marked"])
def test_overwrite_publishes_when_the_old_model_is_deleted_meanwhile(
    hook, monkeypatch, exchange, label
):
    monkeypatch.setattr(atomic, "USE_EXCHANGE", exchange)
    _save("race", 1.0)
    fired = hook(label, lambda: store.delete_model("race"))
    _save("race", 2.0, overwrite=True)
    assert fired
    model = store.load_model("race")
    assert float(model.arrays["global_mean"]) == 2.0
    assert not (model.path / atomic.WRITER_FILE).exists()
    assert [p.name for p in config.models_dir().iterdir()] == ["race"]


@pytest.mark.parametrize("exchange", [True, False])
def test_overwrite_publishes_when_the_old_model_is_renamed_meanwhile(hook, monkeypatch, exchange):
    monkeypatch.setattr(atomic, "USE_EXCHANGE", exchange)
    _save("race", 1.0)
    fired = hook("publish:old-marked", lambda: store.rename_model("race", "kept"))
    _save("race", 2.0, overwrite=True)
    assert fired
    assert float(store.load_model("race").arrays["global_mean"]) == 2.0
    kept = store.load_model("kept")
    assert float(kept.arrays["global_mean"]) == 1.0
    assert not (kept.path / atomic.WRITER_FILE).exists()  # no stray writer record
    assert sorted(p.name for p in config.models_dir().iterdir()) == ["kept", "race"]


def test_load_rereads_a_model_replaced_while_it_is_read(monkeypatch):
    """The swap happens between checking meta.json and loading the arrays: the load must
    return one version whole (either), never a mix."""
    _save("victim", 1.0, dim=4)
    real_check = store._check_movies_schema
    swaps = []

    def check_then_swap(path):
        real_check(path)
        if not swaps:
            swaps.append(1)
            _save("victim", 2.0, overwrite=True, dim=3)

    monkeypatch.setattr(store, "_check_movies_schema", check_then_swap)
    model = store.load_model("victim")
    assert swaps
    assert model.movie_embedding.shape[1] == model.spec.dim
    assert float(model.arrays["global_mean"]) == {4: 1.0, 3: 2.0}[model.spec.dim]


def test_load_does_not_report_a_healthy_model_broken_when_swapped_mid_read(monkeypatch):
    _save("victim", 1.0, dim=4)
    real_shapes = store._npz_headers
    swaps = []

    def shapes_then_swap(path):
        shapes = real_shapes(path)
        if not swaps:
            swaps.append(1)
            _save("victim", 2.0, overwrite=True, dim=3)
        return shapes

    monkeypatch.setattr(store, "_npz_headers", shapes_then_swap)
    model = store.load_model("victim")
    assert swaps and model.movie_embedding.shape[1] == model.spec.dim


def test_listing_skips_a_model_renamed_away_while_it_is_read(monkeypatch):
    _save("alpha", 1.0)
    _save("beta", 1.0)
    real_inspect = store._inspect
    moved = []

    def inspect_while_renamed(path):
        if path.name == "alpha" and not moved:
            moved.append(1)
            root = config.models_dir()
            atomic.rename_folder(root / "alpha", root / "gamma")
        return real_inspect(path)

    monkeypatch.setattr(store, "_inspect", inspect_while_renamed)
    infos, broken = store.list_models()
    assert moved
    assert broken == []  # read as it was when the listing reached it, or skipped
    assert "beta" in [i.name for i in infos]


def test_listing_rechecks_a_model_replaced_while_it_is_read(monkeypatch):
    _save("alpha", 1.0, dim=4)
    real_parquet_rows = store._parquet_rows
    swaps = []

    def rows_after_swap(path):
        if not swaps:
            swaps.append(1)
            _save("alpha", 2.0, overwrite=True, dim=3)
        return real_parquet_rows(path)

    monkeypatch.setattr(store, "_parquet_rows", rows_after_swap)
    infos, broken = store.list_models()
    assert swaps and broken == []
    assert [i.name for i in infos] == ["alpha"]


def test_a_really_broken_model_is_still_reported():
    path = _save("bad", 1.0)
    (path / store.MOVIES_FILE).write_bytes(b"not parquet")
    infos, broken = store.list_models()
    assert [b.name for b in broken] == ["bad"]


def test_removing_a_folder_that_vanished_is_nothing_to_do(tmp_path, monkeypatch):
    folder = tmp_path / ".tmp-x-12345678"
    folder.mkdir()
    (folder / "f").write_text("x")
    real_iterdir = Path.iterdir

    def iterdir_after_removal(self):
        if self == folder:
            shutil.rmtree(folder)
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir_after_removal)
    atomic.remove_tree(folder)  # no FileNotFoundError
    assert not folder.exists()


def test_remove_leftovers_survives_a_model_deleted_meanwhile(monkeypatch):
    _save("alpha", 1.0)
    real_sweep = atomic.sweep_leftovers

    def sweep_after_delete(parent, *args, **kwargs):
        if parent.name == store.CACHE_FOLDER and parent.parent.exists():
            store.delete_model(parent.parent.name)
            raise FileNotFoundError(2, "gone", str(parent))
        return real_sweep(parent, *args, **kwargs)

    monkeypatch.setattr(atomic, "sweep_leftovers", sweep_after_delete)
    store.remove_leftovers()  # no error
    _save("beta", 1.0)  # save_model calls it too


def test_a_generated_name_another_run_saves_first_moves_to_the_next_free_name(hook):
    name = store.unique_name("auto")
    fired = hook("save:meta", lambda: _save(name, 1.0))  # the other run publishes first
    result, ds, split, spec = _result(2.0)
    path = store.save_model(name, result, ds, split, spec, name_base="auto")
    assert fired and path.name == "auto-2"
    assert float(store.load_model("auto").arrays["global_mean"]) == 1.0  # theirs, untouched
    mine = store.load_model("auto-2")
    assert float(mine.arrays["global_mean"]) == 2.0 and mine.meta["name"] == "auto-2"


def test_a_chosen_name_taken_meanwhile_is_still_refused(hook):
    hook("save:meta", lambda: _save("mine", 1.0))
    result, ds, split, spec = _result(2.0)
    with pytest.raises(store.StoreError, match="already exists"):
        store.save_model("mine", result, ds, split, spec)


def test_models_dir_that_is_a_file_is_reported_before_any_work(monkeypatch, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(plain))
    with pytest.raises(store.StoreError, match="MOVIERATE_MODELS_DIR") as info:
        store.check_writable()
    assert "is a file" in str(info.value)


def test_unwritable_models_dir_names_the_variable(monkeypatch, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(plain / "models"))  # under a file
    with pytest.raises(store.StoreError, match="set MOVIERATE_MODELS_DIR"):
        store.check_writable()
    monkeypatch.delenv("MOVIERATE_MODELS_DIR")
    monkeypatch.setenv("MOVIERATE_HOME", str(plain))
    with pytest.raises(store.StoreError, match="set MOVIERATE_HOME"):
        store.check_writable()


def test_training_checks_the_store_before_loading_any_data(monkeypatch, tmp_path):
    from movierate import pipeline

    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(plain))

    def no_loading(*args, **kwargs):
        raise AssertionError("the data was loaded before the store was checked")

    monkeypatch.setattr(pipeline, "load_dataset", no_loading)
    with pytest.raises(store.StoreError, match="MOVIERATE_MODELS_DIR"):
        pipeline.train_and_save("ml-100k", ModelSpec(dim=2, epochs=1), "x")
