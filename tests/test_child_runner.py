"""Training jobs in a child process: progress, result, cancel, errors and a child that dies."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

from movierate import child_runner
from movierate.child_runner import in_child_process
from movierate.errors import MovierateError, StoreError, TrainingCancelled
from movierate.jobs import JobRegistry
from movierate.progress import Phase, ProgressEvent


class Spec:
    """What the registry needs of a spec (``validate``), picklable for the child."""

    def __init__(self, epochs: int = 2, behaviour: str = "train") -> None:
        self.epochs, self.behaviour = epochs, behaviour

    def validate(self) -> None:
        pass


def child_job(dataset, spec, name, split_params, progress, cancel, name_base=None) -> str:
    """A runner for the child: reports epochs, then does what ``spec.behaviour`` says."""
    for epoch in range(1, spec.epochs + 1):
        progress(ProgressEvent(Phase.EPOCH, epoch, spec.epochs, 1, 1, {"train_rmse": 1.0 / epoch}))
    if spec.behaviour == "wait for cancel":
        deadline = time.monotonic() + 60
        while not cancel.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise TrainingCancelled(f"cancelled in process {os.getpid()}")
    if spec.behaviour == "store error":
        raise StoreError("The models folder is read-only: make it writable.")
    if spec.behaviour == "bug":
        raise KeyError("an unexpected key")
    if spec.behaviour == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if spec.behaviour == "print":
        print("a library printing on standard output")  # must not break the message stream
    return f"{name}|{os.getpid()}|{os.nice(0)}|{name_base}|{split_params}"


def _registry() -> JobRegistry:
    return JobRegistry(runner=in_child_process(child_job), max_workers=1)


@pytest.mark.parametrize("behaviour", ["train", "print"])
def test_a_job_runs_in_a_lower_priority_child_and_reports_its_epochs(behaviour):
    registry = _registry()
    job_id = registry.submit(
        "ml-latest-small", Spec(epochs=3, behaviour=behaviour), "kid", {"seed": 3}
    )
    snap = registry.wait(job_id, timeout=120)
    assert snap.state == "done", snap.error_details
    name, pid, niceness, name_base, split = snap.model_name.split("|")
    assert name == "kid" and int(pid) != os.getpid() and name_base == "None"
    assert int(niceness) >= min(os.nice(0) + child_runner.NICENESS, 19)
    assert split == "{'seed': 3}"
    assert snap.history["epoch"] == [1.0, 2.0, 3.0]
    assert snap.history["train_rmse"] == pytest.approx([1.0, 0.5, 1 / 3])


def test_a_generated_name_reaches_the_child_with_its_base():
    registry = _registry()
    name = registry.generate_name("base")
    snap = registry.wait(registry.submit("ml-latest-small", Spec(), name), timeout=120)
    assert snap.state == "done", snap.error_details
    assert snap.model_name.split("|")[3] == "base"


def test_cancel_stops_the_child_at_its_next_check():
    registry = _registry()
    job_id = registry.submit("ml-latest-small", Spec(behaviour="wait for cancel"), "stopped")
    deadline = time.monotonic() + 120
    while registry.snapshot(job_id).epoch < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the child is running: its epochs arrived
    registry.cancel(job_id)
    snap = registry.wait(job_id, timeout=120)
    assert snap.state == "cancelled" and snap.error is None


def test_a_movierate_error_in_the_child_keeps_its_message():
    registry = _registry()
    snap = registry.wait(registry.submit("ml-100k", Spec(behaviour="store error"), "e"), 120)
    assert snap.state == "failed"
    assert snap.error == "The models folder is read-only: make it writable."


def test_an_unexpected_error_carries_the_childs_traceback(caplog):
    registry = _registry()
    with caplog.at_level("ERROR", logger="movierate.jobs"):
        snap = registry.wait(registry.submit("ml-100k", Spec(behaviour="bug"), "b"), 120)
    (logged,) = [r.getMessage() for r in caplog.records if "failed unexpectedly" in r.getMessage()]
    assert "child_job" in logged and "KeyError" in logged  # recheck A: the log had only ours
    assert snap.state == "failed"
    assert snap.error == "Training failed unexpectedly: KeyError: 'an unexpected key'"
    assert "child_job" in snap.error_details and "KeyError" in snap.error_details


def test_a_child_that_dies_is_reported_as_such():
    registry = _registry()
    snap = registry.wait(registry.submit("ml-100k", Spec(behaviour="die"), "d"), 120)
    assert snap.state == "failed"
    assert "killed by signal 9" in snap.error and "nothing was saved" in snap.error


def test_the_child_stops_when_the_dashboard_goes_away():
    """Its standard input ends (the parent died): the training is cancelled, not orphaned."""
    child = subprocess.Popen(
        [sys.executable, "-m", "movierate.child_runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    pickle.dump(list(sys.path), child.stdin)
    pickle.dump(
        (child_job, ("d", Spec(behaviour="wait for cancel"), "n", None), {}, False), child.stdin
    )
    child.stdin.flush()
    first = pickle.load(child.stdout)
    assert first[0] == "progress"
    child.stdin.close()  # what a killed dashboard leaves
    messages = []
    while True:
        try:
            messages.append(pickle.load(child.stdout))
        except EOFError:
            break
    assert child.wait(60) == 0
    assert messages[-1][0] == "cancelled"


def test_an_unreadable_outcome_is_a_clear_error():
    with pytest.raises(MovierateError, match="ended with exit code 3 before it finished"):
        child_runner._result(None, 3)


def quick_done(dataset, spec, name, split_params, progress, cancel) -> str:
    """A runner that returns at once (bad-input round 25, F1's repro)."""
    return name


def quick_error(dataset, spec, name, split_params, progress, cancel) -> str:
    """A runner that refuses at once."""
    raise MovierateError("refused at once")


def test_children_that_end_at_once_exit_0_without_a_fatal_error(monkeypatch, tmp_path):
    """Round 25 F1: a daemon thread still reading stdin at shutdown aborted the child (SIGABRT,
    "Fatal Python error: _enter_buffered_busy") in 3-4 of 10 runs, after it sent its outcome."""
    from concurrent.futures import ThreadPoolExecutor

    stderr = open(tmp_path / "children.err", "ab")  # noqa: SIM115 (shared by the children)
    real_popen, codes = subprocess.Popen, []
    monkeypatch.setattr(
        child_runner.subprocess, "Popen", lambda *a, **k: real_popen(*a, stderr=stderr, **k)
    )
    real_result = child_runner._result
    monkeypatch.setattr(
        child_runner,
        "_result",
        lambda outcome, code: codes.append(code) or real_result(outcome, code),
    )

    def one(runner) -> str:
        try:
            return in_child_process(runner)("d", None, "x", None, None, None)
        except MovierateError as exc:
            return str(exc)

    with ThreadPoolExecutor(3) as pool, stderr:
        said = list(pool.map(one, [quick_done, quick_error] * 8))
    assert said == ["x", "refused at once"] * 8
    assert codes == [0] * 16
    assert "Fatal Python error" not in (tmp_path / "children.err").read_text()


def test_a_child_whose_parent_keeps_its_input_open_still_exits_0():
    """The parent has the outcome but has not closed the child's input yet: no abort."""
    child = subprocess.Popen(
        [sys.executable, "-m", "movierate.child_runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pickle.dump(list(sys.path), child.stdin)
    pickle.dump((quick_done, ("d", None, "kept", None), {}, False), child.stdin)
    child.stdin.flush()
    assert pickle.load(child.stdout) == ("done", "kept")
    assert child.wait(60) == 0  # its input still open
    assert b"Fatal Python error" not in child.stderr.read()
    child.stdin.close()
