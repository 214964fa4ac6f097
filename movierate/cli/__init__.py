"""Command line interface: ``python -m movierate <command> ...``.

Each subcommand is a :class:`Command` in :data:`COMMANDS` (add one with :func:`register`), one
module per command group: ``train``, ``tune``, ``models`` (list, show, evaluate, rename,
delete), ``data`` (datasets, download, delete-dataset), ``study``, ``imports`` (import) and
``exports`` (export);
``progress`` and ``tables`` hold the terminal output helpers. Handlers import what they need
when they run, so ``--help`` and the listing commands never import TensorFlow. User errors
print one ``error: ...`` line on stderr and exit with 1 (2 for bad usage), never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from movierate import config
from movierate.cli import (  # noqa: F401  (register the commands)
    data,
    exports,
    imports,
    models,
    signals,
    study,
    train,
    tune,
)
from movierate.cli.command import (
    COMMANDS,
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SAVED_AS_OTHER_NAME,
    EXIT_SAVED_THEN_STOPPED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Command,
    register,
)
from movierate.cli.output import (
    DiagnosticStream,
    ResultStream,
    detach_stdout,
    error_line,
    memory_text,
    os_error_text,
)
from movierate.cli.progress import DownloadProgress, ProgressBar
from movierate.cli.tables import format_table
from movierate.cli.train import SPEC_FLAGS, spec_from_args
from movierate.errors import MovierateError, StoreError
from movierate.schema import spec_error_text

__all__ = [
    "COMMANDS",
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SAVED_AS_OTHER_NAME",
    "EXIT_SAVED_THEN_STOPPED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "SPEC_FLAGS",
    "Command",
    "DownloadProgress",
    "ProgressBar",
    "build_parser",
    "format_table",
    "main",
    "register",
    "spec_from_args",
]


def main(argv: Sequence[str] | None = None, *, final: bool = False) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    A closed stdout (``python -m movierate show NAME | head -1``) ends the command quietly
    with EXIT_BROKEN_PIPE (141, as a shell reports a process ended by SIGPIPE). ``final``: the
    call is the whole process (``python -m movierate``), so SIGINT and SIGTERM are ignored
    once its result is known, until the process exits with the code returned.
    """
    closed = _fill_closed_descriptors()
    stdout, stderr = sys.stdout, sys.stderr
    # names from files never reach the terminal raw; a failing stderr never ends a command
    sys.stdout, sys.stderr = ResultStream(stdout), DiagnosticStream(stderr)
    try:
        with signals.handling(final=final):
            return _finish(argv, closed)
    except BrokenPipeError:
        detach_stdout()
        return EXIT_BROKEN_PIPE
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _finish(argv: Sequence[str] | None, closed: set[int]) -> int:
    """Run the command and check its output reached stdout; returns the exit code."""
    code = _run(argv)
    sys.stdout.flush()
    if 1 in closed and sys.stdout.written:  # `list >&-`: output went nowhere (round 18)
        sys.stdout.failure = OSError(errno.EBADF, "stdout is closed")
    if (failure := sys.stdout.failure) is not None:
        print(error_line(_unwritten_text(argv, failure)), file=sys.stderr)
        return code if code != EXIT_OK else EXIT_ERROR
    if (signum := signals.received()) is not None and (item := signals.saved_item()):
        print(
            f"note: {signals.describe(signum)} after {item[0]} {item[1]!r} was saved; it is "
            "kept, and the result above is complete.",
            file=sys.stderr,
        )
    return code


#: Commands whose work is a change to the store, the data folder or a folder of files, done
#: once they end, each with where to check it (fuzz55, F3: `export` said nothing of its folder).
CHANGING_COMMANDS = {
    "train": "with `list`",
    "tune": "with `list`",
    "rename": "with `list`",
    "delete": "with `list`",
    "delete-dataset": "with `datasets`",
    "import": "with `list`",
    "study": "its results folder and `list`",
    "download": "with `datasets`",
    "export": "its --out folder",
}


