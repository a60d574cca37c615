"""``fromscratch policy``: validate, test, explain and scaffold policies and rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import click

from scanner.cli.exit_codes import ExitCode
from scanner.errors import FromScratchError
from scanner.policy import evaluate, explain_text, load_policy, load_waivers
from scanner.policy.policies import bundled_policy_names
from scanner.policy.rules import load_rule_book
from scanner.policy.scaffold import scaffold_rule
from scanner.policy.testing import run_tests
from scanner.policy.validate import validate_files
from scanner.report.model import RuleCategory, Severity
from scanner.reporters.json_report import load_report

EPILOG = """\b
Examples:
  fromscratch policy validate policies/kr-sovereign-ai-2026.yaml
  fromscratch policy validate rules/ policies/
  fromscratch policy test policies/tests
  fromscratch policy explain --policy permissive-release report.json
  fromscratch policy new technical.my-rule --dir my-rules
  fromscratch policy list
"""


@click.group(epilog=EPILOG)
def policy() -> None:
    """Work with YAML rules and policies."""


def _fail(ctx: click.Context, exc: FromScratchError) -> None:
    click.echo(f"fromscratch: error: {exc}", err=True)
    ctx.exit(ExitCode.CANNOT_RUN)


@policy.command(short_help="Check rule, policy, waiver and test files.", epilog="\b\nExit codes: 0 all valid, 1 problems found.\n\b\nExample:\n  fromscratch policy validate rules/ policies/my-policy.yaml")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check rule, policy, waiver and test files in PATHS (files or folders): schema, fact paths, types, rule ids, thresholds."""
    result = validate_files(paths)
    for problem in result.problems:
        click.echo(problem)
    if not result.files:
        click.echo("no YAML files found", err=True)
        ctx.exit(ExitCode.FAILED)
    if result.problems:
        click.echo(f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''} in "
                   f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}", err=True)
        ctx.exit(ExitCode.FAILED)
    for name, kind in result.files:
        click.echo(f"ok  {name} ({kind})")
    ctx.exit(ExitCode.PASSED)


@policy.command(name="test", short_help="Run the test cases kept beside rules and policies.", epilog="\b\nExit codes: 0 every case passed, 1 a case failed or a test file is invalid.\n\b\nExample:\n  fromscratch policy test policies/tests rules/tests")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def test_cmd(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Run the policy test cases (*.test.yaml) in PATHS and report pass/fail per case with a diff."""
    run = run_tests(paths)
    for error in run.file_errors:
        click.echo(f"ERROR {error}")
    for case in run.cases:
        click.echo(f"{'ERROR' if case.errored else 'PASS' if case.passed else 'FAIL'}  {case.file}: {case.name}")
        for difference in case.differences:
            click.echo(f"    {difference}")
    errored = sum(1 for c in run.cases if c.errored)
    failed = sum(1 for c in run.cases if not c.passed) - errored
    if not run.cases and not run.file_errors:
        click.echo("no test files (*.test.yaml) found", err=True)
    click.echo(f"{len(run.cases)} case{'s' if len(run.cases) != 1 else ''}: {len(run.cases) - failed - errored} passed, "
               f"{failed} failed" + (f", {errored} could not run" if errored else "")
               + (f"; {len(run.file_errors)} file error(s)" if run.file_errors else ""))
    ctx.exit(ExitCode.PASSED if run.ok else ExitCode.FAILED)


@policy.command(short_help="Show each rule's facts, values and reasons for a report.", epilog="\b\nExamples:\n  fromscratch policy explain report.json\n  fromscratch policy explain --policy attribution-only --waivers waivers.yaml report.json")
@click.argument("report_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--policy", "policy_ref", help="Judge the report's facts by this policy (bundled name or file) "
                                             "instead of showing the rules recorded in the report.")
@click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), help="Reviewed exceptions file (with --policy).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge waiver expiry on this day (YYYY-MM-DD).")
@click.pass_context
def explain(ctx: click.Context, report_file: Path, policy_ref: str | None, waivers: Path | None,
            today: dt.datetime | None) -> None:
    """For each rule: the facts it read, their values, and why it passed or failed."""
    try:
        report = load_report(report_file)
        if policy_ref is not None:
            evaluation = evaluate(load_policy(policy_ref), report,
                                  waivers=load_waivers(waivers) if waivers else None,
                                  today=today.date() if today else None)
            report = dataclasses.replace(report, policy=evaluation.policy, rules=evaluation.rules,
                                         verdict=evaluation.verdict)
        elif waivers is not None:
            raise FromScratchError("--waivers needs --policy: waivers apply when a policy is evaluated")
    except FromScratchError as exc:
        _fail(ctx, exc)
        return
    click.echo(explain_text(report), nl=False)
    ctx.exit(ExitCode.PASSED)


@policy.command(short_help="Scaffold a rule and its test.", epilog="\b\nExample:\n  fromscratch policy new ethical.dataset-card --category ethical --severity warning --dir my-rules")
@click.argument("rule_id")
@click.option("--category", type=click.Choice([c.value for c in RuleCategory]),
              help="The rule's category  [default: the id's prefix, e.g. ethical for ethical.x; else technical]")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), default="warning", show_default=True)
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("rules"),
              show_default=True, help="Folder for the rule; its test goes in DIR/tests.")
@click.pass_context
def new(ctx: click.Context, rule_id: str, category: str | None, severity: str, directory: Path) -> None:
    """Scaffold RULE_ID: a working rule file and a test file with a failing and a passing case."""
    try:
        written = scaffold_rule(rule_id, category=RuleCategory(category) if category else None,
                                severity=Severity(severity), directory=directory)
    except FromScratchError as exc:
        _fail(ctx, exc)
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: edit {written[0]}, then run: fromscratch policy test {written[1].parent}")
    ctx.exit(ExitCode.PASSED)


@policy.command(name="list", epilog="\b\nExample:\n  fromscratch policy list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List the bundled policies and rules."""
    try:
        book = load_rule_book()
        policies = [load_policy(name) for name in bundled_policy_names()]
    except FromScratchError as exc:
        _fail(ctx, exc)
        return
    click.echo("Policies:")
    for item in policies:
        click.echo(f"  {item.id} {item.version}  {item.title}")
    click.echo("Rules:")
    for rule_id in sorted(book.rules):
        rule = book.rules[rule_id]
        click.echo(f"  {rule_id}  [{rule.category.value}, {rule.severity.value}]  {rule.title}")
    ctx.exit(ExitCode.PASSED)
