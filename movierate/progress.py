"""Progress events: the one contract between training and whoever watches it (jobs, CLI).

TensorFlow-free, so the dashboard and the CLI can read events without importing training.
``Phase`` is a ``str`` enum: ``Phase.EPOCH == "epoch"`` holds, so code that compares with the
plain strings keeps working.

>>> event = ProgressEvent(Phase.EPOCH, epoch=2, epochs=10, batch=50, batches=50)
>>> event.phase == "epoch", str(event.phase)
(True, 'epoch')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Phase(str, Enum):
    """Where training is."""

    #: Within an epoch: ``batch`` of ``batches`` done, ``metrics`` holds the running loss.
    BATCH = "batch"
    #: An epoch ended: ``metrics`` holds its train / stop (early-stopping) metrics and regularizer losses.
    EPOCH = "epoch"
    #: Training ended: ``epoch`` is the best epoch and ``metrics`` its metrics.
    DONE = "done"
    #: Before the first batch: ``stage`` says what the run is waiting for (:func:`setup_event`).
    SETUP = "setup"

    def __str__(self) -> str:
        return self.value


@dataclass
class ProgressEvent:
    """Where training is: phase, epoch of epochs, batch of batches, latest metrics; a SETUP
    event's ``stage`` names the wait before the first batch."""

    phase: Phase
    epoch: int
    epochs: int
    batch: int
    batches: int
    metrics: dict[str, float] = field(default_factory=dict)
    stage: str = ""


ProgressCallback = Callable[[ProgressEvent], None]

#: The stages a run reports before its first batch (views round 39, F1: "loading the data"
#: was shown for the 57 s of a child process importing TensorFlow, with the data cached).
STARTING_PROCESS = "starting the training process"
STARTING_TENSORFLOW = "starting TensorFlow"
LOADING_DATA = "loading the data and building the model"


def setup_event(stage: str) -> ProgressEvent:
    """A SETUP event: the run is now ``stage`` (e.g. :data:`STARTING_TENSORFLOW`)."""
    return ProgressEvent(Phase.SETUP, 0, 0, 0, 0, stage=stage)


#: A run projected to take longer than this gets a time estimate (bad-input round 32: 10,000
#: epochs at batch 1 ran ~13 s an epoch, 36 hours, and nothing said so).
LONG_RUN_SECONDS = 120.0


def duration_text(seconds: float) -> str:
    """``seconds`` rounded for people: "3 min", "2.5 h", "36 h", "4 days".

    >>> duration_text(150), duration_text(9000), duration_text(130_000), duration_text(4e5)
    ('2 min', '2.5 h', '36 h', '5 days')
    """
    if seconds < 90 * 60:
        return f"{max(round(seconds / 60), 1)} min"
    hours = seconds / 3600
    if hours < 10:
        return f"{hours:.1f} h"
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def time_estimate_text(
    elapsed: float, share_done: float, epochs: int, paced_from: tuple[float, float] = (0.0, 0.0)
) -> str:
    """ "about 36 h for 10,000 epochs at this pace (less if early stopping ends it)" when a run
    that did ``share_done`` (0..1) of its ``epochs`` in ``elapsed`` seconds is projected to take
    over :data:`LONG_RUN_SECONDS` in all; else "".

    ``paced_from`` (seconds into the run, share done then: its first progress report) is where
    the pace is measured from, so the set-up before it (loading, compiling the step) counts
    once instead of for every epoch (bad-input round 35: autorec's 11 s set-up, over 1/40 of
    epoch 1, read "about 15 min for 4 epochs" of 0.2 s each).

    >>> time_estimate_text(100.0, 0.01, 1000)
    'about 2.8 h for 1,000 epochs at this pace (less if early stopping ends it)'
    >>> time_estimate_text(11.5, 0.01, 4, paced_from=(11.0, 0.005))  # 11 s set-up: 22 s in all
    ''
    """
    start, share_then = paced_from
    if not share_then < share_done <= 1 or elapsed <= start:
        return ""
    total = elapsed + (1 - share_done) * (elapsed - start) / (share_done - share_then)
    if total <= LONG_RUN_SECONDS:
        return ""
    return (
        f"about {duration_text(total)} for {epochs:,} epoch{'' if epochs == 1 else 's'} at this "
        "pace (less if early stopping ends it)"
    )
