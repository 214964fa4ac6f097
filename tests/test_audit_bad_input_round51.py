"""Bad-input round 51: paths and permissions.

F1: a model folder this user may not open (``chmod 000``) was called "meta.json is a link to
'?'" with the advice to delete the model. F2: a training whose models folder stopped being
writable before the save was thrown away with the pre-training message. F3: ``delete`` said
"deleted" over an immutable file left in its trash, which ``list`` promised to remove by
itself. F4: wording (a read error told to find a writable folder, chmod advice for another
user's files, Home's warning sending the user to Home).
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_store import REPO, _as_owner
from test_store_hardening import _fake, _fake_training

from movierate import atomic, config, store
from movierate.errors import StoreError

OTHER_USER = 12345


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI run so that folder permissions apply to it (root without its override)."""
    return subprocess.run(
        _as_owner([sys.executable, "-m", "movierate", *args]),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


# --- F1 / F4: a folder that may not be read is a permission problem, never a link ------------


@pytest.mark.parametrize("owner", ["self", "other"])
def test_an_unopenable_model_folder_is_named_as_such_with_the_fix(owner):
    folder = _fake("b0")
    _fake("a1")
    if owner == "other":
        os.chown(folder, OTHER_USER, OTHER_USER)
    folder.chmod(0o000)
    try:
        listed, shown = _cli("list"), _cli("show", "b0")
    finally:
        folder.chmod(0o755)
    assert listed.returncode == 0, listed.stderr
    assert shown.returncode == 1, shown.stdout
    for said in (listed.stdout, shown.stderr):
        assert "movierate may not open the folder" in said and "(permission denied)" in said
        assert f"chmod -R u+rwX {shlex.quote(str(folder))}" in said
        assert "link" not in said and "delete" not in said.split("b0", 1)[1].split("\n")[0]
        assert ("sudo chown -R" in said) == (owner == "other")
    assert "a1" in listed.stdout


def test_an_unreadable_meta_json_is_no_call_for_a_writable_folder():
    folder = _fake("b1")
    os.chown(folder, OTHER_USER, OTHER_USER)
    (folder / store.META_FILE).chmod(0o000)
    done = _cli("show", "b1")
    assert done.returncode == 1
    assert "movierate may not read meta.json (permission denied)" in done.stderr
    assert "writable folder" not in done.stderr and "Traceback" not in done.stderr
    assert "sudo chown -R" in done.stderr


def test_a_loop_of_links_is_still_called_a_link():
    folder = _fake("loop")
    (folder / store.META_FILE).unlink()
    (folder / store.META_FILE).symlink_to(store.META_FILE)
    (broken,) = store.list_models()[1]
    assert broken.reason.startswith("meta.json is a link to")


# --- F2: a finished training the store refuses is said and kept ---------------------------------


def _finished(epochs: int = 250) -> tuple:
    """A finished training's (result, ds, split, spec), as the pipeline passes them."""
    return _fake_training(metrics={"epochs_run": epochs, "test_rmse": 0.98461})


def _refused(path, *args, **kwargs):
    raise PermissionError(errno.EPERM, "Operation not permitted", str(path))


@pytest.mark.parametrize("when", ["check", "write"])
def test_a_training_the_models_folder_refuses_at_save_time_is_said_and_kept(monkeypatch, when):
    store.check_writable()  # writable when the training starts
    real, root = store._write_movies, config.models_dir()

    def refused_in_store(path, movies):
        if root in Path(path).parents:
            _refused(path)
        real(path, movies)

    with monkeypatch.context() as patch, pytest.raises(StoreError) as caught:
        if when == "check":  # chattr +i on the models folder during the training
            patch.setattr(store, "_probe_write", _refused)
        else:  # refused while its files are written
            patch.setattr(store, "_write_movies", refused_in_store)
        store.save_model("late", *_finished())
    said = str(caught.value)
    assert said.startswith(
        "The training finished (250 epochs, test RMSE 0.9846) but could not be saved: "
    )
    assert "Operation not permitted" in said
    kept = Path(os.environ["TMPDIR"])
    (rescue,) = kept.glob("movierate-rescued-*/late")
    assert f"The model is kept in {rescue} instead" in said
    command = f"cp -r {shlex.quote(str(rescue))} {shlex.quote(str(config.models_dir()) + os.sep)}"
    assert command in said
    assert not (config.models_dir() / "late").exists()
    subprocess.run(shlex.split(command), check=True)  # the command it gives brings it back
    assert store.load_model("late").metrics["epochs_run"] == 250
    assert [info.name for info in store.list_models()[0]] == ["late"]


def test_a_training_nowhere_to_keep_says_nothing_was_kept(monkeypatch):
    monkeypatch.setattr(store, "_probe_write", _refused)
    monkeypatch.setattr(store, "_rescue_parents", lambda: [Path(os.environ["TMPDIR"])])
    monkeypatch.setattr(store, "_write_npz", _refused)
    with pytest.raises(StoreError) as caught:
        store.save_model("late", *_finished(3))
    said = str(caught.value)
    assert said.startswith("The training finished (3 epochs, test RMSE 0.9846) but could not ")
    assert said.endswith("so nothing was kept: fix the folder and train again.")
    assert list(Path(os.environ["TMPDIR"]).iterdir()) == []  # no half model left there


def test_the_rescue_is_never_the_runs_own_temporary_folder(monkeypatch):
    own = store.use_process_temp_dir()
    monkeypatch.setenv("TMPDIR", str(own))
    assert all(not p.resolve().is_relative_to(own) for p in store._rescue_parents())


# --- F3: a deletion that leaves files says so, and list promises no removal ---------------------


def _immutable(monkeypatch, name: str) -> None:
    """Files named ``name`` refuse removal whatever the permission bits (``chattr +i``)."""
    real = os.unlink

    def unlink(path, *args, **kwargs):
        if os.fsdecode(path).endswith(name) or kwargs.get("dir_fd") and path == name:
            raise PermissionError(errno.EPERM, "Operation not permitted", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)


def test_a_delete_that_leaves_a_file_says_what_stays_and_list_promises_nothing(monkeypatch):
    _fake("a1")
    with monkeypatch.context() as patch, pytest.raises(StoreError) as caught:
        _immutable(patch, store.KERAS_FILE)
        store.delete_model("a1")
    said = str(caught.value)
    (trash,) = config.models_dir().glob(".trash-a1-*")
    assert said.startswith(
        f"'a1' is deleted from the list of models, but 'model.keras' in {trash} could not be "
        "removed (Operation not permitted); it stays there."
    )
    assert f"rm -rf {trash}" in said and "chattr -R -i" in said
    with monkeypatch.context() as patch:
        _immutable(patch, store.KERAS_FILE)
        assert store.list_models() == ([], [])
        lines = store.leftovers().lines()
    assert len(lines) == 1 and "removed automatically" not in lines[0]
    assert lines[0].startswith("1 deleted folder(s) that could not be removed (")
    assert str(trash) in lines[0]
    assert store.leftovers().lines()[0].startswith("Removed 1 leftover(s)")  # once removable


def test_a_whole_delete_still_says_nothing(monkeypatch):
    _fake("a1")
    store.delete_model("a1")
    assert list(config.models_dir().iterdir()) == []


def test_a_dataset_delete_that_leaves_files_says_so(monkeypatch, tmp_path):
    from movierate.data import removal
    from movierate.errors import DataError

    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "ratings.csv").write_text("x")
    monkeypatch.setattr(removal, "stored_folder", lambda name: folder)
    monkeypatch.setattr(removal, "sweep_trash", lambda: None)
    _immutable(monkeypatch, "ratings.csv")
    with pytest.raises(DataError, match=r"^Dataset 'ds' is deleted, but 'ratings.csv' in "):
        removal.delete_stored_dataset("ds")


