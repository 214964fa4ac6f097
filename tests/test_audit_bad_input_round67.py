"""Bad-input round 67: the home folder damaged or edited by hand (an imported dataset's file
replaced, a dataset name edited in meta.json, a home copied elsewhere, damaged weights, a file
where a model's cache goes, several bad values in meta.json): each is named for what it is,
with a next step that works."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from apptest_helpers import open_page
from test_delete_dataset import _csv

from movierate import atomic, config, store
from movierate.cli import main
from movierate.errors import DataError, StoreError
from movierate.explore.compare import same_dataset
from movierate.pipeline import data_notes, dataset_of
from movierate.ui import state

MOVIES = "movieId,title,genres\n" + "".join(
    f"{i},Film {i} ({1980 + i}),Drama\n" for i in range(1, 40)
)


def _imported_with_models(tmp_path: Path, capsys, *names: str) -> tuple[Path, Path]:
    """Dataset 'mine' and a model of each of ``names`` (default 'm') trained on it; the
    ratings file and the items file."""
    csv, items = _csv(tmp_path, 0), tmp_path / "movies.csv"
    items.write_text(MOVIES, encoding="utf-8")
    assert main(["datasets", str(csv), "--name", "mine", "--items", str(items)]) == 0
    for name in names or ("m",):
        assert main(["train", "mine", "--name", name, "--dim", "2", "--epochs", "1"]) == 0
    capsys.readouterr()
    return csv, items


def _edit_meta(name: str, edit) -> None:
    path = config.models_dir() / name / store.META_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    edit(meta)
    path.write_text(json.dumps(meta), encoding="utf-8")


# --- F1: a damaged import is damaged, not deleted, and the advised import works ------------


@pytest.mark.parametrize("damage", ["fifo", "garbage"])
def test_a_damaged_import_is_named_damaged_with_the_import_that_replaces_it(
    tmp_path, capsys, damage
):
    """F1: ratings.parquet replaced by a FIFO (or by bytes that are no parquet): the model
    said the dataset was "no longer here" and advised `datasets FILE --name mine`, which is
    refused while the folder exists; the advised command (with --overwrite) now works."""
    csv, items = _imported_with_models(tmp_path, capsys)
    folder = config.data_dir() / "custom" / "mine"
    (folder / "ratings.parquet").unlink()
    if damage == "fifo":
        os.mkfifo(folder / "ratings.parquet")
    else:
        (folder / "ratings.parquet").write_bytes(b"not a parquet file")
    shutil.rmtree(config.cache_dir() / "datasets" / "mine", ignore_errors=True)
    model = store.load_model("m")
    with pytest.raises(DataError) as caught:
        dataset_of(model)
    said = str(caught.value)
    assert "no longer here" not in said
    assert f"whose folder {folder} is still here but damaged" in said
    if damage == "fifo":
        assert "ratings.parquet is not a regular file" in said
    assert "python -m movierate datasets FILE --name mine --overwrite" in said
    assert "tick 'Replace an imported dataset of this name'" in said
    assert main(["evaluate", "m"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    # what it advises works, and gives the model its data back
    args = ["datasets", str(csv), "--name", "mine", "--items", str(items), "--overwrite"]
    assert main(args) == 0
    assert dataset_of(store.load_model("m")).fingerprint == model.dataset_fingerprint


# --- F2: one identity (the fingerprint), and a recorded name that names no dataset ----------


def test_models_of_one_fingerprint_are_one_datasets_whatever_name_they_record():
    """F2: `list` grouped two models by fingerprint while Recommend, by name, called their
    users "different people"."""

    def model(name: str, fingerprint: str):
        import pandas as pd

        movies = pd.DataFrame({"movie_id": [1], "title": ["A"], "year": [1990], "genres": [""]})
        meta = {"dataset": {"name": name, "fingerprint": fingerprint}}
        return type("M", (), {"name": "m", "meta": meta, "movies": movies})()

    assert same_dataset(model("ml-gone", "c5"), model("ml-latest-small", "c5"))
    assert not same_dataset(model("ml-latest-small", "c5"), model("ml-latest-small", "d6"))


def test_recommend_keeps_a_model_whose_meta_names_another_dataset(tmp_path, capsys):
    """F2 on Recommend: m's meta.json names 'gone' (its fingerprint and folder unchanged): m2
    was left out as "different people"; now both are shown, with a note that 'gone' names no
    dataset here. `evaluate` says it too."""
    _imported_with_models(tmp_path, capsys, "m", "m2")
    _edit_meta("m", lambda meta: meta["dataset"].update(name="gone"))
    notes = data_notes(store.load_model("m"), dataset_of(store.load_model("m")))
    assert len(notes) == 1 and "records the dataset name 'gone', which names no dataset" in notes[0]
    assert main(["evaluate", "m"]) == 0
    assert "names no dataset here" in capsys.readouterr().err
    at = open_page("pages/recommend.py", models=["m", "m2"])
    warnings = " ".join(w.value for w in at.warning)
    assert "different people" not in warnings, warnings
    assert any("'gone', which names no dataset here" in i.value for i in at.info)


# --- F3: a copied home reads its own copy, and says when it reads outside ------------------


def test_a_copied_home_reads_its_own_data_and_names_a_folder_outside(tmp_path, capsys, monkeypatch):
    """F3: a model records its data's absolute folder; in a copy of the home it read the old
    home's folder without a word (and went on after the copy's was deleted)."""
    _imported_with_models(tmp_path, capsys)
    old_folder = config.data_dir() / "custom" / "mine"
    copy = tmp_path / "copied-home"
    shutil.copytree(config.home_dir(), copy, symlinks=True)
    monkeypatch.setenv("MOVIERATE_HOME", str(copy))
    monkeypatch.setattr(config, "_RESOLVED", {})
    model = store.load_model("m")
    ds = dataset_of(model)
    assert Path(ds.source) == copy / "data" / "custom" / "mine"
    assert data_notes(model, ds) == []
    shutil.rmtree(copy / "data" / "custom" / "mine")
    ds = dataset_of(model)
    assert Path(ds.source) == old_folder
    [note] = data_notes(model, ds)
    assert f"were read from {old_folder}" in note and "outside this home" in note
    assert note in ds.notices()
    assert main(["evaluate", "m"]) == 0
    assert f"note: The ratings of model 'm' were read from {old_folder}" in capsys.readouterr().err


# --- F4: damaged weights say how to fix them; every unusable model of a link is named ------


def test_damaged_weights_say_the_next_step(tmp_path, capsys):
    """F4: "embeddings.npz is damaged (File is not a zip file)" gave no next step on the
    dashboard's pages (Home's list, the link notices)."""
    _imported_with_models(tmp_path, capsys)
    npz = config.models_dir() / "m" / store.EMBEDDINGS_FILE
    npz.write_bytes(npz.read_bytes()[:100])
    _, broken = store.list_models()
    [reason] = [b.reason for b in broken if b.name == "m"]
    assert "embeddings.npz is damaged" in reason
    assert reason.endswith(store.DAMAGED_FIX), reason
    assert store.with_next_step("meta.json lacks spec; restore it") == (
        "meta.json lacks spec; restore it"
    )


def test_a_link_naming_two_unusable_models_names_each(tmp_path, capsys):
    """F4: "Ignored ?models=a&models=b from the link: ..." gave the first one's reason only."""
    _imported_with_models(tmp_path, capsys)
    problem = state._MODELS.check("models", ["gone-a", "gone-b"], {})
    assert "'gone-a'" in problem and "'gone-b'" in problem, problem
    assert state._MODELS.check("models", ["m"], {}) is None


