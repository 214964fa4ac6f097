"""Bad-input review round 21 (models shared between machines and versions): an
``embeddings.npz`` entry is read only when the model needs it and never beyond what meta.json's
counts allow; links in a model folder are not written through and are named as links; temp
files restored from another machine or left by a reused pid do not stay "in progress"; a
model from a newer movierate says so."""

from __future__ import annotations

import io
import json
import os
import socket
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import atomic, config, store
from movierate.errors import StoreError
from movierate.spec import ModelSpec

NEWER = "another (newer?) movierate: upgrade movierate to use it, or retrain the model"


@pytest.fixture(scope="module")
def ds():
    from movierate.data import synthetic_dataset

    return synthetic_dataset(n_ratings=2000, n_users=40, n_movies=60, seed=0)


def _save(ds, name: str = "m") -> Path:
    """A mf_bias model of ``ds`` with small vectors, saved without TensorFlow."""
    from movierate.data import make_split

    rng = np.random.default_rng(0)
    result = SimpleNamespace(
        arrays={
            "user_embedding": rng.normal(0, 0.1, (ds.n_users, 4)).astype(np.float32),
            "movie_embedding": rng.normal(0, 0.1, (ds.n_movies, 4)).astype(np.float32),
            "user_bias": np.zeros(ds.n_users, np.float32),
            "movie_bias": np.zeros(ds.n_movies, np.float32),
        },
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics={"test_rmse": 0.9, "test_mae": 0.7, "best_epoch": 2, "epochs_run": 3},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.0,
    )
    split = make_split(ds, method="random", seed=0)
    return store.save_model(name, result, ds, split, ModelSpec(family="mf_bias", dim=4))


