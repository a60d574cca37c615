"""The ``fromscratch`` command line.

One module per sub-command; this one builds the group and is the only place that turns errors into
one-line messages and exit codes (library code raises, and never prints a traceback to users).
"""

from __future__ import annotations

import sys
import traceback

import click

from scanner import __version__
from scanner.cli.exit_codes import ExitCode
from scanner.errors import FromScratchError
from scanner.reproducible import source_date_epoch

try:  # before the imports below: scipy reads SOURCE_DATE_EPOCH when imported and fails on a non-number
    source_date_epoch()
except FromScratchError as _exc:
    click.echo(f"fromscratch: error: {_exc}", err=True)
    raise SystemExit(ExitCode.CANNOT_RUN) from None

from scanner.cli.catalog_cmd import catalog  # noqa: E402
from scanner.cli.policy_cmd import policy  # noqa: E402
from scanner.cli.report_cmd import report  # noqa: E402
from scanner.cli.scan_cmd import scan  # noqa: E402

EPILOG = """\b
Exit codes: 0 passed (from scratch), 1 policy failed (not from scratch),
2 could not scan (usage or unreadable input), 3 needs review.

\b
Examples:
  fromscratch scan ./my-model --html report.html
  fromscratch scan hf://org/name@main --no-weights --json report.json
  fromscratch catalog list
  fromscratch policy validate policies/my-policy.yaml
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Tell whether an AI model was trained from scratch, and whether it honours the licences of what it reused."""
    ctx.obj = {"debug": debug}


@cli.command(epilog="\b\nExample:\n  fromscratch version")
def version() -> None:
    """Print the tool version."""
    click.echo(f"fromscratch {__version__}")


cli.add_command(scan)
cli.add_command(catalog)
cli.add_command(policy)
cli.add_command(report)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map every failure to a one-line message and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        source_date_epoch()
        result = cli.main(args=argv, prog_name="fromscratch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("fromscratch: aborted", err=True)
        return ExitCode.CANNOT_RUN
    except click.ClickException as exc:
        exc.show()
        return ExitCode.CANNOT_RUN
    except FromScratchError as exc:
        click.echo(f"fromscratch: error: {exc}", err=True)
        return ExitCode.CANNOT_RUN
    except KeyboardInterrupt:
        click.echo("fromscratch: interrupted", err=True)
        return ExitCode.CANNOT_RUN
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        if debug:
            traceback.print_exc()
        click.echo(f"fromscratch: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", err=True)
        return ExitCode.CANNOT_RUN
    return int(result or 0)
