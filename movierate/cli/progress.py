"""Progress shown on a terminal: the training bar and the download byte counter.

A live line is redrawn in place only on a terminal that takes control codes (not ``TERM=dumb``),
and never wider than the terminal: a wrapped line leaves its upper rows behind at every redraw
(bad-input round 18: a 58-character bar on a 20-column terminal).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from typing import Any, TextIO

from movierate.progress import Phase, ProgressEvent


class ProgressBar:
    """Training progress on a stream: a live bar on terminals, one line per epoch otherwise."""

    WIDTH = 24
    #: The narrowest bar drawn; on a narrower terminal the line goes without one.
    MIN_WIDTH = 5
    REFRESH_SECONDS = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = is_live(stream)
        self._last_draw = 0.0
        self._epoch_started = time.perf_counter()
        self._line_open = False

    def __call__(self, event: ProgressEvent) -> None:
        phase, epoch, epochs = event.phase, event.epoch, event.epochs
        metrics = getattr(event, "metrics", None) or {}
        if phase == Phase.EPOCH:
            seconds = time.perf_counter() - self._epoch_started
            # the first epoch's clock starts before the model is built and compiled, which
            # the summary's training time leaves out (README review s31)
            extra = " (with the model's set-up)" if epoch == 1 else ""
            self._write(
                f"epoch {epoch}/{epochs} done in {seconds:.1f} s{extra}  {_metric_text(metrics)}"
            )
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
        if not batches:
            self._write(f"{phase or 'working'}  {_metric_text(metrics)}".rstrip(), fit=True)
            return
        start, end = f"epoch {epoch}/{epochs} ", f" batch {batch}/{batches}"
        rest = f"{end}  {_metric_text(metrics)}".rstrip()
        room = terminal_columns(self.stream) - 1 - len(start) - len(rest) - 2  # 2: the brackets
        width = min(self.WIDTH, room)
        if width < self.MIN_WIDTH:  # too narrow for a bar: the counts say how far it is
            self._write(f"{start.rstrip()}{rest}", fit=True)
            return
        filled = round(width * min(batch / batches, 1.0))
        self._write(f"{start}[{'#' * filled}{'-' * (width - filled)}]{rest}", fit=True)

    def close(self) -> None:
        """End an open progress line."""
        if self._line_open:
            self._finish_line()

    def _write(self, text: str, *, fit: bool = False) -> None:
        """Redraw the live line with ``text`` (cut to the terminal's width when ``fit``: a line
        ended right after may wrap), or write it as a line of its own."""
        if self.live:
            _redraw(self.stream, text, fit=fit)
            self._line_open = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _finish_line(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
        self._line_open = False


def is_live(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that takes the codes of a line redrawn in place: not
    when it is a file or pipe, nor where ``TERM=dumb`` says the terminal has no such codes."""
    if os.environ.get("TERM", "").strip().lower() == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def terminal_columns(stream: TextIO) -> int:
    """How many columns the terminal ``stream`` writes to has: ``COLUMNS`` when set, else the
    width of that terminal (not stdout's, which may be a file), else shutil's guess (80)."""
    with contextlib.suppress(ValueError):
        if (columns := int(os.environ.get("COLUMNS", ""))) > 0:
            return columns
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # no descriptor, or no terminal behind it
        return shutil.get_terminal_size().columns


def _redraw(stream: TextIO, text: str, *, fit: bool = True) -> None:
    """Replace the terminal's current line with ``text``, cut to the terminal's width when
    ``fit`` (the erase-line code clears one row: the rows of a wrapped line would stay): the
    carriage return and erase-line codes go out as codes, ``text`` (which may hold names from
    the data) as printable text."""
    if fit:
        text = _fitted(text, terminal_columns(stream) - 1)
    getattr(stream, "write_control", stream.write)("\r\033[K")
    stream.write(text)


def _fitted(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a space, never inside a number (``1/8`` of
    ``1/80``); a first word longer than that is cut where it must be."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit, 1)]
    if text[len(cut)] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip()


def _metric_text(metrics: dict[str, Any]) -> str:
    return "  ".join(
        f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, int | float) and k != "epoch"
    )


class DownloadProgress:
    """``cb(done_bytes, total_bytes)`` printing a byte counter on a stream (live on terminals)."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label, self.stream = label, stream
        self.live = is_live(stream)
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
