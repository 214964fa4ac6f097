"""The Embeddings map's computation on the page: a background job with a live progress bar
and a Cancel button (:mod:`movierate.explore.map_jobs`).

A map that is ready within :data:`INLINE_WAIT_S` (cached, PCA, small) is drawn in the same
script run; a longer one leaves the run free (the page, its tabs and every other page stay
usable) and a fragment polls the job every half second, showing its real progress, until it
finishes and the page is drawn again with the map. Leaving the page does not stop the job:
the map is cached beside the model for the next visit. Cancel stops it at its next iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from movierate.explore.map_jobs import MapJob, MapJobs
from movierate.explore.projection import steady_from
from movierate.ui import shell, state

#: Seconds a script run waits for a map before handing its progress to the polling fragment.
INLINE_WAIT_S = 2.0
#: Seconds a script run waits before it draws a progress bar at all.
QUIET_WAIT_S = 0.3
#: Seconds between two looks at a running map's progress.
POLL_S = 0.5
#: Session-state key of the latest cancelled map's notice, by its job key.
_CANCELLED = "map_cancelled"
#: The time left is told as the band that holds LEFT_SPREAD x :attr:`MapJob.seconds_left` +
#: LEFT_TAIL_S: the real time left was up to 3x the steady phase's figure (openTSNE slowed
#: 2-4x over its last 100 iterations) and the trust numbers after the last one took 1.5-3 s
#: (recheck 16b, F1: a point figure said "about 5 s left" with 13 s to go, "0 s" for 3 s).
LEFT_SPREAD, LEFT_TAIL_S = 3.0, 3.0
#: (at most this many seconds, what the bar says), in order; past the last, see time_left_text.
LEFT_BANDS = (
    (10, "almost done"),
    (30, "under 30 s left"),
    (60, "under a minute left"),
    (120, "under 2 minutes left"),
    (180, "under 3 minutes left"),
    (300, "under 5 minutes left"),
    (600, "under 10 minutes left"),
    (1800, "under half an hour left"),
)


@st.cache_resource(show_spinner=False)
def map_jobs() -> MapJobs:
    """The process-wide map jobs, shared by every session (two users asking for the same map
    share one computation)."""
    return MapJobs()


def job_key(model: Any, method: str, params: dict[str, Any]) -> str:
    """The job of one map: the model as saved on disk, the method and its parameters."""
    return f"{state._cache_key(model)}|{method}|{sorted(params.items())!r}"  # derived models too


def map_in_progress(model: Any, method: str, params: dict[str, Any]) -> bool:
    """Whether this map is computing now (asked for before a reload, in another tab or by
    another user): its page shows the progress, not "press Compute map" (bad-input round 50,
    F1: a reload said the map was never computed while it ran on)."""
    job = map_jobs().get(job_key(model, method, params))
    return job is not None and job.running and not job.cancel_requested


def map_or_progress(
    model: Any, method: str, params: dict[str, Any], on_cancel: Callable[[], None]
) -> Any:
    """The map frame of ``explore.model_map(model, method=method, **params)`` if it is ready
    within :data:`INLINE_WAIT_S`, else None after drawing its live progress; its Cancel button
    shows from :data:`QUIET_WAIT_S` on (``on_cancel`` runs when pressed, e.g. to forget that
    the map was asked for). Raises the job's error if it failed."""
    from movierate import explore

    key = job_key(model, method, params)

    def compute(progress, cancel):
        return explore.model_map(model, method=method, progress=progress, cancel=cancel, **params)

    job = map_jobs().start(key, compute)
    job.wait(QUIET_WAIT_S)  # a cached or PCA map: no progress bar flashing by
    if job.running:
        # the bar (first this run's own, then the polling fragment's) above one Cancel button,
        # drawn at once: it used to come with the fragment, 2.5-4 s after the bar, so a short
        # neighbour search could pass without it (recheck 6)
        area, button = st.container(), st.empty()
        cancel_button(button, job, on_cancel)
        with area:
            bar = st.empty()
            deadline = time.monotonic() + INLINE_WAIT_S
            while job.running and time.monotonic() < deadline:
                bar.progress(job.fraction, text=progress_text(job))
                job.wait(0.1)
            bar.empty()
            if job.running:
                live_progress(job)
                return None
        button.empty()  # ready within the wait: the map follows, no Cancel beside it
    map_jobs().forget(key)  # the map is on disk now: the next request reads it from there
    if job.error is not None:
        raise job.error
    return job.result


