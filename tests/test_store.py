"""movierate.store: atomic saves, exact round trips, names, broken folders, deletion, cache."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import atomic, config, store
from movierate.errors import StoreError
from movierate.spec import ModelSpec

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny():
    """A real mf_bias model (dim 4, 2 epochs) trained on a small synthetic dataset."""
    from movierate.data import make_split, synthetic_dataset
    from movierate.nn.training import train

    ds = synthetic_dataset(n_ratings=3000, n_users=60, n_movies=90, seed=0)
    split = make_split(ds, method="random", test_fraction=0.1, seed=1)
    spec = ModelSpec(family="mf_bias", dim=4, epochs=2, batch_size=256, regularizers={"l2": 1e-4})
    result = train(ds, split, spec)
    return SimpleNamespace(ds=ds, split=split, spec=spec, result=result)


def _save(tiny, name: str, **kwargs) -> Path:
    return store.save_model(name, tiny.result, tiny.ds, tiny.split, tiny.spec, **kwargs)


def _store_entries() -> list[str]:
    root = config.models_dir()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "mf-32_l2.v2", "A" * 64, "x.y", "0"])
def test_valid_names_are_accepted(name):
    assert store.validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("A" * 65, "65 characters"),
        ("a/b", "'/'"),
        ("..", "starts with '.'"),
        (".hidden", "starts with '.'"),
        ("a..b", "'..'"),
        ("with space", "' '"),
        ("back\\slash", "'\\\\\\\\'"),
        ("café", "'é'"),
        ("con", "'con' is a device name on Windows"),
        ("NUL.v2", "'NUL' is a device name on Windows"),
        ("lpt9", "device name"),
        ("COM0", "device name"),  # bad-input round 14: accepted before
        ("trailing.", "ends with '.'"),
    ],
)
def test_bad_names_are_rejected_with_the_rule(name, problem):
    with pytest.raises(StoreError, match=problem) as info:
        store.validate_name(name)
    assert "letters, digits, '-', '_' and '.'" in str(info.value)


def test_a_model_saved_under_a_windows_device_name_still_opens_and_can_be_renamed(tiny):
    _save(tiny, "ok")
    store.rename_model("ok", "x")
    (config.models_dir() / "x").rename(config.models_dir() / "aux")  # saved before the rule
    assert [info.name for info in store.list_models()[0]] == ["aux"]
    assert store.load_model("aux").movie_embedding.shape == (90, 4)
    with pytest.raises(StoreError, match="device name on Windows"):
        store.rename_model("aux", "prn")
    store.rename_model("aux", "auxiliary")
    assert _store_entries() == ["auxiliary"]


def test_unique_name_avoids_windows_device_names_and_a_final_dot(tmp_path):
    assert store.unique_name("con") == "model-con"
    assert store.unique_name("Nul.v2") == "model-Nul.v2"
    assert store.unique_name("a.") == "a"
    assert store.validate_name(store.unique_name("com1" + "." * 70)) == "model-com1"


def test_unique_name_proposes_a_free_valid_name(tmp_path):
    (config.models_dir() / "ml-mf-32").mkdir(parents=True)
    (config.models_dir() / "ml-mf-32-2").mkdir()
    assert store.unique_name("ml-mf-32") == "ml-mf-32-3"
    assert store.unique_name("new one") == "new-one"
    assert store.unique_name("../../etc") == "etc"
    assert store.validate_name(store.unique_name("x" * 80 + "/")) == "x" * 64
    assert store.unique_name("") == "model"


# --- round trip --------------------------------------------------------------------------------


def test_round_trip_gives_identical_arrays_predictions_and_metadata(tiny):
    from movierate.nn.export import export_arrays

    path = _save(tiny, "tiny")
    assert path == config.models_dir() / "tiny"
    assert sorted(p.name for p in path.iterdir()) == sorted([*store.REQUIRED_FILES, "cache"])

    model = store.load_model("tiny")
    original = export_arrays(tiny.result.keras_model, tiny.spec)
    assert set(model.arrays) >= set(original)
    for key, value in original.items():
        np.testing.assert_array_equal(model.arrays[key], value, err_msg=key)
    assert model.global_mean == pytest.approx(tiny.result.global_mean, abs=1e-6)
    assert model.spec == tiny.spec
    assert model.n_users == tiny.ds.n_users and model.n_movies == tiny.ds.n_movies
    assert model.movie_bias is not None and not model.movie_embedding.flags.writeable

    meta = model.meta
    assert meta["format_version"] == store.FORMAT_VERSION
    assert meta["dataset"]["fingerprint"] == tiny.ds.fingerprint
    assert meta["split"] == json.loads(json.dumps(tiny.split.describe()))
    assert meta["metrics"]["stop_rmse"] == pytest.approx(tiny.result.metrics["stop_rmse"])
    assert meta["split"]["n_test"] == len(tiny.split.test)
    assert len(model.history["stop_rmse"]) == meta["metrics"]["epochs_run"]
    assert "reg_l2" in model.history
    assert meta["versions"]["numpy"] == np.__version__
    assert meta["timings"]["train_seconds"] > 0
    assert list(model.movies["title"]) == list(tiny.ds.movies["title"])
    assert isinstance(model.movies["genres"].iloc[0], list)

    ratings = tiny.ds.ratings.iloc[tiny.split.test]
    users, movies = ratings["user_idx"].to_numpy(), ratings["movie_idx"].to_numpy()
    keras_before = _keras_predict(tiny.result.keras_model, users, movies)
    keras_after = _keras_predict(model.keras_model(), users, movies)
    np.testing.assert_array_equal(keras_after, keras_before)
    np.testing.assert_allclose(model.predict(users, movies), keras_before, atol=1e-4)


def _keras_predict(keras_model, users, movies) -> np.ndarray:
    pairs = np.stack([users, movies], axis=1).astype(np.int32)
    out = keras_model.predict(pairs, verbose=0, batch_size=4096)
    return np.asarray(out, dtype=np.float32).reshape(-1)


def test_listing_shows_saved_models_newest_first(tiny, monkeypatch):
    _save(tiny, "first")
    _save(tiny, "second")
    meta_path = config.models_dir() / "first" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["created"] = "1999-01-01T00:00:00+00:00"
    meta_path.write_text(json.dumps(meta))
    infos, broken = store.list_models()
    assert broken == []
    assert [i.name for i in infos] == ["second", "first"]
    info = infos[0]
    assert info.spec == tiny.spec and info.family == "mf_bias" and info.dim == 4
    assert info.dataset == tiny.ds.name
    assert info.has_test_rows and info.valid_rmse is None
    assert info.metrics_label == "test RMSE"
    assert info.test_rmse == tiny.result.metrics.get("test_rmse")  # store.save_model: no test
    assert info.train_seconds > 0 and info.format_version == 1


def test_saving_a_taken_name_fails_unless_overwrite(tiny):
    _save(tiny, "taken")
    created = json.loads((config.models_dir() / "taken" / "meta.json").read_text())["created"]
    with pytest.raises(StoreError, match="'taken' already exists.*'taken-2'"):
        _save(tiny, "taken")
    _save(tiny, "taken", overwrite=True)
    assert store.load_model("taken").created >= created
    assert _store_entries() == ["taken"]


def test_the_rename_guards_a_save_racing_another(tiny, monkeypatch):
    """Another process publishes the same name after our check: ours fails, theirs survives."""
    real_fsync = atomic.fsync_tree

    def rival_wins(folder):
        real_fsync(folder)
        rival = config.models_dir() / "race"
        rival.mkdir()
        (rival / "meta.json").write_text("{}")

    monkeypatch.setattr(atomic, "fsync_tree", rival_wins)
    with pytest.raises(StoreError, match="'race' already exists"):
        _save(tiny, "race")
    assert _store_entries() == ["race"]
    assert (config.models_dir() / "race" / "meta.json").read_text() == "{}"


# --- interrupted saves -------------------------------------------------------------------------


def test_a_failure_between_files_leaves_the_store_clean(tiny, monkeypatch):
    def disk_full(path, movies):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_write_movies", disk_full)
    with pytest.raises(StoreError, match="No space left on device. Nothing was saved. Free"):
        _save(tiny, "interrupted")
    assert _store_entries() == []
    assert store.list_models() == ([], [])


def test_a_file_size_limit_at_save_says_what_it_is_and_what_was_kept(tiny, monkeypatch):
    """Bad-input round 12: under `ulimit -f` a replacing save failed with pyarrow's "Error
    writing bytes to file. Detail: [errno 27] File too large", naming neither the limit nor
    that nothing changed."""
    _save(tiny, "kept")

    def too_large(path, movies):
        raise OSError("Error writing bytes to file. Detail: [errno 27] File too large")

    monkeypatch.setattr(store, "_write_movies", too_large)
    with pytest.raises(StoreError) as caught:
        _save(tiny, "kept", overwrite=True)
    said = str(caught.value)
    assert said.startswith("The training finished (2 epochs) but could not be saved: ")  # r51
    assert f"Could not save 'kept' in {config.models_dir()}: Error writing bytes" in said
    assert "Nothing was saved. The model already named 'kept' is unchanged." in said
    assert "(is `ulimit -f` set?)" in said
    assert store.load_model("kept").name == "kept"


KILLED_SAVE = textwrap.dedent(
    """
    import time
    from types import SimpleNamespace
    import numpy as np
    from movierate import store
    from movierate.data import make_split, synthetic_dataset
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    split = make_split(ds, method="random", test_fraction=0.1, seed=0)
    spec = ModelSpec(family="mf", dim=4)
    arrays = {
        "user_embedding": np.zeros((ds.n_users, 4), np.float32),
        "movie_embedding": np.zeros((ds.n_movies, 4), np.float32),
        "global_mean": np.float32(3.5),
    }

    def slow_save_keras(path):
        with open(path, "wb") as f:
            f.write(b"PK half a file")
        print("writing", flush=True)
        time.sleep(120)

    result = SimpleNamespace(arrays=arrays, save_keras=slow_save_keras, metrics={}, history={},
                             train_seconds=1.0, ratings_per_second=1.0, global_mean=3.5)
    store.save_model("victim", result, ds, split, spec)
    """
)


def test_killing_the_process_mid_save_leaves_no_half_model():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert any(p.name.startswith(".") for p in config.models_dir().iterdir())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert not (config.models_dir() / "victim").exists()
    assert [p.name for p in config.models_dir().iterdir()][0].startswith(".tmp-victim-")
    # its writer is dead (pid + start time in the folder): the next listing removes it at once
    assert store.list_models() == ([], [])
    assert _store_entries() == []


# --- broken folders ----------------------------------------------------------------------------


def _break(name: str, how) -> None:
    how(config.models_dir() / name)


def _garble_meta(path: Path) -> None:
    (path / "meta.json").write_text('{"format_version": 1, "name": ')


def _newer_format(path: Path) -> None:
    meta = json.loads((path / "meta.json").read_text())
    meta["format_version"] = 999
    (path / "meta.json").write_text(json.dumps(meta))


def _wrong_dim(path: Path) -> None:
    with np.load(path / "embeddings.npz") as npz:
        arrays = dict(npz)
    arrays["movie_embedding"] = np.zeros((arrays["movie_embedding"].shape[0], 3), np.float32)
    np.savez(path / "embeddings.npz", **arrays)


def _fewer_users(path: Path) -> None:
    with np.load(path / "embeddings.npz") as npz:
        arrays = dict(npz)
    arrays["user_embedding"] = arrays["user_embedding"][:-1]
    arrays["user_bias"] = arrays["user_bias"][:-1]
    np.savez(path / "embeddings.npz", **arrays)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        (lambda p: (p / "embeddings.npz").unlink(), "missing embeddings.npz"),
        (lambda p: (p / "model.keras").unlink(), "missing model.keras"),
        (lambda p: (p / "meta.json").unlink(), "meta.json is missing"),
        (_garble_meta, "meta.json is not valid JSON"),
        (lambda p: (p / "meta.json").write_text("[1, 2]"), "expected a JSON object"),
        (_newer_format, "made by a newer movierate \\(format_version 999"),
        (_wrong_dim, "shape mismatch: 'movie_embedding' has shape \\(90, 3\\)"),
        (
            _fewer_users,
            "shape mismatch: user_embedding, user_bias all have 59 rows but meta.json records "
            "n_users = 60",
        ),
        (lambda p: (p / "embeddings.npz").write_bytes(b"garbage"), "embeddings.npz is damaged"),
        (lambda p: (p / "movies.parquet").write_bytes(b"garbage"), "movies.parquet is damaged"),
    ],
)
def test_broken_folders_are_listed_with_their_reason_and_refuse_to_load(tiny, how, reason):
    good = _save(tiny, "good")
    shutil.copytree(good, config.models_dir() / "bad")
    _break("bad", how)
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["good"]
    assert [b.name for b in broken] == ["bad"]
    assert broken[0].path == config.models_dir() / "bad"
    assert re.search(reason, broken[0].reason), broken[0].reason
    with pytest.raises(StoreError, match=f"Model 'bad' cannot be loaded: .*{reason}"):
        store.load_model("bad")


def test_odd_entries_in_the_store_do_not_break_the_listing(tiny):
    _save(tiny, "good")
    root = config.models_dir()
    (root / "notes.txt").write_text("not a model")
    (root / ".tmp-half-1234").mkdir()
    (root / "bad name").mkdir()
    (root / "empty").mkdir()
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["good"]
    assert {b.name: b.reason.split(":")[0] for b in broken} == {
        "bad name": "Invalid model name 'bad name'",
        "empty": "meta.json is missing (an incomplete or foreign folder); restore the folder "
        "from a copy, or delete it and train or import the model again",
    }


def test_a_damaged_keras_file_fails_with_a_store_error_but_numpy_still_works(tiny):
    _save(tiny, "m")
    (config.models_dir() / "m" / "model.keras").write_bytes(b"not a zip")
    model = store.load_model("m")
    assert model.predict([0], [0]).shape == (1,)
    # since bad-input round 52 the saved file's digest tells it is not the one saved
    with pytest.raises(StoreError, match="model.keras is not the file this model saved"):
        model.keras_model()


def test_keras_model_refuses_another_model_saved_under_the_name_since(tiny):
    """CLI round 3: keras_model() read whatever folder held the name at call time, pairing the
    loaded arrays with a replacement's weights."""
    _save(tiny, "m")
    model = store.load_model("m")
    _save(tiny, "m", overwrite=True)  # retrained under the name (a new save time)
    with pytest.raises(StoreError, match="no longer holds the model loaded here"):
        model.keras_model()
    again = store.load_model("m")
    assert again.keras_model() is not None
    renamed = store.load_model("m")
    store.rename_model("m", "m2")  # renamed away: not "damaged, retrain it" (recheck)
    with pytest.raises(StoreError, match="renamed, replaced or deleted since"):
        renamed.keras_model()


