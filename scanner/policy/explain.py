"""``explain_text``: for each rule of a report, the facts it read, their values, and why it ended as it did.

Pure rendering of a finished ``ScanReport`` (used by ``policy explain`` and ``scan --explain``).
Waived findings get their own section, next to failures, never mixed with passes.
"""

from __future__ import annotations

import json
from typing import Any

from scanner.policy.verdict import LABELS
from scanner.report.model import RuleResult, RuleStatus, ScanReport

SECTIONS = (
    (RuleStatus.FAIL, "Failed"),
    (RuleStatus.ERROR, "Could not be evaluated"),
    (RuleStatus.WAIVED, "Waived (accepted exceptions, shown separately)"),
    (RuleStatus.PASS, "Passed"),
    (RuleStatus.NOT_APPLICABLE, "Did not apply"),
)
MAX_VALUE = 160


def explain_text(report: ScanReport) -> str:
    policy = report.policy
    lines = [
        f"Policy {policy.id} {policy.version}: {policy.title}",
        f"Checksum: {policy.checksum or 'none'}",
        f"Target: {report.target.path}",
        f"Verdict: {LABELS[report.verdict.status].upper()}",
        report.verdict.summary,
    ]
    if not report.rules:
        lines += ["", "No rules were evaluated."]
    for status, heading in SECTIONS:
        chosen = [r for r in report.rules if r.status is status]
        if not chosen:
            continue
        lines += ["", f"== {heading} ({len(chosen)})"]
        for result in chosen:
            lines += _rule(result)
    return "\n".join(lines) + "\n"


def _rule(result: RuleResult) -> list[str]:
    out = [f"{result.status.value.upper()} {result.id}  [{result.category.value}, {result.severity.value}]  {result.title}",
           f"  why: {result.message}"]
    if result.waiver is not None:
        w = result.waiver
        out.append(f"  waiver: scope '{w.scope}', approved by {w.author}, until {w.expires}: {w.reason}")
    if result.evidence:
        out.append("  facts read:")
        out += [f"    {path} = {_value(value)}" for path, value in result.evidence.items()]
    else:
        out.append("  facts read: none")
    if result.status in (RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED):
        out.append(f"  how to fix: {result.how_to_fix.strip()}")
        out += [f"  reference: {ref}" for ref in result.references]
    return out


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."
