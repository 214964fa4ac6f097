"""Bad-input round 31: filesystem faults during the store's writes, injected by monkeypatching.

F1 a model cache that cannot be kept (its folder not creatable, a file in its place not
removable, a write or read that fails) never loses the view: it is computed, with a quiet
note; F2 a rename whose meta.json cannot record the new name is undone, or says so; F3 an
OSError of delete / rename / import says which model, which step, what is unchanged and what
to do; F4 long paths in messages are cut in the middle, keeping the file's name.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from test_explore_dimensions import _model, _rows
from test_imported_models import synthetic

from movierate import atomic, config, explore, store
from movierate.cli import main
from movierate.cli.output import clip_long_words, os_error_text
from movierate.errors import StoreError
from movierate.explore import ordering
from movierate.filenames import path_shown
from movierate.imported_models import save_imported


def _fault(code: int, path: object = None) -> OSError:
    return OSError(code, os.strerror(code), None if path is None else str(path))


def _imported(name: str = "imp", seed: int = 0) -> store.TrainedModel:
    x, movies = synthetic(seed=seed)
    save_imported(name, explore.ImportedEmbedding(x, movies, "npy"), "x.npy", overwrite=True)
    return store.load_model(name)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- F1: a cache is optional -----------------------------------------------------------------


def _no_cache_folder(monkeypatch, name: str = "imp") -> store.TrainedModel:
    """An imported model whose cache folder is gone and cannot be made (a read-only store)."""
    model = _imported(name)
    (model.path / store.CACHE_FOLDER).rmdir()
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.name == store.CACHE_FOLDER:
            raise _fault(errno.EROFS, self)
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    return model


def test_a_map_is_drawn_when_the_cache_folder_cannot_be_made(monkeypatch):
    model = _no_cache_folder(monkeypatch)
    assert explore.model_map_cached(model, method="pca") is False
    frame = explore.model_map(model, method="pca")
    assert len(frame) > 0 and not frame.attrs["from_cache"]
    assert frame.attrs["cache_note"].startswith("could not be cached: Read-only file system (")
    assert frame.attrs["cache_note"].endswith("; it will be computed again next time")


def test_a_map_is_drawn_when_a_file_is_in_the_caches_place(monkeypatch):
    """The map is drawn and says why it was not cached; the file is a user's and stays (since
    bad-input round 67, F5, it is never removed, so its removal cannot fail either)."""
    model = _imported()
    cache = model.path / store.CACHE_FOLDER
    cache.rmdir()
    cache.write_text("not a folder")
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(
        _fault(errno.EACCES, self)
    ))  # fmt: skip
    frame = explore.model_map(model, method="pca")
    assert len(frame) > 0 and not frame.attrs["from_cache"]
    assert frame.attrs["cache_note"].startswith("could not be cached: ")
    assert "is a file where model 'imp' keeps its cache" in frame.attrs["cache_note"]
    assert cache.read_text() == "not a folder"


def test_a_map_whose_cache_file_cannot_be_written_or_read_is_drawn(monkeypatch):
    model = _imported()
    real_open = atomic.open_atomic

    def full(path, **kwargs):
        raise _fault(errno.ENOSPC, path)

    monkeypatch.setattr(atomic, "open_atomic", full)
    frame = explore.model_map(model, method="pca")
    assert "No space left on device" in frame.attrs["cache_note"]
    monkeypatch.setattr(atomic, "open_atomic", real_open)
    assert explore.model_map(model, method="pca").attrs["cache_note"] is None  # now kept
    monkeypatch.setattr(store.npz, "read_arrays", lambda *a, **k: (_ for _ in ()).throw(
        _fault(errno.EIO)
    ))  # fmt: skip
    again = explore.model_map(model, method="pca")  # unreadable: a miss, computed again
    assert not again.attrs["from_cache"] and len(again) == len(frame)


def test_the_dimension_report_and_views_of_a_model_tolerate_a_cache_that_fails(
    tmp_path, monkeypatch
):
    rng = np.random.default_rng(5)
    model = _model(rng)
    users, movies, truth = _rows(model, rng)
    monkeypatch.setattr(
        ordering, "held_out_rows", lambda m, ds=None: (users, movies, truth, "early-stopping")
    )
    monkeypatch.setattr(model, "cache_path", lambda key: (_ for _ in ()).throw(_fault(errno.EIO)))
    assert ordering.model_dimension_report(model).verdict
    monkeypatch.setattr(model, "cache_path", lambda key: tmp_path / "gone" / key)
    assert ordering.model_dimension_report(model).verdict  # the write fails: still shown


# --- F2: a rename whose meta.json cannot be rewritten ------------------------------------------


def test_a_rename_whose_meta_cannot_be_rewritten_is_undone_and_said(monkeypatch, capsys):
    _imported("a")
    before = _files(store.model_path("a"))

    def denied(path, value, **kwargs):
        raise _fault(errno.EACCES, path)

    monkeypatch.setattr(atomic, "write_json", denied)
    assert main(["rename", "a", "b"]) == 1
    out, err = capsys.readouterr()
    assert "renamed" not in out
    assert "Could not rename 'a' to 'b' (its meta.json could not record the new name)" in err
    assert "renamed back, so nothing was changed: the model is still 'a'" in err
    assert "Check the folder's permissions" in err
    assert not store.model_exists("b") and _files(store.model_path("a")) == before


def test_a_rename_that_cannot_be_undone_says_exactly_what_happened(monkeypatch):
    _imported("a")
    real_rename = atomic.rename_folder
    calls = []

    def once(old, new):
        calls.append(new)
        if len(calls) > 1:
            raise _fault(errno.EIO, old)
        return real_rename(old, new)

    monkeypatch.setattr(atomic, "rename_folder", once)
    monkeypatch.setattr(atomic, "write_json", lambda p, v, **k: (_ for _ in ()).throw(
        _fault(errno.EROFS, p)
    ))  # fmt: skip
    with pytest.raises(StoreError) as caught:
        store.rename_model("a", "b")
    said = str(caught.value)
    assert said.startswith(
        "'a' was renamed to 'b', but its meta.json could not record the new name: Read-only"
    )
    assert "It is saved as 'b' and works under that name; its meta.json still says 'a'" in said
    assert store.load_model("b").name == "b"


def test_a_rename_the_disk_refuses_changes_nothing_and_says_so(monkeypatch):
    _imported("a")
    monkeypatch.setattr(atomic, "rename_folder", lambda old, new: (_ for _ in ()).throw(
        _fault(errno.EIO, old)
    ))  # fmt: skip
    with pytest.raises(StoreError) as caught:
        store.rename_model("a", "b")
    said = str(caught.value)
    assert said.startswith("Could not rename 'a' to 'b': Input/output error (")
    assert "Nothing was changed: the model is still 'a'. The disk reported an input/output" in said


# --- F3: delete, import and save under faults ------------------------------------------------


@pytest.mark.parametrize("code", [errno.EIO, errno.EACCES, errno.EROFS, errno.EPERM])
def test_a_delete_that_fails_says_the_model_is_kept_and_what_to_do(monkeypatch, capsys, code):
    _imported("m")
    before = _files(store.model_path("m"))
    real_rename = os.rename

    def refused(src, dst, *args, **kwargs):
        if Path(dst).name.startswith(store.TRASH_PREFIX):
            raise _fault(code, dst)
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", refused)
    assert main(["delete", "m"]) == 1
    out, err = capsys.readouterr()
    assert "deleted" not in out and ".trash-" not in err
    assert err.startswith(f"error: 'm' is not deleted: {os.strerror(code)}. Nothing was removed")
    assert atomic.write_failure(_fault(code), config.models_dir_setting())[1] in " ".join(
        err.split()
    )
    assert _files(store.model_path("m")) == before


def test_an_import_over_a_model_that_fails_says_the_old_copy_is_kept(monkeypatch):
    _imported("imp")
    before = _files(store.model_path("imp"))

    def broken(path, arrays):
        raise _fault(errno.EIO, path)

    monkeypatch.setattr(store, "_write_npz", broken)
    x, movies = synthetic(seed=1)
    with pytest.raises(StoreError) as caught:
        save_imported("imp", explore.ImportedEmbedding(x, movies, "npy"), "x.npy", overwrite=True)
    said = str(caught.value)
    assert said.startswith(
        f"Could not import 'imp' in {config.models_dir()}: Input/output error (writing "
        "embeddings.npz). Nothing was saved. The model already named 'imp' is unchanged. "
        "The disk reported an input/output error"
    )
    assert _files(store.model_path("imp")) == before


def test_a_save_that_failed_after_its_folder_went_in_place_does_not_say_nothing_was_saved():
    root = config.models_dir()
    root.mkdir(parents=True, exist_ok=True)
    with pytest.raises(StoreError) as caught, store._saving("m", root, False):
        (root / "m").mkdir()  # the new folder is in place when the error comes
        raise _fault(errno.EIO)
    assert "Nothing was saved" not in str(caught.value)
    assert "'m' may be saved all the same: check it (`movierate show m`)" in str(caught.value)


@pytest.mark.parametrize(
    "code",
    [errno.EIO, errno.EACCES, errno.EROFS, errno.EPERM, errno.ENAMETOOLONG, errno.ENOSPC,
     errno.EDQUOT],
)  # fmt: skip
def test_every_errno_of_a_store_write_gets_what_to_do(code):
    said, hint = atomic.write_failure(_fault(code), "MOVIERATE_HOME")
    assert said == os.strerror(code) and hint.endswith(".")


def test_an_errno_without_a_hint_names_the_folder_to_look_at():
    folder = config.models_dir() / "m"
    said = str(store.store_write_error(_fault(errno.ESTALE), "'m' is not deleted", "", folder))
    assert said.endswith(f"Look at {folder} (space, permissions, the drive) and try again.")


# --- F4: long paths keep their file name -------------------------------------------------------


def test_a_long_path_is_cut_in_the_middle_keeping_its_file_name():
    path = "/work/" + "deep/" * 40 + "models/.tmp-imp-2fb4b3f2/embeddings.npz"
    shown = path_shown(path)
    assert (
        len(shown) == 120 and shown.startswith("/work/deep/") and shown.endswith("…/embeddings.npz")
    )
    said = os_error_text(_fault(errno.ENOSPC, path))
    assert said.startswith(f"No space left on device: {shown} (the disk is full")
    line = clip_long_words(f"error: cannot write {path}: full")
    assert line.endswith("/embeddings.npz: full") and "…" in line


def test_the_map_page_draws_the_map_and_says_it_was_not_kept(monkeypatch):
    from apptest_helpers import charts, open_page, until_map_ready

    _no_cache_folder(monkeypatch, "imp-page")
    at = open_page("pages/embeddings.py", model="imp-page", view="Map", map_method="PCA")
    if not charts(at):  # a map waits for its button
        next(b for b in at.button if b.label == "Compute map").click().run()
        until_map_ready(at)
    assert charts(at)
    said = " ".join(c.value for c in at.caption)
    assert "This map could not be cached: Read-only file system (" in said