def test_loading_an_unknown_model_names_the_saved_ones(tiny):
    _save(tiny, "present")
    with pytest.raises(StoreError, match="No model named 'absent'.*saved models: 'present'"):
        store.load_model("absent")
    with pytest.raises(StoreError, match="Invalid model name"):
        store.load_model("../etc")


# --- delete and cache --------------------------------------------------------------------------


def test_delete_removes_the_model_and_only_it(tiny):
    _save(tiny, "keep")
    _save(tiny, "drop")
    store.delete_model("drop")
    assert _store_entries() == ["keep"]
    with pytest.raises(StoreError, match="No model named 'drop'"):
        store.delete_model("drop")


def test_a_model_folder_whose_files_may_not_be_removed_is_not_called_deleted(tiny, monkeypatch):
    """Bad-input round 13 (as a non-root user): `delete` of a read-only (555) model folder said
    "deleted", left a hidden .trash copy it could not empty, and every later `list` and Home
    failed on that copy; a 000 model folder failed every `list` too. Tests run as root, whom
    permissions do not stop, so the denials are simulated where the code meets them."""
    _save(tiny, "keep")
    locked = _save(tiny, "locked")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: Path(p) != locked and real_access(p, mode, **kw)
    )
    with pytest.raises(StoreError, match=r"'locked' is not deleted: .*chmod -R u\+w"):
        store.delete_model("locked")
    assert store.load_model("locked").name == "locked" and _store_entries() == ["keep", "locked"]
    # bad-input round 16: on a read-only mount chmod cannot help; the message says what can
    read_only, real_statvfs = type("statvfs", (), {"f_flag": os.ST_RDONLY})(), os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda path: read_only)
    with pytest.raises(StoreError, match=r"is on a read-only file system. Mount it read-write"):
        store.delete_model("locked")
    monkeypatch.setattr(os, "statvfs", real_statvfs)
    # the recheck: only a subfolder it may not list (cache/ at 000) was missed
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode, **kw: Path(p) != locked / "cache" and real_access(p, mode, **kw),
    )
    with pytest.raises(StoreError, match=r"may not remove the files in .*cache"):
        store.delete_model("locked")
    monkeypatch.setattr(os, "access", real_access)
    # a trash folder left by an earlier delete that cannot be emptied, and an unreadable model
    trash = config.models_dir() / f"{store.TRASH_PREFIX}gone-1234abcd"
    shutil.copytree(locked, trash)
    real_is_dir, real_remove = Path.is_dir, atomic.remove_tree

    def is_dir(path):
        if path == locked / store.CACHE_FOLDER:
            raise PermissionError(13, "Permission denied", str(path))
        return real_is_dir(path)

    def remove_tree(path):
        if path == trash:
            raise PermissionError(13, "Permission denied", str(path / "movies.parquet"))
        real_remove(path)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    monkeypatch.setattr(atomic, "remove_tree", remove_tree)
    report = store.leftovers()
    assert [item.path for item in report.items] == [trash] and not report.removed
    assert store.remove_leftovers() == []  # not "removed" while it stays (the recheck)
    # recheck 2: a removal that gives up silently (a subfolder it may not list), once old
    monkeypatch.setattr(atomic, "remove_tree", lambda path: None)
    assert store.remove_leftovers(max_age_seconds=0) == [] and trash.is_dir()
    assert sorted(m.name for m in store.list_models()[0]) == ["keep", "locked"]


