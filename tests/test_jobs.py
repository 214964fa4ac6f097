"""Background training jobs: concurrency, queueing, cancel, failures, progress, name reservation."""

from __future__ import annotations

import threading

import pytest

from movierate import config
from movierate.errors import DataError, MovierateError, StoreError, TrainingCancelled
from movierate.jobs import JobRegistry
from movierate.progress import Phase, ProgressEvent


def emit_epochs(progress, epochs: int, batches: int = 3, offset: float = 0.0, cancel=None):
    for epoch in range(1, epochs + 1):
        for batch in range(1, batches + 1):
            if cancel is not None and cancel.is_set():
                raise TrainingCancelled("cancelled by the user")
            progress(
                ProgressEvent(Phase.BATCH, epoch, epochs, batch, batches, {"loss": 1.0 / epoch})
            )
        metrics = {"train_rmse": offset + 1.0 / epoch, "valid_rmse": offset + 1.1 / epoch}
        progress(ProgressEvent(Phase.EPOCH, epoch, epochs, batches, batches, metrics))


class Spec:
    """Minimal spec: the registry only calls validate()."""

    def __init__(self, epochs: int = 3, bad: bool = False) -> None:
        self.epochs, self.bad = epochs, bad

    def validate(self) -> None:
        if self.bad:
            from movierate.errors import SpecError

            raise SpecError("dim must be >= 1, got 0")


def test_progress_is_recorded_per_epoch_and_job_finishes():
    def runner(dataset, spec, name, split_params, progress, cancel):
        assert dataset == "ml-latest-small" and split_params == {"seed": 7}
        emit_epochs(progress, spec.epochs)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    job_id = registry.submit("ml-latest-small", Spec(epochs=3), "run-a", {"seed": 7})
    snap = registry.wait(job_id, timeout=10)
    assert snap.state == "done" and snap.model_name == "run-a" and not snap.active
    assert snap.history["epoch"] == [1.0, 2.0, 3.0]
    assert snap.history["valid_rmse"] == pytest.approx([1.1, 0.55, 1.1 / 3])
    assert snap.latest_metrics["train_rmse"] == pytest.approx(1 / 3)
    assert snap.fraction == 1.0 and snap.elapsed_seconds >= 0
    assert registry.reserved_names() == set()


@pytest.mark.parametrize(
    ("split_params", "message"),
    [
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"stop_fraction": 0}, "stop_fraction"),
        ({"method": "shuffle"}, "Unknown split method"),
    ],
)
def test_bad_split_options_fail_at_submit(split_params, message):
    from movierate.errors import SpecError

    def runner(*args):
        raise AssertionError("a job with bad split options must not start")

    registry = JobRegistry(runner=runner, max_workers=1)
    with pytest.raises(SpecError, match=message):
        registry.submit("ml-latest-small", Spec(), "bad-split", split_params)
    assert registry.reserved_names() == set()


def test_two_concurrent_jobs_run_together_and_keep_separate_progress():
    both_running = threading.Barrier(2, timeout=10)

    def runner(dataset, spec, name, split_params, progress, cancel):
        both_running.wait()  # fails with BrokenBarrierError unless both jobs run at once
        emit_epochs(progress, spec.epochs, offset=10.0 if name == "b" else 0.0)
        return name

    registry = JobRegistry(runner=runner, max_workers=2)
    a = registry.submit("ml-latest-small", Spec(epochs=2), "a")
    b = registry.submit("ml-latest-small", Spec(epochs=4), "b")
    snap_a, snap_b = registry.wait(a, 10), registry.wait(b, 10)
    assert (snap_a.state, snap_b.state) == ("done", "done"), (snap_a.error, snap_b.error)
    assert len(snap_a.history["valid_rmse"]) == 2 and len(snap_b.history["valid_rmse"]) == 4
    assert max(snap_a.history["valid_rmse"]) < 2 < min(snap_b.history["valid_rmse"])
    assert [s.name for s in registry.jobs()] == ["b", "a"]


def test_single_worker_queues_and_a_queued_job_can_be_cancelled_before_it_starts():
    release = threading.Event()
    started: list[str] = []

    def runner(dataset, spec, name, split_params, progress, cancel):
        started.append(name)
        release.wait(10)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    first = registry.submit("ml-latest-small", Spec(), "first")
    second = registry.submit("ml-latest-small", Spec(), "second")
    _wait_until(lambda: registry.snapshot(first).state == "running")
    assert registry.snapshot(second).state == "queued"
    assert registry.reserved_names() == {"first", "second"}
    registry.cancel(second)
    release.set()
    assert registry.wait(first, 10).state == "done"
    assert registry.wait(second, 10).state == "cancelled"
    assert started == ["first"]


