"""Progress shown on a terminal: the training bar and the download byte counter."""

from __future__ import annotations

import time
from typing import Any, TextIO

from movierate.progress import Phase, ProgressEvent


class ProgressBar:
    """Training progress on a stream: a live bar on terminals, one line per epoch otherwise."""

    WIDTH = 24
    REFRESH_SECONDS = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._epoch_started = time.perf_counter()
        self._line_open = False

    def __call__(self, event: ProgressEvent) -> None:
        phase, epoch, epochs = event.phase, event.epoch, event.epochs
        metrics = getattr(event, "metrics", None) or {}
        if phase == Phase.EPOCH:
            seconds = time.perf_counter() - self._epoch_started
            self._write(f"epoch {epoch}/{epochs} done in {seconds:.1f} s  {_metric_text(metrics)}")
            self._finish_line()
            self._epoch_started = time.perf_counter()
            return
        if not self.live or phase == Phase.DONE:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.REFRESH_SECONDS:
            return
        self._last_draw = now
        batch, batches = (
            int(getattr(event, "batch", 0) or 0),
            int(getattr(event, "batches", 0) or 0),
        )
        if batches:
            filled = round(self.WIDTH * min(batch / batches, 1.0))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"epoch {epoch}/{epochs} [{bar}] batch {batch}/{batches}"
        else:
            text = phase or "working"
        self._write(f"{text}  {_metric_text(metrics)}".rstrip())

    def close(self) -> None:
        """End an open progress line."""
        if self._line_open:
            self._finish_line()

    def _write(self, text: str) -> None:
        if self.live:
            _redraw(self.stream, text)
            self._line_open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _finish_line(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
        self._line_open = False


def _redraw(stream: TextIO, text: str) -> None:
    """Replace the terminal's current line with ``text``: the carriage return and erase-line
    codes go out as codes, ``text`` (which may hold names from the data) as printable text."""
    getattr(stream, "write_control", stream.write)("\r\033[K")
    stream.write(text)


def _metric_text(metrics: dict[str, Any]) -> str:
    return "  ".join(
        f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, int | float) and k != "epoch"
    )


class DownloadProgress:
    """``cb(done_bytes, total_bytes)`` printing a byte counter on a stream (live on terminals)."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label, self.stream = label, stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if now - self._last < 0.1 and not (total and done >= total):
            return
        self._last = now
        text = f"downloading {self.label}: {done / 1e6:.1f} MB"
        if total:
            text += f" of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)"
        if self.live:
            _redraw(self.stream, text)
            self._drawn = True
        elif total and done >= total:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