def _unwritten_text(argv: Sequence[str] | None, failure: OSError) -> str:
    """What a failed write to stdout means for the command that ran (recheck: a read-only
    `evaluate` was pointed at `list` as if it had changed something)."""
    words = sys.argv[1:] if argv is None else list(argv)
    command = next((w for w in words if not w.startswith("-")), "")
    why = failure.strerror or str(failure)
    stored = command == "datasets" and any(w.split("=")[0] == "--name" for w in words)
    if command in CHANGING_COMMANDS or stored:  # `datasets FILE --name` stores a dataset
        check = CHANGING_COMMANDS.get(command, "with `datasets`")
        return (
            f"`{command}` ran to its end, so whatever it changed is done, but its output could "
            f"not be written to stdout ({why}); check {check} before running it again."
        )
    return f"the output of `{command or 'the command'}` could not be written to stdout ({why})."


def _fill_closed_descriptors() -> set[int]:
    """Open /dev/null on a closed stdin, stdout or stderr (``2>&-``): otherwise the next file
    opened (a model being saved) gets that number, and TensorFlow's log lines on stderr would
    be written into it. Returns the numbers that were closed: a command's output sent to a
    closed stdout is reported as not written, as ``ls >&-`` does."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
            closed.add(fd)
    return closed


def _negative_values_joined(words: list[str]) -> list[str]:
    """``--hidden-units -5,3`` as ``--hidden-units=-5,3``: argparse reads a value that starts
    with ``-`` but is no plain number (``-5,3``, ``-1e3``) as an option and said "expected one
    argument", not what is wrong with the value (bad-input round 48, F3)."""
    joined: list[str] = []
    for word in words:
        previous = joined[-1] if joined else ""
        flag = previous.startswith("--") and previous != "--" and "=" not in previous
        if flag and re.match(r"-\.?\d", word):
            joined[-1] = f"{previous}={word}"
        else:
            joined.append(word)
    return joined


