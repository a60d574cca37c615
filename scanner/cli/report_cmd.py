"""``fromscratch report``: re-render a saved JSON report in other formats."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scanner.reporters.json_report import load_report
from scanner.reporters.terminal import print_summary

EPILOG = """\b
Example:
  fromscratch report report.json
"""


@click.command(epilog=EPILOG)
@click.argument("report_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
def report(report_file: Path, color: bool | None) -> int:
    """Show a saved REPORT_FILE (JSON) as a terminal summary."""
    print_summary(load_report(report_file), sys.stdout, color=color)
    return 0