def test_cache_path_lives_in_the_model_folder(tiny):
    _save(tiny, "m")
    path = store.cache_path("m", "tsne-perplexity30-seed0.npz")
    assert path == config.models_dir() / "m" / "cache" / "tsne-perplexity30-seed0.npz"
    assert path.parent.is_dir()
    assert store.load_model("m").cache_path("x.npy") == path.parent / "x.npy"
    for bad in ("../escape", "", ".hidden", "a/b"):
        with pytest.raises(StoreError, match="Invalid cache key"):
            store.cache_path("m", bad)
    with pytest.raises(StoreError, match="No model named 'nope'"):
        store.cache_path("nope", "x.npy")


def test_a_file_in_the_cache_folders_place_is_left_alone(tiny):
    """A stray file named ``cache`` must not stop every analysis, and is no longer deleted
    (bad-input round 67, F5): the model keeps no cache (OptionalCache says why)."""
    _save(tiny, "m")
    folder = config.models_dir() / "m" / "cache"
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("x")
    with pytest.raises(StoreError, match="leaves it alone"):
        store.cache_path("m", "x.npy")
    assert folder.read_text() == "x"
    assert store.load_model("m").spec == tiny.spec


def test_rename_model_moves_the_folder_and_its_meta_name(tiny):
    from movierate.errors import NameTakenError

    _save(tiny, "before")
    _save(tiny, "other")
    path = store.rename_model("before", "after")
    assert path == config.models_dir() / "after"
    assert _store_entries() == ["after", "other"]
    assert store.read_meta("after")["name"] == "after"
    assert store.load_model("after").movie_embedding.shape == (90, 4)
    with pytest.raises(NameTakenError, match="already exists"):
        store.rename_model("after", "other")
    with pytest.raises(StoreError, match="No model named 'before'"):
        store.rename_model("before", "again")
    with pytest.raises(StoreError, match="Invalid model name"):
        store.rename_model("after", "bad/name")
    assert _store_entries() == ["after", "other"]


