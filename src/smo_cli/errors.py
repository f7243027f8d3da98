"""Exit codes and the error hierarchy every layer raises; the CLI turns them into one line.

Imports nothing from smo_cli, so any module may raise these.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1          # a bug: traceback only with --debug
    USAGE = 2          # wrong options or arguments
    NOT_FOUND = 3      # a record, file or workspace that does not exist
    CONFLICT = 4       # already exists, or a state that forbids the change
    INVALID = 5        # bad YAML, CSV, template variable, validation
    SOURCE = 6         # a remote platform, server or the database failed
    INTERRUPTED = 130  # Ctrl-C


class SmoError(Exception):
    """An expected failure: one line of text for the user and an exit code.

    `hint` says how to fix it; the CLI prints it after the message.
    """

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(SmoError):
    exit_code = ExitCode.USAGE


class NotFound(SmoError):
    exit_code = ExitCode.NOT_FOUND


class AlreadyExists(SmoError):
    exit_code = ExitCode.CONFLICT


class Conflict(SmoError):
    exit_code = ExitCode.CONFLICT


class InvalidData(SmoError):
    exit_code = ExitCode.INVALID


class SourceError(SmoError):
    exit_code = ExitCode.SOURCE


class DatabaseUnavailable(SmoError):
    """The database server cannot be reached or the file cannot be opened."""

    exit_code = ExitCode.SOURCE
