"""The dashboard's queued and running trainings, noted on disk while they last.

A :class:`~movierate.jobs.JobRegistry` lives in the server's memory, so a server that stops
(killed, restarted, the machine rebooted) forgets its runs, and a tab that reconnects to the new
one showed "No runs in this server session yet" with no word about the run it had started
(bad-input round 42). Each run is noted here from its submission to its end; a registry made
later claims the notes of servers that are gone and reports those runs as lost.

A note is one small JSON file per run in ``$MOVIERATE_HOME/runs``. Writing or reading one never
stops a training: a failure is logged and ignored.

A command-line training (train, tune, study) notes its run here too while it lasts
(:func:`noting_cli_run`), so that deleting or replacing a dataset sees every training reading it
(bad-input round 54, F1); a note of a process that is gone (killed) is ignored and swept.

A note also holds its run's model name: a process about to claim a name (a training, a search,
an import) counts a name that another process's run in progress holds as taken, and a run whose
note holds its name saves under the next free one should that name be taken anyway (bad-input
round 69, F1: a CLI run took the name of a dashboard run started before it, which then failed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from movierate import atomic, config

log = logging.getLogger(__name__)

#: Where the notes live, under the home folder.
LEDGER_FOLDER = "runs"
NOTE_SUFFIX = ".json"


@dataclass(frozen=True)
class LostRun:
    """A run that a server that is gone had queued or running: it ended with the server,
    unless it was saving then (the child finishes a save it began: :meth:`saved`)."""

    name: str
    dataset: str
    #: when it was submitted, in seconds since the epoch (wall clock: shown as a date)
    submitted: float
    #: whether it had started training (False: it was still waiting for a free worker)
    started: bool

    def saved(self) -> bool:
        """Whether the store holds a model of this run's name and dataset saved after the run
        was submitted: read each time, as the child may finish its save after this server
        started (bad-input round 47, F0: such a model was called lost, "nothing was saved")."""
        from movierate import store
        from movierate.errors import MovierateError

        try:
            meta = store.read_meta(self.name)
            created = datetime.fromisoformat(store.created_utc(str(meta.get("created"))))
        except (MovierateError, OSError, ValueError):
            return False
        dataset = meta.get("dataset")
        return (
            isinstance(dataset, dict)
            and dataset.get("name") == self.dataset
            and created.timestamp() >= int(self.submitted)  # created is in whole seconds
        )

    def text(self) -> str:
        """What the Train page says about it."""
        # UTC, said, as every time the product shows: the server's own zone put an unlabelled
        # next-day time beside 'created (UTC)' (bad-input round 59, M1)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.submitted))
        what = "training" if self.started else "waiting to train"
        start = (
            f"The run {self.name!r} on {self.dataset} (submitted {when}) was {what} when the "
            "dashboard's server stopped"
        )
        if self.saved():
            return (
                f"{start}; it finished and was saved as {self.name!r} after the server "
                "stopped: it is listed on the Home page, so there is no need to run it "
                "again."
            )
        return (
            f"{start}, so it ended there and nothing was saved. Fill in the form and press "
            "Start training to run it again."
        )


@dataclass(frozen=True)
class Reader:
    """A run in progress reading a dataset."""

    #: the run in a few words: its name, who runs it, its note's path
    text: str
    #: whether a command-line run (stopped in its terminal) rather than a dashboard's
    from_cli: bool


class RunLedger:
    """Notes of one server's runs in ``folder`` (default ``$MOVIERATE_HOME/runs``)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else config.home_dir() / LEDGER_FOLDER

    def add(
        self,
        job_id: str,
        name: str,
        dataset: str,
        command: str | None = None,
        report: Callable[[OSError], None] | None = None,
    ) -> None:
        """Note a run that was just submitted (``command``: the CLI command running it, for a
        command-line run; None for a dashboard run). A note that cannot be written is logged,
        or handed to ``report`` when given."""
        note = {"name": name, "dataset": dataset, "submitted": time.time(), "started": False}
        note = {**note, **atomic.writer_record(), "command": command}
        if report is None:
            self._write(job_id, note)
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic.write_json(self._path(job_id), note)
        except OSError as exc:
            report(exc)

    def started(self, job_id: str) -> None:
        """Note that a run left the queue and began training."""
        path = self._path(job_id)
        with _logged("update", path):
            if (note := _read_note(path)) is not None:
                self._write(job_id, {**note, "started": True})

    def remove(self, job_id: str) -> None:
        """Forget a run that ended (saved, failed or cancelled)."""
        path = self._path(job_id)
        with _logged("remove", path):
            path.unlink(missing_ok=True)

    def claim_lost(self) -> list[LostRun]:
        """The runs of servers that are gone, oldest first; their notes are removed, so that
        one later server reports each of them once."""
        lost: list[LostRun] = []
        with _logged("read", self.folder):
            paths = sorted(self.folder.glob(f"*{NOTE_SUFFIX}"))
        for path in paths:
            with _logged("read", path):
                if not _is_file(path):  # a FIFO or folder named like a note: no run, not ours
                    continue
                note = _read_note(path)
                if note is None:  # cut or edited: no run
                    path.unlink()
                    continue
                if not _owner_gone(note):
                    continue
                path.unlink()  # FileNotFoundError: another server claimed it first
                if note.get("command"):  # a command-line run killed: no server's run
                    continue
                lost.append(
                    LostRun(
                        name=str(note["name"]),
                        dataset=str(note["dataset"]),
                        submitted=float(note["submitted"]),
                        started=bool(note.get("started")),
                    )
                )
        return sorted(lost, key=lambda run: run.submitted)

    def readers(self, dataset: str) -> list[Reader]:
        """The runs in progress (of any server, or the command line) reading ``dataset``; notes
        of processes that are gone are skipped."""
        return [
            Reader(f"{note['name']!r} ({_by(note)}; note {path})", bool(note.get("command")))
            for path, note in self._live_notes()
            if note.get("dataset") == dataset
        ]

    def holders(self, name: str) -> list[str]:
        """The runs in progress of other processes (any server, or the command line) whose
        note holds the model name ``name`` or a case twin of it, each in a few words; this
        process's own notes, and those of the dashboard that started it, are not others'."""
        from movierate.filenames import twin_key

        key = twin_key(name)
        return [
            f"{note['name']!r} ({_by(note)}; note {path})"
            for path, note in self._live_notes()
            if not _this_process(note) and twin_key(str(note.get("name"))) == key
        ]

    def held_names(self) -> set[str]:
        """The model names that other processes' runs in progress hold (see :meth:`holders`)."""
        return {
            str(note.get("name")) for _path, note in self._live_notes() if not _this_process(note)
        }

    def claimed_here(self, name: str) -> bool:
        """Whether this run's own note holds ``name``: this command-line run's, or that of the
        dashboard job this training child runs (noted by the server when it was checked free)."""
        return any(
            note.get("name") == name
            and (
                (note["pid"] == os.getpid() and note.get("command"))
                or (note["pid"] == os.getppid() and not note.get("command"))
            )
            for _path, note in self._live_notes()
            if note.get("host") == socket.gethostname()
        )

    @contextlib.contextmanager
    def claiming(self) -> Iterator[None]:
        """Hold the runs folder's lock (flock, where the system has one) while a name is checked
        free and noted: two processes claiming one name take turns, and the second sees the
        first's note."""
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
        with atomic.folder_lock(self.folder):
            yield

    def _live_notes(self) -> list[tuple[Path, dict]]:
        """The notes of runs whose process lives (or cannot be checked from here)."""
        found = []
        with _logged("read", self.folder):
            paths = sorted(self.folder.glob(f"*{NOTE_SUFFIX}"))
        for path in paths:
            with _logged("read", path):
                note = _read_note(path)
                if note is not None and not _swept(path, note):
                    found.append((path, note))
        return found

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}{NOTE_SUFFIX}"

    def _write(self, job_id: str, note: dict) -> None:
        path = self._path(job_id)
        with _logged("write", path):
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic.write_json(path, note)


