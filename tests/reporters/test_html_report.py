"""The HTML report as text: escaping, self-containment, sections, missing facts, size, colours, charts."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from reporter_samples import ALERTS, IMG_PAYLOAD, KOREAN_CARD, SCRIPT_PAYLOAD, SVG_PAYLOAD

from scanner.report.model import LayerSimilarity, RuleCategory, RuleResult, RuleStatus, Severity
from scanner.reporters import palette
from scanner.reporters.charts import NULL_BAND_Z, layer_chart, tokenizer_chart
from scanner.reporters.html_report import MAX_OPEN_CARDS, MAX_TENSOR_ROWS, render_html

SECTIONS = ("verdict", "findings", "view-technical", "view-policy", "view-ethical", "components", "tokenizer",
            "architecture", "licences", "provenance", "code", "card", "waived", "problems", "reproducibility")


@pytest.fixture(scope="module")
def vlm_html(vlm):
    return render_html(vlm)


def test_hostile_text_is_escaped_everywhere(vlm_html):
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, SVG_PAYLOAD, ALERTS):
        assert payload not in vlm_html
    assert "<script" not in vlm_html.lower()
    assert not re.search(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", vlm_html), "an element carries an event handler"
    assert "&lt;script&gt;document.title=&#34;PWNED-SCRIPT&#34;&lt;/script&gt;" in vlm_html
    assert vlm_html.count("&lt;img src=x onerror=") >= 5


def test_self_contained_and_locked_down(vlm_html):
    assert re.search(r"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';", vlm_html)
    assert not re.search(r"<(link|script|iframe|object|embed|img)\b", vlm_html, re.IGNORECASE)
    assert "@import" not in vlm_html and "url(" not in vlm_html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", vlm_html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in vlm_html
    assert "@media print" in vlm_html


def test_sections_in_reading_order_with_summary_first(vlm, vlm_html):
    positions = [vlm_html.index(f'id="{section}"') for section in SECTIONS]
    assert positions == sorted(positions)
    assert vlm_html.index(vlm.verdict.summary[:60]) < vlm_html.index('id="findings"')
    assert '<html lang="en">' in vlm_html and vlm_html.count("<h1>") == 1


def test_findings_show_outcome_message_evidence_and_fix(vlm, vlm_html):
    for rule in vlm.rules:
        if rule.status in (RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED):
            assert f'id="rule-{rule.id}"' in vlm_html
            assert rule.how_to_fix.replace("'", "&#39;") in vlm_html
    assert "The rule could not be evaluated" in vlm_html
    assert "components[vision].lineage[0].statistics.effect_size" in vlm_html
    assert "kim.reviewer@example.org" in vlm_html and "2026-06-30" in vlm_html


def test_component_map_licences_provenance_and_reproducibility(vlm, vlm_html):
    for relation in ("identical", "derived", "independent", "inconclusive", "none"):
        assert f'<li class="rel-{relation}">' in vlm_html
    assert "NOT MET" in vlm_html and "not checkable automatically" in vlm_html
    assert vlm_html.index("NOT MET") < vlm_html.index(">met</span>")
    assert "(undisclosed)" in vlm_html
    assert vlm.catalog.checksum in vlm_html and vlm.policy.checksum in vlm_html
    for repo_file in vlm.target.files:
        assert repo_file.sha256 is None or repo_file.sha256 in vlm_html
    assert "not hashed" in vlm_html


def test_korean_card_text_is_kept(vlm_html):
    assert "시드 VL 32B 생각 모델" in vlm_html and "한국어" in vlm_html
    assert KOREAN_CARD.splitlines()[2][:30] in vlm_html


def test_missing_facts_say_not_scanned(sparse):
    html = render_html(sparse)
    for section in SECTIONS:
        assert f'id="{section}"' in html
    for phrase in ("no policy rule was evaluated", "no weight files were found", "the tokenizer is absent",
                   "no component&#39;s hyper-parameters were compared", "no licence file", "no model card",
                   "no config.json", "no catalog loaded", "no tensor headers were read"):
        assert phrase in html, phrase
    assert html.count('class="not-scanned"') >= 8


def test_unfingerprinted_component_and_missing_statistics_say_not_scanned(vlm, vlm_html):
    assert "weights not read (headers only): lineage not scanned" in vlm_html
    vision = vlm.components[1]
    bare = replace(vision, lineage=(replace(vision.lineage[0], statistics=None),))
    html = render_html(replace(vlm, components=(bare,)))
    assert "no comparable tensors with the closest catalog model" in html
    assert 'class="chart"' not in html.split('id="tokenizer"')[0]


def test_large_report_stays_usable(large):
    html = render_html(large)
    assert len(html) < 3_000_000
    summary_end = html.index('id="findings"')
    assert "<details" not in html[:summary_end]
    passed = [r for r in large.rules if r.status == RuleStatus.PASS]
    assert len(passed) > 300
    assert re.search(r"<details><summary>\d+ passed or not applicable</summary>", html)
    assert html.count("<code>model.layers.") == MAX_TENSOR_ROWS
    assert f"{len(large.tensors) - MAX_TENSOR_ROWS:,} more tensors in the JSON report" in html


def test_every_colour_pair_meets_wcag_contrast():
    for table in (palette.RELATION, palette.TOKENIZER_RELATION, palette.STATUS, palette.VERDICT):
        for name, (background, text) in table.items():
            assert _contrast(background, text) >= 4.5, (name, background, text)
    assert _contrast(palette.CHART["line"][0], palette.PAPER) >= 3.0
    assert _contrast(palette.RELATION["identical"][0], palette.PAPER) >= 3.0


def test_every_palette_colour_used_by_the_stylesheet_is_defined(vlm_html):
    defined = {name for name, _ in palette.css_variables()}
    used = set(re.findall(r"var\(--([\w-]+)\)", vlm_html))
    assert used and used <= defined, used - defined


def test_layer_chart_draws_the_null_band_around_zero(vlm):
    stats = vlm.components[0].lineage[0].statistics
    chart = layer_chart(stats)
    band_top, band_height, zero = float(chart.band_top), float(chart.band_height), float(chart.zero_y)
    assert band_top < zero < band_top + band_height
    assert abs((zero - band_top) - band_height / 2) < 0.2
    assert chart.band_half_width == f"{NULL_BAND_Z * stats.null_sd:.3f}"
    assert chart.outside == 0 and len(chart.points) == 64
    assert len(chart.x_ticks) <= 12


def test_layer_chart_puts_copied_layers_far_above_the_band(vlm):
    stats = vlm.components[1].lineage[0].statistics
    chart = layer_chart(stats)
    assert chart.outside == len(stats.per_layer)
    assert all(float(p.y) < float(chart.band_top) - 100 for p in chart.points)


def test_layer_chart_extends_its_axis_to_negative_similarities(vlm):
    stats = vlm.components[0].lineage[0].statistics
    negative = replace(stats, per_layer=(LayerSimilarity(layer="blocks.0", reference_layer="blocks.0",
                                                         similarity=-0.63, z=-40.0, tensors=3),))
    chart = layer_chart(negative)
    assert chart.y_ticks[-1].label in ("-0.8", "-0.6") and float(chart.points[0].y) <= float(chart.bottom)
    assert layer_chart(replace(stats, per_layer=())) is None


def test_tokenizer_chart_rows_and_missing_metrics(vlm):
    chart = tokenizer_chart(vlm.tokenizer.lineage)
    assert [row.catalog_id for row in chart.rows] == ["qwen2.5", "llama3"]
    assert [bar.value for bar in chart.rows[0].bars] == ["41.2%", "3.1%", "18.0%"]
    assert chart.rows[1].missing == ("merge rules shared",)
    assert tokenizer_chart(()) is None


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_layer_chart_lists_but_does_not_draw_non_finite_similarities(vlm):
    stats = vlm.components[0].lineage[0].statistics
    layers = list(stats.per_layer)
    layers[1] = replace(layers[1], similarity=float("nan"), z=float("nan"))
    layers[2] = replace(layers[2], similarity=float("-inf"), z=float("inf"))
    chart = layer_chart(replace(stats, per_layer=tuple(layers), effect_size=float("nan"), null_sd=float("nan")))
    assert len(chart.points) == 64 and [p.drawn for p in chart.points[:4]] == [True, False, False, True]
    assert (chart.points[1].similarity, chart.points[1].z, chart.points[1].y) == ("n/a", "n/a", "")
    assert len(chart.polyline.split()) == 62 and "nan" not in chart.polyline.lower()
    assert "2 without a finite similarity, not drawn" in chart.description
    assert "median similarity n/a" in chart.description and chart.band_half_width == "0.000"
    every_nan = replace(stats, per_layer=tuple(replace(layer, similarity=float("nan")) for layer in layers))
    assert layer_chart(every_nan).polyline == ""


def test_html_with_a_nan_similarity_renders_and_leaves_the_point_out(vlm):
    component = vlm.components[0]
    lineage = component.lineage[0]
    layers = (replace(lineage.statistics.per_layer[0], similarity=float("nan")), *lineage.statistics.per_layer[1:])
    broken = replace(lineage, statistics=replace(lineage.statistics, per_layer=layers))
    report = replace(vlm, components=(replace(component, lineage=(broken, *component.lineage[1:])), *vlm.components[1:]))
    html = render_html(report)
    assert html.count('<circle class="point') == render_html(vlm).count('<circle class="point') - 1
    assert '<td class="num">n/a</td>' in html and not re.search(r"[\s,\"=]nan[\s,\"]", html.lower())


def test_hundreds_of_failures_show_the_most_severe_open_and_fold_the_rest(vlm):
    severities = (Severity.INFO, Severity.WARNING, Severity.ERROR)
    failing = tuple(
        RuleResult(id=f"technical.generated-{i:03d}", category=RuleCategory.TECHNICAL, severity=severities[i % 3],
                   status=RuleStatus.FAIL, title=f"Generated {i}", message=f"Generated failure {i}.", how_to_fix="",
                   references=(), evidence={})
        for i in range(300))
    html = render_html(replace(vlm, rules=failing + vlm.rules))
    technical = html[html.index('id="view-technical"'):html.index('id="view-policy"')]
    before_fold, folded = re.split(r"<details><summary>(?=\d+ more failed)", technical, maxsplit=1)
    open_ids = re.findall(r'<article class="rule is-(?:fail|error)" id="rule-([\w.-]+)"', before_fold)
    assert len(open_ids) == MAX_OPEN_CARDS
    ranks = {s: n for n, s in enumerate(Severity)}
    severity_of = {r.id: r.severity for r in failing + vlm.rules}
    assert [ranks[severity_of[i]] for i in open_ids] == sorted(ranks[severity_of[i]] for i in open_ids)
    assert all(severity_of[i] == Severity.ERROR for i in open_ids)
    technical_open = [r for r in failing + vlm.rules
                      if r.category == RuleCategory.TECHNICAL and r.status in (RuleStatus.FAIL, RuleStatus.ERROR)]
    more = len(technical_open) - MAX_OPEN_CARDS
    assert folded.startswith(f"{more} more failed or not evaluated (")
    assert technical.count('<article class="rule is-') == len(technical_open) + sum(
        r.category == RuleCategory.TECHNICAL and r.status == RuleStatus.WAIVED for r in vlm.rules)
