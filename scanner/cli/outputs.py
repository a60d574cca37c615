"""Report-file options shared by ``scan`` and ``report``: one ``--<format> FILE`` per reporter."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.report.model import ScanReport
from scanner.reporters import OutputFormat, render
from scanner.reporters.output import check_writable, write_all

_FILE = click.Path(dir_okay=False, writable=True, path_type=Path)


def output_options(command):
    """Add ``--json/--html/--spdx/... FILE`` from ``OutputFormat``, so a new format needs no CLI change."""
    for fmt in reversed(OutputFormat):
        command = click.option(f"--{fmt.value}", f"out_{fmt.name.lower()}", type=_FILE,
                               help=f"Write the report as {fmt.description}.")(command)
    return command


def requested(outputs: dict[str, Path | None]) -> list[tuple[OutputFormat, Path]]:
    """The formats asked for on the command line, in ``OutputFormat`` order."""
    chosen = ((fmt, outputs.get(f"out_{fmt.name.lower()}")) for fmt in OutputFormat)
    return [(fmt, path) for fmt, path in chosen if path is not None]


def check_outputs(outputs: dict[str, Path | None]) -> None:
    """Before a long scan: every output is a distinct file whose folder exists and takes a new file."""
    check_writable(path for _, path in requested(outputs))


def write_outputs(report: ScanReport, outputs: dict[str, Path | None]) -> None:
    """Render every requested format in memory, then write them all or none."""
    write_all([(path, render(report, fmt)) for fmt, path in requested(outputs)])
