"""Exit codes, the contract CI jobs rely on. Only the CLI decides them."""

from __future__ import annotations

import enum

from scanner.report.model import VerdictStatus


class ExitCode(enum.IntEnum):
    """0 passed; 1 policy failed (or a policy file/test failed); 2 could not run; 3 needs review."""

    PASSED = 0
    FAILED = 1
    CANNOT_RUN = 2
    NEEDS_REVIEW = 3


def for_verdict(status: VerdictStatus) -> ExitCode:
    return {
        VerdictStatus.FROM_SCRATCH: ExitCode.PASSED,
        VerdictStatus.NOT_FROM_SCRATCH: ExitCode.FAILED,
        VerdictStatus.NEEDS_REVIEW: ExitCode.NEEDS_REVIEW,
    }[status]
