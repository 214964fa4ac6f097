"""Bad-input review round 19: the dashboard's model list and dataset caches notice files
changed in place, training under ``ulimit -v`` ends, a split record without its digest is
refused, meta.json counts are checked against their totals, and a spec field from another
version says so."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from apptest_helpers import open_page
from streamlit.testing.v1 import AppTest

from movierate import cli, pipeline, store
from movierate.errors import DataError, StoreError

REPO = Path(__file__).resolve().parents[1]
RATINGS = "userId,movieId,rating,timestamp\n"
MOVIES = "movieId,title,genres\n"


def _data_folder(root: Path) -> Path:
    """A small MovieLens-layout dataset ``mini`` under ``root`` (30 users, 40 movies)."""
    folder = root / "mini"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = {
        (int(u), int(m))
        for u, m in zip(rng.integers(1, 31, 900), rng.integers(1, 41, 900), strict=True)
    }
    lines = [
        f"{u},{m},{1 + (u * m) % 5}.0,{964982703 + i}" for i, (u, m) in enumerate(sorted(rows))
    ]
    (folder / "ratings.csv").write_text(RATINGS + "\n".join(lines) + "\n")
    titles = [f'{m},"Film {m} ({1980 + m})",Comedy|Drama' for m in range(1, 41)]
    (folder / "movies.csv").write_text(MOVIES + "\n".join(titles) + "\n")
    return folder


def _save(name: str, ds, metrics: dict | None = None) -> Path:
    """A model of ``ds`` with zero vectors, saved without TensorFlow."""
    from movierate.data import make_split
    from movierate.spec import ModelSpec

    split = make_split(ds, method="random", seed=0)
    result = SimpleNamespace(
        arrays={
            "user_embedding": np.zeros((ds.n_users, 4), np.float32),
            "movie_embedding": np.zeros((ds.n_movies, 4), np.float32),
            "user_bias": np.zeros(ds.n_users, np.float32),
            "movie_bias": np.zeros(ds.n_movies, np.float32),
        },
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics={
            "test_rmse": 0.9,
            "test_mae": 0.7,
            "best_epoch": 2,
            "epochs_run": 3,
            **(metrics or {}),
        },
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.0,
    )
    return store.save_model(name, result, ds, split, ModelSpec(family="mf_bias", dim=4))


@pytest.fixture
def mini(tmp_path, monkeypatch):
    """The dataset ``mini`` on disk (MOVIERATE_DATA_DIR) and model ``m`` trained on it, its
    recorded source folder dropped, so the dashboard finds the data by name."""
    from movierate.data import load_dataset_by_name

    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(tmp_path / "data"))
    folder = _data_folder(tmp_path / "data")
    path = _save("m", load_dataset_by_name("mini"))
    _edit_meta(path, lambda m: m["dataset"].pop("source"))
    return SimpleNamespace(folder=folder, model=path)


def _edit_meta(path: Path, edit) -> None:
    """Rewrite ``path``'s meta.json IN PLACE (same file, as ``cp backup/meta.json ...`` does)."""
    meta = json.loads((path / "meta.json").read_text())
    edit(meta)
    with open(path / "meta.json", "r+") as f:
        f.write(json.dumps(meta))
        f.truncate()


