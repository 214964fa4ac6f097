"""A save (or a replacing ``--overwrite`` save) killed at any step never loses the model.

A subprocess saves with :data:`movierate.atomic.CHECKPOINT_HOOK` set to ``os._exit`` at step N,
for every N; afterwards the model must be complete and loadable under its name (old or new
version), and recovery must leave nothing behind and lose nothing. Both ways of replacing a
folder are covered: the atomic swap (Linux ``renameat2``) and the rename-aside fallback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from movierate import atomic, config, store

REPO = Path(__file__).resolve().parents[1]

SAVER = textwrap.dedent(
    """
    import json, os, sys
    from types import SimpleNamespace
    import numpy as np
    from movierate import atomic, store
    from movierate.data import make_split, synthetic_dataset
    from movierate.spec import ModelSpec

    name, version, kill_at, exchange = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    atomic.USE_EXCHANGE = exchange == "1"
    steps = []

    def hook(label):
        steps.append(label)
        if len(steps) == kill_at:
            os._exit(77)

    atomic.CHECKPOINT_HOOK = hook
    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    split = make_split(ds, method="random", valid_fraction=0.1, seed=0)
    spec = ModelSpec(family="mf", dim=4)
    arrays = {
        "user_embedding": np.full((ds.n_users, 4), version, np.float32),
        "movie_embedding": np.full((ds.n_movies, 4), version, np.float32),
        "global_mean": np.float32(3.0),  # inside the rating scale: the version is in the tables
    }

    def save_keras(path):
        with open(path, "wb") as f:
            f.write(b"PK not a real keras file")

    result = SimpleNamespace(arrays=arrays, save_keras=save_keras, metrics={}, history={},
                             train_seconds=1.0, ratings_per_second=1.0, global_mean=3.0)
    store.save_model(name, result, ds, split, spec, overwrite=True)
    print(json.dumps(steps))
    """
)


def _save(name: str, version: float, kill_at: int = 0, exchange: bool = True):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-c", SAVER, name, str(version), str(kill_at), "1" if exchange else "0"]
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def _save_here(name: str) -> None:
    """Save a small model in this process (the "next save of any model")."""
    from types import SimpleNamespace

    import numpy as np

    from movierate.data import make_split, synthetic_dataset
    from movierate.spec import ModelSpec

    ds = synthetic_dataset(n_ratings=500, n_users=20, n_movies=30, seed=0)
    split = make_split(ds, method="random", valid_fraction=0.1, seed=0)
    arrays = {
        "user_embedding": np.zeros((ds.n_users, 4), np.float32),
        "movie_embedding": np.zeros((ds.n_movies, 4), np.float32),
    }
    result = SimpleNamespace(
        arrays=arrays,
        save_keras=lambda path: Path(path).write_bytes(b"PK"),
        metrics={},
        history={},
        train_seconds=1.0,
        ratings_per_second=1.0,
        global_mean=3.0,
    )
    store.save_model(name, result, ds, split, ModelSpec(family="mf", dim=4))


def _version(name: str) -> float:
    return float(store.load_model(name).movie_embedding[0, 0])


def _hidden_entries() -> list[str]:
    return sorted(p.name for p in config.models_dir().iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("exchange", [True, False], ids=["swap", "rename-aside"])
def test_a_replacing_save_killed_at_any_step_keeps_a_complete_model(exchange):
    if exchange and atomic._renameat2_function() is None:
        pytest.skip("this OS has no renameat2(RENAME_EXCHANGE)")
    first = _save("victim", 1.0, exchange=exchange)
    assert first.returncode == 0, first.stderr
    replacing = _save("victim", 1.5, exchange=exchange)
    assert replacing.returncode == 0, replacing.stderr
    steps = json.loads(replacing.stdout)  # the steps of a save that replaces a model
    assert "publish:start" in steps and steps[-1] == "save:done"
    assert ("publish:swapped" in steps) == exchange
    assert ("publish:old-aside" in steps) == (not exchange)
    current, kept_new = 1.5, 0
    for n in range(1, len(steps) + 1):
        version = 2.0 + n
        killed = _save("victim", version, kill_at=n, exchange=exchange)
        assert killed.returncode == 77, (n, killed.stderr)
        folder = config.models_dir() / "victim"
        if exchange:  # at the instant of the kill, before any recovery: a complete model
            assert folder.is_dir(), f"killed after {steps[n - 1]!r}: the model vanished"
            assert all((folder / f).is_file() for f in store.REQUIRED_FILES), steps[n - 1]
        # the next save of another model (it cleans up first) must not lose the last copy
        _save_here(f"other-{n}")
        # loading gives the old or the new version, never a broken one
        loaded = _version("victim")
        assert loaded in (current, version), steps[n - 1]
        kept_new += loaded == version
        current = loaded
        # recovery leaves nothing behind (the killed writer is dead) and loses nothing
        infos, broken = store.list_models()
        assert "victim" in [i.name for i in infos] and broken == []
        assert _hidden_entries() == [], steps[n - 1]
        assert _version("victim") == loaded
    assert 0 < kept_new < len(steps)  # kills after the publish step kept the new version


def test_a_killed_fallback_replacement_is_restored_not_deleted():
    """The reported fault: killed between the two renames, the old copy sat in a trash
    folder, the new one in ``.tmp-*``, and the next save deleted the trash."""
    assert _save("victim", 1.0).returncode == 0
    steps = json.loads(_save("victim", 1.5, exchange=False).stdout)
    n = steps.index("publish:old-aside") + 1
    assert _save("victim", 2.0, kill_at=n, exchange=False).returncode == 77
    assert not (config.models_dir() / "victim").exists()  # the instant after the first rename
    _save_here("other")  # the next save of any model
    assert _version("victim") == 1.5  # restored: the last complete copy
    assert _hidden_entries() == []


def test_recovery_never_touches_a_replacement_in_progress(tmp_path):
    """A renamed-aside copy whose writer is alive (this process) is left alone."""
    root = config.models_dir()
    root.mkdir(parents=True)
    aside = root / f"{atomic.OLD_PREFIX}busy-0123abcd"
    aside.mkdir()
    atomic._write_writer_record(aside)
    assert store.recover() == []
    assert aside.is_dir() and not (root / "busy").exists()
    (aside / atomic.WRITER_FILE).write_text(json.dumps({"pid": 2**22 + 7, "start": "1"}))
    assert atomic.writer_state(aside) in ("dead", "unknown")


def test_writer_state_guards_against_pid_reuse():
    me = atomic.writer_record()
    assert atomic.process_state(me["pid"], me["start"]) == "alive"
    if me["start"] is not None:  # Linux: same pid, other start time = a reused pid
        assert atomic.process_state(me["pid"], str(int(me["start"]) + 1)) == "dead"
    assert atomic.process_state(os.getppid()) == "alive"
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert atomic.process_state(int(done.stdout)) == "dead"
