"""Store hardening: inconsistent arrays named, rename, leftovers of killed writers (models,
data staging folders, dataset caches, per-process temp folders)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from movierate import atomic, config, store
from movierate.errors import NameTakenError, StoreError

REPO = Path(__file__).resolve().parents[1]


def _fake(name: str, family: str = "mf_bias", **extra: np.ndarray) -> Path:
    return store.save_model(name, *_fake_training(family, **extra))


def _fake_training(
    family: str = "mf_bias", metrics: dict | None = None, **extra: np.ndarray
) -> tuple:
    """A training's (result, ds, split, spec) as the pipeline passes them, with zero arrays."""
    from movierate.data import make_split, synthetic_dataset
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    split = make_split(ds, method="random", valid_fraction=0.1, seed=0)
    arrays = {
        "user_embedding": np.zeros((ds.n_users, 4), np.float32),
        "movie_embedding": np.zeros((ds.n_movies, 4), np.float32),
        "user_bias": np.zeros(ds.n_users, np.float32),
        "movie_bias": np.zeros(ds.n_movies, np.float32),
        **extra,
    }
    result = SimpleNamespace(
        arrays=arrays,
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics=metrics or {},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.5,
    )
    return result, ds, split, ModelSpec(family=family, dim=4)


def _edit_arrays(path: Path, **changes) -> None:
    with np.load(path / "embeddings.npz") as npz:
        arrays = dict(npz)
    arrays.update(changes)
    np.savez(path / "embeddings.npz", **arrays)


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def _dead_record(folder: Path) -> None:
    record = {**atomic.writer_record(), "pid": _dead_pid()}
    (folder / atomic.WRITER_FILE).write_text(json.dumps(record))


# --- 15: the inconsistent array is the one named -----------------------------------------------


@pytest.mark.parametrize(
    ("array", "n_rows", "named", "not_named"),
    [
        ("movie_embedding", 29, "movie_embedding has 29 rows", "movie_bias"),
        ("movie_bias", 29, "movie_bias has 29 rows", "movie_embedding"),
        ("user_embedding", 19, "user_embedding has 19 rows", "user_bias"),
        ("user_bias", 21, "user_bias has 21 rows", "user_embedding"),
    ],
)
def test_a_damaged_array_is_named_not_its_neighbour(array, n_rows, named, not_named):
    path = _fake("m")
    with np.load(path / "embeddings.npz") as npz:
        old = npz[array]
    _edit_arrays(path, **{array: old[:n_rows] if n_rows < len(old) else np.resize(old, n_rows)})
    with pytest.raises(StoreError) as info:
        store.load_model("m")
    assert named in str(info.value) and not_named not in str(info.value)
    assert "meta.json records" in str(info.value)


def test_a_wrong_count_in_meta_is_blamed_on_meta():
    path = _fake("m")
    meta = json.loads((path / "meta.json").read_text())
    meta["dataset"]["n_movies"] = 31
    (path / "meta.json").write_text(json.dumps(meta))
    _, broken = store.list_models()
    assert "movie_embedding, movie_bias, movies.parquet all have 30 rows" in broken[0].reason
    assert "n_movies = 31" in broken[0].reason


# --- rename ------------------------------------------------------------------------------------


def test_rename_moves_the_model_and_its_cache():
    path = _fake("a")
    atomic.write_text(store.cache_path("a", "tsne.csv"), "x,y\n")
    _fake("b")
    with pytest.raises(NameTakenError, match="rename or delete") as info:
        store.rename_model("a", "b")
    assert "python -m movierate delete b" in str(info.value) and "Home page" in str(info.value)
    assert store.rename_model("a", "c") == config.models_dir() / "c"
    assert not path.exists()
    assert store.load_model("c").meta["name"] == "c"
    assert store.cache_path("c", "tsne.csv").read_text() == "x,y\n"
    with pytest.raises(StoreError, match="No model named 'a'"):
        store.rename_model("a", "d")
    with pytest.raises(StoreError, match="Invalid model name"):
        store.rename_model("c", "../escape")
    assert sorted(p.name for p in config.models_dir().iterdir()) == ["b", "c"]


def test_rename_never_replaces_a_folder_made_meanwhile(monkeypatch):
    _fake("a")
    real = atomic.rename_folder

    def rival_first(old, new):
        new.mkdir()
        (new / "meta.json").write_text("{}")
        return real(old, new)

    monkeypatch.setattr(atomic, "rename_folder", rival_first)
    with pytest.raises(NameTakenError):
        store.rename_model("a", "z")
    assert (config.models_dir() / "z" / "meta.json").read_text() == "{}"
    assert store.load_model("a").name == "a"