def _page(page: str, **query: str) -> AppTest:
    """The page opened with ``query`` as its link, whatever it shows (errors included)."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _home_rmse(at, name: str) -> list:
    for frame in at.dataframe:
        table = frame.value
        if "model" in table.columns and "test RMSE" in table.columns:
            return list(table.loc[table["model"] == name, "test RMSE"])
    return []


# --- 1. Home's model list sees a meta.json rewritten or damaged in place ----------------------


def test_home_sees_a_meta_json_rewritten_or_damaged_in_place(mini):
    models = mini.model.parent
    at = open_page("pages/home.py")
    assert _home_rmse(at, "m") == [0.9]
    before = models.stat().st_mtime_ns
    _edit_meta(mini.model, lambda m: m["metrics"].update(test_rmse=0.7123))
    assert models.stat().st_mtime_ns == before  # the folder's mtime alone cannot see it
    at = open_page("pages/home.py")
    assert _home_rmse(at, "m") == [0.7123]
    os.truncate(mini.model / "meta.json", 100)
    at = open_page("pages/home.py")
    assert _home_rmse(at, "m") == []
    said = " ".join(str(e.value) for e in list(at.warning) + list(at.markdown))
    assert "**m**" in said and "meta.json is not valid JSON" in said


def test_every_caller_of_list_models_sees_an_array_file_replaced_in_place(mini):
    from movierate.ui import state

    assert [i.name for i in state.list_models()[0]] == ["m"]
    with open(mini.model / "embeddings.npz", "r+b") as f:  # damaged in place
        f.truncate(50)
    infos, broken = state.list_models()
    assert not infos and [b.name for b in broken] == ["m"]


# --- 2. the dashboard's dataset follows the data on disk ---------------------------------------


def test_recommend_sees_data_edited_and_restored_while_the_server_runs(mini):
    ratings = mini.folder / "ratings.csv"
    original = ratings.read_bytes()
    open_page("pages/recommend.py", model="m", user="1")  # loaded and kept in memory
    first = original.index(b"\n") + 1
    line_end = original.index(b"\n", first)
    line = original[first:line_end]
    edited = line[:-12] + (b"5" if line[-12:-11] != b"5" else b"4") + line[-11:]
    ratings.write_bytes(original[:first] + edited + original[line_end:])
    at = _page("pages/recommend.py", model="m", user="1")
    assert any("changed since model 'm' was trained" in e.value for e in at.error)
    ratings.write_bytes(original)  # restored byte for byte: a new file identity, same data
    open_page("pages/recommend.py", model="m", user="1")  # works again: no error box


# --- 3. training under ulimit -v ends -------------------------------------------------------------


#: Prints which of scipy.special and tensorflow the training path starts importing first.
_FIRST_IMPORT = """
import sys
order = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("scipy.special", "tensorflow") and name not in order:
            order.append(name)
sys.meta_path.insert(0, Watch())
import movierate.nn.training
print(order[0])
"""


def test_scipy_loads_before_tensorflow_in_the_training_path():
    """scipy's OpenBLAS gets its buffers before TensorFlow takes the address space."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_IMPORT], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.stdout.strip() == "scipy.special", done.stderr[-2000:]


def _address_space(kib: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))


@pytest.mark.parametrize("kib", [3_000_000, 3_300_000, 3_500_000])
def test_train_under_an_address_space_limit_ends_with_a_clear_message(movielens_dir, kib):
    """With the ratings parsed before, ``ulimit -v 3000000`` hung in scipy's OpenBLAS set-up,
    3300000 aborted in TensorFlow and 3500000 failed the save on "can't start new thread",
    said as a bug; now each is refused at once, saying how to raise the limit."""
    from movierate.data import load_dataset_by_name
    from movierate.nn import TENSORFLOW_ADDRESS_SPACE

    load_dataset_by_name("ml-latest-small")  # its parsed copy, as after any earlier use
    argv = [sys.executable, "-m", "movierate", "train", "ml-latest-small", "--name", "v"]
    argv += ["--dim", "4", "--epochs", "1", "--quiet"]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            preexec_fn=_address_space(kib),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"train under an address-space limit of {kib} KiB still ran after 120 s")
    assert done.returncode == 1, (done.stdout + done.stderr)[-2000:]
    assert f"error: not enough memory: this process may map at most {kib / 1024**2:.1f} GB" in (
        done.stderr
    )
    assert f"`ulimit -v unlimited`, or at least {TENSORFLOW_ADDRESS_SPACE // 1024})" in done.stderr
    assert not store.list_models()[0]


def test_a_thread_that_cannot_start_is_said_as_memory_not_as_a_bug():
    from movierate.cli.output import memory_text

    assert memory_text(RuntimeError("can't start new thread")).startswith("not enough memory")


