"""``fromscratch report``: show a saved JSON report again, or re-render it in other formats.

Re-rendering needs no model repository and no catalog: every format is rendered from the report
alone, so a CI job can keep only the JSON and produce the HTML, SBOM or SARIF later.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scanner.cli.outputs import output_options, write_outputs
from scanner.reporters.json_report import load_report
from scanner.reporters.terminal import print_summary

EPILOG = """\b
Examples:
  fromscratch report report.json
  fromscratch report report.json --html report.html --sarif report.sarif --spdx model.spdx.json
"""


@click.command(epilog=EPILOG)
@click.argument("report_file", type=click.Path(dir_okay=False, path_type=Path))
@output_options
@click.option("-q", "--quiet", is_flag=True, help="No terminal summary.")
@click.option("--color/--no-color", default=None, help="Force colours on or off.")
def report(report_file: Path, quiet: bool, color: bool | None, **outputs: Path | None) -> int:
    """Show a saved REPORT_FILE (JSON) as a terminal summary, and write it in other formats."""
    loaded = load_report(report_file)
    write_outputs(loaded, outputs)
    if not quiet:
        print_summary(loaded, sys.stdout, color=color)
    return 0
