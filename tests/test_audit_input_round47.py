"""Bad-input round 47: processes killed mid-operation. What a kill leaves is cleaned up or
reported truthfully: a run saved after the dashboard's server died is called saved, a killed
export's staging folder goes, a signal after an export's publish no longer says "interrupted",
and a rename cut before its meta.json rewrite still names the model by its folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from movierate import atomic, cli, store
from movierate.explore.notebook import write_notebook_export
from movierate.run_ledger import LostRun


@pytest.fixture
def home(trained_home: Path, tmp_path: Path, monkeypatch) -> Path:
    """A home of its own holding a copy of the session's trained ``small-mf``."""
    home = tmp_path / "home"
    shutil.copytree(trained_home / "models" / "small-mf", home / "models" / "small-mf")
    monkeypatch.setenv("MOVIERATE_HOME", str(home))
    return home


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


def _saved_as(home: Path, name: str, created: float) -> None:
    """``small-mf`` copied to ``name`` with meta.json's ``created`` set to ``created``."""
    folder = home / "models" / name
    shutil.copytree(home / "models" / "small-mf", folder)
    meta = json.loads((folder / "meta.json").read_text())
    when = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="seconds")
    atomic.write_json(folder / "meta.json", {**meta, "name": name, "created": when})


def test_a_run_saved_after_the_server_stopped_is_called_saved(home):
    """F0: the child finished the save after the server was killed, and the restarted Train
    page said "nothing was saved. ... run it again" about a listed model."""
    submitted = time.time() - 30
    _saved_as(home, "dsave", submitted + 20)
    text = LostRun("dsave", "ml-latest-small", submitted, started=True).text()
    assert "it finished and was saved as 'dsave' after the server stopped" in text
    assert "nothing was saved" not in text and "Start training" not in text


@pytest.mark.parametrize(("dataset", "after"), [("ml-latest-small", -3600), ("ml-100k", 20)])
def test_a_model_saved_before_the_run_or_of_other_data_is_not_its_save(home, dataset, after):
    """An older model of that name, or one of another data set, is no save of this run."""
    submitted = time.time() - 30
    _saved_as(home, "dsave", submitted + after)
    run = LostRun("dsave", dataset, submitted, started=True)
    assert not run.saved() and "nothing was saved" in run.text()
    assert not LostRun("none", "ml-latest-small", submitted, started=False).saved()


def test_a_killed_exports_staging_folder_is_removed_by_the_next_export(home, tmp_path):
    """F1: a SIGKILL'd `export` left a hidden `.export-XXXXXXXX` (MBs) next to --out that no
    command removed or mentioned; the next export into that folder removes it. Hidden
    entries without a record of a dead writer (the user's own) stay."""
    parent = tmp_path / "exports"
    dead = parent / ".export-dc274762"
    dead.mkdir(parents=True)
    (dead / "ratings.csv").write_text("user_idx,movie_idx\n0,0\n")
    record = {"pid": _dead_pid(), "start": "1", "host": socket.gethostname()}
    (dead / atomic.WRITER_FILE).write_text(json.dumps(record))
    own = parent / ".export-notes"
    own.mkdir()
    (own / "keep.txt").write_text("mine")
    write_notebook_export(store.load_model("small-mf"), parent / "out")
    assert not dead.exists() and (own / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in parent.iterdir()) == [".export-notes", "out"]


def test_only_temp_files_naming_a_dead_writer_on_this_host_are_swept(tmp_path):
    """F1, the class: a killed write into a user's folder (a study's --out) leaves
    `open_atomic` temp files; those naming a dead writer go, look-alikes of the user stay."""
    pid, host = _dead_pid(), atomic._host_tag()
    killed = tmp_path / f".results.csv.{pid}.0123abcd-1-{host}.tmp"
    elsewhere = tmp_path / f".results.csv.{pid}.0123abcd-1-000000.tmp"
    bare = tmp_path / f".notes.{pid}.draft.tmp"  # no start time nor host: maybe the user's
    for path in (killed, elsewhere, bare):
        path.write_text("x")
    os.utime(bare, (0, 0))  # old, too: age alone removes nothing from a user's folder
    removed = atomic.sweep_dead_writers(tmp_path, ())
    assert [item.path for item in removed] == [killed]
    assert elsewhere.exists() and bare.exists() and not killed.exists()


def test_a_signal_after_the_export_is_published_reports_the_export(
    home, tmp_path, monkeypatch, capsys
):
    """F2: a SIGINT landing between the publish and the `exported` line gave `error:
    interrupted`, 130, with the export in place (a retry then refused the folder); now the
    export is reported and a note says the signal came after it was saved."""
    out = tmp_path / "e"

    def checkpoint(label: str) -> None:  # a SIGINT once the export's folder is in place
        if label == "publish:renamed" and out.is_dir():
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(atomic, "checkpoint", checkpoint)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = cli.main(["export", "small-mf", "--out", str(out), "--json"])
    finally:
        signal.signal(signal.SIGINT, previous)
    printed, err = capsys.readouterr()
    assert code == 0 and json.loads(printed)["model"] == "small-mf"
    assert (out / "meta.json").is_file()
    assert "error:" not in err and "interrupted after export 'e' was saved" in err


def test_a_rename_cut_before_its_meta_rewrite_is_named_by_its_folder(home, capsys):
    """F3: a kill between `rename`'s folder move and its meta.json rewrite left meta.json
    naming the old model, and `show --json` (and a loaded model's meta) reported it."""
    shutil.copytree(home / "models" / "small-mf", home / "models" / "halfren")
    assert cli.main(["show", "halfren", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "halfren"
    assert store.read_meta("halfren")["name"] == "halfren"
    assert store.load_model("halfren").meta["name"] == "halfren"