def check_unread(dataset: str, verb: str) -> None:
    """DatasetInUseError when a training in progress reads ``dataset``, which would be ``verb``
    ("deleted", "replaced") under it: its model would be saved on data that is gone."""
    from movierate.errors import DatasetInUseError

    if runs := RunLedger().readers(dataset):
        ways = [  # recheck 8, F2: a terminal's run was offered the Train page's Cancel
            way
            for way, from_cli in (
                ("Ctrl+C in its terminal", True),
                ("Cancel on that server's Train page", False),
            )
            if any(run.from_cli == from_cli for run in runs)
        ]
        raise DatasetInUseError(
            f"Dataset {dataset!r} is not {verb}: a training in progress is reading it: "
            f"{'; '.join(run.text for run in runs)}. Nothing was {verb}; wait for that training to end, or stop it "
            f"({', or '.join(ways)}), then try again. A note left by a run that is no longer "
            "going on (its machine stopped) may be removed."
        )


@dataclass
class CliRun:
    """A command-line run's notes (:func:`noting_cli_run`), one per dataset it reads."""

    ledger: RunLedger
    #: note id -> the dataset it names
    ids: dict[str, str]
    command: str

    def claim(self, name: str, check: Callable[[str], str]) -> str:
        """The model name this run saves under, noted as its own: ``check(name)`` raises when
        ``name`` cannot be used and returns the name to use (``name``, or the next free one
        when another run in progress holds it), under the runs folder's lock, so that no
        other process claims it between the check and the note."""
        with self.ledger.claiming():
            name = check(name)
            for job_id, dataset in self.ids.items():
                self.ledger.add(job_id, name, dataset, self.command)
        return name


