"""Every format: rendered for every sample, deterministic, and identical after a JSON round trip."""

from __future__ import annotations

import difflib
from dataclasses import replace

import pytest

from scanner.reporters import OutputFormat, render
from scanner.reporters.json_report import load_report, render_json

FORMATS = tuple(OutputFormat)


def test_every_format_renders_every_sample(vlm, sparse, large):
    for report in (vlm, sparse, large):
        for fmt in FORMATS:
            text = render(report, fmt)
            assert isinstance(text, str) and text.endswith("\n") and len(text) > 500, fmt


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.value)
def test_same_report_same_bytes(vlm, fmt):
    assert render(vlm, fmt) == render(vlm, fmt)


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_later_run_changes_only_the_run_time(vlm):
    later = replace(vlm, run=replace(vlm.run, started_at="2026-02-03T04:05:06Z", duration_seconds=7.25))
    stamps = ("2026-01-15T09:30:00", "2026-02-03T04:05:06", "42.5", "7.25")
    for fmt in FORMATS:
        changed = _changed_lines(render(vlm, fmt), render(later, fmt))
        assert changed, f"{fmt.value}: the run time does not appear at all"
        assert all(any(stamp in line for stamp in stamps) for line in changed), (fmt.value, changed)
        assert len(changed) <= 4, (fmt.value, changed)
    html_changes = _changed_lines(render(vlm, OutputFormat.HTML), render(later, OutputFormat.HTML))
    assert all("<dd data-run>" in line for line in html_changes)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.value)
def test_rerendering_a_saved_report_gives_the_same_bytes(vlm, tmp_path, fmt):
    saved = tmp_path / "report.json"
    saved.write_text(render_json(vlm), encoding="utf-8")
    assert render(load_report(saved), fmt) == render(vlm, fmt)


def test_every_format_has_a_description_for_its_option():
    for fmt in FORMATS:
        assert fmt.description and fmt.value.isalnum()
