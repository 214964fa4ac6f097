"""Bad-input round 52: a store edited by hand (another model's arrays swapped into a folder, an
edited movies table, a spec field of the wrong type, a folder hidden by a '.', values that
validate but cannot be true)."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from movierate import store
from movierate.cli import main
from movierate.errors import StoreError
from movierate.pipeline import evaluate_model

SWAPPED = "is not the file this model saved (its numbers were measured on another)"


@pytest.fixture
def home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """A home of its own holding the trained ``small-mf`` and a copy of it, ``a``."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    shutil.copytree(home / "models" / "small-mf", home / "models" / "a")
    return home


def _folder(home: Path, name: str = "a") -> Path:
    return home / "models" / name


def _edit_meta(home: Path, edit: Callable[[dict], None], name: str = "a") -> None:
    path = _folder(home, name) / "meta.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta, indent=2))


def _other_vectors(home: Path, name: str = "a") -> None:
    """``name``'s movie vectors replaced by others of the same shape: a file of the same size."""
    path = _folder(home, name) / "embeddings.npz"
    with np.load(path) as saved:
        arrays = dict(saved)
    size = path.stat().st_size
    vectors = arrays["movie_embedding"]
    arrays["movie_embedding"] = np.random.default_rng(52).standard_normal(vectors.shape)
    arrays["movie_embedding"] = arrays["movie_embedding"].astype(vectors.dtype)
    np.savez(path, **arrays)
    assert path.stat().st_size == size


def _reason(name: str) -> str | None:
    _infos, broken = store.list_models()
    return next((b.reason for b in broken if b.name == name), None)


def test_a_save_records_each_files_size_and_digest(home):
    """F1: meta.json records what it was saved with."""
    files = json.loads((_folder(home) / "meta.json").read_text())["files"]
    assert set(files) == {"embeddings.npz", "movies.parquet", "model.keras"}
    for name, saved in files.items():
        assert saved["size"] == (_folder(home) / name).stat().st_size
        assert len(saved["blake2b"]) == 32


def test_another_models_arrays_of_the_same_size_are_refused_on_load(home, capsys):
    """F1: the swapped file was shown everywhere under the folder's recorded numbers."""
    _other_vectors(home)
    with pytest.raises(StoreError, match=re.escape(f"embeddings.npz {SWAPPED}")):
        store.load_model("a")
    assert main(["show", "a"]) == 1
    said = capsys.readouterr().err
    assert f"embeddings.npz {SWAPPED}; restore it or delete the model" in said
    assert said.lower().count("delete") == 2  # the advice once, then its command (recheck 7)
    assert "a" in {info.name for info in store.list_models()[0]}  # list stats, hashes nothing
    store.load_model("small-mf")  # the others are untouched


def test_a_file_of_another_size_is_listed_as_broken(home):
    """F1: ``list`` compares sizes (a stat): a file from another model of another size."""
    with open(_folder(home) / "embeddings.npz", "ab") as file:
        file.write(b"\0")
    assert f"embeddings.npz {SWAPPED}" in _reason("a")


def test_another_keras_file_is_refused_where_keras_reads_it(home):
    """F1: model.keras is read only for Keras; the numpy model still works without it."""
    model = store.load_model("a")
    keras_file = _folder(home) / "model.keras"
    keras_file.write_bytes(keras_file.read_bytes()[::-1])
    with pytest.raises(StoreError, match=re.escape(f"model.keras {SWAPPED}")):
        model.keras_model()
    assert store.load_model("a").name == "a"


def test_an_edited_movies_table_is_refused(home):
    """F2: two rows' ids and titles swapped labelled other movies' vectors, silently."""
    path = _folder(home) / "movies.parquet"
    movies = pd.read_parquet(path)
    for column in ("movie_id", "title"):
        movies.loc[[0, 1], column] = movies.loc[[1, 0], column].to_numpy()
    movies.to_parquet(path, index=False)
    with pytest.raises(StoreError, match=re.escape(f"movies.parquet {SWAPPED}")):
        store.load_model("a")


def test_a_model_saved_before_the_record_loads_as_before(home):
    """F1: no record (an older movierate's save) is accepted unchecked."""
    _edit_meta(home, lambda meta: meta.pop("files", None))
    _other_vectors(home)
    assert store.load_model("a").name == "a"


def test_the_digest_is_computed_once_per_file_version(home, monkeypatch):
    """F1: a second load of an unchanged model hashes nothing; a rewritten file is hashed."""
    store.load_model("a")
    calls = []
    blake2b = store.hashlib.blake2b
    monkeypatch.setattr(store.hashlib, "blake2b", lambda **kw: calls.append(kw) or blake2b(**kw))
    store.load_model("a")
    assert calls == []
    time.sleep(0.01)
    _other_vectors(home)
    with pytest.raises(StoreError, match="embeddings.npz"):
        store.load_model("a")
    assert calls