@contextlib.contextmanager
def noting_cli_run(command: str, name: str, datasets: Iterable[str]) -> Iterator[CliRun]:
    """Note a command-line run of ``command`` making ``name`` from ``datasets`` while the block
    runs; the notes go when it ends (a killed process's notes are ignored, then swept). A run
    that saves a model claims its name with :meth:`CliRun.claim` once it is known (``name``
    is then a few words, such as "a model on ml-100k", that no model name can be)."""
    ledger = RunLedger()
    ids = {f"cli-{os.getpid()}-{uuid.uuid4().hex[:8]}": dataset for dataset in datasets}
    failures: list[OSError] = []
    for job_id, dataset in ids.items():
        ledger.add(job_id, name, dataset, command, report=failures.append)
    if failures:  # fuzz66, F8: a raw log line with a temp file's name, and no word of the loss
        said, _hint = atomic.write_failure(failures[0], config.home_setting())
        folder = ledger.folder
        print(
            f"warning: this run's note could not be written in {folder} ({said}); the run goes "
            f"on, but while it does, `delete-dataset` and a replacing import of "
            f"{', '.join(map(repr, ids.values()))} cannot see that it reads that data, and "
            f"will not refuse to remove it under this run. To keep that protection, make {folder} "
            f"writable (chmod u+w, or chattr -i if it was made immutable) or set "
            f"{config.home_setting()} to a writable folder.",
            file=sys.stderr,
        )
    try:
        yield CliRun(ledger, ids, command)
    finally:
        for job_id in ids:
            ledger.remove(job_id)


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a regular file: a FIFO named like a note blocked every name check
    that opened it (recheck 16c, F1)."""
    return stat.S_ISREG(path.lstat().st_mode)


def _read_note(path: Path) -> dict | None:
    """The note in ``path``, or None when it is no note: not a regular file, not JSON, or
    JSON without a run's process id and name (recheck 16c, F1: a note reading ``[1, 2]``
    stopped every training with an AttributeError; such a file names no run, so it holds no
    name and no dataset)."""
    if not _is_file(path):
        return None
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(note, dict) or not isinstance(note.get("name"), str):
        return None
    pid = note.get("pid")
    return note if isinstance(pid, int) and not isinstance(pid, bool) else None


def _swept(path: Path, note: dict) -> bool:
    """Whether ``note``'s run is over (its process gone); a killed command-line run's note is
    removed then, as no server claims it (recheck 16c, F3: one stayed for good)."""
    if not _owner_gone(note):
        return False
    if note.get("command"):
        path.unlink(missing_ok=True)
    return True


def _by(note: dict) -> str:
    """Who runs the run of ``note``, in a few words."""
    by = (
        f"python -m movierate {note['command']}, process {note['pid']}"
        if note.get("command")
        else f"a dashboard server, process {note['pid']}"
    )
    if note.get("host") != socket.gethostname():
        by += f" on {note.get('host')}"
    return by


def _this_process(note: dict) -> bool:
    """Whether ``note`` was written by this process or by the one that started it (the
    dashboard server whose job this training child runs)."""
    return note.get("host") == socket.gethostname() and note.get("pid") in (
        os.getpid(),
        os.getppid(),
    )


def _owner_gone(note: dict) -> bool:
    """Whether the server that wrote ``note`` has stopped (a note written on another machine
    sharing the home folder is never claimed: its server cannot be checked from here)."""
    if note.get("host") != socket.gethostname():
        return False
    return atomic.process_state(int(note["pid"]), note.get("start")) == "dead"


@contextlib.contextmanager
def _logged(what: str, path: Path):
    """Log and swallow a failure to ``what`` a note: it must never stop a training."""
    try:
        yield
    except FileNotFoundError:
        pass
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("Could not %s the run note %s: %s", what, path, exc)
