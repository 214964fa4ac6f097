"""Exceptions movierate raises for bad input. Each message says what is wrong and how to fix it."""

from __future__ import annotations

#: The longest message shown whole: beyond it the rest is cut and counted (bad-input round 14:
#: a header line holding a whole 25 MB file became a 27 MB message, one warning box 4 million
#: pixels tall in the browser).
MAX_MESSAGE = 4_000


class MovierateError(Exception):
    """Base class: an error whose message is fit to show a user as it is (no stack trace);
    a message of more than :data:`MAX_MESSAGE` characters keeps its start and a count."""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str) and len(args[0]) > MAX_MESSAGE:
            cut = len(args[0]) - MAX_MESSAGE
            args = (f"{args[0][:MAX_MESSAGE]}... ({cut:,} more characters not shown)",)
        super().__init__(*args)


class DataError(MovierateError, ValueError):
    """Rating data is missing, malformed or inconsistent."""


class DownloadError(DataError):
    """A dataset could not be downloaded (offline, checksum mismatch, server error)."""


class SpecError(MovierateError, ValueError):
    """A model specification has an invalid value; ``field`` names the spec field when one
    value is to blame (the CLI says its flag, the Train page its label)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StoreError(MovierateError):
    """A saved model is missing, broken, or a name is invalid or taken."""


class NameTakenError(StoreError):
    """A model name is already used by a saved model or a queued / running training job."""


class TrainingCancelled(MovierateError):
    """Training was cancelled by the user before it finished."""


class DatasetInUseError(DataError):
    """A dataset cannot be deleted or replaced: a training in progress is reading it."""


class ImportStopped(DataError):
    """An import was stopped (its page left, or Stop pressed) before it stored anything."""
