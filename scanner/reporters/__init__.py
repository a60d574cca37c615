"""Reporters: pure functions from the finished ``ScanReport`` to text or bytes.

Adding a format means adding a member to ``OutputFormat`` and a branch to ``render``; the
``assert_never`` makes a forgotten branch a type error, and a test renders every member.
"""

from __future__ import annotations

import enum
from typing import assert_never

from scanner.report.model import ScanReport
from scanner.reporters.json_report import render_json


class OutputFormat(enum.Enum):
    """Report file formats; each becomes a ``--<value> FILE`` option of ``scan`` and ``report``."""

    JSON = "json"

    @property
    def description(self) -> str:
        return {
            OutputFormat.JSON: "JSON (the full report, described by the shipped JSON Schema)",
        }[self]


def render(report: ScanReport, fmt: OutputFormat) -> str:
    match fmt:
        case OutputFormat.JSON:
            return render_json(report)
        case _:
            assert_never(fmt)