def _info(fingerprint: str = "f1", **split) -> store.ModelInfo:
    record = {"method": "random", "seed": 42, "test_fraction": 0.1, "stop_fraction": 0.1}
    record.update(split, n_test=10)
    return store.ModelInfo(
        name="m", path=Path("m"), created="2026", spec=ModelSpec(), dataset="d", metrics={},
        train_seconds=None, format_version=1, split_record=record, dataset_fingerprint=fingerprint,
    )  # fmt: skip


def test_test_rows_are_the_same_exactly_when_data_and_test_part_are():
    base = _info()
    assert base.test_rows == _info(stop_fraction=0.2).test_rows  # the test part is drawn first
    for other in (_info("f2"), _info(seed=7), _info(test_fraction=0.2), _info(method="temporal")):
        assert other.test_rows != base.test_rows
    assert base.test_rows_text == "random 10%, seed 42"
    assert _info(method="official:u1", seed=None, test_fraction=0.2).test_rows_text == "official u1"
    old = store.ModelInfo(
        name="old", path=Path("o"), created="2025", spec=ModelSpec(), dataset="d", metrics={},
        train_seconds=None, format_version=1, split_record={"n_valid": 5},
    )  # fmt: skip
    assert old.test_rows is None


def test_split_seed_groups_test_rows_only_where_it_draws_them():
    """Temporal test rows are each user's latest (the seed draws only among timestamp ties
    since accuracy round 16; before, ties went by row order) and official ones the shipped
    .test file (the seed moves only official stop rows), so models that differ only in a seed
    that drew no test row share test rows."""
    from movierate.data import load_dataset, make_split

    ds = load_dataset("ml-100k")
    for method, fraction in (("temporal", 0.2), ("official:u1", 0.2)):
        ties = "row_order" if method == "temporal" else "seeded"  # as old records rebuild
        a, b = (make_split(ds, method, fraction, seed=seed, ties=ties) for seed in (1, 2))
        assert np.array_equal(np.sort(a.test), np.sort(b.test))
        if method.startswith("official"):
            assert not np.array_equal(np.sort(a.stop), np.sort(b.stop))
        assert _info(method=method, seed=1).test_rows == _info(method=method, seed=2).test_rows
    a, b = (make_split(ds, "temporal", 0.2, seed=seed) for seed in (1, 2))  # seeded ties
    assert not np.array_equal(np.sort(a.test), np.sort(b.test)) and a.n_tied_test > 0
    assert _info(**a.describe()).test_rows != _info(**b.describe()).test_rows
    assert _info(method="per_user", seed=1).test_rows != _info(method="per_user", seed=2).test_rows
    assert (
        _info(method="temporal").test_rows != _info(method="temporal", test_fraction=0.2).test_rows
    )


