"""Colours of the HTML report, kept in one table so a test can check every pair for contrast.

Each entry is a background and the text colour drawn on it. Colour is never the only signal: every
coloured box also carries its label in words, so the report reads the same in grey print.
"""

from __future__ import annotations

from scanner.report.model import (
    RuleStatus,
    TokenizerRelation,
    VerdictStatus,
    WeightRelation,
)

INK = "#1a1a1a"
PAPER = "#ffffff"

_REUSE = ("#8f1d18", PAPER)
_PARTLY = ("#a8400a", PAPER)
_OWN = ("#1e6b34", PAPER)
_UNSURE = ("#f2c94c", INK)
_NEUTRAL = ("#e4e6ea", INK)

RELATION = {
    WeightRelation.IDENTICAL.value: _REUSE,
    WeightRelation.DERIVED.value: _PARTLY,
    WeightRelation.INDEPENDENT.value: _OWN,
    WeightRelation.INCONCLUSIVE.value: _UNSURE,
    "none": _NEUTRAL,
}

TOKENIZER_RELATION = {
    TokenizerRelation.IDENTICAL.value: _REUSE,
    TokenizerRelation.EXTENDED.value: _PARTLY,
    TokenizerRelation.SUBSET.value: _PARTLY,
    TokenizerRelation.OVERLAPPING.value: _UNSURE,
    TokenizerRelation.INDEPENDENT.value: _OWN,
}

STATUS = {
    RuleStatus.FAIL.value: _REUSE,
    RuleStatus.ERROR.value: _UNSURE,
    RuleStatus.WAIVED.value: ("#5b4b8a", PAPER),
    RuleStatus.PASS.value: _OWN,
    RuleStatus.NOT_APPLICABLE.value: _NEUTRAL,
}

VERDICT = {
    VerdictStatus.FROM_SCRATCH.value: _OWN,
    VerdictStatus.NOT_FROM_SCRATCH.value: _REUSE,
    VerdictStatus.NEEDS_REVIEW.value: _UNSURE,
}

# Chart strokes drawn on the white page; the null band is a fill behind the points.
CHART = {
    "axis": ("#5c5f66", PAPER),
    "band": ("#cfe3d4", INK),
    "line": ("#3b4a6b", PAPER),
}


def css_variables() -> tuple[tuple[str, str], ...]:
    """Every colour as a (CSS custom property, value) pair, in a fixed order."""
    pairs: list[tuple[str, str]] = [("ink", INK), ("paper", PAPER)]
    for group, table in (("rel", RELATION), ("tok", TOKENIZER_RELATION), ("status", STATUS),
                         ("verdict", VERDICT), ("chart", CHART)):
        for name, (background, text) in table.items():
            pairs.append((f"{group}-{name}-bg", background))
            pairs.append((f"{group}-{name}-fg", text))
    return tuple(pairs)
