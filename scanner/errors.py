"""Errors that stop a command, and the problems that do not.

Library code raises these; only the CLI turns them into one-line messages and exit codes. Anything a
scan can work around (an unreadable shard, a broken card) is a ``Problem`` value in the report
instead, so the rest of the repository is still scanned.
"""

from __future__ import annotations

from scanner.report.model import Problem, Severity


class FromScratchError(Exception):
    """Base of every error the CLI reports as one line."""


class ScanInputError(FromScratchError):
    """The target cannot be scanned at all (missing, empty, not a model repository)."""


class DataFileError(FromScratchError):
    """A catalog, policy, rule or waiver file is malformed; the message names file:line where known."""


class OutputError(FromScratchError):
    """A report could not be written."""


def problem(file: str, code: str, message: str, severity: Severity = Severity.ERROR) -> Problem:
    """A problem whose message always starts with the file it is about, as users scan for that."""
    prefix = f"{file}: " if file and not message.startswith(file) else ""
    return Problem(file=file, code=code, message=prefix + message, severity=severity)
