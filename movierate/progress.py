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

    def __str__(self) -> str:
        return self.value


@dataclass
class ProgressEvent:
    """Where training is: phase, epoch of epochs, batch of batches, latest metrics."""

    phase: Phase
    epoch: int
    epochs: int
    batch: int
    batches: int
    metrics: dict[str, float] = field(default_factory=dict)


ProgressCallback = Callable[[ProgressEvent], None]
