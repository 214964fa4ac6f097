"""Deleting a dataset movierate stored (movierate.data.removal): core, CLI and the Home panel.

Datasets lived forever once imported or downloaded; neither Home nor the CLI could delete one
(left alone in the s27 closing note)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from movierate import config, store
from movierate.cli import main
from movierate.data import from_csv, load_dataset, make_split, synthetic_dataset
from movierate.data.removal import delete_stored_dataset, stored_folder
from movierate.data.synthetic import write_movielens_csv
from movierate.errors import DataError

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _csv(tmp_path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = {(int(u), int(m)) for u, m in rng.integers(1, 40, size=(600, 2))}
    lines = ["user,item,rating"] + [f"{u},{m},{rng.integers(1, 6)}" for u, m in sorted(rows)]
    path = tmp_path / f"ratings{seed}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _imported(tmp_path: Path, name: str, seed: int = 0) -> Path:
    ds = from_csv(_csv(tmp_path, seed), save_as=name)
    load_dataset(name)  # builds its parsed copy in the cache
    return Path(ds.source)


def _cache_copies(name: str) -> list[Path]:
    folder = config.cache_dir() / "datasets" / name
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_an_imported_dataset_goes_with_its_parsed_copies_and_others_stay(tmp_path):
    gone = _imported(tmp_path, "mine")
    kept = _imported(tmp_path, "other", seed=1)
    assert _cache_copies("mine") and _cache_copies("other")
    assert delete_stored_dataset("mine") == gone
    assert not gone.exists() and not _cache_copies("mine")
    assert kept.is_dir() and _cache_copies("other")
    assert not [p for p in gone.parent.iterdir() if p.name.startswith(".")]  # no trash left
    with pytest.raises(DataError, match="Unknown dataset 'mine'"):
        load_dataset("mine")
    with pytest.raises(DataError, match="No dataset named 'mine' is stored"):
        delete_stored_dataset("mine")


def test_a_downloaded_grouplens_copy_can_go_but_a_folder_of_the_users_never(tmp_path, monkeypatch):
    ds = synthetic_dataset(n_ratings=500, n_users=30, n_movies=40, seed=0)
    own = write_movielens_csv(ds, config.data_dir() / "ml-25m")
    users = tmp_path / "users-data"
    shutil.copytree(own, users / "ml-32m")
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(users))
    with pytest.raises(DataError, match=r"folder of yours \(MOVIERATE_DATA_DIR\)"):
        stored_folder("ml-32m")
    assert (users / "ml-32m").is_dir()
    delete_stored_dataset("ml-25m")
    assert not own.exists()


def test_a_folder_holding_more_than_a_dataset_is_not_deleted(tmp_path):
    folder = _imported(tmp_path, "mine")
    (folder / "models").mkdir()  # say the user kept their work in there
    with pytest.raises(DataError, match="also holds 'models/'.*Nothing was removed"):
        delete_stored_dataset("mine")
    assert (folder / "ratings.parquet").is_file()


def test_a_movielens_folder_holding_a_file_of_the_users_is_not_deleted():
    """Recheck (s28): only sub-folders counted, so my-notes.txt went with ml-100k."""
    ds = synthetic_dataset(n_ratings=500, n_users=30, n_movies=40, seed=0)
    folder = write_movielens_csv(ds, config.data_dir() / "ml-25m")
    for official in ("README.txt", "links.csv", "tags.csv", "genome-scores.csv", ".DS_Store"):
        (folder / official).write_text("x")
    (folder / "my-notes.txt").write_text("three weeks of notes")
    with pytest.raises(DataError, match="also holds 'my-notes.txt'"):
        delete_stored_dataset("ml-25m")
    assert (folder / "my-notes.txt").read_text() == "three weeks of notes"
    (folder / "my-notes.txt").unlink()
    delete_stored_dataset("ml-25m")  # every other file is one of GroupLens's or the OS's
    assert not folder.exists()


def test_a_delete_killed_after_its_rename_leaves_nothing_that_a_listing_keeps(tmp_path):
    from movierate.data import removal

    folder = _imported(tmp_path, "mine")
    trash = folder.parent / f"{removal.TRASH_PREFIX}mine-deadbeef"
    folder.rename(trash)  # where the kill left it: the name is gone, the files are not
    report = store.leftovers()
    assert [item.path for item in report.removed] == [trash]
    assert report.removed[0].kind == "dataset deletion" and not trash.exists()


def test_movierate_s_own_data_folder_given_as_movierate_data_dir_is_the_users(monkeypatch):
    """Recheck (s28): MOVIERATE_DATA_DIR reaching home/data through a link was deleted from."""
    from movierate.ui.delete_dataset import stored_names

    ds = synthetic_dataset(n_ratings=500, n_users=30, n_movies=40, seed=0)
    folder = write_movielens_csv(ds, config.data_dir() / "ml-25m")
    link = config.home_dir() / "link-to-data"
    link.symlink_to(config.data_dir())
    monkeypatch.setenv("MOVIERATE_DATA_DIR", str(link))
    with pytest.raises(DataError, match="MOVIERATE_DATA_DIR is movierate's own data folder"):
        delete_stored_dataset("ml-25m")
    assert folder.is_dir()
    assert stored_names([SimpleNamespace(name="ml-25m", location=str(folder))]) == []


def test_a_folder_it_may_not_empty_is_named_with_the_chmod_fix(tmp_path, monkeypatch):
    """The permission check is stood in for: CI runs as root, which passes any chmod."""
    from movierate import atomic

    folder = _imported(tmp_path, "mine")
    monkeypatch.setattr(atomic, "undeletable", lambda path: path)
    with pytest.raises(DataError, match=r"chmod -R u\+w"):
        delete_stored_dataset("mine")
    assert (folder / "ratings.parquet").is_file()


@pytest.fixture
def model_on_mine(tmp_path) -> str:
    """A real model saved after training on the imported dataset 'mine'."""
    from movierate.nn.training import train
    from movierate.spec import ModelSpec

    _imported(tmp_path, "mine")
    ds = load_dataset("mine")
    split = make_split(ds, method="random", test_fraction=0.1, seed=1)
    spec = ModelSpec(family="mf_bias", dim=2, epochs=1, batch_size=256)
    store.save_model("on-mine", train(ds, split, spec), ds, split, spec)
    return "on-mine"


def test_cli_refuses_while_models_use_it_checks_every_name_first_and_force_deletes(
    model_on_mine, capsys
):
    folder = stored_folder("mine")
    assert main(["delete-dataset", "mine"]) == 1
    err = capsys.readouterr().err
    assert "Nothing was deleted: 1 saved model (on-mine) was trained on 'mine'" in err
    assert "Pass --force" in err and folder.is_dir()
    assert main(["delete-dataset", "mine", "typo", "--force"]) == 1
    assert "No dataset named 'typo'" in capsys.readouterr().err and folder.is_dir()
    assert main(["delete-dataset", "mine", "--force"]) == 0
    assert f"deleted dataset mine ({folder})" in capsys.readouterr().out
    assert not folder.exists()
    assert main(["evaluate", "on-mine"]) == 1  # the model stays, and says what it misses
    assert "Import the same ratings file again under that name" in capsys.readouterr().err
    assert main(["show", "on-mine"]) == 0


def test_home_deletes_after_a_confirmation_naming_the_models(model_on_mine):
    folder = stored_folder("mine")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="delete_dataset_choice").set_value("mine").run()
    at.button(key="ask_delete_dataset").click().run()
    (warning,) = [w.value for w in at.warning if "for good" in w.value]
    assert "1 saved model (on-mine) was trained on 'mine'" in warning
    at.button(key="delete_dataset_no").click().run()
    assert folder.is_dir() and not [w for w in at.warning if "for good" in w.value]
    at.button(key="ask_delete_dataset").click().run()
    at.button(key="delete_dataset_yes").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not folder.exists()
    assert any("Deleted dataset **mine**" in s.value for s in at.success)
    assert "mine" not in at.dataframe[-1].value["dataset"].tolist()


def test_home_deletes_nothing_when_the_dataset_was_replaced_since_it_asked(tmp_path):
    _imported(tmp_path, "mine")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="delete_dataset_choice").set_value("mine").run()
    at.button(key="ask_delete_dataset").click().run()
    from_csv(_csv(tmp_path, seed=2), save_as="mine", replace=True)  # the CLI, meanwhile
    at.button(key="delete_dataset_yes").click().run()
    assert not at.exception
    assert any("was replaced since you asked" in e.value for e in at.error)
    assert not [w for w in at.warning if "for good" in w.value]  # the question went (recheck)
    assert stored_folder("mine").is_dir()


def test_home_deletes_nothing_a_training_of_the_dashboard_is_reading(tmp_path, monkeypatch):
    from movierate.ui import state

    _imported(tmp_path, "mine")
    running = SimpleNamespace(active_jobs=lambda: [SimpleNamespace(name="m7", dataset="mine")])
    monkeypatch.setattr(state, "job_registry", lambda: running)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="delete_dataset_choice").set_value("mine").run()
    at.button(key="ask_delete_dataset").click().run()
    at.button(key="delete_dataset_yes").click().run()
    assert any("is being read by the training of m7" in e.value for e in at.error)
    assert stored_folder("mine").is_dir()


def test_cli_deletes_all_or_none_and_names_every_name_it_cannot_delete(tmp_path, capsys):
    """README review s31: `delete-dataset books ml-25m` named only the first bad name and did
    not say that the stored one was kept."""
    folder = _imported(tmp_path, "books")
    assert main(["delete-dataset", "books", "ml-25m", "typo"]) == 1
    err = capsys.readouterr().err
    assert "Nothing was deleted: delete-dataset deletes every dataset it is given or none" in err
    assert "No dataset named 'ml-25m'" in err and "No dataset named 'typo'" in err
    assert "Correct or leave out those names and run it again." in err
    assert err.count("lists the datasets and where each one is") == 1  # recheck N7
    assert err.count("\nerror:") + err.startswith("error:") == 1 and "Traceback" not in err
    assert folder.is_dir()
    assert main(["delete-dataset", "books"]) == 0 and not folder.exists()


def test_a_delete_that_fails_is_said_and_home_goes_on(tmp_path, monkeypatch):
    """Views round 29 (fixQ's note): "Yes, delete" let the store's error end Home."""
    from movierate.errors import DataError
    from movierate.ui import delete_dataset

    _imported(tmp_path, "mine")

    def refused(name: str) -> None:
        raise DataError(f"Dataset {name!r} was not deleted: Permission denied.")

    monkeypatch.setattr(delete_dataset, "delete_stored_dataset", refused)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="delete_dataset_choice").set_value("mine").run()
    at.button(key="ask_delete_dataset").click().run()
    at.button(key="delete_dataset_yes").click().run()
    assert not at.exception
    assert any("was not deleted: Permission denied" in e.value for e in at.error)
    assert at.selectbox(key="delete_dataset_choice")  # the section is still drawn
    assert stored_folder("mine").is_dir()
