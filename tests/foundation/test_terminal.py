"""The terminal summary and progress bar: verdict first, colour only when asked or on a terminal, a bar on a terminal."""

import io
import json
import sys
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.cli.progress_bar import RichProgress, progress_for_stderr
from scanner.progress import NoProgress
from scanner.reporters.json_report import load_report
from scanner.reporters.terminal import print_summary

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def hcx_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("hcx") / "report.json"
    assert main(["scan", str(EXAMPLES / "hcx-mini"), "--json", str(out), "-q"]) == 1
    return load_report(out)


def _summary(report, **kwargs) -> str:
    stream = io.StringIO()
    print_summary(report, stream, width=120, **kwargs)
    return stream.getvalue()


def test_the_verdict_comes_first_then_components_licences_and_failed_rules(hcx_report):
    text = _summary(hcx_report, color=False)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].strip().startswith("NOT FROM SCRATCH") and "examples/hcx-mini" in lines[0]
    assert lines[1] == hcx_report.verdict.summary[: len(lines[1])]
    order = [text.index(heading) for heading in ("Components", "Tokenizer", "Licence: ", "Rules: ")]
    assert order == sorted(order)
    vision = next(line for line in lines if line.strip().startswith("vision"))
    assert "IDENTICAL to fromscratch-demo-vl:vision" in vision and "p_adj=" in vision
    assert "technical.component-weights-reused" in text[text.index("Rules: "):]


def test_colour_only_when_asked_for(hcx_report):
    assert "\x1b[" in _summary(hcx_report, color=True)
    assert "\x1b[" not in _summary(hcx_report, color=False)
    assert "\x1b[" not in _summary(hcx_report)  # a StringIO is no terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_and_nowhere_else(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(progress_for_stderr(quiet=False), NoProgress)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert isinstance(progress_for_stderr(quiet=True), NoProgress)
    bar = progress_for_stderr(quiet=False)
    assert isinstance(bar, RichProgress)
    bar.begin("fingerprinting weights", 4 << 20)
    bar.advance(2 << 20)
    bar.end()
    assert "fingerprinting weights" in terminal.getvalue()