def test_long_names_are_clipped_in_messages():
    with pytest.raises(StoreError) as info:
        store.load_model("a" * 1000)
    assert len(str(info.value)) < 300 and "1,000 characters" in str(info.value)


# --- 14: leftovers -----------------------------------------------------------------------------


def test_leftovers_of_dead_writers_are_removed_at_once_everywhere():
    _fake("m")
    home = config.home_dir()
    dead = [
        config.models_dir() / ".tmp-m-0000aaaa",
        config.data_dir() / ".extract-0000bbbb",
        config.data_dir() / "custom" / ".mine-0000cccc",
        config.cache_dir() / "datasets" / "ml-100k" / ".key-0000dddd",
        store.temp_root() / ".proc-1-0000eeee",
    ]
    for folder in dead:
        folder.mkdir(parents=True)
        (folder / "payload").write_bytes(b"z" * 1000)
        _dead_record(folder)
    temp_file = config.models_dir() / "m" / "cache" / f".tsne.csv.{_dead_pid()}.0000ffff.tmp"
    temp_file.write_bytes(b"t" * 10)
    unknown = config.data_dir() / ".extract-0000abab"  # no writer record, young: kept
    unknown.mkdir()
    with atomic.staging_folder(config.models_dir(), ".tmp-live-") as live:
        report = store.leftovers()
        assert {item.path for item in report.removed} == {*dead, temp_file}
        assert report.removed_bytes >= 5000
        assert {item.path for item in report.items} == {live, unknown}
        assert [item.path for item in report.in_progress] == [live]
        assert any("Removed 6 leftover" in line for line in report.lines())
    assert not any(p.exists() for p in dead) and not temp_file.exists()
    old = time_ago = 2 * store.STALE_TEMP_SECONDS
    os.utime(unknown, (os.path.getmtime(unknown) - time_ago,) * 2)
    assert unknown in {item.path for item in store.leftovers().removed}
    assert store.leftovers() == store.LeftoverReport()
    assert home.is_dir() and old