def test_cancel_stops_a_running_job():
    in_epoch_two = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel):
        def progress_and_signal(event):
            progress(event)
            if event.epoch == 2:
                in_epoch_two.set()
                cancel.wait(10)

        emit_epochs(progress_and_signal, 50, cancel=cancel)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    job_id = registry.submit("ml-latest-small", Spec(epochs=50), "long")
    assert in_epoch_two.wait(10)
    registry.cancel(job_id)
    snap = registry.wait(job_id, 10)
    assert snap.state == "cancelled" and snap.model_name is None
    assert snap.history["epoch"] == [1.0]  # epoch 1 finished; epoch 2 never completed
    assert 0 < snap.fraction < 0.1
    assert "long" not in registry.reserved_names()


def test_failures_are_reported_with_a_readable_message():
    def runner(dataset, spec, name, split_params, progress, cancel):
        if name == "user-error":
            raise DataError("Dataset 'nope' not found; download it on the Home page.")
        raise RuntimeError("boom")

    registry = JobRegistry(runner=runner, max_workers=2)
    user = registry.wait(registry.submit("nope", Spec(), "user-error"), 10)
    crash = registry.wait(registry.submit("ml-latest-small", Spec(), "crash"), 10)
    assert user.state == "failed" and "download it on the Home page" in user.error
    assert user.error_details is None
    assert crash.state == "failed" and "RuntimeError: boom" in crash.error
    assert "Traceback" in crash.error_details
    # A failed job frees its name again.
    registry.wait(registry.submit("nope", Spec(), "user-error"), 10)


def test_names_are_validated_and_reserved_at_submit():
    release = threading.Event()

    def runner(dataset, spec, name, split_params, progress, cancel):
        release.wait(10)
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    job_id = registry.submit("ml-latest-small", Spec(), "taken-by-job")
    with pytest.raises(StoreError, match="already producing"):
        registry.submit("ml-latest-small", Spec(), "taken-by-job")
    (config.models_dir() / "saved-model").mkdir(parents=True)
    with pytest.raises(StoreError, match="already exists"):
        registry.submit("ml-latest-small", Spec(), "saved-model")
    with pytest.raises(StoreError):
        registry.submit("ml-latest-small", Spec(), "../escape")
    with pytest.raises(MovierateError, match="dim"):
        registry.submit("ml-latest-small", Spec(bad=True), "bad-spec")
    with pytest.raises(MovierateError, match="No training job"):
        registry.snapshot("missing")
    release.set()
    assert registry.wait(job_id, 10).state == "done"


def test_max_workers_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", "3")
    assert JobRegistry(runner=lambda *a: "x").max_workers == 3
    monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", "zero")
    with pytest.raises(MovierateError, match="MOVIERATE_TRAINING_WORKERS"):
        JobRegistry(runner=lambda *a: "x")
    monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", "99999999999999999999")  # the recheck
    with pytest.raises(MovierateError, match="from 1 to 64"):
        JobRegistry(runner=lambda *a: "x")
    for odd in ("1_0", "\u0663"):  # int() reads these as 10 and 3 (recheck 2)
        monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", odd)
        with pytest.raises(MovierateError, match="from 1 to 64"):
            JobRegistry(runner=lambda *a: "x")
    monkeypatch.setenv("MOVIERATE_TRAINING_WORKERS", " ")  # set empty: as unset
    assert JobRegistry(runner=lambda *a: "x").max_workers == 1


@pytest.mark.slow
def test_default_runner_trains_and_saves_a_real_model(movielens_dir):
    from movierate import store
    from movierate.spec import ModelSpec

    registry = JobRegistry(max_workers=1)
    spec = ModelSpec(family="mf_bias", dim=4, epochs=2)
    snap = registry.wait(registry.submit("ml-latest-small", spec, "real-tiny"), timeout=300)
    assert snap.state == "done", snap.error
    assert len(snap.history["stop_rmse"]) == 2 and snap.fraction == 1.0
    infos, broken = store.list_models()
    assert [i.name for i in infos] == ["real-tiny"] and broken == []
    assert infos[0].has_test_rows and infos[0].test_rmse is not None


def _wait_until(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_a_generated_name_saved_elsewhere_first_moves_to_the_next_free_one(monkeypatch):
    from movierate import store

    seen = []

    def runner(dataset, spec, name, split_params, progress, cancel, name_base=None):
        seen.append((name, name_base))
        return name

    registry = JobRegistry(runner=runner, max_workers=1)
    name = registry.generate_name("auto-job")
    assert name == "auto-job"
    # another process (a second dashboard, the CLI) saves that name before the submit
    store.model_path(name).mkdir(parents=True)
    job = registry.submit("ml-100k", None, name)
    assert registry.wait(job, timeout=10).state == "done"
    assert seen == [("auto-job-2", "auto-job")]  # the runner may pick another at save time
    # a name the user typed is never changed
    with pytest.raises(StoreError, match="already exists"):
        registry.submit("ml-100k", None, "auto-job")


def test_submit_refuses_a_store_that_cannot_be_written(monkeypatch, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("x")
    monkeypatch.setenv("MOVIERATE_MODELS_DIR", str(plain))
    registry = JobRegistry(runner=lambda *a, **k: "x", max_workers=1)
    with pytest.raises(StoreError, match="MOVIERATE_MODELS_DIR"):
        registry.submit("ml-100k", None, "x")
    assert registry.jobs() == []
