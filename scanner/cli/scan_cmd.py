"""``fromscratch scan``: scan a model repository and write the verdict and its evidence."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scanner.cli.exit_codes import for_verdict
from scanner.cli.outputs import check_outputs, output_options, write_outputs
from scanner.cli.progress_bar import progress_for_stderr
from scanner.pipeline import ScanOptions, run_scan
from scanner.policy import explain_text
from scanner.reporters.terminal import print_summary

EPILOG = """\b
Exit codes: 0 from scratch, 1 not from scratch, 2 could not scan, 3 needs review.
SOURCE_DATE_EPOCH (whole seconds since 1970) fixes the report's time for byte-identical output.

\b
Examples:
  fromscratch scan ./my-model
  fromscratch scan ./my-model --json report.json --html report.html --sarif report.sarif
  fromscratch scan ./my-model --catalog ./our-catalog --policy permissive-release
  fromscratch scan hf://org/name@main --no-weights --json report.json
"""


@click.command(epilog=EPILOG)
@click.argument("target")
@output_options
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Extra catalog folder, merged with the bundled one (repeatable; same id overrides).")
@click.option("--policy", default="kr-sovereign-ai-2026", show_default=True,
              help="Bundled policy name, or a policy YAML file.")
@click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), help="Reviewed exceptions file (YAML).")
@click.option("--no-weights", is_flag=True,
              help="Read weight headers only (for hf:// targets, over HTTP without downloading weights): "
                   "no weight fingerprints, no weight lineage.")
@click.option("--explain", is_flag=True, help="After the summary, show for each rule the facts it read and why it passed or failed.")
@click.option("-q", "--quiet", is_flag=True, help="No terminal summary and no progress bar.")
@click.option("--color/--no-color", default=None, help="Force colours on or off (default: on for terminals).")
def scan(target: str, catalogs: tuple[Path, ...], policy: str, waivers: Path | None,
         no_weights: bool, explain: bool, quiet: bool, color: bool | None, **outputs: Path | None) -> int:
    """Scan TARGET (a model folder, a Hugging Face cache snapshot, or hf://owner/name[@revision]) and report
    whether it was trained from scratch."""
    check_outputs(outputs)
    options = ScanOptions(catalogs=catalogs, policy=policy, waivers=waivers, read_weights=not no_weights,
                          progress=progress_for_stderr(quiet))
    report = run_scan(target, options)
    write_outputs(report, outputs)
    if not quiet:
        print_summary(report, sys.stdout, color=color)
    if explain:
        click.echo(explain_text(report), nl=False)
    return for_verdict(report.verdict.status)
