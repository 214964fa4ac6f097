"""Bad-input round 57 (fuzz57: what piles up).

F1: ``rm -rf $MOVIERATE_HOME/tmp`` during a training threw the finished training away at the
save (Keras writes temp files to the run's temp folder there), the rescue failed the same way,
and the message blamed /var/tmp and /tmp. F2: a model's ``cache/`` kept one map file per
settings combination for good. F3: ml-100k's official splits were cached uncompressed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_explore_helpers import movies_table, planted_clusters
from test_imported_models import Uploaded, write_projector
from test_store_hardening import _fake_training

from movierate import atomic, config, store
from movierate.errors import StoreError
from movierate.explore import projection, projection_map


@pytest.fixture
def run_temp(monkeypatch) -> Path:
    """This process's temp folder under ``$MOVIERATE_HOME/tmp``, as a training has it; the
    test's end gives :mod:`tempfile` its folder back."""
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    monkeypatch.setattr(atomic, "_process_temp", atomic._process_temp)
    monkeypatch.setattr(atomic, "_process_temp_pid", atomic._process_temp_pid)
    return store.use_process_temp_dir()


def _like_keras(used: list[Path], before=lambda: None):
    """A ``save_keras`` that writes through :mod:`tempfile` first, as Keras' save does (after
    ``before``); each temp folder it used is added to ``used``."""

    def save_keras(path: Path) -> None:
        before()
        with tempfile.TemporaryDirectory() as folder:
            used.append(Path(folder))
            (Path(folder) / "weights.h5").write_bytes(b"w")
            Path(path).write_bytes(b"PK")

    return save_keras


def _remove_temp_root() -> None:
    shutil.rmtree(store.temp_root())


def _clustered():
    x, labels = planted_clusters(20, 6, spread=0.3, seed=0)
    return x, movies_table(len(x), n_ratings=[50] * len(x))


# --- F1: the run's temp folder removed during a long operation ---------------------------------


@pytest.mark.parametrize("when", ["before", "save:staged", "save:embeddings", "save:movies"])
def test_a_save_survives_the_temp_folder_removed_before_or_between_its_files(
    run_temp, monkeypatch, when
):
    result, *rest = _fake_training(metrics={"epochs_run": 3, "test_rmse": 0.98461})
    used: list[Path] = []
    result.save_keras = _like_keras(used)
    if when == "before":
        _remove_temp_root()
    else:
        monkeypatch.setattr(
            atomic, "CHECKPOINT_HOOK", lambda label: _remove_temp_root() if label == when else None
        )
    folder = store.save_model("kept", result, *rest)
    assert (folder / store.KERAS_FILE).read_bytes() == b"PK"
    assert store.load_model("kept").metrics["epochs_run"] == 3
    assert used[0].parent == run_temp  # made again, with the record that keeps it from a sweep
    assert (run_temp / atomic.WRITER_FILE).is_file()


def test_a_temp_folder_removed_during_the_save_keeps_the_model_and_names_that_folder(
    run_temp, monkeypatch
):
    result, *rest = _fake_training(metrics={"epochs_run": 3, "test_rmse": 0.98461})
    used: list[Path] = []
    removed = []

    def remove_once() -> None:
        if not removed:
            removed.append(_remove_temp_root())

    result.save_keras = _like_keras(used, remove_once)
    with pytest.raises(StoreError) as caught:
        store.save_model("late", result, *rest)
    said = str(caught.value)
    tmp = store.temp_root()
    assert f"the folder {tmp} was removed while movierate wrote in it" in said
    assert f"Leave {tmp} in place while movierate runs, then try again." in said
    assert "Look at" not in said and "/var/tmp" not in said
    rescued = Path(said.split("The model is kept in ", 1)[1].split(" instead.")[0])
    assert (rescued / store.KERAS_FILE).read_bytes() == b"PK"
    # the rescue's temp files went beside the rescued model, not to the run's temp folder
    assert used[-1].parent == rescued.parent
    assert rescued.parent.parent == Path(os.environ["TMPDIR"])


def test_a_failed_write_names_the_outermost_missing_folder(tmp_path):
    gone = tmp_path / "home" / "tmp"
    exc = FileNotFoundError(2, "No such file or directory", str(gone / ".proc-1-ab" / "tmpx"))
    (tmp_path / "home").mkdir()
    said, hint = atomic.write_failure(exc)
    assert said == f"the folder {gone} was removed while movierate wrote in it"
    assert hint == f"Leave {gone} in place while movierate runs, then try again."
    here = FileNotFoundError(2, "No such file or directory", str(tmp_path / "missing.txt"))
    assert atomic.write_failure(here) == ("No such file or directory", "")


def test_an_import_survives_the_temp_folder_removed_before_it(run_temp, tmp_path):
    from movierate.ui.import_embeddings import import_uploaded

    vectors, metadata, _ = write_projector(tmp_path)
    _remove_temp_root()
    folder = import_uploaded(Uploaded(vectors), Uploaded(metadata), "imp")
    assert store.load_model("imp").path == folder
    assert run_temp.is_dir()


def test_a_map_is_cached_with_the_temp_folder_removed_before_its_cache_write(run_temp, tmp_path):
    x, movies = _clustered()
    _remove_temp_root()
    frame = projection_map(x, movies, method="pca", min_ratings=1, cache=lambda k: tmp_path / k)
    assert frame.attrs["cache_note"] is None
    again = projection_map(x, movies, method="pca", min_ratings=1, cache=lambda k: tmp_path / k)
    assert again.attrs["from_cache"] is True


# --- F2: a model's map cache keeps the most recently used maps only ----------------------------


def test_the_map_cache_keeps_the_most_recently_used_maps_and_other_files(monkeypatch, tmp_path):
    monkeypatch.setattr(projection, "MAP_CACHE_FILES", 3, raising=False)
    x, movies = _clustered()
    other = tmp_path / "dimension-report-v1-abc.json"
    other.write_text("{}")

    def draw(seed: int):
        return projection_map(
            x, movies, method="pca", min_ratings=1, seed=seed, cache=lambda k: tmp_path / k
        )

    names = {}
    for seed in range(3):
        draw(seed)
        names[seed] = {f.name for f in tmp_path.glob("pca-*")} - set().union(*names.values())
    for path in tmp_path.glob("pca-*"):  # distinct use times, oldest first
        seed = next(s for s, n in names.items() if path.name in n)
        os.utime(path, (1_000_000 + seed, 1_000_000 + seed))
    assert draw(0).attrs["from_cache"] is True  # seed 0 used again: now the most recent
    draw(3)
    kept = {f.name for f in tmp_path.glob("pca-*")}
    assert len(kept) == 3 and not kept & names[1]  # the least recently used went
    assert names[0] <= kept and names[2] <= kept and other.is_file()
    assert draw(0).attrs["from_cache"] is True


# --- F3: the official splits are cached compressed -------------------------------------------


def test_the_official_splits_are_cached_compressed_and_read_back_the_same():
    from movierate.data import load_dataset

    first = load_dataset("ml-100k")
    (cached,) = (config.home_dir() / "cache" / "datasets" / "ml-100k").glob("*/splits.npz")
    with zipfile.ZipFile(cached) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    again = load_dataset("ml-100k")
    assert set(again.official_splits) == set(first.official_splits)
    for name, split in first.official_splits.items():
        np.testing.assert_array_equal(again.official_splits[name].train, split.train)
        np.testing.assert_array_equal(again.official_splits[name].test, split.test)
