"""The terminal summary: verdict first, then what the catalog left out, components, tokenizer, licences,
failed rules, problems.

Rendered with rich, which drops colour by itself when the output is not a terminal (CI logs, pipes).
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
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
    _catalog(console, report)
    console.print()
    _components(console, report)
    _tokenizer(console, report)
    _licenses(console, report)
    _rules(console, report)
    _problems(console, report)


def _catalog(console: Console, report: ScanReport) -> None:
    """Catalog references left out or replaced change what the verdict was compared against, so they
    are shown before it is read; skips (a reference lost) and overrides (a reference swapped) apart."""
    for label, lines in (("skipped", report.catalog.skipped), ("overridden", report.catalog.overridden)):
        if not lines:
            continue
        console.print(Text(f"warning: catalog: {len(lines)} {label}", style="yellow"))
        for line in lines[:MAX_ROWS]:
            console.print(Text(f"  {label}: {line}", style="yellow"))
        if len(lines) > MAX_ROWS:
            console.print(f"  … and {len(lines) - MAX_ROWS} more (see the JSON or HTML report)")


def _components(console: Console, report: ScanReport) -> None:
    """One line per component: size, then its closest catalog relation with the evidence behind it."""
    console.print(Text("Components", style="bold"))
    if not report.components:
        console.print("  (no weights found)")
    for c in report.components:
        line = Text(f"  {c.name:<10}", style="bold") + Text(f"{_human(c.parameters):>7} params  {','.join(c.dtypes) or '-':<5}  ")
        closest = c.lineage[0] if c.lineage else None
        if closest is None:
            line += Text("not compared (no weights read)" if not c.fingerprinted else "no comparable catalog model",
                         style="dim")
        else:
            target = "every catalog model" if closest.catalog_id == "*" else f"{closest.catalog_id}:{closest.catalog_component}"
            verb = {WeightRelation.IDENTICAL: "IDENTICAL to", WeightRelation.DERIVED: "DERIVED from",
                    WeightRelation.INCONCLUSIVE: "inconclusive vs", WeightRelation.INDEPENDENT: "independent; closest"}
            line += Text(f"{verb[closest.relation]} {target}", style=RELATION_STYLE[closest.relation])
            if closest.statistics:
                st = closest.statistics
                line += Text(f"  (r={st.effect_size:.3f}, z={st.z:.1f}, p_adj={_p(st.p_adjusted)}, "
                             f"{st.tensors_compared} tensors)", style="dim")
        console.print(line)
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


def _p(p: float) -> str:
    """p-values below double precision print as a bound, not as a misleading zero."""
    return "<1e-300" if p < 1e-300 else f"{p:.1e}"


def _human(n: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)