def test_an_old_temporal_split_with_ties_by_file_order_is_named_and_told_to_retrain():
    """Bad-input round 58, F2: an old temporal model and a new one of the same data, method,
    fraction and seed were told apart only by a missing ", seed 42", with the advice "train
    on the same data set and split", which the user had done."""
    import dataclasses

    from movierate.store import test_rows_notice

    old = dataclasses.replace(_info(method="temporal"), name="o2-temporal")  # no "ties" kept
    new = dataclasses.replace(
        _info(method="temporal", ties="seeded", n_tied_test=987), name="new-temporal"
    )
    assert old.test_rows_text == "per-user temporal 10%, ties by file order"
    assert new.test_rows_text == "per-user temporal 10%, seed 42"
    said = test_rows_notice([old, new])
    assert "o2-temporal's split held out tied timestamps by the file's order (an older" in said
    assert "retrain it to compare" in said and "new-temporal's split" not in said
    untied = _info(method="temporal", n_tied_test=0)  # its ties' rule chose no test row
    assert untied.test_rows_text == "per-user temporal 10%"


def test_models_table_names_test_rows_only_when_models_differ():
    from movierate.store import test_rows_notice
    from movierate.ui.text import models_table

    same = [_info(), _info(stop_fraction=0.2)]
    assert "test rows" not in models_table(same).columns and test_rows_notice(same) is None
    mixed = [_info(), _info(seed=7)]
    assert list(models_table(mixed)["test rows"]) == ["random 10%, seed 42", "random 10%, seed 7"]
    assert "tested on different ratings" in test_rows_notice(mixed)
    assert models_table(same).columns[-1] == "created (UTC)"


def test_a_folder_listed_as_broken_for_its_name_can_be_renamed_and_deleted(tiny):
    """A file manager's copy ("m copy") is listed as broken (its name is not one the store
    gives); renaming it to a valid name makes it a model again, and deleting it works too.
    Only exact folder entries qualify: no path tricks."""
    _save(tiny, "m")
    root = config.models_dir()
    shutil.copytree(root / "m", root / "m copy")
    shutil.copytree(root / "m", root / "m copy 2")
    infos, broken = store.list_models()
    assert {b.name for b in broken} == {"m copy", "m copy 2"}
    assert "rename 'm copy' NEW-NAME" in next(b.reason for b in broken if b.name == "m copy")
    store.rename_model("m copy", "m-copy")
    assert store.load_model("m-copy").spec == tiny.spec
    store.delete_model("m copy 2")
    assert _store_entries() == ["m", "m-copy"]
    for trick in ("../m", "m/..", ".", "..", "", "m copy 3"):
        with pytest.raises(StoreError):
            store.delete_model(trick)
    assert _store_entries() == ["m", "m-copy"]