def test_evaluate_reads_recomputed_arrays_against_recomputed_references(home, capsys):
    """F1: ``evaluate`` printed the recorded gap to the averages (another array's) beside a
    warning with the recomputed RMSE: two verdicts that contradicted each other."""
    _edit_meta(home, lambda meta: meta.pop("files", None))  # saved before the record: not refused
    _other_vectors(home)
    test_rmse = evaluate_model(store.load_model("a"))["test_rmse"]
    assert main(["evaluate", "a"]) == 0
    said = capsys.readouterr().out
    averages = float(re.search(r"give RMSE (\d+\.\d+), MAE", said).group(1))
    gap = float(re.search(r"minus the averages': ([+-]\d+\.\d+)", said).group(1))
    assert gap == pytest.approx(test_rmse - averages, abs=2e-4)


SPEC_TYPES = [
    ("regularizers", ["l2", 0.1], "expected a mapping of regularizer kinds"),
    ("dim", "8", "expected a whole number"),
    ("hidden_units", {"a": 1}, "expected a list of whole numbers"),
    ("family", 3, "choose one of"),
    ("dropout", "0.1", "expected a finite number"),
    ("user_bias", "yes", "use true or false"),
]


@pytest.mark.parametrize(("field", "value", "said"), SPEC_TYPES)
def test_a_spec_field_of_the_wrong_type_is_refused_when_meta_is_read(
    home, capsys, field, value, said
):
    """F3: ``show`` crashed on a list of regularizers (AttributeError in kept_dims_note): the
    spec's types were checked after meta.json was read, so every field's is checked there."""
    _edit_meta(home, lambda meta: meta["spec"].update({field: value}))
    with pytest.raises(StoreError, match=re.escape(f"spec.{field} = {value!r} is invalid")):
        store.read_meta("a")
    assert main(["show", "a"]) == 1
    err = capsys.readouterr().err
    assert said in err and "unexpected" not in err
    assert f"fix that value in {_folder(home) / 'meta.json'}" in err
    assert "movierate delete" not in err


def test_a_spec_value_out_of_range_says_which_field_to_fix(home, capsys):
    """F5: a one-value typo was told "Delete it ... and train or import it again"."""
    _edit_meta(home, lambda meta: meta["spec"].update(dropout=1.5))
    assert main(["show", "a"]) == 1
    err = capsys.readouterr().err
    assert "dropout = 1.5 is invalid" in err and "fix that value in" in err
    assert "movierate delete" not in err


def test_a_folder_hidden_by_a_dot_is_listed_and_can_be_renamed(home, capsys):
    """F4: ``mv a .a`` vanished from every listing, and ``rename .a a`` was refused."""
    _folder(home).rename(_folder(home, ".a"))
    (home / "models" / f"{store.TEMP_PREFIX}x").mkdir()  # the store's own stay unlisted
    (home / "models" / f"{store.TEMP_PREFIX}x" / "meta.json").write_text("{}")
    assert "holds a model, hidden by the '.'" in _reason(".a")
    assert _reason(f"{store.TEMP_PREFIX}x") is None
    assert main(["rename", ".a", "back"]) == 0
    assert store.load_model("back").name == "back"


MEANT_EDITS = {
    "ragged history": (
        lambda meta: meta["history"].update(loss=[0.5], stop_rmse=[0.9, 0.8, 0.7, 0.6, 0.4]),
        "the history lists should hold one value per epoch",
    ),
}


@pytest.mark.parametrize("edit", MEANT_EDITS)
def test_values_that_cannot_be_true_are_refused(home, edit):
    """F5: a date to come was the pages' newest model; ragged history lists were shown as a
    run of more epochs than the model trained."""
    change, said = MEANT_EDITS[edit]
    _edit_meta(home, change)
    reason = _reason("a")
    assert said in reason and "fix that value in" in reason


def test_a_key_written_twice_in_meta_json_is_refused(home):
    """F5: ``"dim": 8, "dim": 16`` was read as the last without a word."""
    path = _folder(home) / "meta.json"
    text = path.read_text()
    path.write_text(text.replace('"learning_rate":', '"learning_rate": 0.5, "learning_rate":', 1))
    assert "has the key 'learning_rate' twice in one object" in _reason("a")


@pytest.mark.parametrize(
    ("tuning", "said"),
    [
        ({"blend": {"members": 5}}, "tuning.blend.members should be a list of JSON objects"),
        ({"blend": {"members": [{"columns": 3}]}}, "columns should be [start, stop], got 3"),
        ([1], "'tuning' should be a JSON object"),
    ],
)
def test_a_tuning_summary_of_the_wrong_shape_is_refused_when_meta_is_read(
    home, capsys, tuning, said
):
    """F3, the class: ``show`` crashed (TypeError) on a blend's members that were no list."""
    _edit_meta(home, lambda meta: meta.update(tuning=tuning))
    assert main(["show", "a"]) == 1
    err = capsys.readouterr().err
    assert said in err and "unexpected" not in err
