"""Exceptions movierate raises for bad input. Each message says what is wrong and how to fix it."""

from __future__ import annotations


class MovierateError(Exception):
    """Base class: an error whose message is fit to show a user as it is (no stack trace)."""


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