def test_delete_refuses_a_folder_that_is_no_model_folder(tiny, tmp_path, monkeypatch):
    """MOVIERATE_MODELS_DIR set one level too high (at the home) lists the real models folder as
    one broken model; deleting it would remove every model. A folder holding what no model
    folder holds (other folders, other files) is refused, names what it holds and removes
    nothing; an incomplete model folder is still deleted."""
    _save(tiny, "a")
    _save(tiny, "b")
    home = config.models_dir().parent
    (home / "notes").mkdir()
    (home / "notes" / "todo.txt").write_text("mine")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(home))
    _, broken = store.list_models()
    reason = next(b.reason for b in broken if b.name == "models")
    assert "MOVIERATE_MODELS_DIR set to a MOVIERATE_HOME" in reason and "a, b" in reason
    for name, holds in (("models", "'a/', 'b/'"), ("notes", "'todo.txt'")):
        with pytest.raises(StoreError, match="is not deleted") as refused:
            store.delete_model(name)
        assert holds in str(refused.value) and "Nothing was removed" in str(refused.value)
    assert (home / "notes" / "todo.txt").read_text() == "mine"
    monkeypatch.delenv("MOVIERATE_MODELS_DIR")
    assert _store_entries() == ["a", "b"]
    (config.models_dir() / "b" / store.KERAS_FILE).unlink()  # an incomplete model: deletable
    store.delete_model("b")
    assert _store_entries() == ["a"]
    (config.models_dir() / "a" / "notes.txt").write_text("x")  # a stray file: still a model
    store.delete_model("a")
    assert _store_entries() == []


def test_an_overwrite_never_replaces_a_folder_delete_would_refuse(tiny, monkeypatch):
    """Bad-input round 16: `train --overwrite` replaced a folder holding two saved models, and
    the whole store with MOVIERATE_MODELS_DIR set to the home, where `delete` refused both."""
    _save(tiny, "a")
    backup = config.models_dir() / "backup"
    (backup / "m1").mkdir(parents=True)
    (backup / "m1" / store.META_FILE).write_text("{}")
    with pytest.raises(StoreError, match="'backup' is not replaced: it holds 'm1/'") as refused:
        store.check_name_free("backup", overwrite=True)
    assert "Nothing was replaced; move it away by hand" in str(refused.value)
    with pytest.raises(StoreError, match="is not replaced"):  # checked again when saving
        _save(tiny, "backup", overwrite=True)
    assert (backup / "m1" / store.META_FILE).read_text() == "{}"
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(config.models_dir().parent))
    with pytest.raises(StoreError, match="'models' is not replaced: it holds 'a/', 'backup/'"):
        _save(tiny, "models", overwrite=True)
    monkeypatch.delenv("MOVIERATE_MODELS_DIR")
    assert _store_entries() == ["a", "backup"]
    _save(tiny, "a", overwrite=True)  # a model folder is still replaced
    (config.models_dir() / "a" / "notes.txt").write_text("x")  # with a stray file: still one
    _save(tiny, "a", overwrite=True)
    # recheck B (s26): an imported dataset with titles (its movies.parquet), a folder whose
    # only entry is hidden (.git/), a user's folder with a movies.parquet in it
    for name, entries in (
        ("titled", ["dataset.json", "ratings.parquet", "movies.parquet"]),
        ("hidden", [".git/"]),
        ("thesis", ["movies.parquet", "report.pdf"]),
        # recheck D (s26): one generic file name, or dotfiles alone
        ("keras-project", ["model.keras", "train.py", "data.csv"]),
        ("photos", ["meta.json", "IMG_001.jpg"]),
        ("dotfiles", [".env", ".netrc"]),
    ):
        folder = config.models_dir() / name
        for entry in entries:
            target = folder / entry.rstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.mkdir() if entry.endswith("/") else target.write_text("mine")
        for attempt in (
            lambda n=name: store.delete_model(n),
            lambda n=name: _save(tiny, n, overwrite=True),
        ):
            with pytest.raises(StoreError, match="is not (deleted|replaced)"):
                attempt()
        assert sorted(p.name for p in folder.iterdir()) == sorted(e.rstrip("/") for e in entries)


def test_a_desktop_s_junk_files_do_not_make_a_model_folder_foreign(tiny):
    """Recheck E (s26): a broken model folder (no meta.json) holding a .DS_Store could no
    longer be deleted."""
    folder = _save(tiny, "broken")
    (folder / store.META_FILE).unlink()
    (folder / ".DS_Store").write_bytes(b"\x00")
    (folder / "._embeddings.npz").write_bytes(b"\x00")
    store.delete_model("broken")
    assert not folder.exists()


def test_jupyter_checkpoints_do_not_make_a_model_folder_foreign(tiny):
    """A model's meta.json opened in Jupyter leaves .ipynb_checkpoints/ beside it: the model
    could then be neither replaced nor deleted."""
    folder = _save(tiny, "looked-at")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "meta-checkpoint.json").write_text("{}")
    _save(tiny, "looked-at", overwrite=True)
    assert store.load_model("looked-at").name == "looked-at"
    (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)
    store.delete_model("looked-at")
    assert not folder.exists()