def _run(argv: Sequence[str] | None) -> int:
    argv = _negative_values_joined(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(argv)
    try:
        _flags_before_command(parser, argv)
        args, extra = parser.parse_known_args(argv)
        if extra:  # the command's own usage and the nearest flag, not the top-level usage
            _unknown_arguments(parser, args, extra, argv)  # (onboarding review: `train --dims 8`)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code != EXIT_OK and "--json" in argv and not getattr(sys.stdout, "written", True):
            # recheck B (s26): a usage error under --json left a script an empty stdout
            print(json.dumps({"error": "bad arguments: the usage is on stderr", "exit_code": code}))
        return code
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    empty = _empty_option(parser, args)
    if empty is not None:  # never read as "option left out": --out '' is not the default folder
        flag, required = empty
        fix = "give it a value" + ("" if required else f", or leave {flag} out for its default")
        return _failed(args, f"{flag} is empty; {fix}.")
    twice = _repeated_option(parser, args, argv)
    if twice is not None:
        return _failed(args, twice)
    try:
        if problem := config.locale_problem():  # before any work (round 11: after a training)
            raise StoreError(problem)
        return COMMANDS[args.command].run(args)
    except MovierateError as exc:
        return _failed(args, spec_error_text(exc, "flag"))
    except BrokenPipeError:
        raise
    except OSError as exc:  # the system refused a path (too long, permissions, disk full ...)
        return _failed(args, memory_text(exc) or os_error_text(exc))
    except KeyboardInterrupt as exc:
        return _stopped(args, getattr(exc, "signum", signal.SIGINT))
    except Exception as exc:  # a bug, or a damaged file no check foresaw: still one line
        if (signum := signals.received()) is not None:  # Ctrl-C inside a C extension can
            return _stopped(args, signum)  # surface as another error
        if os.environ.get("MOVIERATE_DEBUG", "").strip() not in ("", "0"):  # as the dashboard
            raise
        if memory_text(exc):  # a limit on the process, not a bug
            return _failed(args, memory_text(exc))
        return _failed(
            args,
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in movierate or a "
            "damaged file; rerun with MOVIERATE_DEBUG=1 to see the traceback.",
        )


def _failed(
    args: argparse.Namespace,
    text: str,
    code: int = EXIT_ERROR,
    extra: dict[str, str] | None = None,
) -> int:
    """Print a failed command's ``error:`` line on stderr; under ``--json`` also an
    ``{"error": ..., "exit_code": ...}`` object (with ``extra``) on a still empty stdout
    (recheck A, s25: a failed ``train --json`` left a script's JSON parser an empty stdout).
    Returns ``code``."""
    start = "\n" if code not in (EXIT_ERROR, EXIT_USAGE) else ""  # after a progress bar's line
    print(start + error_line(text), file=sys.stderr)
    if getattr(args, "json", False) and not getattr(sys.stdout, "written", True):
        print(json.dumps({"error": " ".join(text.split()), "exit_code": code, **(extra or {})}))
    return code


def _stopped(args: argparse.Namespace, signum: int) -> int:
    """Report a command stopped by ``signum``: ``error: interrupted`` (130) or ``terminated``
    (143) while nothing was saved; once its change was saved, that it is saved, with its name
    and folder (also in the ``--json`` record) and EXIT_SAVED_THEN_STOPPED (bad-input round
    22: "interrupted", 130, while the model was saved and listed healthy)."""
    if (item := signals.saved_item()) is None:
        return _failed(args, signals.describe(signum), signals.exit_code(signum))
    what, name, folder = item
    text = (
        f"{signals.describe(signum)} after saving {what} {name!r} (folder: {folder}): it is "
        "saved and complete; only this report was cut short."
    )
    return _failed(args, text, EXIT_SAVED_THEN_STOPPED, {"name": name, "folder": folder})


def _empty_option(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[str, bool] | None:
    """(flag, required) of the first option of the chosen command given an empty or blank
    text value, or None."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for action in commands.choices[args.command]._actions:
        values = getattr(args, action.dest, None)
        values = values if isinstance(values, list) else [values]
        if action.option_strings and any(isinstance(v, str) and not v.strip() for v in values):
            return max(action.option_strings, key=len), action.required
    return None


def _repeated_option(
    parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str]
) -> str | None:
    """The refusal of an option that takes one value given twice (``--family deep --family
    mf``, ``--dim 8 --dim 16``, ``--user-bias --no-user-bias``): argparse keeps the last
    silently, so a copied command line changes meaning (CLI review round 1); None if none."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actions = commands.choices[args.command]._actions
    every = [string for action in actions for string in action.option_strings]
    flags: dict[str, list[str]] = {}  # by destination: a hidden alias counts with its flag
    takes_value: dict[str, bool] = {}
    for action in actions:
        if not action.option_strings or isinstance(
            action, argparse._AppendAction | argparse._HelpAction | argparse._CountAction
        ):
            continue
        flags.setdefault(action.dest, []).extend(action.option_strings)
        takes_value[action.dest] = action.nargs != 0
    seen: dict[str, list[str]] = {}
    for dest, strings in flags.items():
        used, resolved = [], set()
        for i, arg in enumerate(argv):  # --flag value, --flag=value and --fl (argparse's prefix)
            flag = _resolved_flag(arg.split("=", 1)[0], every)
            if flag not in strings:
                continue
            value = takes_value[dest] and "=" not in arg and i + 1 < len(argv)
            used.append(f"{arg} {argv[i + 1]}" if value else arg)
            resolved.add(flag)
        if len(used) > 1 and (takes_value[dest] or len(resolved) > 1):
            seen[strings[0]] = used  # --quiet --quiet is harmless
    if not seen:
        return None
    flag, used = next(iter(seen.items()))
    return f"{flag} is given {len(used)} times ({', '.join(used)}); give it once."


def _resolved_flag(token: str, flags: list[str]) -> str:
    """The option ``token`` names as argparse reads it: itself, or the one option it is the
    start of (``--fam`` for ``--family``: recheck 2); the token when it names none or several."""
    if not token.startswith("--") or token in flags:
        return token
    starting = [flag for flag in flags if flag.startswith(token)]
    return starting[0] if len(starting) == 1 else token


def _flags_before_command(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Exit with a usage error when ``argv`` starts with a command's flags, values included,
    before the command: "put them after it" (recheck 8, F3: `--name x train ml-100k` read 'x'
    as the command, "invalid choice: 'x'"). Top-level flags (``--help``) are left to argparse."""
    import shlex

    top = {flag for action in parser._actions for flag in action.option_strings}
    if not argv or not argv[0].startswith("-") or argv[0].split("=")[0] in top:
        return
    at = next((i for i, word in enumerate(argv) if word in COMMANDS), None)
    if at is None:
        return
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    child = actions[0].choices[argv[at]]
    flags = {flag for action in child._actions for flag in action.option_strings}
    ahead = [w for w in argv[:at] if w.startswith("-")]
    if not ahead or any(w.split("=")[0] not in flags for w in ahead):
        return  # an unknown flag among them: argparse's own message names it
    moved = " ".join(["python -m movierate", *map(shlex.quote, [*argv[at:], *argv[:at]])])
    one = len(ahead) == 1
    child.error(
        f"{' '.join(ahead)} {'is a' if one else 'are'} `{argv[at]}` "
        f"option{'' if one else 's'}: put {'it' if one else 'them'} after the command ({moved})"
    )


def _unknown_arguments(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str], argv: list[str]
) -> None:
    """Exit with the usage error of the command ``args`` are for (the top-level one without a
    command), naming the closest flag of that command to each unknown one; a flag of the
    command given before it is told to go after it (fuzz55, F6: "--quiet: did you mean
    --quiet?")."""
    import difflib
    import shlex

    command = getattr(args, "command", None)
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    child = actions[0].choices.get(command) if actions and command else None
    target = child or parser
    flags = [flag for action in target._actions for flag in action.option_strings]
    ahead = argv[: argv.index(command)] if child is not None else []
    misplaced = [w for w in extra if w in ahead and w.split("=")[0] in flags]
    if misplaced:
        rest = [w for i, w in enumerate(argv) if not (w in misplaced and i < len(ahead))]
        moved = " ".join(["python -m movierate", *map(shlex.quote, [*rest, *misplaced])])
    hints = []
    for word in extra:
        if word in misplaced:
            hints.append(f"{word} is a `{command}` option: put it after the command ({moved})")
            continue
        close = difflib.get_close_matches(word.split("=")[0], flags, n=1, cutoff=0.6)
        if word.startswith("-") and close:
            hints.append(f"{word}: did you mean {close[0]}?")
    target.error(f"unrecognized arguments: {' '.join(extra)}" + "".join(f"; {h}" for h in hints))


class _Parser(argparse.ArgumentParser):
    """argparse's parser; its "expected one argument" says that a value starting with ``-``
    was read as an option, and how to pass it (fuzz66, F6: ``--dense-l2 -inf``, ``--name -x``).
    ``words``: the command line parsed (set by :func:`build_parser`)."""

    words: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        """Exit with the usage and ``message``, plus the hint for a value read as an option."""
        found = re.fullmatch(r"argument (\S+): expected one argument", message)
        if found:
            flags = found.group(1).split("/")
            flag = max(flags, key=len)
            at = next((i for i, w in enumerate(self.words) if w in flags), None)
            value = self.words[at + 1] if at is not None and at + 1 < len(self.words) else ""
            if value.startswith("-") and value.split("=")[0] not in self._option_string_actions:
                message += (
                    f" ({value!r} was read as an option: to pass a value that starts with "
                    f"'-', write {flag}={value})"
                )
            elif at is None:  # the flag was shortened (--dense for --dense-l2)
                message += f" (to pass a value that starts with '-', write {flag}=VALUE)"
        super().error(message)


def build_parser(words: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argparse parser with one subparser per registered command; ``words``: the command
    line it will parse, for its usage errors' hints."""
    parser = _Parser(
        prog="python -m movierate",
        description="Train movie-rating models with embeddings and manage the model store.",
    )
    parser.words = list(words)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        child = sub.add_parser(name, help=command.help, description=command.help)
        child.words = parser.words
        command.configure(child)
    return parser
