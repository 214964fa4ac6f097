"""Bad-input round 28: wall clock changes and file times (jobs, maps, leftovers, created, CSV)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from movierate import atomic, config, store
from movierate.data.custom import from_csv
from movierate.explore.map_jobs import MapJob, MapJobs
from movierate.jobs import JobRegistry


@pytest.fixture
def clock(monkeypatch):
    """Shift ``time.time`` (the wall clock) by ``clock[0]`` seconds."""
    offset = [0.0]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])
    return offset


def _runner(gate: dict[str, threading.Event]):
    def runner(dataset, spec, name, split_params, progress, cancel, name_base=None):
        if name in gate:
            gate[name].wait(10)
        return name

    return runner


def test_clock_set_back_keeps_the_run_that_just_finished(clock):
    reg = JobRegistry(runner=_runner({}), max_workers=1, keep_finished=2)
    for name in ("model-a", "model-b"):
        reg.wait(reg.submit("ml-latest-small", None, name), timeout=10)
    clock[0] = -3600.0
    c = reg.submit("ml-latest-small", None, "model-c")
    assert reg.wait(c, timeout=10).state == "done"
    assert [s.name for s in reg.jobs()] == ["model-c", "model-b"]  # newest first, a dropped
    assert reg.dropped == 1


def test_elapsed_ignores_a_clock_jump(clock):
    gate = {"model-d": threading.Event()}
    reg = JobRegistry(runner=_runner(gate), max_workers=1)
    d = reg.submit("ml-latest-small", None, "model-d")
    time.sleep(0.3)
    clock[0] = 7200.0
    assert reg.snapshot(d).elapsed_seconds < 60
    clock[0] = -7200.0
    assert reg.snapshot(d).elapsed_seconds > 0.2
    gate["model-d"].set()
    reg.wait(d, timeout=10)


def test_map_seconds_and_keep_window_ignore_the_clock(clock):
    release = threading.Event()
    job = MapJob("k", lambda report, cancel: release.wait(10) or "ok").start()
    time.sleep(0.2)
    clock[0] = -3600.0
    assert 0 <= job.seconds < 60
    release.set()
    job.wait(10)
    jobs = MapJobs(keep_finished_s=600)
    jobs._jobs["k"] = job
    clock[0] = 3600.0  # forward: a finished map is still kept for its page
    assert jobs.get("k") is job


def _leftover(name: str, mtime: float) -> Path:
    folder = config.models_dir() / name
    folder.mkdir(parents=True)
    (folder / "embeddings.npz").write_bytes(b"0" * 1000)
    os.utime(folder, (mtime, mtime))
    return folder


def test_a_future_leftover_is_dated_now_and_said_truly():
    future = _leftover(".tmp-future-abc", 4070908800.0)  # 2099
    report = store.leftovers()
    assert future.exists() and abs(future.stat().st_mtime - time.time()) < 60
    assert "removed automatically once 60 min old" in " ".join(report.lines())
    store.leftovers()
    os.utime(future, (time.time() - 7200, time.time() - 7200))  # an hour on: it goes
    assert future.name in [item.path.name for item in store.leftovers().removed]


def test_a_future_leftover_that_cannot_be_touched_says_it_is_kept(monkeypatch):
    future = _leftover(".tmp-future-abc", 4070908800.0)
    monkeypatch.setattr(atomic.os, "utime", lambda *a, **k: (_ for _ in ()).throw(PermissionError))
    text = " ".join(store.leftovers().lines())
    assert future.exists() and "dated in the future (2099-01-01" in text
    assert "kept" in text and "removed automatically" not in text


def test_created_with_an_offset_is_shown_and_sorted_in_utc(small_model_home, monkeypatch, tmp_path):
    import shutil

    monkeypatch.setenv("MOVIERATE_HOME", str(tmp_path))
    src = next(p for p in (small_model_home / "models").iterdir() if not p.name.startswith("."))
    models = tmp_path / "models"
    models.mkdir()
    for new, created in (("a", "2026-12-06T14:25:02+00:00"), ("b", "2026-12-07T02:25:02+14:00")):
        shutil.copytree(src, models / new)
        meta = json.loads((models / new / "meta.json").read_text())
        meta.update(name=new, created=created)
        (models / new / "meta.json").write_text(json.dumps(meta))
    infos, broken = store.list_models()
    assert not broken
    assert [(i.name, i.created) for i in infos] == [
        ("a", "2026-12-06T14:25:02+00:00"),
        ("b", "2026-12-06T12:25:02+00:00"),  # 2 h before a, though its text sorts later
    ]
    assert store.load_model("b").created == "2026-12-06T12:25:02+00:00"


def test_naive_csv_times_are_said_to_be_read_as_utc(tmp_path):
    naive = tmp_path / "naive.csv"
    naive.write_text(
        "user,item,rating,when\n1,1,4,2021-11-07 01:30:00\n2,1,3,2021-11-07 01:10:00\n"
    )
    offsets = tmp_path / "offsets.csv"
    offsets.write_text(
        "user,item,rating,when\n1,1,4,2021-11-07 01:30:00-04:00\n2,1,3,2021-11-07 01:10:00-05:00\n"
    )
    notes = [w for w in from_csv(naive, columns={"timestamp": "when"}).warnings if "UTC" in w]
    assert len(notes) == 1 and "line 2: '2021-11-07 01:30:00'), read as UTC" in notes[0]
    assert "offset" in notes[0]
    assert not [w for w in from_csv(offsets, columns={"timestamp": "when"}).warnings if "UTC" in w]
    mixed = tmp_path / "mixed.csv"  # not ISO for pyarrow: parsed as text, same notice
    mixed.write_text("user,item,rating,when\n1,1,4,11/27/2021 01:30\n2,1,3,11/27/2021 01:10\n")
    assert [
        w for w in from_csv(mixed, columns={"timestamp": "when"}).warnings if "read as UTC" in w
    ]