def test_a_folder_moved_in_while_the_new_model_is_staged_is_not_replaced(tiny, monkeypatch):
    """Recheck B (s26): the overwrite's second check ran ~2 s before the swap; a backup moved
    into the model's folder in between went with the old model."""
    from movierate import atomic

    _save(tiny, "m1")
    backup = config.models_dir() / "m1" / "backup" / "old1"

    def move_in(label: str) -> None:
        if label == "save:staged":
            backup.mkdir(parents=True)
            (backup / store.META_FILE).write_text("{}")

    monkeypatch.setattr(atomic, "CHECKPOINT_HOOK", move_in)
    with pytest.raises(StoreError, match="'m1' is not replaced: it holds 'backup/'"):
        _save(tiny, "m1", overwrite=True)
    assert (backup / store.META_FILE).read_text() == "{}"
    assert store.load_model("m1").name == "m1"


def test_a_name_differing_from_a_saved_one_only_in_case_is_taken(tiny):
    """Bad input round 7: 'A100K' beside 'a100k' is one folder on macOS, Windows and exFAT, so
    a store copied there would mix two models' files. Saving or renaming to such a name is
    refused, names the saved model, and the suggested free name is really free; a model's own
    case-only rename still works."""
    _save(tiny, "a100k")
    _save(tiny, "other")
    for attempt in (lambda: _save(tiny, "A100K"), lambda: store.rename_model("other", "A100k")):
        with pytest.raises(StoreError, match="'a100k' already exists, and 'A100") as taken:
            attempt()
        assert "rename a100k NEW_NAME" in str(taken.value)
    assert store.model_exists("A100K") and store.unique_name("A100K") == "A100K-2"
    # checked before any training, and --overwrite cannot help (the recheck: a whole training
    # was lost with a false "another run saved it" message)
    with pytest.raises(StoreError, match="rename a100k A100K") as taken:
        store.check_name_free("A100K", overwrite=True, replace_hint="pass --overwrite")
    assert "--overwrite" not in str(taken.value)
    store.check_name_free("a100k", overwrite=True)  # replacing the model itself is fine
    store.rename_model("a100k", "A100K")
    assert _store_entries() == ["A100K", "other"]


def test_a_dangling_link_in_the_store_takes_its_name(tiny):
    """Renaming onto a dangling link is refused, and the suggested free name is really free."""
    _save(tiny, "m")
    (config.models_dir() / "dangling").symlink_to(config.models_dir() / "nowhere")
    assert store.unique_name("dangling") == "dangling-2"
    with pytest.raises(StoreError, match="held by a link that leads to no folder"):
        store.rename_model("m", "dangling")
    assert store.load_model("m").spec == tiny.spec


def test_renaming_or_replacing_a_link_leaves_its_target_untouched(tiny, tmp_path):
    """Bad-input round 10: renaming a model that is a link rewrote its target's meta.json (a
    model elsewhere got the new name), and an overwrite through a link left a writer record
    in the target folder."""
    elsewhere = _save(tiny, "victim")
    outside = tmp_path / "outside"
    elsewhere.rename(outside)
    before = {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()}
    (config.models_dir() / "al1").symlink_to(outside)
    store.rename_model("al1", "renamed")
    assert (config.models_dir() / "renamed").is_symlink()
    (config.models_dir() / "al2").symlink_to(outside)
    _save(tiny, "al2", overwrite=True)
    assert not (config.models_dir() / "al2").is_symlink()
    after = {p.name: p.read_bytes() for p in outside.iterdir() if p.is_file()}
    assert after == before


def test_deleting_a_model_linked_to_another_leaves_no_trash_and_keeps_the_target(tiny):
    _save(tiny, "base")
    (config.models_dir() / "alias").symlink_to(config.models_dir() / "base")
    store.delete_model("alias")
    assert _store_entries() == ["base"]  # no .trash-alias-* link left behind
    assert store.load_model("base").name == "base"


def test_a_file_movierate_may_not_read_is_not_called_damaged(tiny, monkeypatch, capsys):
    """Bad-input round 13 (non-root, chmod 000 embeddings.npz): "embeddings.npz is damaged
    ([Errno 13] Permission denied: '/proc/self/fd/3/embeddings.npz')", and `show` advised
    deleting a model a chmod would have given back."""
    import zipfile

    _save(tiny, "locked")

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", f"/proc/self/fd/3/{Path(path).name}")

    monkeypatch.setattr(zipfile, "ZipFile", denied)
    problem = store.model_problem("locked")
    assert problem.startswith("movierate may not read embeddings.npz (permission denied)")
    assert "damaged" not in problem and "/proc/self/fd" not in problem
    (broken,) = store.list_models()[1]
    assert broken.reason == problem
    from movierate.cli import main

    assert main(["show", "locked"]) == 1
    err = capsys.readouterr().err
    assert "may not read embeddings.npz" in err and "Delete it" not in err


