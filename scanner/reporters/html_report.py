"""The HTML compliance report: one self-contained file a reviewer can open, print or attach.

Everything is inline (CSS and SVG; no script, font or image is fetched), and a Content-Security-Policy
in the page forbids scripts and network access, so a hostile model card can neither run code nor call
home even if a value were ever written unescaped. Jinja2 escapes every value (autoescape on, strict
undefined), which is the first line of defence; the policy is the second.

The page puts the verdict and its reason first and folds long tables (passed rules, files, tensors)
into ``<details>``, so a report with thousands of tensors and hundreds of rules stays readable. Failed
rules are cards, most severe first; past ``MAX_OPEN_CARDS`` per view the rest are folded too, so
hundreds of failures do not push the components and licences off the first screens. A
section whose facts are missing says "not scanned" instead of disappearing, because an absent
section reads like a clean one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from scanner.report.model import (
    Component,
    Obligation,
    RuleCategory,
    RuleResult,
    RuleStatus,
    ScanReport,
    Severity,
    WeightLineage,
)
from scanner.reporters import palette
from scanner.reporters.charts import NULL_BAND_Z, LayerChart, TokenizerChart, layer_chart, tokenizer_chart

frozen = dataclass(frozen=True, slots=True, kw_only=True)

MAX_TENSOR_ROWS = 1000
MAX_CARD_CHARS = 6000
MAX_EVIDENCE_CHARS = 4000
MAX_OPEN_CARDS = 25
"""Failed or unevaluated rules shown open per view; the rest are folded under the open ones."""

VERDICT_LABEL = {
    "from_scratch": "From scratch",
    "not_from_scratch": "Not from scratch",
    "needs_review": "Needs review",
}

CATEGORY_QUESTION = {
    RuleCategory.TECHNICAL: "Own weights: are the model's weights its own, or copied from or derived from a published model?",
    RuleCategory.POLICY: "Free of external control: do reused parts carry licence terms that let a licensor control how the model is used?",
    RuleCategory.ETHICAL: "Licence compliance: are the licences of reused parts honoured (notices, attribution, naming)?",
}

RELATION_PHRASE = {
    "identical": "identical to",
    "derived": "derived from",
    "independent": "independent of",
    "inconclusive": "inconclusive against",
}

_OPEN_STATUSES = (RuleStatus.FAIL, RuleStatus.ERROR)
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


@frozen
class CategoryView:
    """One of the three views: the rules that need attention first (most severe first), the rest folded."""

    key: str
    title: str
    question: str
    open: tuple[RuleResult, ...]
    folded: tuple[RuleResult, ...]
    folded_summary: str
    waived: tuple[RuleResult, ...]
    settled: tuple[RuleResult, ...]


@frozen
class LineageChart:
    lineage: WeightLineage
    chart: LayerChart | None


@frozen
class ComponentView:
    """A component with its closest catalog relation and why a fact is missing, when one is."""

    component: Component
    relation: str
    relation_label: str
    closest: WeightLineage | None
    share: str
    missing: str
    chart: LineageChart | None


@frozen
class ReportView:
    """What the template needs beyond the report itself: groupings, counts and chart geometry."""

    verdict_label: str
    counts: Mapping[str, int]
    categories: tuple[CategoryView, ...]
    components: tuple[ComponentView, ...]
    tokenizer_chart: TokenizerChart | None
    obligations: tuple[Obligation, ...]
    unmet_obligations: int
    waived: tuple[RuleResult, ...]
    tensors_shown: int
    card_excerpt: str
    palette: tuple[tuple[str, str], ...]
    null_band_z: float


def render_html(report: ScanReport) -> str:
    return _environment().get_template("report.html.j2").render(report=report, view=build_view(report))


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("scanner.reporters", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["number"] = lambda n: f"{n:,}"
    env.filters["human"] = human_count
    env.filters["evidence"] = evidence_text
    env.filters["fixed"] = lambda value, digits=3: f"{value:.{digits}f}"
    env.filters["sci"] = p_value_text
    env.filters["sentence"] = as_sentence
    return env


def build_view(report: ScanReport) -> ReportView:
    total_parameters = sum(c.parameters for c in report.components)
    obligations = tuple(sorted(report.obligations, key=_obligation_order))
    card_text = report.card.text if report.card else ""
    return ReportView(
        verdict_label=VERDICT_LABEL[report.verdict.status.value],
        counts=_counts(report),
        categories=tuple(_category(report.rules, category) for category in RuleCategory),
        components=tuple(_component(c, total_parameters) for c in report.components),
        tokenizer_chart=tokenizer_chart(report.tokenizer.lineage),
        obligations=obligations,
        unmet_obligations=sum(o.satisfied is False for o in obligations),
        waived=tuple(r for r in report.rules if r.status == RuleStatus.WAIVED),
        tensors_shown=min(len(report.tensors), MAX_TENSOR_ROWS),
        card_excerpt=card_text[:MAX_CARD_CHARS],
        palette=palette.css_variables(),
        null_band_z=NULL_BAND_Z,
    )


def _counts(report: ScanReport) -> dict[str, int]:
    counts = {status.value: 0 for status in RuleStatus}
    for rule in report.rules:
        counts[rule.status.value] += 1
    for severity in Severity:
        counts[f"problems_{severity.value}"] = sum(p.severity == severity for p in report.problems)
    return counts


def _category(rules: tuple[RuleResult, ...], category: RuleCategory) -> CategoryView:
    mine = [r for r in rules if r.category == category]
    attention = sorted((r for r in mine if r.status in _OPEN_STATUSES), key=lambda r: _SEVERITY_RANK[r.severity])
    folded = attention[MAX_OPEN_CARDS:]
    return CategoryView(
        key=category.value, title=category.value.capitalize(), question=CATEGORY_QUESTION[category],
        open=tuple(attention[:MAX_OPEN_CARDS]), folded=tuple(folded), folded_summary=_folded_summary(folded),
        waived=tuple(r for r in mine if r.status == RuleStatus.WAIVED),
        settled=tuple(r for r in mine if r.status in (RuleStatus.PASS, RuleStatus.NOT_APPLICABLE)),
    )


def _folded_summary(folded: list[RuleResult]) -> str:
    """'30 more failed or not evaluated (2 error, 28 warning)': what is behind the fold, by severity."""
    if not folded:
        return ""
    counts = {severity: sum(r.severity == severity for r in folded) for severity in Severity}
    parts = ", ".join(f"{n} {severity.value}" for severity, n in counts.items() if n)
    return f"{len(folded)} more failed or not evaluated ({parts})"


def _component(component: Component, total_parameters: int) -> ComponentView:
    closest = component.lineage[0] if component.lineage else None
    if not component.fingerprinted:
        missing = "weights not read (headers only): lineage not scanned"
    elif closest is None:
        missing = "no catalog model has comparable tensors: nothing to compare against"
    elif closest.statistics is None:
        missing = "no comparable tensors with the closest catalog model"
    else:
        missing = ""
    chart = None
    if closest is not None:
        chart = LineageChart(lineage=closest,
                             chart=layer_chart(closest.statistics) if closest.statistics else None)
    share = _share(component.parameters, total_parameters)
    if closest is None:
        relation, label = "none", "not compared"
    else:
        relation, label = closest.relation.value, RELATION_PHRASE[closest.relation.value]
    return ComponentView(component=component, relation=relation, relation_label=label, closest=closest,
                         share=share, missing=missing, chart=chart)


def _share(part: int, total: int) -> str:
    """A component's share of all parameters; a small encoder shows as '<1%', never as a misleading '0%'."""
    if not total or not part:
        return "0%"
    fraction = part / total
    return "<1%" if fraction < 0.01 else f"{fraction:.0%}"


def _obligation_order(obligation: Obligation) -> tuple[int, str, str, str]:
    """Unmet first, then not checkable, then met: what is missing is what the reader came for."""
    rank = {False: 0, None: 1, True: 2}[obligation.satisfied]
    return rank, obligation.upstream, obligation.license_id, obligation.kind


def human_count(n: int) -> str:
    """12_345_678 -> '12.3M': parameter counts at a glance; exact numbers stay in the tables."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)


def p_value_text(p: float) -> str:
    """'= 0.013' or '< 1e-300': a p-value of 0.0 is the underflow of a vanishingly small number, not certainty."""
    return "< 1e-300" if p == 0 else f"= {p:.2g}"


def as_sentence(text: str) -> str:
    """End a reason with a full stop, whether or not its author did."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "。")) else text + "."


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """A rule's evidence as sorted, indented JSON, cut at a size a page can hold."""
    text = json.dumps(evidence, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) > MAX_EVIDENCE_CHARS:
        return text[:MAX_EVIDENCE_CHARS] + f"\n… ({len(text) - MAX_EVIDENCE_CHARS:,} more characters in the JSON report)"
    return text
