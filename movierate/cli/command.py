"""The subcommand registry of ``python -m movierate`` and its exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Exit code when the reader of stdout went away (128 + SIGPIPE, as a shell reports it).
EXIT_BROKEN_PIPE = 141
#: Exit code when the model was saved, but under another name than ``--name`` asked for: another
#: run took that name while this one worked (a script's ``train --name X && show X`` would
#: otherwise read the other run's model).
EXIT_SAVED_AS_OTHER_NAME = 3
#: Exit code when Ctrl-C or SIGTERM stopped a command after its change was saved, before its
#: report was complete: the ``error:`` line (and a ``--json`` record) names what was saved.
EXIT_SAVED_THEN_STOPPED = 4
#: Exit code after SIGTERM stopped a command before it saved anything (128 + 15).
EXIT_TERMINATED = 143


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, a function adding its arguments and its handler."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(name: str, command: Command) -> None:
    """Add a subcommand (e.g. ``study`` or ``bench``) to ``python -m movierate``."""
    COMMANDS[name] = command


def given_flags(args: argparse.Namespace, flags: Iterable[str]) -> list[str]:
    """Those of ``flags`` (options whose default is None or False) given on the command line:
    for refusing options that another option, or its absence, makes do nothing (fuzz55, F1)."""
    return [f for f in flags if getattr(args, f.lstrip("-").replace("-", "_")) not in (None, False)]


def flags_text(flags: list[str]) -> str:
    """``--a``, ``--a and --b``, ``--a, --b and --c``."""
    return " and ".join(filter(None, [", ".join(flags[:-1]), flags[-1]]))
