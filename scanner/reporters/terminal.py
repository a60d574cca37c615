"""The terminal summary: verdict first, then components, tokenizer, licences, failed rules, problems.

Rendered with rich, which drops colour by itself when the output is not a terminal (CI logs, pipes).
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.report.model import RuleStatus, ScanReport, Severity, VerdictStatus, WeightRelation

VERDICT_STYLE = {
    VerdictStatus.FROM_SCRATCH: ("bold white on green", "FROM SCRATCH"),
    VerdictStatus.NOT_FROM_SCRATCH: ("bold white on red", "NOT FROM SCRATCH"),
    VerdictStatus.NEEDS_REVIEW: ("bold black on yellow", "NEEDS REVIEW"),
}
RELATION_STYLE = {
    WeightRelation.IDENTICAL: "bold red",
    WeightRelation.DERIVED: "red",
    WeightRelation.INDEPENDENT: "green",
    WeightRelation.INCONCLUSIVE: "yellow",
}
MAX_ROWS = 20


def print_summary(report: ScanReport, stream: TextIO, *, color: bool | None = None, width: int | None = None) -> None:
    console = Console(file=stream, force_terminal=color, no_color=color is False, width=width, highlight=False,
                      soft_wrap=False)
    style, label = VERDICT_STYLE[report.verdict.status]
    console.print(Text(f" {label} ", style=style), Text(f"  {report.target.path}", style="bold"))
    console.print(report.verdict.summary)
    console.print(Text(f"policy {report.policy.id} {report.policy.version}  ·  catalog {report.catalog.version or 'none'}"
                       f"  ·  fromscratch {report.tool.version}", style="dim"))
    console.print()
    _components(console, report)
    _tokenizer(console, report)
    _licenses(console, report)
    _rules(console, report)
    _problems(console, report)


def _components(console: Console, report: ScanReport) -> None:
    table = Table(title="Components", title_justify="left", show_edge=False)
    for column in ("component", "tensors", "parameters", "dtypes", "closest catalog model", "relation", "evidence"):
        table.add_column(column, justify="right" if column in ("tensors", "parameters") else "left")
    for c in report.components:
        closest = c.lineage[0] if c.lineage else None
        relation = Text(closest.relation.value, style=RELATION_STYLE[closest.relation]) if closest else Text(
            "not compared" if not c.fingerprinted else "no candidates", style="dim")
        evidence = ""
        if closest and closest.statistics:
            s = closest.statistics
            evidence = f"r={s.effect_size:.3f} z={s.z:.1f} p_adj={s.p_adjusted:.1e} n={s.tensors_compared}"
        table.add_row(c.name, str(c.tensors), _human(c.parameters), ",".join(c.dtypes) or "-",
                      f"{closest.catalog_id}:{closest.catalog_component}" if closest else "-", relation, evidence)
    if not report.components:
        table.add_row("(no weights found)", "", "", "", "", "", "")
    console.print(table)
    console.print()


def _tokenizer(console: Console, report: ScanReport) -> None:
    tok = report.tokenizer
    if tok.status != "present":
        console.print(Text(f"Tokenizer: {tok.status}", style="bold"))
    else:
        closest = tok.lineage[0] if tok.lineage else None
        relation = f", {closest.relation.value} to {closest.catalog_id}" if closest else ""
        console.print(Text("Tokenizer: ", style="bold") + Text(f"{tok.type}, {tok.vocab_size} tokens{relation}"))
    console.print()


def _licenses(console: Console, report: ScanReport) -> None:
    lic = report.licenses
    console.print(Text("Licence: ", style="bold") + Text(lic.declared_expression or "none declared"))
    for d in lic.detections[:MAX_ROWS]:
        name = d.expression or "unidentified"
        flag = " (modified)" if d.modified else ""
        console.print(f"  {d.source}: {name}{flag} [{d.method}, {d.confidence:.0%}]")
    for finding in lic.findings:
        console.print(Text(f"  ! {finding}", style="yellow"))
    console.print()


def _rules(console: Console, report: ScanReport) -> None:
    failed = [r for r in report.rules if r.status in (RuleStatus.FAIL, RuleStatus.ERROR)]
    waived = [r for r in report.rules if r.status == RuleStatus.WAIVED]
    passed = sum(r.status == RuleStatus.PASS for r in report.rules)
    console.print(Text(f"Rules: {len(failed)} failed, {passed} passed, {len(waived)} waived", style="bold"))
    for r in failed[:MAX_ROWS]:
        style = "red" if r.severity == Severity.ERROR else "yellow"
        console.print(Text(f"  ✗ [{r.category.value}] {r.id}: ", style=style) + Text(r.message))
    if len(failed) > MAX_ROWS:
        console.print(f"  … and {len(failed) - MAX_ROWS} more (see the JSON or HTML report)")
    for r in waived[:MAX_ROWS]:
        console.print(Text(f"  ~ waived {r.id}", style="dim") + Text(f" ({r.waiver.reason})" if r.waiver else ""))
    console.print()


def _problems(console: Console, report: ScanReport) -> None:
    if not report.problems:
        return
    console.print(Text(f"Problems: {len(report.problems)}", style="bold"))
    for p in report.problems[:MAX_ROWS]:
        console.print(Text(f"  {p.severity.value}: ", style="red" if p.severity == Severity.ERROR else "yellow")
                      + Text(p.message))
    if len(report.problems) > MAX_ROWS:
        console.print(f"  … and {len(report.problems) - MAX_ROWS} more")


def _human(n: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)
