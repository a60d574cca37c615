"""Report-file options shared by ``scan`` and ``report``: one ``--<format> FILE`` per reporter."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.report.model import ScanReport
from scanner.reporters import OutputFormat, render
from scanner.reporters.output import write_atomic

_FILE = click.Path(dir_okay=False, writable=True, path_type=Path)


def output_options(command):
    """Add ``--json/--html/--spdx/... FILE`` from ``OutputFormat``, so a new format needs no CLI change."""
    for fmt in reversed(OutputFormat):
        command = click.option(f"--{fmt.value}", f"out_{fmt.name.lower()}", type=_FILE,
                               help=f"Write the report as {fmt.description}.")(command)
    return command


def write_outputs(report: ScanReport, outputs: dict[str, Path | None]) -> None:
    """Render and atomically write every requested format."""
    for fmt in OutputFormat:
        path = outputs.get(f"out_{fmt.name.lower()}")
        if path is not None:
            write_atomic(path, render(report, fmt))