def _add_entry(folder: Path, name: str, header: dict, data: bytes) -> None:
    """Append an ``.npy`` entry with this header and these data bytes to the model's npz."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, header)
    buf.write(data)
    with zipfile.ZipFile(folder / "embeddings.npz", "a") as archive:
        archive.writestr(f"{name}.npy", buf.getvalue())


def _rewrite_npz(folder: Path, **extra: np.ndarray) -> None:
    with np.load(folder / "embeddings.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    np.savez_compressed(folder / "embeddings.npz", **arrays, **extra)
    _edit_meta(folder, lambda meta: meta.pop("files", None))  # saved before bad-input round 52


def _edit_meta(folder: Path, edit) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    edit(meta)
    (folder / "meta.json").write_text(json.dumps(meta))


def _broken(name: str = "m") -> str:
    infos, broken = store.list_models()
    assert name not in [i.name for i in infos]
    return next(b.reason for b in broken if b.name == name)


# --- F2 + F4: entries bounded by meta.json's shape, unknown ones never read ----------------------


def test_an_entry_declaring_more_than_the_model_holds_is_refused_from_its_header(ds):
    folder = _save(ds)
    _add_entry(
        folder,
        "zz_huge",
        {"descr": "<f4", "fortran_order": False, "shape": (4 * 10**12,)},
        b"\0" * 16,
    )
    reason = _broken()
    assert "embeddings.npz: 'zz_huge' declares 4,000,000,000,000 values" in reason
    assert "40 users, 60 movies, dim 4" in reason
    for advice in ("memory", "ulimit", "TensorFlow", "MemoryError"):
        assert advice not in reason
    with pytest.raises(StoreError, match="'zz_huge' declares 4,000,000,000,000 values"):
        store.load_model("m")


def test_a_deflate_bomb_in_an_extra_array_is_refused_before_it_is_inflated(ds, monkeypatch):
    folder = _save(ds)
    _rewrite_npz(folder, zz_extra=np.zeros(2_000_000, np.float32))  # 8 MB in a few KB
    assert (folder / "embeddings.npz").stat().st_size < 100_000
    inflated = []
    real_open = zipfile.ZipFile.open

    def open_entry(self, name, *args, **kwargs):
        f = real_open(self, name, *args, **kwargs)
        real_read = f.read
        f.read = lambda n=-1: inflated.append(n) or real_read(n)
        return f

    monkeypatch.setattr(zipfile.ZipFile, "open", open_entry)
    assert "'zz_extra' declares 2,000,000 values" in _broken()
    assert all(0 <= n < 10_000 for n in inflated), inflated  # headers only, no data


def test_a_known_array_holding_less_than_its_header_declares_is_named(ds):
    folder = _save(ds)
    with zipfile.ZipFile(folder / "embeddings.npz") as archive:
        entries = {i.filename: archive.read(i) for i in archive.infolist()}
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (ds.n_movies,)}
    )
    entries["movie_bias.npy"] = buf.getvalue() + b"\0" * 8
    with zipfile.ZipFile(folder / "embeddings.npz", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    reason = _broken()
    assert "'movie_bias' declares 60 values" in reason and "holds" in reason
    assert "damaged" in reason


def test_an_unknown_entry_within_bounds_is_not_read(ds):
    folder = _save(ds)
    _rewrite_npz(
        folder, zz_newer=np.ones(3, np.float32), dense_0_kernel=np.ones((8, 2), np.float32)
    )
    model = store.load_model("m")
    assert set(model.arrays) == {
        "user_embedding", "movie_embedding", "user_bias", "movie_bias", "global_mean"
    }  # fmt: skip
    assert model.predict([0], [0]).shape == (1,)


def test_a_cached_map_declaring_more_than_its_rows_is_a_miss(tmp_path):
    from movierate.explore import projection

    path = tmp_path / "map.npz"
    rows = np.arange(10)
    np.savez(path, rows=rows, coordinates=np.zeros((10, 2), np.float32))
    assert projection._read_cached(path, rows) is not None
    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)}
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rows.npy", _npy(rows))
        archive.writestr("coordinates.npy", buf.getvalue() + b"\0" * 16)
    assert projection._read_cached(path, rows) is None  # not MemoryError


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


# --- F3 + F7: links in a model folder -----------------------------------------------------------


def test_a_cache_link_to_a_folder_elsewhere_is_replaced_never_written_through(ds, tmp_path):
    folder = _save(ds)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("keep")
    dead = f".report.json.{_dead_pid()}.0badf00d.tmp"
    (outside / dead).write_text("not ours")
    os.utime(outside / dead, (0, 0))
    (folder / "cache").rmdir()
    (folder / "cache").symlink_to(outside)
    store.remove_leftovers(max_age_seconds=0)
    store.leftovers()
    assert sorted(p.name for p in outside.iterdir()) == sorted([dead, "victim.txt"])
    path = store.cache_path("m", "report.json")
    atomic.write_text(path, "{}")
    assert not (folder / "cache").is_symlink() and (folder / "cache" / "report.json").is_file()
    assert sorted(p.name for p in outside.iterdir()) == sorted([dead, "victim.txt"])


@pytest.mark.parametrize("file_name", ["meta.json", "embeddings.npz", "movies.parquet"])
def test_a_model_file_linking_out_of_its_folder_is_named_as_a_link(ds, tmp_path, file_name):
    folder = _save(ds)
    target = tmp_path / "elsewhere"
    target.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / file_name).unlink()
    (folder / file_name).symlink_to(target)
    reason = _broken()
    assert f"{file_name} is a link to" in reason and "outside the model folder" in reason
    assert "not valid JSON" not in reason and "restore it from a copy" not in reason
    with pytest.raises(StoreError, match="is a link to"):
        store.load_model("m")


def test_a_link_to_another_file_of_the_same_folder_still_loads(ds):
    folder = _save(ds)
    (folder / "meta.json").rename(folder / "meta-copy.json")
    (folder / "meta.json").symlink_to("meta-copy.json")
    assert store.load_model("m").dim == 4


# --- F5: temp files restored from another machine, or of a reused pid ---------------------------


def _dead_pid() -> int:
    pid = 999_999
    while Path(f"/proc/{pid}").exists():
        pid -= 1
    return pid


def _day_old(path: Path, size: int = 500) -> Path:
    path.write_bytes(b"x" * size)
    then = time.time() - 86_400
    os.utime(path, (then, then))
    return path


def test_a_day_old_temp_file_of_a_live_pid_is_a_leftover_not_a_write_in_progress(ds):
    folder = _save(ds)
    live = os.getppid()  # alive here, as pid 1 and a restored backup's pids are
    temps = [
        _day_old(config.models_dir() / f".plain2.{live}.deadbeef.tmp"),
        _day_old(folder / "cache" / ".tsne-abc.npz.1.0badf00d.tmp"),
        _day_old(folder / f".meta.json.{live}.0000aaaa.tmp"),  # beside meta.json (not scanned)
    ]
    report = store.leftovers()
    assert not report.in_progress
    assert sorted(item.path for item in report.removed) == sorted(temps)
    assert not any(p.exists() for p in temps)


def test_a_fresh_temp_file_of_a_live_pid_is_still_in_progress(ds):
    _save(ds)
    temp = config.models_dir() / f".plain2.{os.getppid()}.deadbeef.tmp"
    temp.write_bytes(b"x")
    assert [item.path for item in store.leftovers().in_progress] == [temp]


def test_a_temp_file_names_its_host_and_start_time(tmp_path, monkeypatch):
    name = atomic.temp_sibling(tmp_path / "meta.json").name
    pid, tag = name.split(".")[-3:-1]
    assert int(pid) == os.getpid() and len(tag.split("-")) == 3
    mine = tmp_path / name
    mine.write_bytes(b"x")
    os.utime(mine, (0, 0))
    assert atomic._temp_file_state(mine, 1e9) == "alive"  # this very process: still writing
    random, start, host = tag.split("-")
    other_start = tmp_path / f".meta.json.{pid}.{random}-{int(start) + 1}-{host}.tmp"
    assert atomic._temp_file_state(other_start) == "dead"  # a pid reused after a crash
    monkeypatch.setattr(socket, "gethostname", lambda: "another-machine")
    assert atomic._temp_file_state(mine) == "unknown"  # restored from another machine
    long = atomic.temp_sibling(tmp_path / ("x" * 230))
    assert len(os.fsencode(long.name)) <= 255 and long.name.endswith(".tmp")


# --- F6: a model from a newer movierate -----------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda m: m["spec"].update(family="lightgcn"), "family 'lightgcn'"),
        (lambda m: m["spec"]["regularizers"].update(orthogonal=0.5), "regularizer 'orthogonal'"),
        (lambda m: m["spec"].update(optimizer="lion"), "optimizer 'lion'"),
        (lambda m: m["metrics"].update(calibration="good"), "metrics.calibration"),
    ],
)
def test_a_name_or_metric_of_a_newer_movierate_says_so(ds, edit, named):
    folder = _save(ds)
    _edit_meta(folder, edit)
    reason = _broken()
    assert named in reason and NEWER in reason
    assert "choose one of" not in reason and "choose from" not in reason
    assert "restore it from a copy" not in reason


def test_a_known_metric_that_is_no_number_is_still_damage(ds):
    folder = _save(ds)
    _edit_meta(folder, lambda m: m["metrics"].update(test_rmse="0.9"))
    reason = _broken()
    assert "metrics.test_rmse should be a number" in reason and "restore it from a copy" in reason


def test_a_dead_writers_temp_file_for_a_name_starting_old_is_swept(tmp_path):
    """The sweep leaves ``.old-*`` folders to recover_folders (the last complete copy of a
    replaced folder), but a temp file of a target named ``old-...`` is an ordinary leftover."""
    temp = _day_old(tmp_path / f".old-notes.txt.{_dead_pid()}.0badf00d.tmp")
    aside = tmp_path / ".old-model-0badf00d"
    aside.mkdir()
    removed = atomic.sweep_leftovers(tmp_path, [(atomic.OLD_PREFIX, "replaced folder")], max_age=0)
    assert [item.path for item in removed] == [temp]
    assert not temp.exists()
