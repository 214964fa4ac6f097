"""Background training jobs the dashboard starts and polls.

A :class:`JobRegistry` runs each training in its own worker thread, so a Streamlit page never
blocks on ``fit``. The registry lives for the whole server process (the dashboard keeps one in
``st.cache_resource``), so a page that is left and reopened, or a second browser tab, sees every
run. A model name is reserved when its job is submitted: two jobs can never write the same name.

At most ``max_workers`` jobs train at once (default 1, or ``MOVIERATE_TRAINING_WORKERS``):
TensorFlow already uses every core, so a second concurrent run only slows both down; later
jobs wait in the queue and can be cancelled there.

No Streamlit and no TensorFlow here: the default runner imports ``movierate.pipeline`` (and so
TensorFlow) inside the worker thread, on first use. The dashboard wraps its runner with
:func:`movierate.child_runner.in_child_process`: its worker threads only follow child processes.

>>> registry = JobRegistry()
>>> job_id = registry.submit("ml-latest-small", ModelSpec(dim=8, epochs=2), "tiny")  # doctest: +SKIP
>>> registry.wait(job_id).state  # doctest: +SKIP
'done'
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from movierate.errors import MovierateError, NameTakenError, TrainingCancelled
from movierate.filenames import twin_key
from movierate.progress import (
    LOADING_DATA,
    STARTING_TENSORFLOW,
    Phase,
    ProgressCallback,
    ProgressEvent,
    setup_event,
)
from movierate.run_ledger import LostRun, RunLedger

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
#: The phase of a job whose training has ended, while its test rows are scored and its model
#: written (recheck 15a, F3: "saving" read 11 s that were mostly scoring): too late to
#: cancel (recheck A, s27: a Cancel then was ignored without a word).
SAVING = "scoring the test rows and saving the model"
#: The phase of a job from its start until its runner reports what it waits for (a
#: :data:`movierate.progress.Phase.SETUP` event) or its first batch.
STARTING = "starting"
ACTIVE_STATES: frozenset[str] = frozenset({"queued", "running"})
#: The most finished runs a registry keeps (the latest); older ones are dropped from its list,
#: so a server that runs for weeks does not keep (and redraw) every run (bad-input round 25).
MAX_FINISHED_JOBS = 20


class Runner(Protocol):
    """Signature of :func:`movierate.pipeline.train_and_save`, which jobs run by default.

    A job whose name was made by :meth:`JobRegistry.generate_name` also passes the keyword
    ``name_base`` (the runner then saves under the next free name if that one is taken).
    """

    def __call__(
        self,
        dataset: str,
        spec: Any,
        name: str,
        split_params: Mapping[str, Any] | None,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> str: ...


def _pipeline_runner(
    dataset, spec, name, split_params, progress, cancel, name_base: str | None = None
) -> str:
    """Run ``movierate.pipeline.train_and_save``, importing it (and TensorFlow) only now. The
    job's name was checked free when it was submitted: taken since, the model is saved under
    the next free name (bad-input round 69, F1)."""
    from movierate import store
    from movierate.pipeline import train_and_save

    store.use_process_temp_dir()  # TensorFlow's autograph files: cleaned up even after a kill
    start_tensorflow(progress)
    return train_and_save(
        dataset,
        spec,
        name,
        split_params,
        progress=progress,
        cancel=cancel,
        name_base=name_base or name,
    )


def start_tensorflow(progress: ProgressCallback | None) -> None:
    """Import TensorFlow (through ``movierate.nn.training``) before a run loads its data,
    reporting :data:`~movierate.progress.STARTING_TENSORFLOW` while it loads and
    :data:`~movierate.progress.LOADING_DATA` once it has: the phases name the real wait
    (views round 39, F1: 57 s of "loading the data" were mostly TensorFlow's start)."""
    if progress is not None:
        progress(setup_event(STARTING_TENSORFLOW))
    import movierate.nn.training  # noqa: F401  (the slow part: TensorFlow and Keras)

    if progress is not None:
        progress(setup_event(LOADING_DATA))


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent, read-only view of one job at one moment (what the UI renders).

    ``submitted_at``, ``started_at`` and ``finished_at`` are :func:`time.monotonic` readings:
    for durations and order within this process, not dates to show.
    """

    id: str
    name: str
    dataset: str
    spec: Any
    split_params: dict[str, Any]
    state: JobState
    phase: str
    epoch: int
    epochs: int
    batch: int
    batches: int
    history: dict[str, list[float]]
    latest_metrics: dict[str, float]
    error: str | None
    error_details: str | None
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    model_name: str | None
    #: submission order in this registry (1, 2, ...): what :meth:`JobRegistry.jobs` sorts by
    seq: int = 0
    #: (seconds running, share done) at the first progress report: where a time estimate's
    #: pace starts, after the set-up (:func:`movierate.progress.time_estimate_text`)
    first_report: tuple[float, float] | None = None

    @property
    def active(self) -> bool:
        """True while the job is queued or running."""
        return self.state in ACTIVE_STATES

    @property
    def fraction(self) -> float:
        """Share of the planned epochs done, 0..1 (1-based ``epoch`` and ``batch`` as in events)."""
        if self.state == "done":
            return 1.0
        return share_done(self.epoch, self.epochs, self.batch, self.batches)

    @property
    def elapsed_seconds(self) -> float:
        """Seconds spent running so far (0 while queued), on the monotonic clock: a wall clock
        set back or forward meanwhile changes nothing (bad-input round 28, F2)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return max(end - self.started_at, 0.0)


@dataclass
class _Job:
    """Mutable job record; only the registry touches it, under ``lock``."""

    id: str
    name: str
    dataset: str
    spec: Any
    split_params: dict[str, Any]
    submitted_at: float
    seq: int = 0
    name_base: str | None = None  # the name was generated from this (store.unique_name)
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    state: JobState = "queued"
    phase: str = "waiting for a free worker"
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    latest_metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    error_details: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    finish_seq: int = 0  # the order in which jobs finished (what old runs are dropped by)
    model_name: str | None = None
    first_report: tuple[float, float] | None = None
    thread: threading.Thread | None = None

    def snapshot(self) -> JobSnapshot:
        with self.lock:
            return JobSnapshot(
                id=self.id,
                name=self.name,
                dataset=self.dataset,
                spec=self.spec,
                split_params=dict(self.split_params),
                state=self.state,
                phase=self.phase,
                epoch=self.epoch,
                epochs=self.epochs,
                batch=self.batch,
                batches=self.batches,
                history={k: list(v) for k, v in self.history.items()},
                latest_metrics=dict(self.latest_metrics),
                error=self.error,
                error_details=self.error_details,
                submitted_at=self.submitted_at,
                started_at=self.started_at,
                finished_at=self.finished_at,
                model_name=self.model_name,
                seq=self.seq,
                first_report=self.first_report,
            )

    def record(self, event: ProgressEvent) -> None:
        """Store one :class:`~movierate.progress.ProgressEvent`: position, latest metrics and
        per-epoch history.

        Phases: SETUP (before the first batch: its ``stage`` is the phase shown), BATCH
        (within an epoch), EPOCH (one ended; its metrics join the history) and DONE (training
        ended with the best epoch's metrics; the model is being saved). A cancelled job's
        phase stays "cancelling" until it stops.
        """
        metrics = {
            str(k): float(v)
            for k, v in (getattr(event, "metrics", None) or {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        phase = str(getattr(event, "phase", ""))
        with self.lock:
            if phase == Phase.SETUP:
                if not self.cancel.is_set():
                    self.phase = str(getattr(event, "stage", "") or self.phase)
                return
            if phase == Phase.DONE:  # the saved model's own figures; none from before stand
                # beside them (accuracy round 43, F2: a tuning trial's early-stopping RMSE did)
                self.latest_metrics = metrics
                self.phase = SAVING
                self.epoch = self.epochs = int(metrics.get("epochs_run", self.epoch))
                self.batch = self.batches
                return
            self.latest_metrics.update(metrics)
            self.epoch, self.epochs = int(event.epoch), int(event.epochs)
            self.batch, self.batches = int(event.batch), int(event.batches)
            self.phase = "cancelling" if self.cancel.is_set() else "training"
            if self.first_report is None and self.started_at is not None:
                share = share_done(self.epoch, self.epochs, self.batch, self.batches)
                self.first_report = (time.monotonic() - self.started_at, share)
            if phase == Phase.EPOCH:
                _append_epoch(self.history, {"epoch": float(self.epoch), **metrics})


def taken_then(name: str, said: str) -> str:
    """A run's failure because its name ``name`` was taken, worded as what was so when the run
    started (``said``: what it was told then), not now: the Runs list keeps it after the model
    that held the name may have been renamed or deleted (bad-input round 69, F2)."""
    return (
        f"Stopped before training, nothing saved: the name {name!r} was taken when this run "
        f"started (it was told then: {said.rstrip('.')}). The models may have changed since: "
        "see the Home page, then start the run again."
    )


def share_done(epoch: int, epochs: int, batch: int, batches: int) -> float:
    """Share of ``epochs`` done at 1-based ``epoch`` and ``batch`` of ``batches``, 0..1.

    >>> share_done(2, 4, 5, 10)
    0.375
    """
    if epochs <= 0:
        return 0.0
    within = batch / batches if batches > 0 else 0.0
    return float(min(max((epoch - 1 + within) / epochs, 0.0), 1.0))


def _append_epoch(history: dict[str, list[float]], row: Mapping[str, float]) -> None:
    """Append one epoch's metrics, keeping every column the same length (NaN where missing)."""
    n_before = len(history.get("epoch", []))
    for key in row.keys() - history.keys():
        history[key] = [float("nan")] * n_before
    for key, column in history.items():
        column.append(float(row.get(key, float("nan"))))


#: The most trainings MOVIERATE_TRAINING_WORKERS may allow at once (each takes its cores and
#: memory; the recheck found 99999999999999999999 accepted).
MAX_WORKERS = 64


def default_max_workers() -> int:
    """Concurrent trainings allowed: ``MOVIERATE_TRAINING_WORKERS`` (default 1)."""
    raw = os.environ.get("MOVIERATE_TRAINING_WORKERS", "").strip() or "1"  # empty: unset
    # ASCII digits only: int() also takes '1_0' (10) and '٣' (3; recheck 2)
    value = int(raw) if re.fullmatch("[0-9]{1,4}", raw) else 0
    if not 1 <= value <= MAX_WORKERS:
        raise MovierateError(
            f"MOVIERATE_TRAINING_WORKERS (how many trainings may run at once) must be a whole "
            f"number from 1 to {MAX_WORKERS}, got {raw!r}: set it to 1 (or 2 on a machine with "
            "cores to spare), or unset it, and restart the dashboard."
        )
    return value


class JobRegistry:
    """Process-wide set of training jobs: submit, poll snapshots, cancel, wait."""

    def __init__(
        self,
        runner: Runner | None = None,
        max_workers: int | None = None,
        keep_finished: int = MAX_FINISHED_JOBS,
        ledger: RunLedger | None = None,
    ) -> None:
        self._runner: Runner = runner or _pipeline_runner
        #: notes each queued or running job on disk, so that a later server can name the runs
        #: this one loses if it stops (:attr:`lost_runs`)
        self._ledger = ledger
        self._lost: list[LostRun] = ledger.claim_lost() if ledger is not None else []
        #: how many finished runs :meth:`jobs` keeps (the latest)
        self.keep_finished = keep_finished
        self._max_workers = max_workers if max_workers is not None else default_max_workers()
        if self._max_workers < 1:
            raise MovierateError(f"max_workers must be >= 1, got {self._max_workers}.")
        self._slots = threading.Semaphore(self._max_workers)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._generated: dict[str, str] = {}  # generated name -> the base it was made from
        self._dropped = 0
        # submit and finish order: never the wall clock, which may be set back (round 28, F1)
        self._submits = itertools.count(1)
        self._finishes = itertools.count(1)

    @property
    def max_workers(self) -> int:
        """How many jobs may train at the same time."""
        return self._max_workers

    def submit(
        self,
        dataset: str,
        spec: Any,
        name: str,
        split_params: Mapping[str, Any] | None = None,
    ) -> str:
        """Validate, reserve ``name`` and queue a training job; returns the job id.

        Raises ``SpecError`` for a bad spec or bad split options (``method``,
        ``test_fraction``, ``stop_fraction``, ``seed``: see ``pipeline.split_settings``) and
        ``StoreError`` for an invalid name or one that a saved model or another queued or
        running job already uses.
        """
        from movierate import store
        from movierate.pipeline import split_settings

        if hasattr(spec, "validate"):
            spec.validate()
        split_settings(split_params)  # fail now, not in the worker thread
        store.validate_name(name)
        store.check_writable()  # a store that cannot be written: now, not after the training
        # the runs folder's lock: another process's claim of this name waits for this note
        with self._lock, self._ledger.claiming() if self._ledger else contextlib.nullcontext():
            name_base = self._generated.pop(name, None)
            if name_base is not None:  # generated: taken meanwhile -> the next free name
                name = self._free_name_locked(name, name_base)
            if name in self._reserved_names_locked():
                raise NameTakenError(
                    f"A training job is already producing a model named {name!r}; "
                    "pick another name or wait for that job to finish."
                )
            if store.model_exists(name):
                raise store.name_taken(name)
            if held := store.held_by_run(name):  # a CLI run's (bad-input round 69, F1)
                raise held
            job = _Job(
                id=uuid.uuid4().hex[:12],
                name=name,
                dataset=dataset,
                spec=spec,
                split_params=dict(split_params or {}),
                submitted_at=time.monotonic(),
                seq=next(self._submits),
                name_base=name_base,
            )
            self._jobs[job.id] = job
            if self._ledger is not None:
                self._ledger.add(job.id, name, dataset)
        job.thread = threading.Thread(
            target=self._work, args=(job,), name=f"movierate-job-{name}", daemon=True
        )
        job.thread.start()
        return job.id

    def snapshot(self, job_id: str) -> JobSnapshot:
        """Current state of one job; ``MovierateError`` if the id is unknown."""
        return self._get(job_id).snapshot()

    @property
    def lost_runs(self) -> list[LostRun]:
        """Runs that an earlier server on this home folder had queued or running when it
        stopped (claimed when this registry was made); :meth:`LostRun.saved` tells one saved."""
        with self._lock:
            return list(self._lost)

    def dismiss_lost_runs(self) -> None:
        """Stop reporting :attr:`lost_runs`."""
        with self._lock:
            self._lost = []

    @property
    def dropped(self) -> int:
        """How many finished runs were dropped from :meth:`jobs` (beyond
        :attr:`keep_finished`) since the registry was made."""
        with self._lock:
            return self._dropped

    def jobs(self) -> list[JobSnapshot]:
        """The active jobs and the latest :attr:`keep_finished` finished ones, newest first."""
        with self._lock:
            jobs = list(self._jobs.values())
        return sorted((j.snapshot() for j in jobs), key=lambda s: s.seq, reverse=True)

    def is_active(self, job_id: str) -> bool:
        """True while job ``job_id`` is queued or running; False once it ended or is unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job is not None and job.snapshot().active

    def active_jobs(self) -> list[JobSnapshot]:
        """Queued and running jobs, newest first."""
        return [j for j in self.jobs() if j.active]

    def generate_name(self, base: str) -> str:
        """A free model name made from ``base`` (``base``, ``base-2``, ...), not used by a saved
        model or a queued or running job. A job submitted under it is saved under the next
        free name should another process (a second dashboard, the CLI) take it first."""
        from movierate import store

        with self._lock:
            name = self._free_name_locked(store.unique_name(base), base)
            self._generated[name] = base
            return name

    def _free_name_locked(self, name: str, base: str) -> str:
        from movierate import store

        reserved = self._reserved_names_locked()
        if twin_key(name) not in {twin_key(taken) for taken in reserved} and (
            store.free_name(name) == name
        ):
            return name
        # base, base-2, base-3, ...: the first that no job reserves, no saved model and no other
        # process's run takes (unique_name on an already suffixed name made base-2-2: views
        # round 16, F4; a CLI run's name was offered: bad-input round 69, F1)
        return store.free_name(base, reserved)

    def reserved_names(self) -> set[str]:
        """Model names that queued or running jobs will write."""
        with self._lock:
            return self._reserved_names_locked()

    def cancel(self, job_id: str) -> None:
        """Ask a job to stop: a queued job never starts, a running one stops at its next batch."""
        job = self._get(job_id)
        job.cancel.set()
        with job.lock:
            if job.state in ACTIVE_STATES:
                job.phase = "cancelling"

    def wait(self, job_id: str, timeout: float | None = None) -> JobSnapshot:
        """Block until the job finishes (or ``timeout`` seconds pass); returns its snapshot."""
        job = self._get(job_id)
        if job.thread is not None:
            job.thread.join(timeout)
        return job.snapshot()

    def _reserved_names_locked(self) -> set[str]:
        return {j.name for j in self._jobs.values() if j.state in ACTIVE_STATES}

    def _get(self, job_id: str) -> _Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise MovierateError(
                f"No training job with id {job_id!r} in this server process "
                "(jobs are forgotten when the server restarts)."
            )
        return job

    def _work(self, job: _Job) -> None:
        with self._slots:
            if job.cancel.is_set():
                self._finish(job, "cancelled", phase="cancelled before it started")
                return
            if self._ledger is not None:  # noted first: a run seen running is noted so
                self._ledger.started(job.id)
            with job.lock:
                job.state = "running"
                job.phase = STARTING
                job.started_at = time.monotonic()
            try:
                extra = {"name_base": job.name_base} if job.name_base is not None else {}
                model_name = self._runner(
                    job.dataset,
                    job.spec,
                    job.name,
                    job.split_params,
                    job.record,
                    job.cancel,
                    **extra,
                )
            except TrainingCancelled:
                self._finish(job, "cancelled", phase="cancelled")
            except NameTakenError as exc:  # true when it was said, not for ever (round 69, F2)
                self._finish(job, "failed", phase="failed", error=taken_then(job.name, str(exc)))
            except MovierateError as exc:
                self._finish(job, "failed", phase="failed", error=str(exc))
            except Exception as exc:  # the worker must report every failure, never die silently
                kind = getattr(exc, "original_type", type(exc).__name__)  # a child's error
                if getattr(exc, "details", None):  # the child's traceback, not this re-raise
                    log.error("Training job %s failed unexpectedly:\n%s", job.name, exc.details)
                else:
                    log.exception("Training job %s failed unexpectedly", job.name)
                self._finish(
                    job,
                    "failed",
                    phase="failed",
                    error=f"Training failed unexpectedly: {kind}: {exc}",
                    details=getattr(exc, "details", None) or traceback.format_exc(),
                )
            else:
                self._finish(job, "done", phase="done", model_name=model_name or job.name)

    def _finish(
        self,
        job: _Job,
        state: JobState,
        *,
        phase: str,
        error: str | None = None,
        details: str | None = None,
        model_name: str | None = None,
    ) -> None:
        with job.lock:
            job.state = state
            job.phase = phase
            job.error = error
            job.error_details = details
            job.model_name = model_name
            job.finished_at = time.monotonic()
        with self._lock:
            job.finish_seq = next(self._finishes)
        if self._ledger is not None:
            self._ledger.remove(job.id)
        self._drop_old_finished()

    def _drop_old_finished(self) -> None:
        """Keep the latest :attr:`keep_finished` finished jobs, counting those dropped."""
        with self._lock:
            finished = [j for j in self._jobs.values() if j.finish_seq]
            finished.sort(key=lambda j: j.finish_seq, reverse=True)
            for job in finished[self.keep_finished :]:
                del self._jobs[job.id]
                self._dropped += 1
