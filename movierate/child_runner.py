"""Run a training job in a child process, at a lower priority than the dashboard.

A training in the dashboard's own process shared its interpreter with every page drawn for
every tab: a new tab took a median 5.5 s while a model trained, 2.2 s idle; in a child, 1.7-2.6 s
(README, "Training from the dashboard"; ``benchmarks/bench_dashboard_training.py``).
:func:`in_child_process` wraps a
:class:`movierate.jobs.Runner` so that each job runs in a child Python process
(``python -m movierate.child_runner``), niced by :data:`NICENESS`. The child sends its progress
events back on its standard output (its prints go to standard error) and stops at its next batch
when told ``stop`` on its standard input, or when that input ends (the dashboard is gone). The
dashboard process then never imports TensorFlow at all.

Not ``multiprocessing``: its spawn start re-runs the parent's main script in the child, and under
``streamlit run`` that is the app itself.

What the child raises reaches the job registry as in a thread: ``TrainingCancelled``,
``NameTakenError`` and every other ``MovierateError`` as that error's message, anything else as :class:`ChildFailure` with the
child's own traceback. A child that dies without a word (killed, out of memory) is a
``MovierateError`` that says so.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from movierate.errors import MovierateError, NameTakenError, TrainingCancelled
from movierate.progress import STARTING_PROCESS, ProgressCallback, setup_event

#: How much lower than the dashboard a training child runs (``os.nice`` increment), so that
#: pages for other tabs come first when both want the cores (measured: no gain beyond the
#: separate process's on an idle 2-core machine; harmless).
NICENESS = 10
#: Seconds between checks of the cancel flag while no message arrives.
POLL_SECONDS = 0.2
#: Seconds a cancelled child may take to stop at its next batch before it is killed.
CANCEL_GRACE_SECONDS = 60.0
STOP = b"stop\n"
#: Seconds the child waits, after sending its outcome, for the parent to close its input.
INPUT_END_SECONDS = 3.0


class ChildFailure(Exception):
    """An unexpected error in the training child: ``original_type`` and the child's ``details``."""

    def __init__(self, message: str, original_type: str, details: str) -> None:
        super().__init__(message)
        self.original_type = original_type
        self.details = details


def in_child_process(runner: Any, *, tensorflow: bool = False) -> Any:
    """A job runner that runs ``runner`` (a picklable top-level function with the
    :class:`movierate.jobs.Runner` signature) in a niced child process.

    Its progress first names the wait: :data:`~movierate.progress.STARTING_PROCESS`, then
    with ``tensorflow`` (a runner that trains) the child imports TensorFlow before
    ``runner`` starts, reporting it (:func:`movierate.jobs.start_tensorflow`)."""

    def run_in_child(
        dataset: str,
        spec: Any,
        name: str,
        split_params: Mapping[str, Any] | None,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        **extra: Any,
    ) -> str:
        job = (runner, (dataset, spec, name, split_params), dict(extra), tensorflow)
        if progress is not None:
            progress(setup_event(STARTING_PROCESS))
        return _run(job, progress, cancel)

    run_in_child.__doc__ = f"{getattr(runner, '__name__', 'runner')}, run in a child process."
    return run_in_child