def test_links_to_nowhere_in_the_store_are_listed_and_deletable(tiny):
    """Bad-input round 15: a link loop or a dangling link in models/ was not listed, rename
    onto its name said it existed and advised delete, and delete said there was no model."""
    _save(tiny, "kept")
    root = config.models_dir()
    (root / "loop").symlink_to("loop")
    (root / "gone").symlink_to(root / "no-such-folder")
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["kept"]
    assert {(b.name, b.reason) for b in broken} == {
        ("gone", store.DEAD_LINK),
        ("loop", store.DEAD_LINK),
    }
    with pytest.raises(store.NameTakenError, match="held by a link that leads to no folder"):
        store.check_name_free("gone")  # recheck: trained, then "Not a directory"
    from movierate.cli import main

    assert main(["delete", "loop", "gone"]) == 0  # recheck: the CLI refused what list named
    assert _store_entries() == ["kept"]
    store.rename_model("kept", "loop")
    assert [i.name for i in store.list_models()[0]] == ["loop"]
    (root / "notes").write_text("mine")  # a file: said as such, never deleted, its name held
    assert not store.list_models()[1]
    with pytest.raises(StoreError, match="'notes' in .* is a file, not a model folder"):
        store.delete_model("notes")
    with pytest.raises(store.NameTakenError, match="held by a file, not a model folder"):
        store.check_name_free("notes", overwrite=True)
    with pytest.raises(store.NameTakenError, match="held by a file, not a model folder"):
        store.rename_model("loop", "notes")  # recheck C: "a model ... already exists"
    assert (root / "notes").read_text() == "mine"


def test_models_table_gives_the_rating_scale_when_models_differ_in_it(tiny):
    """Views round 9: Home set a 1-10 model's RMSE 1.81 beside 1-5 models' 0.9s under "lower is
    better", with no scale anywhere."""
    from dataclasses import replace

    from movierate.ui.text import models_table, scales_note

    five, ten = replace(_info(), scale=(1.0, 5.0)), replace(_info("f2"), scale=(1.0, 10.0))
    assert "rating scale" not in models_table([five, five]).columns
    assert scales_note([five, five]) == ""
    table = models_table([five, ten])
    assert list(table["rating scale"]) == ["1-5", "1-10"]
    assert list(table.columns).index("rating scale") == list(table.columns).index("test RMSE") - 1
    half = replace(_info("f3"), scale=(0.5, 5.0))
    assert scales_note([five, ten, half]).startswith(
        "These models were trained on different rating scales (0.5-5, 1-5, 1-10)"
    )
    imported = replace(_info("f4"), scale=None, imported=True)  # recheck C: no scale at all
    assert scales_note([five, imported]) == ""
    assert "rating scale" not in models_table([five, imported]).columns
    _save(tiny, "scaled")  # the listing reads it from meta.json
    (info,), _ = store.list_models()
    lo, hi = store.read_meta("scaled")["dataset"]["rating_scale"][:2]
    assert info.scale == (lo, hi)


def _as_owner(args: list[str]) -> list[str]:
    """``args`` run so that folder permissions apply (root drops its override with setpriv)."""
    if os.geteuid() != 0:
        return args
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions would not apply")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *args]


@pytest.mark.parametrize(
    "damage, blocked",
    [("models", 0o444), ("models", 0o000), ("home", 0o000)],
)
def test_an_unreadable_models_folder_is_named_and_no_model_called_a_dead_link(
    isolated_home, damage, blocked
):
    """Recheck B (s27): with the models folder (or the home) unreadable, `list` exited 0 and
    called every saved model "a link that leads to no folder ... delete it"."""
    models = config.models_dir()
    (models / "base1").mkdir(parents=True)
    folder = models if damage == "models" else isolated_home
    folder.chmod(blocked)
    try:
        for command in (["list"], ["show", "base1"], ["import", "x.npy", "--name", "bi"]):
            done = subprocess.run(
                _as_owner([sys.executable, "-m", "movierate", *command]),
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=120,
            )
            assert done.returncode == 1, (command, done.stdout, done.stderr)
            assert "cannot be read (permission denied)" in done.stderr, (command, done.stderr)
            assert f"chmod u+rwx {folder}" in done.stderr
            assert "link" not in done.stderr and "Traceback" not in done.stderr
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("then", ["deleted", "moved"])
def test_a_relative_home_is_resolved_once_so_a_save_after_the_folder_went_goes_where_checked(
    tiny, tmp_path, monkeypatch, then
):
    """Recheck B (s27): `cd a/X; MOVIERATE_HOME=../home_rel train ...` with a/X deleted mid-run
    trained 60 epochs and then saved nothing ("relative path and the current folder no longer
    exists"); with a/X moved, the model was saved but `show` looked for it elsewhere."""
    start = tmp_path / "a" / "X"
    start.mkdir(parents=True)
    monkeypatch.chdir(start)
    monkeypatch.setenv("MOVIERATE_HOME", "../home_rel")
    root = store.check_writable()  # at the start of a training
    assert root == start / ".." / "home_rel" / "models"
    if then == "deleted":
        start.rmdir()
    else:
        (tmp_path / "elsewhere").mkdir()
        start.rename(tmp_path / "elsewhere" / "X")
    assert _save(tiny, "mid") == root / "mid"
    assert store.load_model("mid").meta["name"] == "mid"
    assert not (tmp_path / "elsewhere" / "home_rel").exists()
