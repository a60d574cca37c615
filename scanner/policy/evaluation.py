"""``evaluate``: a policy over a scan's facts, with waivers, into rule results and a verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from scanner.codec import to_jsonable
from scanner.policy.engine import Bindings, Evaluator, RuleRun, StepBudget, run_rule
from scanner.policy.model import (
    Evaluation,
    Policy,
    Rule,
    RuleSelection,
    WaiverEntry,
    Waivers,
)
from scanner.policy.verdict import decide
from scanner.policy.waivers import covers, default_today, is_active
from scanner.report.model import Facts, RuleResult, RuleStatus, Severity, Waiver

STATUS_ORDER = [RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED, RuleStatus.PASS, RuleStatus.NOT_APPLICABLE]
SEVERITY_ORDER = [Severity.ERROR, Severity.WARNING, Severity.INFO]
MAX_FINDINGS_IN_MESSAGE = 10


def evaluate(policy: Policy, facts: Facts, *, waivers: Waivers | None = None, today: dt.date | None = None) -> Evaluation:
    """Judge ``facts`` (a ``Facts`` or a whole ``ScanReport``) by ``policy``.

    ``today`` decides which waivers have expired (default: today in UTC, or SOURCE_DATE_EPOCH's day).
    All rules share one step budget (``engine.MAX_STEPS``): once it is used up, the remaining rules
    are ``error`` rather than the scan taking minutes. Results come failures first, then errors, waived, passed and not applicable; within each, by
    severity, then in the policy's order.
    """
    data = facts_json(facts)
    day = today or default_today()
    entries = waivers.entries if waivers is not None else ()
    budget = StepBudget()
    results: list[tuple[int, RuleResult]] = []
    for order, selection in enumerate(policy.selections):
        results.extend((order, r) for r in judge(selection, data, entries, day, budget))
    results.sort(key=lambda pair: (STATUS_ORDER.index(pair[1].status), SEVERITY_ORDER.index(pair[1].severity), pair[0]))
    ordered = tuple(r for _, r in results)
    return Evaluation(policy=policy.info, rules=ordered, verdict=decide(policy, ordered))


def facts_json(facts: Facts) -> dict[str, Any]:
    """The JSON form rules read: only the ``Facts`` fields, even when given a full report."""
    return {f.name: to_jsonable(getattr(facts, f.name)) for f in dataclasses.fields(Facts)}


def judge(selection: RuleSelection, data: Mapping[str, Any], waivers: tuple[WaiverEntry, ...], today: dt.date,
          budget: StepBudget) -> list[RuleResult]:
    """One rule's results: usually one; a failure split by waivers gives one per waiver used plus the rest."""
    rule = selection.rule
    run, evaluator = run_rule(rule.applies_when, rule.condition, data, selection.parameters, budget)

    def result(status: RuleStatus, message: str, waiver: Waiver | None = None) -> RuleResult:
        return RuleResult(id=rule.id, category=rule.category, severity=selection.severity, status=status,
                          title=rule.title, message=message, how_to_fix=rule.how_to_fix, references=rule.references,
                          evidence=run.evidence, waiver=waiver)

    if run.status is RuleStatus.PASS:
        text = evaluator.render(rule.pass_message, {}) if rule.pass_message else "No finding: the rule's condition did not hold."
        return [result(RuleStatus.PASS, text)]
    if run.status is RuleStatus.NOT_APPLICABLE:
        return [result(RuleStatus.NOT_APPLICABLE, "Does not apply: the rule's applies_when condition did not hold.")]
    if run.status is RuleStatus.ERROR:
        return [result(RuleStatus.ERROR, "Could not be evaluated: " + _listing(list(run.reasons), 3))]
    groups, expired = _split_by_waiver(rule, run, evaluator, waivers, today)
    out = []
    if None in groups:
        text = _messages(rule, evaluator, groups.pop(None))
        if expired:
            text = text.removesuffix(".") + " (" + "; ".join(expired) + ")."
        out.append(result(RuleStatus.FAIL, text))
    for index, group in sorted(groups.items()):
        out.append(result(RuleStatus.WAIVED, _messages(rule, evaluator, group), waivers[index].waiver))
    return out


def _split_by_waiver(rule: Rule, run: RuleRun, evaluator: Evaluator, waivers: tuple[WaiverEntry, ...],
                     today: dt.date) -> tuple[dict[int | None, list[Bindings]], list[str]]:
    """Findings by the waiver that covers them (None: not waived), and notes on expired waivers that would have."""
    groups: dict[int | None, list[Bindings]] = {}
    expired: list[str] = []
    for witness in list(run.witnesses) or [{}]:
        scope = evaluator.render(rule.scope, witness) if rule.scope else "*"
        match = next((i for i, w in enumerate(waivers) if is_active(w, today) and covers(w, rule.id, scope)), None)
        groups.setdefault(match, []).append(witness)
        if match is None:
            expired.extend(f"a waiver for scope '{w.waiver.scope}' by {w.waiver.author} expired on {w.waiver.expires}"
                           for w in waivers if not is_active(w, today) and covers(w, rule.id, scope))
    return groups, list(dict.fromkeys(expired))


def _messages(rule: Rule, evaluator: Evaluator, witnesses: list[Bindings]) -> str:
    texts = list(dict.fromkeys(evaluator.render(rule.message, w) for w in witnesses))
    return _listing(texts, MAX_FINDINGS_IN_MESSAGE)


def _listing(texts: list[str], limit: int) -> str:
    shown = "; ".join(t.rstrip(".") for t in texts[:limit])
    more = len(texts) - limit
    return shown + (f"; and {more} more" if more > 0 else "") + "."
