"""Maps computed in the background: one thread per requested map, its live progress, a cancel.

The dashboard starts a t-SNE / UMAP map with :meth:`MapJobs.start` and returns at once, so the
page (and every other page) stays usable while the map computes; the page then shows the job's
``fraction`` and ``message`` (real: counted from the method's own iterations, see
:func:`movierate.explore.projection.iteration_hook`) and a Cancel button that calls
:meth:`MapJob.cancel`. Asking again for a map that is already being computed returns the same
job. A finished map is also on disk beside its model, so later requests read it from there.

>>> jobs = MapJobs()
>>> job = jobs.start("model|tsne|...", lambda progress, cancel: model_map(  # doctest: +SKIP
...     model, method="tsne", progress=progress, cancel=cancel))
>>> job.fraction, job.message, job.state  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from movierate.explore.projection import MapCancelled, Progress

#: compute(progress, cancel) -> the map frame
Compute = Callable[[Progress, threading.Event], Any]
RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


class MapJob:
    """One map being computed in its own thread: state, fraction done, message, result."""

    def __init__(self, key: str, compute: Compute) -> None:
        self.key = key
        self.state = RUNNING
        self.fraction = 0.0
        self.message = "Starting…"
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = time.time()
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._compute = compute
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
            self.finished = time.time()

    def _report(self, fraction: float, message: str) -> None:
        self.fraction = min(max(float(fraction), self.fraction), 1.0)  # never moves back
        self.message = message

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
        return (self.finished or time.time()) - self.started

    def cancel(self) -> None:
        """Ask the map to stop; it does at its next iteration (state becomes ``cancelled``)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` seconds); True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


class MapJobs:
    """The maps of one process, by key (model, method and parameters)."""

    def __init__(self) -> None:
        self._jobs: dict[str, MapJob] = {}
        self._lock = threading.Lock()

    def start(self, key: str, compute: Compute) -> MapJob:
        """The job computing ``key``: a running or finished one if there is one, else a new
        one started now (a failed or cancelled one is replaced)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state in (RUNNING, DONE):
                return job
            job = MapJob(key, compute)
            self._jobs[key] = job
        return job.start()

    def get(self, key: str) -> MapJob | None:
        """The job of ``key``, if one was started (and not forgotten)."""
        with self._lock:
            return self._jobs.get(key)

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
