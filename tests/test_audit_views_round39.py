"""Views rounds 39 and 40 (Train's Runs panel, Home's notices and import).

Round 39: F1, a run said "loading the data" for the 57 s its child spent importing TensorFlow,
and its elapsed time read against Home's "train s" as a contradiction; F8, the tiles showed the
kept epoch's numbers unlabelled beside "epoch 8/8" while the model was saved; F7, after a
reload the teacher's own run read as someone else's. Round 40: F4, an import's notices never
came back on Home or Train; F6, a Stop button stayed after a failed import.
"""

from __future__ import annotations

import threading
import time

from apptest_helpers import APP, Event
from streamlit.testing.v1 import AppTest

from movierate.child_runner import in_child_process
from movierate.errors import TrainingCancelled
from movierate.jobs import JobRegistry, JobSnapshot
from movierate.progress import (
    LOADING_DATA,
    STARTING_PROCESS,
    STARTING_TENSORFLOW,
    Phase,
    setup_event,
)
from movierate.ui import state, text


def wait_for_cancel(dataset, spec, name, split_params, progress, cancel) -> str:
    """A child's runner (picklable: top level) that waits until it is cancelled."""
    while not cancel.wait(0.05):
        pass
    raise TrainingCancelled("cancelled")


def _until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_a_child_run_names_tensorflows_start_then_the_data():
    """F1: the phases say what the run waits for, in order, as the child reports them."""
    from movierate.jobs import STARTING

    registry = JobRegistry(runner=in_child_process(wait_for_cancel, tensorflow=True))
    job_id = registry.submit("ml-100k", None, "phases")
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while LOADING_DATA not in seen:
        assert time.monotonic() < deadline, seen
        phase = registry.snapshot(job_id).phase
        if not seen or seen[-1] != phase:
            seen.append(phase)
        time.sleep(0.01)
    registry.cancel(job_id)
    assert registry.wait(job_id, 60).state == "cancelled"
    order = [STARTING, STARTING_PROCESS, STARTING_TENSORFLOW, LOADING_DATA]
    assert "loading the data" not in seen[: seen.index(STARTING_TENSORFLOW)]
    assert [order.index(p) for p in seen] == sorted(order.index(p) for p in seen), seen


def test_setup_stages_are_the_phase_and_a_cancel_stays_said():
    """F1: a SETUP event's stage is the job's phase until its first batch; "cancelling" is
    not overwritten by a later event (it read "training" again at the next batch)."""
    steps = [threading.Event() for _ in range(3)]

    def runner(dataset, spec, name, split_params, progress, cancel):
        progress(setup_event(STARTING_TENSORFLOW))
        steps[0].wait(10)
        progress(Event(1, 2, 1, 10, Phase.BATCH, {"loss": 1.0}))
        steps[1].wait(10)
        progress(Event(1, 2, 2, 10, Phase.BATCH, {"loss": 0.9}))
        steps[2].wait(10)
        raise TrainingCancelled("cancelled")

    registry = JobRegistry(runner=runner)
    job_id = registry.submit("ml-100k", None, "stages")
    _until(lambda: registry.snapshot(job_id).phase == STARTING_TENSORFLOW)
    steps[0].set()
    _until(lambda: registry.snapshot(job_id).phase == "training")
    registry.cancel(job_id)
    steps[1].set()
    _until(lambda: registry.snapshot(job_id).batch == 2)
    assert registry.snapshot(job_id).phase == "cancelling"
    steps[2].set()
    assert registry.wait(job_id, 10).state == "cancelled"


def _snapshot(**changes) -> JobSnapshot:
    values = dict(
        id="j",
        name="plain",
        dataset="ml-latest-small",
        spec=None,
        split_params={},
        state="running",
        phase="training",
        epoch=8,
        epochs=8,
        batch=10,
        batches=10,
        history={"epoch": [float(e) for e in range(1, 9)]},
        latest_metrics={"train_rmse": 0.6244, "stop_rmse": 0.8543},
        error=None,
        error_details=None,
        submitted_at=0.0,
        started_at=0.0,
        finished_at=None,
        model_name=None,
    )
    values.update(changes)
    return JobSnapshot(**values)


def test_the_tiles_and_the_sidebar_name_the_epoch_of_their_numbers():
    """F8: while saving, the kept epoch's numbers are labelled as its own; while training,
    the last finished epoch's; before any epoch, no epoch is named."""
    kept = {"train_rmse": 0.6851, "stop_rmse": 0.8525, "best_epoch": 6, "epochs_run": 8}
    saving = _snapshot(phase="scoring the test rows and saving the model", latest_metrics=kept)
    labels = [label for label, _, _ in text.run_tiles(saving)]
    assert labels == ["epochs done", "train RMSE, epoch 6", "early-stopping RMSE, epoch 6"]
    assert "0.8525 (epoch 6)" in text.job_progress_text(saving)
    training = _snapshot(epoch=4, history={"epoch": [1.0, 2.0, 3.0]})
    assert [label for label, _, _ in text.run_tiles(training)][1] == "train RMSE, epoch 3"
    assert "(epoch 3)" in text.job_progress_text(training)
    fresh = _snapshot(epoch=1, history={}, latest_metrics={"loss": 1.2})
    assert [label for label, _, _ in text.run_tiles(fresh)][1] == "train RMSE"