def test_remove_folder_now_returns_what_stays(monkeypatch, tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "keep").write_text("x")
    with monkeypatch.context() as patch:
        _immutable(patch, "keep")
        trash, exc = atomic.remove_folder_now(folder)
    assert trash.parent == tmp_path and (trash / "keep").exists()
    assert exc.errno == errno.EPERM
    shutil.rmtree(trash)


# --- F4: Home's warning on Home, a linked model said as a link ----------------------------------


def test_homes_warning_points_at_its_own_rename_box():
    from test_app_home import run_home, texts

    (config.models_dir() / "b0").mkdir(parents=True)
    said = texts(run_home())
    assert "1 model folder(s) cannot be used: **b0**. Rename or delete them under " in said
    assert "Home lists them" not in said


def test_a_model_folder_linked_to_another_is_said_to_be_a_link(tmp_path):
    _fake("a2")
    (config.models_dir() / "alias").symlink_to("a2")
    elsewhere = _fake("x").rename(tmp_path / "x")
    (config.models_dir() / "ext").symlink_to(elsewhere)
    infos, _ = store.list_models()
    said = store.links_notice(infos)
    parts, end = said.split(". Renaming")
    assert sorted(parts.split("; ")) == [
        "'alias' is a link to 'a2', the same model listed twice",
        f"'ext' is a link to {elsewhere}",
    ]
    assert end == " or deleting a link changes only the link, never the folder it leads to."
    assert store.links_notice([i for i in infos if i.name == "a2"]) is None
    listed = _cli("list")
    assert "'alias' is a link to 'a2', the same model listed twice" in listed.stdout