def test_a_run_removes_the_temp_folders_of_killed_runs_when_it_starts(monkeypatch):
    """Bad-input round 10: train, tune and evaluate killed at random left tmp/.proc-* folders
    that only `list` or the Home page removed (1 grew to 7 across normal runs)."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)  # restored after the test
    monkeypatch.setattr(atomic, "_process_temp", None)
    dead = store.temp_root() / ".proc-1-0000eeee"
    dead.mkdir(parents=True)
    _dead_record(dead)
    live = store.temp_root() / ".proc-2-0000ffff"  # no record yet, young: kept
    live.mkdir()
    own = store.use_process_temp_dir()
    assert not dead.exists() and live.exists() and own.is_dir()


def test_deletion_trash_is_removed_and_never_restored():
    path = _fake("m")
    trash = config.models_dir() / ".trash-m-0000aaaa"
    os.rename(path, trash)  # a delete killed after its rename
    store.list_models()
    assert not trash.exists() and not path.exists()


def test_the_process_temp_dir_holds_autograph_files_and_is_cleaned_after_a_kill():
    code = (
        "import tempfile, os\n"
        "from movierate import store\n"
        "folder = store.use_process_temp_dir()\n"
        "f = tempfile.NamedTemporaryFile(prefix='__autograph_generated_file', suffix='.py',"
        " delete=False)\n"
        "print(folder, f.name, flush=True)\n"
        "os._exit(9)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    folder, name = done.stdout.split()
    assert Path(name).parent == Path(folder) and Path(folder).parent == store.temp_root()
    assert Path(name).exists()  # killed: its atexit clean-up never ran
    report = store.leftovers()
    assert Path(folder) in {item.path for item in report.removed}
    assert not Path(folder).exists()


def test_the_process_temp_dir_is_removed_at_a_normal_exit():
    code = "from movierate import store\nprint(store.use_process_temp_dir())\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert not Path(done.stdout.strip()).exists()
    assert tempfile.gettempdir()  # this process's own temp dir untouched


def _edit_meta(path: Path, edit) -> None:
    meta = json.loads((path / "meta.json").read_text())
    edit(meta)
    (path / "meta.json").write_text(json.dumps(meta))


def _rewrite_movies(path: Path, edit) -> None:
    import pandas as pd

    movies = pd.read_parquet(path / "movies.parquet")
    edit(movies)
    movies.to_parquet(path / "movies.parquet")


_DAMAGE = {
    "scale text": (
        lambda p: _edit_meta(p, lambda m: m["dataset"].update(rating_scale="abc")),
        "rating_scale should be",
    ),
    "scale reversed": (
        lambda p: _edit_meta(p, lambda m: m["dataset"].update(rating_scale=[5, 1, 0.5])),
        "rating_scale should be",
    ),
    "history text": (
        lambda p: _edit_meta(p, lambda m: m.update(history={"loss": ["x"]})),
        "history.loss should be a list of numbers",
    ),
    "metric text": (
        lambda p: _edit_meta(p, lambda m: m["metrics"].update(best_epoch="x")),
        "metrics.best_epoch should be a number",
    ),
    "split list": (lambda p: _edit_meta(p, lambda m: m.update(split=[1])), "'split' should be"),
    "n_users text": (
        lambda p: _edit_meta(p, lambda m: m["dataset"].update(n_users="20")),
        "dataset.n_users should be a whole number",
    ),
    "dim text": (
        lambda p: _edit_meta(p, lambda m: m["spec"].update(dim="4")),
        "dim = '4' is invalid: expected a whole number",
    ),
    "regularizers list": (
        lambda p: _edit_meta(p, lambda m: m["spec"].update(regularizers=["l2"])),
        "regularizers = \\['l2'\\] is invalid",
    ),
    "spec list": (
        lambda p: _edit_meta(p, lambda m: m.update(spec=[1, 2])),
        "should be a JSON object of the model.s settings",
    ),
    # bad-input round 9: a sigmoid model without its output field loaded as clip, silently
    "spec empty": (  # recheck 3: {} passed the check and loaded every default
        lambda p: _edit_meta(p, lambda m: m.update(spec={})),
        "its model spec lacks family, dim",
    ),
    "spec without output": (
        lambda p: _edit_meta(p, lambda m: m["spec"].pop("output")),
        "its model spec lacks output, which every saved model records",
    ),
    "text embedding": (
        lambda p: _edit_arrays(p, movie_embedding=np.zeros((30, 4)).astype("U8")),
        "'movie_embedding' holds <U8 values, not real numbers",
    ),
    "structured bias": (
        lambda p: _edit_arrays(p, movie_bias=np.zeros(30, dtype=[("x", "f4")])),
        "'movie_bias' holds .* not real numbers",
    ),
    "text global mean": (
        lambda p: _edit_arrays(p, global_mean=np.array("x")),
        "'global_mean' holds <U1 values",
    ),
    "no title": (
        lambda p: _rewrite_movies(p, lambda m: m.pop("title")),
        "lacks the column\\(s\\) title",
    ),
    "text n_ratings": (
        lambda p: _rewrite_movies(p, lambda m: m.__setitem__("n_ratings", "many")),
        "column 'n_ratings' holds .*string, expected numbers",
    ),
}


#: Damage found only when the arrays are read (a listing reads meta.json and array headers).
_DIVERGED = {
    "NaN global mean": (
        lambda p: _edit_arrays(p, global_mean=np.array(np.nan, np.float32)),
        "'global_mean' holds 1 NaN or infinite value.*the file is damaged",
    ),
    "NaN embedding": (
        lambda p: _edit_arrays(p, movie_embedding=np.full((30, 4), np.nan, np.float32)),
        "'movie_embedding' holds 120 NaN or infinite value.*the file is damaged",
    ),
    "movie_idx from 1": (
        lambda p: _rewrite_movies(p, lambda m: m.__setitem__("movie_idx", m["movie_idx"] + 1)),
        "movie_idx column is not 0..29, one per row",
    ),
    # bad-input round 13b: reversed rows without their movie_idx were accepted as they stood
    "no movie_idx": (
        lambda p: _rewrite_movies(p, lambda m: m.pop("movie_idx")),
        "has no movie_idx column, so its rows cannot be matched",
    ),
    "negative n_ratings": (
        lambda p: _rewrite_movies(p, lambda m: m.__setitem__("n_ratings", m["n_ratings"] - 10**6)),
        "column 'n_ratings' holds negative rating counts",
    ),
    "repeated movie_id": (
        lambda p: _rewrite_movies(p, lambda m: m.__setitem__("movie_id", m["movie_id"].clip(0, 5))),
        "movie_id 5 is on more than one row",
    ),
}


def test_a_movies_table_saved_back_in_another_order_is_read_in_embedding_order():
    """Rows sorted or reversed by hand, each keeping its movie_idx: row i is embedding row i
    again, so no view puts another title on a vector."""
    import pandas as pd

    path = _fake("sorted")
    before = store.load_model("sorted").movies
    movies = pd.read_parquet(path / "movies.parquet").iloc[::-1]
    movies.to_parquet(path / "movies.parquet")
    meta = json.loads((path / "meta.json").read_text())
    meta.pop("files", None)  # saved before bad-input round 52 (its record refuses any edit)
    (path / "meta.json").write_text(json.dumps(meta))
    after = store.load_model("sorted").movies
    assert after["movie_idx"].tolist() == list(range(30))
    assert after["title"].tolist() == before["title"].tolist()


@pytest.mark.parametrize("damage", sorted(_DIVERGED))
def test_a_model_with_nan_arrays_cannot_be_loaded(damage):
    edit, reason = _DIVERGED[damage]
    edit(_fake("bad"))
    with pytest.raises(StoreError, match="'bad' cannot be loaded: .*" + reason):
        store.load_model("bad")


@pytest.mark.parametrize("damage", sorted(_DAMAGE))
def test_a_damaged_model_is_listed_as_broken_with_its_reason(damage):
    edit, reason = _DAMAGE[damage]
    _fake("good")
    edit(_fake("bad"))
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["good"]
    assert [b.name for b in broken] == ["bad"]
    assert re.search(reason, broken[0].reason), broken[0].reason
    with pytest.raises(StoreError, match="'bad' cannot be loaded: .*" + reason):
        store.load_model("bad")
    assert store.load_model("good").predict([0], [0]).shape == (1,)


def test_arrays_with_nan_or_text_are_never_saved():
    with pytest.raises(StoreError, match="NaN or infinite values: training diverged"):
        _fake("nan", movie_embedding=np.full((30, 4), np.nan, np.float32))
    with pytest.raises(StoreError, match="'movie_bias' holds <U1 values"):
        _fake("text", movie_bias=np.full(30, "x"))
    assert store.list_models() == ([], [])


@pytest.mark.parametrize("file", ["meta.json", "embeddings.npz", "movies.parquet", "model.keras"])
def test_a_pipe_under_a_model_files_name_is_named_and_hangs_nothing(file):
    """Bad-input round 5: a FIFO named meta.json blocked `list` and every page forever (the
    listing opened it for reading, which waits for a writer). Run in a child process with a
    timeout, so that a hang fails this test instead of the whole run."""
    path = _fake("piped")
    _fake("fine")
    (path / file).unlink()
    os.mkfifo(path / file)
    code = (
        "from movierate import store\n"
        "infos, broken = store.list_models()\n"
        "print([i.name for i in infos]); print([b.reason for b in broken])\n"
        "try:\n    store.load_model('piped')\nexcept Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[0] == "['fine']", done.stdout + done.stderr
    assert f"{file} in the model folder 'piped' is not a regular file" in lines[1]
    assert lines[2].startswith("StoreError") and "not a regular file" in lines[2]


def test_a_missing_model_lists_only_folders_as_saved_models(capsys):
    """Bad-input round 10: 'No model named ...' listed a FIFO, a plain file and the like as
    'saved models', and a clipped long name lost the comma after it."""
    _fake("m")
    (config.models_dir() / "plainfile").write_text("x")
    (config.models_dir() / ("L" * 250)).mkdir()
    with pytest.raises(store.StoreError) as info:
        store.load_model("nope")
    message = str(info.value)
    assert "plainfile" not in message and "'m'" in message
    assert "(250 characters), 'm'" in message, message


def test_a_model_named_like_a_windows_device_is_named_in_list(capsys):
    """Bad-input round 10: a hand-copied 'nul.v2' was listed and used as a healthy model
    (renaming to such a name is refused), with no word about Windows."""
    from movierate.cli import main

    _fake("m")
    _fake("nul-copy").rename(config.models_dir() / "nul.v2")  # copied in by hand
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "Windows cannot use as a folder ('nul.v2': 'nul' is a device name" in out
    assert "rename nul.v2 NEW_NAME" in out
    assert store.unportable_names_notice(["m"]) == ""