# --- 4. a split record without its digest ------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.pop("digest"),
        lambda s: (s.pop("digest"), s.update(seed=43)),
        lambda s: s.update(digest=""),
    ],
)
def test_a_split_without_its_digest_is_refused_by_the_store(mini, edit):
    _edit_meta(mini.model, lambda m: edit(m["split"]))
    _, broken = store.list_models()
    assert "split.digest is missing" in broken[0].reason
    assert "test rows cannot be verified" in broken[0].reason
    with pytest.raises(StoreError, match="restore it from a copy, or retrain"):
        store.load_model("m")


def test_a_split_without_its_digest_is_refused_when_rebuilt(mini):
    from movierate.data import load_dataset_by_name

    ds = load_dataset_by_name("mini")
    described = dict(store.read_meta("m")["split"])
    del described["digest"]
    with pytest.raises(DataError, match="has no digest .* cannot be verified; restore"):
        pipeline.recorded_split(ds, described)
    described["digest"] = 12345
    with pytest.raises(DataError, match="digest differs"):
        pipeline.recorded_split(ds, described)


def test_evaluate_blames_arrays_or_meta_json_for_another_test_rmse(mini, capsys):
    _edit_meta(mini.model, lambda m: m["metrics"].update(test_rmse=0.5, test_mae=0.4))
    assert cli.main(["evaluate", "m"]) == 0
    err = capsys.readouterr().err
    assert "is not the 0.5000 recorded" in err
    assert "its arrays, or the numbers in its meta.json, were replaced or edited" in err


# --- 5. counts checked against their totals ------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "said"),
    [
        ("split", "n_test", 10**30, "split.n_test is 1000000000000000000000000000000, more than"),
        ("split", "n_test", "10", "split.n_test should be a whole number >= 0, got '10'"),
        ("split", "n_train", -5, "split.n_train should be a whole number >= 0, got -5"),
        ("split", "n_train", "all", "add up to more than the dataset's"),
        ("metrics", "test_unseen_rows", 10**9, "metrics.test_unseen_rows is 1000000000, more "),
        ("metrics", "test_unseen_rows", 3.7, "metrics.test_unseen_rows should be a whole number"),
        ("metrics", "best_epoch", 99, "metrics.best_epoch is 99, more than the epochs run"),
        ("metrics", "best_epoch", -1, "metrics.best_epoch should be a whole number >= 0"),
        ("metrics", "best_epoch", 2.5, "metrics.best_epoch should be a whole number >= 0"),
        ("metrics", "settled_epoch", 1e300, "metrics.settled_epoch should be a whole number"),
        ("metrics", "settled_epoch", 4, "metrics.settled_epoch is 4, more than the epochs run"),
        ("metrics", "kept_dims", 9, "metrics.kept_dims is 9, more than the embedding's dim"),
    ],
)
def test_counts_in_meta_json_are_checked_against_their_totals(mini, section, key, value, said):
    def edit(meta: dict) -> None:
        meta[section][key] = meta["dataset"]["n_ratings"] if value == "all" else value

    _edit_meta(mini.model, edit)
    _, broken = store.list_models()
    assert said in broken[0].reason
    assert broken[0].reason.endswith(
        "the file is damaged (restore it from a copy, or retrain the model)"
    )


def test_sound_counts_and_a_never_settled_model_still_load(mini):
    _edit_meta(mini.model, lambda m: m["metrics"].update(settled_epoch=None, test_unseen_rows=0))
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["m"] and not broken


# --- 6. a spec field from another version ------------------------------------------------------------


def test_an_unknown_spec_field_says_it_may_come_from_a_newer_movierate(mini):
    _edit_meta(mini.model, lambda m: m["spec"].update(future_field=1))
    _, broken = store.list_models()
    reason = broken[0].reason
    assert "future_field" in reason and "another (newer?) movierate" in reason
    assert "upgrade movierate to use it, or retrain the model" in reason