def _registry(monkeypatch, runner) -> JobRegistry:
    registry = JobRegistry(runner=runner, max_workers=1)
    monkeypatch.setattr(state, "job_registry", lambda: registry)
    return registry


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_while_saving_the_status_names_the_kept_epoch(monkeypatch):
    """F8: the Runs panel's line says which epoch was kept while the model is saved."""
    release = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel):
        for epoch in (1, 2, 3):
            progress(Event(epoch, 3, 10, 10, Phase.EPOCH, {"train_rmse": 1.0, "stop_rmse": 1.1}))
        kept = {"train_rmse": 0.9, "stop_rmse": 1.0, "best_epoch": 2, "epochs_run": 3}
        progress(Event(2, 3, 10, 10, Phase.DONE, kept))
        release.wait(20)
        return name

    registry = _registry(monkeypatch, runner)
    try:
        job_id = registry.submit("ml-latest-small", None, "saving")
        _until(
            lambda: registry.snapshot(job_id).phase == "scoring the test rows and saving the model"
        )
        at = _open("pages/train.py")
        bars = [str(p.proto.text) for p in at.get("progress")]
        assert any("saving the model:" in b and "kept epoch 2" in b for b in bars), bars
        labels = [m.label for m in at.metric]
        assert "train RMSE, epoch 2" in labels and "elapsed" in labels, labels
    finally:
        release.set()
    registry.wait(job_id, 10)


def test_a_finished_run_gives_its_time_in_all_and_its_fit(trained_home, monkeypatch):
    """F1: "took in all" beside the fit's seconds, which Home shows as "train s"."""

    def runner(dataset, spec, name, split_params, progress, cancel):
        kept = {"train_rmse": 0.9, "stop_rmse": 1.0, "best_epoch": 1, "epochs_run": 1}
        progress(Event(1, 1, 10, 10, Phase.DONE, kept))
        return "small-mf"  # a saved model, with its recorded fit time

    registry = _registry(monkeypatch, runner)
    registry.wait(registry.submit("ml-latest-small", None, "timed"), 10)
    at = _open("pages/train.py")
    assert "took in all" in [m.label for m in at.metric]
    fit = state.load_model("small-mf").meta["timings"]["train_seconds"]
    said = [c.value for c in at.caption if "s in all, of which the fit" in c.value]
    assert said and f"took {fit:.1f} s: Home's 'train s'" in said[0], said


def test_a_run_this_tab_did_not_start_may_be_its_own_before_a_reload(monkeypatch):
    """F7: the wording no longer says another person or session ran it."""

    def runner(dataset, spec, name, split_params, progress, cancel):
        return name

    registry = _registry(monkeypatch, runner)
    registry.wait(registry.submit("ml-latest-small", None, "mine"), 10)  # "before a reload"
    at = _open("pages/train.py")
    picker = next(s for s in at.selectbox if s.label == "Run")
    assert picker.options == ["mine (done, started in another tab or before a reload)"]
    assert any("before this page was last loaded (a reload counts)" in c.value for c in at.caption)
    shown = " ".join([*picker.options, *(c.value for c in at.caption)])
    assert "elsewhere" not in shown and "not a run of this tab" not in shown


def _import_books() -> None:
    from movierate.data import from_csv

    rows = "user,item,rating\n" + "".join(
        f"{u},{m},{(u * 3 + m) % 10 + 1}\n" for u in range(12) for m in range(10)
    )
    from_csv(rows.encode(), save_as="books")


def test_an_imports_notices_come_back_on_home_and_train(monkeypatch):
    """F4: the README's "each as a notice on the Home and Train pages", for a dataset picked
    in a later session (Train's pick sat in its form, so its notices came after Start only)."""
    _import_books()
    home = _open("pages/home.py")
    home.selectbox(key="quick_dataset").set_value("books").run()
    assert any("Notes on **books**" in w.value for w in home.warning), home.warning
    train = _open("pages/train.py")
    assert not any("Notes on **books**" in w.value for w in train.warning)
    next(s for s in train.selectbox if s.label == "Dataset").set_value("books").run()
    assert not train.exception
    assert any("Notes on **books**" in w.value for w in train.warning), train.warning


def _failed_import() -> None:
    import streamlit as st

    from movierate.ui.stoppable import stoppable

    def work(should_stop):
        raise ValueError("missing column(s) for item")

    try:
        stoppable(work, "Importing books.csv")
    except ValueError as exc:
        st.warning(str(exc))


def test_no_stop_button_after_a_failed_import():
    """Round 40, F6: the Stop button stayed above the import's error."""
    at = AppTest.from_function(_failed_import, default_timeout=30).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["missing column(s) for item"]
    assert "Stop" not in [b.label for b in at.button]