def _run(job: tuple[Any, ...], progress: ProgressCallback | None, cancel) -> str:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, env.get("PYTHONPATH"))))
    child = subprocess.Popen(
        [sys.executable, "-m", "movierate.child_runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    outcome: tuple[str, Any] | None = None
    try:
        pickle.dump(list(sys.path), child.stdin)  # the child finds what the parent finds
        pickle.dump(job, child.stdin)
        child.stdin.flush()
        outcome = _follow(child, progress, cancel)
    except (BrokenPipeError, OSError):
        outcome = None  # the child died at its start: its exit code says how below
    finally:
        # The end of its input stops a child still training, and lets one that has sent its
        # outcome exit: its stdin watcher ends before the interpreter's shutdown (round 25 F1).
        with contextlib.suppress(OSError):
            child.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(CANCEL_GRACE_SECONDS if outcome is None else 5.0)
        if child.poll() is None:
            child.kill()
        child.wait()
    return _result(outcome, child.returncode)


def _follow(child: subprocess.Popen, progress, cancel) -> tuple[str, Any] | None:
    """Pass the child's progress events on until it sends its outcome or its output ends."""
    messages: queue.Queue[tuple[str, Any] | None] = queue.Queue()
    reader = threading.Thread(target=_read_messages, args=(child.stdout, messages), daemon=True)
    reader.start()
    told_stop = False
    while True:
        if cancel is not None and cancel.is_set() and not told_stop:
            told_stop = _tell_stop(child)
        try:
            message = messages.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue
        if message is None:
            return None
        kind, payload = message
        if kind != "progress":
            return kind, payload
        if progress is not None:
            progress(payload)


def _read_messages(stream: IO[bytes], messages: queue.Queue) -> None:
    with contextlib.suppress(EOFError, OSError, pickle.UnpicklingError):
        while True:
            messages.put(pickle.load(stream))
    messages.put(None)


def _tell_stop(child: subprocess.Popen) -> bool:
    with contextlib.suppress(OSError, ValueError):
        child.stdin.write(STOP)
        child.stdin.flush()
    return True


def _result(outcome: tuple[str, Any] | None, exitcode: int | None) -> str:
    """The runner's return value, or the child's error raised here."""
    if outcome is None:
        how = (
            f"was killed by signal {-exitcode}"
            if exitcode is not None and exitcode < 0
            else f"ended with exit code {exitcode}"
        )
        raise MovierateError(
            f"The training process {how} before it finished; nothing was saved. If the machine "
            "ran out of memory, try a smaller dataset, embedding dimension or batch size, or "
            "close other programs, then train again."
        )
    kind, payload = outcome
    if kind == "done":
        return payload
    if kind == "cancelled":
        raise TrainingCancelled(payload)
    if kind == "taken":
        raise NameTakenError(payload)
    if kind == "error":
        raise MovierateError(payload)
    message, original_type, details = payload
    raise ChildFailure(message, original_type, details)


def _watch_stdin(stop: threading.Event) -> None:
    """Set ``stop`` when the parent says so or its end of the pipe closes."""
    with contextlib.suppress(OSError, ValueError):
        for line in sys.stdin.buffer:
            if line == STOP:
                break
    stop.set()


def _exit_once_input_ends(watcher: threading.Thread | None) -> None:
    """Wait for :func:`_watch_stdin` to end before the interpreter shuts down.

    A daemon thread still blocked reading ``sys.stdin`` at shutdown holds the buffer's lock, and
    the interpreter aborts ("Fatal Python error: _enter_buffered_busy", SIGABRT) after the
    outcome was sent (bad-input round 25, F1). The parent closes our input once it has the
    outcome; if it does not within :data:`INPUT_END_SECONDS`, leave without that shutdown.
    """
    if watcher is None:
        return
    watcher.join(INPUT_END_SECONDS)
    if watcher.is_alive():
        from movierate import atomic

        if (folder := atomic.process_temp_dir()) is not None:
            atomic.remove_tree(folder)  # what the skipped exit handler would have done
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(0)


def main() -> None:
    """The child: lower its priority, run the job it is sent, send progress and the outcome."""
    messages = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints (TensorFlow's too) go to stderr
    with contextlib.suppress(AttributeError, ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the dashboard: it stops us
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)
    lock = threading.Lock()
    watcher: threading.Thread | None = None

    def send(message: tuple[str, Any]) -> None:
        with lock:
            pickle.dump(message, messages)
            messages.flush()

    try:
        sys.path[:] = pickle.load(sys.stdin.buffer)
        runner, args, extra, tensorflow = pickle.load(sys.stdin.buffer)
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_stdin, args=(stop,), daemon=True)
        watcher.start()
        from movierate import store

        store.use_process_temp_dir()  # TensorFlow's autograph files: cleaned up even after a kill

        def progress(event: Any) -> None:
            send(("progress", event))

        if tensorflow:
            from movierate.jobs import start_tensorflow

            start_tensorflow(progress)
        outcome: tuple[str, Any] = ("done", runner(*args, progress, stop, **extra))
    except TrainingCancelled as exc:
        outcome = ("cancelled", str(exc))
    except NameTakenError as exc:  # the job says when it was so (bad-input round 69, F2)
        outcome = ("taken", str(exc))
    except MovierateError as exc:
        outcome = ("error", str(exc))
    except BaseException as exc:  # every failure goes back to the dashboard, with its traceback
        outcome = ("failed", (str(exc), type(exc).__name__, traceback.format_exc()))
    with contextlib.suppress(OSError, ValueError):  # the dashboard may be gone
        send(outcome)
        messages.close()
    _exit_once_input_ends(watcher)


if __name__ == "__main__":
    main()
