"""Combining rule outcomes into a verdict, and the one paragraph that says why.

The combination is data in the policy (``verdict.first_match``): the first entry whose ``when``
matches at least one rule outcome decides, otherwise ``otherwise`` does. The summary names the
policy, the outcomes that decided, with their messages (which carry the evidence), and counts the
rest, so a reader knows from one paragraph what to look at first.
"""

from __future__ import annotations

from collections import Counter

from scanner.policy.model import Policy
from scanner.report.model import (
    RuleCategory,
    RuleResult,
    RuleStatus,
    Severity,
    Verdict,
    VerdictStatus,
)

LABELS = {
    VerdictStatus.FROM_SCRATCH: "From scratch",
    VerdictStatus.NOT_FROM_SCRATCH: "Not from scratch",
    VerdictStatus.NEEDS_REVIEW: "Needs review",
}
VERBS = {
    RuleStatus.FAIL: "failed",
    RuleStatus.ERROR: "could not be evaluated",
    RuleStatus.WAIVED: "was waived",
    RuleStatus.PASS: "passed",
    RuleStatus.NOT_APPLICABLE: "did not apply",
}
MAX_DECISIVE = 3
MAX_MESSAGE = 400


def decide(policy: Policy, results: tuple[RuleResult, ...]) -> Verdict:
    for entry in policy.first_match:
        decisive = [r for r in results if entry.matches(r)]
        if decisive:
            return Verdict(status=entry.then, summary=_summary(policy, entry.then, decisive, results))
    return Verdict(status=policy.otherwise, summary=_summary(policy, policy.otherwise, [], results))


def _summary(policy: Policy, status: VerdictStatus, decisive: list[RuleResult], results: tuple[RuleResult, ...]) -> str:
    head = f"{LABELS[status]} under policy {policy.id} {policy.version}"
    if decisive:
        parts = [f"{r.id} ({r.category.value}, {r.severity.value}) {VERBS[r.status]}: {_clip(r.message)}"
                 for r in decisive[:MAX_DECISIVE]]
        more = len(decisive) - MAX_DECISIVE
        reason = ", because " + "; ".join(parts) + (f"; and {more} more rule{'s' if more > 1 else ''} like these" if more > 0 else "")
    else:
        evidence = [r for r in results if r.status is RuleStatus.PASS and r.category is RuleCategory.TECHNICAL
                    and r.severity is Severity.ERROR] or [r for r in results if r.status is RuleStatus.PASS]
        reason = ": no rule outcome called for another verdict"
        if evidence:
            reason += "; " + "; ".join(f"{r.id} passed: {_clip(r.message)}" for r in evidence[:2])
    end = "" if reason.endswith("\u2026") else "."
    return f"{head}{reason}{end} {_counts(results)}"


def _counts(results: tuple[RuleResult, ...]) -> str:
    counts = Counter(r.status for r in results)
    order = [RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED, RuleStatus.PASS, RuleStatus.NOT_APPLICABLE]
    parts = [f"{counts[s]} {VERBS[s]}" for s in order if counts[s]]
    total = len(results)
    if not parts:
        return "The policy applied no rules."
    return f"Of {total} rule outcome{'s' if total != 1 else ''}, " + ", ".join(parts) + "."


def _clip(message: str) -> str:
    text = message.strip().rstrip(".")
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1].rstrip() + "\u2026"
