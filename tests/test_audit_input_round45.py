"""Bad-input round 45: full disk, damaged files, permissions (a cache trusted on its name, a
damaged meta.json that `show` did not name, a NaN in a saved array blamed on training)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from movierate import atomic, config, store
from movierate.cli import main
from movierate.data import cache, load_dataset
from movierate.errors import StoreError
from movierate.explore import ordering
from movierate.explore.projection import model_map


def _copy(home: Path, name: str, seed: int | None = None) -> Path:
    """``small-mf`` copied to ``name``; with ``seed``, its movie vectors replaced by others."""
    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    shutil.rmtree(folder / "cache", ignore_errors=True)
    if seed is not None:
        with np.load(folder / "embeddings.npz") as saved:
            arrays = dict(saved)
        vectors = arrays["movie_embedding"]
        rng = np.random.default_rng(seed)
        arrays["movie_embedding"] = rng.standard_normal(vectors.shape).astype(vectors.dtype)
        np.savez(folder / "embeddings.npz", **arrays)
        meta = json.loads((folder / "meta.json").read_text())
        meta.pop("files", None)  # another model: its own record (bad-input round 52) differs
        (folder / "meta.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture
def home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """A home of its own holding a copy of the trained ``small-mf``, as ``a``, and ``b``: the
    same model with other movie vectors."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models", home / "models")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    _copy(home, "a")
    _copy(home, "b", seed=45)
    return home


def _cache_files(home: Path, name: str, pattern: str) -> list[Path]:
    return sorted((home / "models" / name / "cache").glob(pattern))


def test_a_map_cache_copied_in_under_this_models_name_is_recomputed(home):
    """F1: another model's map file renamed to this model's key was shown as this model's map
    (its coordinates and trust numbers), without a note."""
    own = model_map(store.load_model("a"), method="pca")
    other = model_map(store.load_model("b"), method="pca")
    [mine] = _cache_files(home, "a", "pca-*.npz")
    [theirs] = _cache_files(home, "b", "pca-*.npz")
    assert mine.name != theirs.name
    shutil.copyfile(theirs, mine)
    again = model_map(store.load_model("a"), method="pca")
    assert not again.attrs["from_cache"]
    assert np.allclose(again[["x", "y"]], own[["x", "y"]])
    assert not np.allclose(again[["x", "y"]], other[["x", "y"]])
    assert model_map(store.load_model("a"), method="pca").attrs["from_cache"]  # written anew


def test_an_optional_cache_file_under_another_name_is_a_miss(tmp_path):
    """F1, the class: every cache kept through OptionalCache records its own name."""
    written = atomic.OptionalCache(lambda key: tmp_path / key, "one.bin")
    written.write(lambda f, name: f.write(name.encode()))

    def read(path: Path) -> tuple[str, str]:
        text = path.read_text()
        return text, text

    assert written.read(read) == "one.bin"
    shutil.copyfile(tmp_path / "one.bin", tmp_path / "two.bin")
    assert atomic.OptionalCache(lambda key: tmp_path / key, "two.bin").read(read) is None
    # a file from before names were recorded is still read (a slow map is not thrown away)
    assert written.read(lambda path: (None, path.read_text())) == "one.bin"


def test_a_map_cached_before_names_were_recorded_is_still_read(home):
    own = model_map(store.load_model("a"), method="pca")
    [mine] = _cache_files(home, "a", "pca-*.npz")
    with np.load(mine) as saved:
        arrays = {k: saved[k] for k in saved.files if k != "key"}
    np.savez(mine, **arrays)  # the file an earlier version wrote
    again = model_map(store.load_model("a"), method="pca")
    assert again.attrs["from_cache"] and np.allclose(again[["x", "y"]], own[["x", "y"]])


def test_a_dimension_report_copied_in_under_this_models_name_is_measured_again(home):
    """F1, the class: the Dimensions report was trusted on its file name too."""
    own = ordering.model_dimension_report(store.load_model("a"))
    other = ordering.model_dimension_report(store.load_model("b"))
    [mine] = _cache_files(home, "a", "dimension-report-*.json")
    [theirs] = _cache_files(home, "b", "dimension-report-*.json")
    shutil.copyfile(theirs, mine)
    again = ordering.model_dimension_report(store.load_model("a"))
    assert again.dimensions.equals(own.dimensions)
    assert not again.dimensions.equals(other.dimensions)


def test_a_parsed_data_set_copy_under_another_key_is_parsed_again(tmp_path):
    """F1, the class: a data set's parquet copy is found by its folder's name (the key)."""
    load_dataset("ml-100k")
    [folder] = (config.cache_dir() / "datasets" / "ml-100k").iterdir()
    assert cache.load_cached("ml-100k", folder.name) is not None
    meta = json.loads((folder / "meta.json").read_text())
    del meta["key"]  # a copy saved before keys were recorded is still read
    (folder / "meta.json").write_text(json.dumps(meta))
    assert cache.load_cached("ml-100k", folder.name) is not None
    meta["key"] = folder.name
    (folder / "meta.json").write_text(json.dumps(meta))
    folder.rename(folder.with_name("0123456789abcdef"))
    assert cache.load_cached("ml-100k", "0123456789abcdef") is None


DAMAGES = {
    "created": lambda meta: meta.update(created=12345),
    "metrics": lambda meta: meta.pop("metrics"),
    "format": lambda meta: meta.update(format_version="1"),
    "dataset": lambda meta: meta.update(dataset=[]),
}


@pytest.mark.parametrize("command", ["show", "evaluate", "export"])
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_command_on_a_damaged_meta_json_names_the_model_and_says_what_to_do(
    home, capsys, command, damage
):
    """F2: `show` said only "error: meta.json lacks metrics" (no model, no advice)."""
    path = home / "models" / "a" / "meta.json"
    meta = json.loads(path.read_text())
    DAMAGES[damage](meta)
    path.write_text(json.dumps(meta))
    extra = ["--out", str(home / "out")] if command == "export" else []
    assert main([command, "a", *extra]) == 1
    said = capsys.readouterr().err
    assert "Model 'a'" in said
    assert "restore it from a copy, or retrain the model" in said
    if command == "show":
        assert str(home / "models" / "a") in said


def test_a_nan_in_a_saved_array_is_called_damage_not_divergence(home):
    """F3: a NaN in a saved embedding was blamed on training ("lower learning rate"), though
    movierate never saves a diverged run."""
    folder = home / "models" / "a"
    with np.load(folder / "embeddings.npz") as saved:
        arrays = dict(saved)
    arrays["movie_embedding"][3, 1] = np.inf
    np.savez(folder / "embeddings.npz", **arrays)
    with pytest.raises(StoreError) as raised:
        store.load_model("a")
    said = str(raised.value)
    assert "Model 'a'" in said and "holds 1 NaN or infinite value(s)" in said
    assert "damaged" in said and "Restore the model folder from a copy" in said
    assert "learning rate" not in said and "diverged while training" not in said


def test_an_array_with_nan_passed_in_is_not_blamed_on_training():
    """Recheck 5: vectors passed to an analysis still read "the model diverged while
    training ... lower learning rate", the wording F3 retired for saved models."""
    from movierate.errors import DataError
    from movierate.explore.validation import check_matrix

    vectors = np.ones((4, 3))
    vectors[2, 1] = np.nan
    with pytest.raises(DataError) as raised:
        check_matrix(vectors)
    said = str(raised.value)
    assert "in 1 row(s)" in said and "never saves" in said
    assert "learning rate" not in said and "diverged" not in said
