"""The HTML report in a real browser: sections render, hostile card text stays text, print works.

Skipped (with the reason) when no Chromium is installed, unless FROMSCRATCH_REQUIRE_BROWSER=1: then
they fail, so a CI machine that lost its browser cannot pass unnoticed (``.ci/run`` sets it and
installs Debian's ``chromium``).
Set FROMSCRATCH_UPDATE_SCREENSHOTS=1 to copy the screenshots into docs/.
"""

from __future__ import annotations

import os
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from reporter_browser import dump_dom, find_browser, png_size, print_pdf, screenshot
from reporter_samples import ALERTS, IMG_PAYLOAD, SCRIPT_PAYLOAD, SVG_PAYLOAD, TRACEABLE

from scanner.pipeline import ScanOptions, run_scan
from scanner.reporters.html_report import render_html

BROWSER = find_browser()
NO_BROWSER = ("no Chromium found (install Debian's 'chromium' package, "
              "or set FROMSCRATCH_CHROMIUM to a Chrome/Chromium binary)")


@pytest.fixture(autouse=True)
def _browser_present():
    """Skip without a browser, except where FROMSCRATCH_REQUIRE_BROWSER=1 (CI) makes a missing one a failure."""
    if BROWSER is None:
        if os.environ.get("FROMSCRATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{NO_BROWSER}, and FROMSCRATCH_REQUIRE_BROWSER=1 requires one", pytrace=False)
        pytest.skip(NO_BROWSER)

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PRINT_OPENS_DETAILS = "details::details-content { content-visibility: visible; display: block; }"
SECTIONS = ("verdict", "findings", "view-technical", "view-policy", "view-ethical", "components", "tokenizer",
            "architecture", "licences", "provenance", "code", "card", "waived", "problems", "reproducibility")


def _write(tmp_path: Path, name: str, html: str) -> Path:
    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    return page


def _body_attributes(dom: str) -> str:
    match = re.search(r"<body([^>]*)>", dom)
    assert match, "no <body> in the dumped DOM"
    return match.group(1)


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert match, "no <title> in the dumped DOM"
    return unescape(match.group(1))


def test_the_payloads_do_run_in_this_browser_when_written_raw(tmp_path):
    """The detector works: the same payloads in a plain page change the title and the body."""
    page = _write(tmp_path, "raw.html", f"<!DOCTYPE html><html><head><title>plain</title></head><body>{TRACEABLE}</body></html>")
    dom = dump_dom(BROWSER, tmp_path / "profile", page)
    assert _title(dom) == "PWNED-SCRIPT"
    assert "data-pwned" in _body_attributes(dom)


def test_hostile_text_is_shown_as_text_and_never_runs(tmp_path, vlm):
    html = render_html(vlm)
    dom = dump_dom(BROWSER, tmp_path / "profile", _write(tmp_path, "report.html", html))
    assert _title(dom) == f"Not from scratch: {vlm.target.path} · fromscratch report"
    assert "data-pwned" not in _body_attributes(dom)
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "<svg onload" not in dom.lower()
    text = unescape(re.sub(r"<[^>]+>", "", dom))
    for payload in (SCRIPT_PAYLOAD, IMG_PAYLOAD, SVG_PAYLOAD, ALERTS):
        assert payload in text, f"hostile text not displayed as text: {payload}"
    assert "비전 인코더와 언어 모델을 모두 자체 개발하였습니다" in text
    for section in SECTIONS:
        assert f'id="{section}"' in dom, f"section {section} missing in the browser DOM"
    assert dom.count('class="chart"') >= 5


def test_the_content_security_policy_stops_scripts_even_if_escaping_failed(tmp_path, vlm):
    """Second line of defence: inject the payloads raw into the rendered page; the page's CSP blocks them."""
    html = render_html(vlm).replace("<main>", f"<main>{TRACEABLE} {ALERTS}", 1)
    dom = dump_dom(BROWSER, tmp_path / "profile", _write(tmp_path, "injected.html", html))
    assert _title(dom).startswith("Not from scratch")
    assert "data-pwned" not in _body_attributes(dom)


def test_screenshots_narrow_screen_and_print(tmp_path, vlm):
    html = render_html(vlm)
    assert PRINT_OPENS_DETAILS in html
    page = _write(tmp_path, "report.html", html)
    wide = screenshot(BROWSER, tmp_path / "profile", page, tmp_path / "wide.png", width=1200, height=2200)
    narrow = screenshot(BROWSER, tmp_path / "profile", page, tmp_path / "narrow.png", width=390, height=1600)
    assert png_size(wide) == (1200, 2200) and wide.stat().st_size > 50_000
    assert png_size(narrow) == (390, 1600) and narrow.stat().st_size > 20_000
    pdf = print_pdf(BROWSER, tmp_path / "profile", page, tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    folded = _write(tmp_path, "folded.html", render_html(vlm).replace(PRINT_OPENS_DETAILS, ""))
    folded_pdf = print_pdf(BROWSER, tmp_path / "profile", folded, tmp_path / "folded.pdf").read_bytes()
    assert _pages(pdf) > _pages(folded_pdf) >= 3, "printing does not open the folded sections"
    _publish(wide, "report-sample.png")


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_screenshot_of_the_bundled_example(tmp_path, monkeypatch):
    """The HTML report of examples/hcx-mini, the January 2026 case in miniature, as the docs show it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(REPO)
    report = run_scan("examples/hcx-mini", ScanOptions())
    page = _write(tmp_path, "hcx-mini.html", render_html(report))
    dom = dump_dom(BROWSER, tmp_path / "profile", page)
    assert _title(dom) == "Not from scratch: examples/hcx-mini · fromscratch report"
    text = unescape(re.sub(r"<[^>]+>", "", dom))
    assert "Not from scratch" in text and "Needs review" not in text, "the docs would show a stale verdict"
    for section in SECTIONS:
        assert f'id="{section}"' in dom, f"section {section} missing"
    shot = screenshot(BROWSER, tmp_path / "profile", page, tmp_path / "hcx-mini.png", width=1200, height=2200)
    assert png_size(shot) == (1200, 2200)
    _publish(shot, "report-hcx-mini.png")


def _publish(shot: Path, name: str) -> None:
    if os.environ.get("FROMSCRATCH_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / name)
