"""Maps computed in the background: one thread per requested map, its live progress, a cancel.

The dashboard starts a t-SNE / UMAP map with :meth:`MapJobs.start` and returns at once, so the
page (and every other page) stays usable while the map computes; the page then shows the job's
``fraction`` and ``message`` (real: counted from the method's own iterations, see
:func:`movierate.explore.projection.iteration_hook`) and a Cancel button that calls
:meth:`MapJob.cancel`. Asking again for a map that is already being computed returns the same
job. A finished map is also on disk beside its model, so later requests read it from there.

A finished job waits for the page that asked to show it (and :meth:`MapJobs.forget` it); one
that no page shows (its tab closed, a map cancelled and never asked for again) is dropped
after :data:`KEEP_FINISHED_S`, and at most :data:`MAX_FINISHED` are kept, so a server that
runs for weeks does not keep every abandoned map (bad-input round 25, F2). A page that finds
its job dropped starts it again, which reads the saved map from disk.

>>> jobs = MapJobs()
>>> job = jobs.start("model|tsne|...", lambda progress, cancel: model_map(  # doctest: +SKIP
...     model, method="tsne", progress=progress, cancel=cancel))
>>> job.fraction, job.message, job.state  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from movierate.explore.projection import MapCancelled, Progress, steady_from, step_of

#: compute(progress, cancel) -> the map frame
Compute = Callable[[Progress, threading.Event], Any]
RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
#: Seconds a finished job waits for its page (which polls twice a second) before it is dropped.
KEEP_FINISHED_S = 600.0
#: The most finished jobs kept (the newest) however recent.
MAX_FINISHED = 16
#: Seconds of the steady phase's latest iterations whose pace :attr:`MapJob.seconds_left`
#: weighs beside that phase's mean pace (the slower of the two counts).
RATE_WINDOW_S = 10.0
#: Seconds of the steady phase (:func:`~movierate.explore.projection.steady_from`) measured
#: before a time left is told at all.
RATE_AFTER_S = 2.0


class MapJob:
    """One map being computed in its own thread: state, fraction done, message, result."""

    def __init__(self, key: str, compute: Compute) -> None:
        self.key = key
        self.state = RUNNING
        self.fraction = 0.0
        self.message = "Starting…"
        self.result: Any = None
        self.error: BaseException | None = None
        # time.monotonic(): durations and the keep window ignore wall clock changes (round 28, F3)
        self.started = time.monotonic()
        self.finished: float | None = None
        #: (time, iterations done) of the steady phase's first report and of its latest
        #: :data:`RATE_WINDOW_S` seconds, and the step (``("iteration", done, total)``) the
        #: job last reported, None before the first
        self._settled: tuple[float, int] | None = None
        self._steps: deque[tuple[float, int]] = deque()
        self.step: tuple[str, int, int] | None = None
        self._cancel = threading.Event()
        self._compute: Compute | None = compute
        self._thread = threading.Thread(target=self._run, name="movierate-map-job", daemon=True)

    def _run(self) -> None:
        try:
            self.result = self._compute(self._report, self._cancel)
            self.state = DONE
            self.fraction = 1.0
        except MapCancelled as exc:
            self.error, self.state = exc, CANCELLED
        except BaseException as exc:  # shown to the user by the page that asked
            self.error, self.state = exc, FAILED
        finally:
            self._compute = None  # its closure holds the model: a deleted model is let go
            self.finished = time.monotonic()

    def _report(self, fraction: float, message: str) -> None:
        self.fraction = min(max(float(fraction), self.fraction), 1.0)  # never moves back
        self.message = message
        step = step_of(message)
        if step is None:
            return
        self.step = step
        word, done, total = step
        if done < steady_from(word, total):
            return
        now = time.monotonic()
        if self._settled is None:
            self._settled = (now, done)
        if not self._steps or self._steps[-1][1] != done:
            self._steps.append((now, done))
        while len(self._steps) > 2 and now - self._steps[1][0] >= RATE_WINDOW_S:
            self._steps.popleft()

    def start(self) -> MapJob:
        """Start the job's thread; returns the job."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called (the job may still be finishing an iteration)."""
        return self._cancel.is_set()

    @property
    def seconds(self) -> float:
        """Seconds since the start (until the end once finished)."""
        end = self.finished if self.finished is not None else time.monotonic()
        return max(end - self.started, 0.0)

    @property
    def iterating(self) -> bool:
        """True while the job reports iterations (not its neighbour search or trust numbers)."""
        return step_of(self.message) is not None

    @property
    def seconds_left(self) -> float | None:
        """Seconds until the last iteration at the steady phase's pace, counted up to now (a
        stall slows it): the slower of its mean since the phase began and its latest
        :data:`RATE_WINDOW_S` seconds. None outside that phase and until :data:`RATE_AFTER_S`
        seconds of it were seen (recheck 16b, F1: the pace of 10 s of t-SNE's first
        iterations said "about 498 s left" with 42 s to go)."""
        if not self.iterating or self.step is None or self._settled is None or not self._steps:
            return None
        (first, done_first), (recent, done_recent) = self._settled, self._steps[0]
        last, done = self._steps[-1]
        now = max(time.monotonic(), last)
        if last - first < RATE_AFTER_S or done <= done_first:
            return None
        pace = (done - done_first) / (now - first)
        if done > done_recent and now > recent:
            pace = min(pace, (done - done_recent) / (now - recent))
        return (self.step[2] - done) / pace

    def cancel(self) -> None:
        """Ask the map to stop; it does at its next iteration (state becomes ``cancelled``)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` seconds); True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class MapJobs:
    """The maps of one process, by key (model, method and parameters)."""

    def __init__(
        self, keep_finished_s: float = KEEP_FINISHED_S, max_finished: int = MAX_FINISHED
    ) -> None:
        self._jobs: dict[str, MapJob] = {}
        self._lock = threading.Lock()
        self.keep_finished_s, self.max_finished = keep_finished_s, max_finished

    def start(self, key: str, compute: Compute) -> MapJob:
        """The job computing ``key``: a running or finished one if there is one, else a new
        one started now (a failed or cancelled one is replaced)."""
        with self._lock:
            self._drop_old_locked()
            job = self._jobs.get(key)
            if job is not None and job.state in (RUNNING, DONE):
                return job
            job = MapJob(key, compute)
            self._jobs[key] = job
        return job.start()

    def get(self, key: str) -> MapJob | None:
        """The job of ``key``, if one was started (and neither forgotten nor dropped)."""
        with self._lock:
            self._drop_old_locked()
            return self._jobs.get(key)

    def _drop_old_locked(self) -> None:
        """Drop finished jobs older than ``keep_finished_s`` and beyond ``max_finished``."""
        finished = sorted(
            (job for job in self._jobs.values() if job.finished is not None),
            key=lambda job: job.finished or 0.0,
            reverse=True,
        )
        too_old = time.monotonic() - self.keep_finished_s
        for n, job in enumerate(finished):
            if n >= self.max_finished or (job.finished or 0.0) < too_old:
                del self._jobs[job.key]

    def forget(self, key: str) -> None:
        """Drop the job of ``key`` (a running one is cancelled first)."""
        with self._lock:
            job = self._jobs.pop(key, None)
        if job is not None and job.running:
            job.cancel()

    def running(self) -> list[MapJob]:
        """The jobs still computing."""
        with self._lock:
            return [job for job in self._jobs.values() if job.running]
