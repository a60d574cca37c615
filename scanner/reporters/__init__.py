"""Reporters: pure functions from the finished ``ScanReport`` to text.

Adding a format means adding a member to ``OutputFormat`` and a branch to ``render``; the
``assert_never`` makes a forgotten branch a type error, and a test renders every member. Each
member becomes a ``--<value> FILE`` option of ``scan`` and ``report``.
"""

from __future__ import annotations

import enum
from typing import assert_never

from scanner.report.model import ScanReport
from scanner.reporters.html_report import render_html
from scanner.reporters.json_report import render_json
from scanner.reporters.sarif_report import render_sarif
from scanner.reporters.spdx3_report import render_spdx3
from scanner.reporters.spdx_report import render_spdx


class OutputFormat(enum.Enum):
    """Report file formats; each becomes a ``--<value> FILE`` option of ``scan`` and ``report``."""

    JSON = "json"
    HTML = "html"
    SPDX = "spdx"
    SPDX3 = "spdx3"
    SARIF = "sarif"

    @property
    def description(self) -> str:
        return {
            OutputFormat.JSON: "JSON (the full report, described by the shipped JSON Schema)",
            OutputFormat.HTML: "a self-contained HTML page for reviewers (no network, prints to PDF)",
            OutputFormat.SPDX: "an SPDX 2.3 JSON SBOM (model, files, upstream models and their licences)",
            OutputFormat.SPDX3: "SPDX 3.0.1 JSON-LD with the AI profile (the same content in SPDX 3 terms)",
            OutputFormat.SARIF: "SARIF 2.1.0 for code-scanning dashboards (failed rules as findings)",
        }[self]


def render(report: ScanReport, fmt: OutputFormat) -> str:
    match fmt:
        case OutputFormat.JSON:
            return render_json(report)
        case OutputFormat.HTML:
            return render_html(report)
        case OutputFormat.SPDX:
            return render_spdx(report)
        case OutputFormat.SPDX3:
            return render_spdx3(report)
        case OutputFormat.SARIF:
            return render_sarif(report)
        case _:
            assert_never(fmt)