def loading_text(frame: pd.DataFrame) -> str:
    """What a map's page says while it draws a map it has: "Loading the saved t-SNE map of
    1,958 movies..." when read from the model's cache, else "Drawing the ... map"."""
    from movierate.explore import METHOD_LABELS

    method = frame.attrs.get("method")
    n = f"{len(frame):,} movie{'' if len(frame) == 1 else 's'}"
    if method not in METHOD_LABELS:  # coordinates uploaded by the user
        return f"Drawing your map of {n}…"
    if frame.attrs.get("from_cache"):
        return f"Loading the saved {METHOD_LABELS[method]} map of {n}…"
    return f"Drawing the {METHOD_LABELS[method]} map of {n}…"


def time_left_text(seconds: float) -> str:
    """What the bar says of ``seconds`` left at the steady pace (:attr:`MapJob.seconds_left`):
    the band of :data:`LEFT_BANDS` that holds its spread ("under a minute left", "almost
    done"), never "0 s" while the map runs; past the bands, "more than N minutes left at the
    recent pace"."""
    most = LEFT_SPREAD * seconds + LEFT_TAIL_S
    said = next((text for limit, text in LEFT_BANDS if most <= limit), None)
    return said or f"more than {seconds // 60:.0f} minutes left at the recent pace"


def progress_text(job: MapJob) -> str:
    """The job's own message, its running time and, in its steady phase, the time left as a
    band (:func:`time_left_text`); before that phase, from which step it will be told."""
    elapsed = f"{job.seconds:.0f} s"
    left = job.seconds_left
    if left is not None:
        return f"{job.message} ({elapsed}; {time_left_text(left)})"
    if job.iterating and job.step is not None:
        word, done, total = job.step
        start = steady_from(word, total)
        if done < start < total:  # t-SNE's early exaggeration, UMAP's first epochs
            return (
                f"{job.message} ({elapsed}; the time left shows from {word} {start:,} on, "
                "when the pace settles)"
            )
        if start < total:
            return f"{job.message} ({elapsed}; estimating the time left…)"
    return f"{job.message} ({elapsed})"  # before the iterations, and the trust numbers


def cancel_button(place: Any, job: MapJob, on_cancel: Callable[[], None]) -> None:
    """The running map's Cancel button in ``place`` (an ``st.empty``); a click reruns the
    page, which then leaves the map."""
    place.button(
        "Cancelling…" if job.cancel_requested else "Cancel",
        key="map_cancel",
        icon=":material/cancel:",
        disabled=job.cancel_requested,
        on_click=cancel_job,
        args=(job, on_cancel),
        help="Stops the map at its next iteration; nothing is saved.",
    )


@shell.fragment(run_every=POLL_S)
def live_progress(job: MapJob) -> None:
    """The job's progress bar, redrawn every :data:`POLL_S` seconds; the whole page runs
    again once the job has finished (to draw the map or say it stopped)."""
    if not job.running:
        st.rerun(scope="app")
    st.progress(job.fraction, text=progress_text(job))
    st.caption(
        "The map computes in the background: the other tabs and pages stay usable, and it "
        "is saved beside the model even if you leave this page."
    )


def cancel_job(job: MapJob, on_cancel: Callable[[], None]) -> None:
    """The Cancel button's callback: stops the job and keeps what to say of it for
    :func:`show_cancelled`, where the map would have gone."""
    job.cancel()
    on_cancel()
    st.session_state[_CANCELLED] = {job.key: cancelled_text(job)}


def cancelled_text(job: MapJob) -> str:
    """What a cancelled map did ("The map was cancelled after 45 s, at iteration 330 of
    500; nothing was saved.") and how to start it again."""
    if job.step is None:
        where = "before its first iteration"
    elif job.iterating:
        word, done, total = job.step
        where = f"at {word} {done:,} of {total:,}"
    else:
        where = "after its last iteration, while measuring how much the map keeps"
    return (
        f"The map was cancelled after {job.seconds:.0f} s, {where}; nothing was saved. "
        "Press **Compute map** to start it again."
    )


def show_cancelled(model: Any, method: str, params: dict[str, Any]) -> None:
    """Say, once, that this map was cancelled (views round 43, F2: after a Cancel the map
    tab showed only its first-visit prompt; the notice was above the page title)."""
    said = st.session_state.get(_CANCELLED) or {}
    text = said.get(job_key(model, method, params))
    if text is not None:
        st.session_state.pop(_CANCELLED, None)
        st.warning(text, icon=":material/cancel:")