# --- F5: a file where a model's cache goes is left alone ------------------------------------


def test_a_file_where_the_cache_goes_is_left_alone(tmp_path, capsys):
    """F5: a file named 'cache' in the model folder was deleted and replaced by a folder."""
    _imported_with_models(tmp_path, capsys)
    cache = config.models_dir() / "m" / store.CACHE_FOLDER
    shutil.rmtree(cache)
    cache.write_text("my notes", encoding="utf-8")
    with pytest.raises(StoreError, match="movierate leaves it alone"):
        store.cache_path("m", "a-key")
    kept = atomic.OptionalCache(store.load_model("m").cache_path, "a-key")
    assert kept.path is None and "leaves it alone" in kept.note
    assert cache.read_text(encoding="utf-8") == "my notes"


# --- F6: every bad field of meta.json named at once; an empty meta.json said so ----------


def test_every_bad_value_in_meta_json_is_named_at_once(tmp_path, capsys):
    """F6: three bad values took three rounds of fixing, one named each time."""
    _imported_with_models(tmp_path, capsys)

    def damage(meta: dict) -> None:
        meta["spec"]["dim"] = "sixteen"
        meta["metrics"]["test_rmse"] = "0.86"
        meta["split"]["n_test"] = [1]

    _edit_meta("m", damage)
    with pytest.raises(StoreError) as caught:
        store.load_model("m")
    said = str(caught.value)
    for field in ("spec.dim", "metrics.test_rmse", "split.n_test"):
        assert field in said, said
    assert "for each, fix that value in" in said


def test_an_empty_meta_json_is_said_to_be_empty(tmp_path, capsys):
    """F6: a 0-byte meta.json read "is not valid JSON (Expecting value at line 1)"."""
    _imported_with_models(tmp_path, capsys)
    (config.models_dir() / "m" / store.META_FILE).write_bytes(b"")
    with pytest.raises(StoreError, match=r"meta.json is empty \(0 bytes\)"):
        store.load_model("m")
