"""``fromscratch report`` and ``scan`` writing HTML, SPDX and SARIF: bytes, bad paths, partial files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from test_sarif_report import sarif as validated_sarif

from scanner.cli import main
from scanner.reporters import OutputFormat, render
from scanner.reporters.json_report import load_report, render_json

REPO = Path(__file__).resolve().parents[2]
OPTIONS = {OutputFormat.JSON: "again.json", OutputFormat.HTML: "report.html", OutputFormat.SPDX: "model.spdx.json",
           OutputFormat.SPDX3: "model.spdx3.json", OutputFormat.SARIF: "report.sarif"}


@pytest.fixture
def saved(vlm, tmp_path) -> Path:
    path = tmp_path / "report.json"
    path.write_text(render_json(vlm), encoding="utf-8")
    return path


def _args(folder: Path) -> list[str]:
    return [arg for fmt, name in OPTIONS.items() for arg in (f"--{fmt.value}", str(folder / name))]


def test_report_rerenders_every_format(saved, vlm, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert main(["report", str(saved), *_args(out), "-q"]) == 0
    assert capsys.readouterr().out == ""
    for fmt, name in OPTIONS.items():
        assert (out / name).read_text(encoding="utf-8") == render(vlm, fmt), fmt
    assert validate_full_spdx_document(parse_file(str(out / "model.spdx.json"))) == []
    assert (out / "again.json").read_bytes() == saved.read_bytes()


def test_report_without_quiet_still_prints_the_summary(saved, tmp_path, capsys):
    assert main(["report", str(saved), "--html", str(tmp_path / "r.html"), "--no-color"]) == 0
    assert "NOT FROM SCRATCH" in capsys.readouterr().out


def test_non_latin_output_names(saved, tmp_path):
    target = tmp_path / "보고서" / "모델 보고서.html"
    target.parent.mkdir()
    assert main(["report", str(saved), "--html", str(target), "-q"]) == 0
    assert "시드 VL 32B" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("option", ["--html", "--spdx", "--spdx3", "--sarif"])
def test_unwritable_paths_fail_clearly_and_leave_nothing(saved, tmp_path, capsys, option):
    folder = tmp_path / "out"
    folder.mkdir()
    a_directory = folder / "report"
    a_directory.mkdir()
    assert main(["report", str(saved), option, str(a_directory), "-q"]) == 2
    assert "is a directory" in capsys.readouterr().err
    a_file = folder / "plain-file"
    a_file.write_text("x", encoding="utf-8")
    under_a_file = a_file / "report.out"
    assert main(["report", str(saved), option, str(under_a_file), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fromscratch: error: {under_a_file}: cannot write"), err
    missing_parent = tmp_path / "no-such-folder" / "report.out"
    assert main(["report", str(saved), option, str(missing_parent), "-q"]) == 2
    assert "cannot write" in capsys.readouterr().err and not missing_parent.parent.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["plain-file", "report"], "a partial file was left behind"
    assert list(a_directory.iterdir()) == []


def test_a_failed_render_keeps_the_previous_file(vlm, tmp_path, capsys):
    saved = tmp_path / "bad-time.json"
    saved.write_text(render_json(replace(vlm, run=replace(vlm.run, started_at="yesterday"))), encoding="utf-8")
    previous = tmp_path / "model.spdx.json"
    previous.write_text("previous SBOM\n", encoding="utf-8")
    assert main(["report", str(saved), "--spdx", str(previous), "-q"]) == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert previous.read_text(encoding="utf-8") == "previous SBOM\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad-time.json", "model.spdx.json"]


def test_report_of_a_file_that_is_not_a_report(tmp_path, capsys):
    bogus = tmp_path / "x.json"
    bogus.write_text("[1, 2]", encoding="utf-8")
    assert main(["report", str(bogus), "--html", str(tmp_path / "x.html")]) == 2
    assert "not a fromscratch report" in capsys.readouterr().err and not (tmp_path / "x.html").exists()


def test_scan_writes_every_format_and_repeats_byte_for_byte(tmp_path, monkeypatch):
    """The bundled example through the real pipeline, twice, with SOURCE_DATE_EPOCH set."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(REPO)
    runs = []
    for attempt in ("first", "second"):
        folder = tmp_path / attempt
        folder.mkdir()
        code = main(["scan", "examples/hcx-mini", *_args(folder), "-q"])
        assert code in (0, 1, 3), code
        runs.append({name: (folder / name).read_bytes() for name in OPTIONS.values()})
    assert runs[0] == runs[1]
    first = tmp_path / "first"
    assert validate_full_spdx_document(parse_file(str(first / "model.spdx.json"))) == []
    validated_sarif(load_report(first / "again.json"))
    html = (first / "report.html").read_text(encoding="utf-8")
    assert "examples/hcx-mini" in html and "2026-01-01T00:00:00Z" in html
    sbom = json.loads((first / "model.spdx.json").read_text(encoding="utf-8"))
    assert sbom["creationInfo"]["created"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize("value", ["99999999999999", "-5", "1.5", "253402300800", "abc"])
def test_scan_refuses_a_source_date_epoch_it_cannot_write_before_scanning(value, tmp_path, monkeypatch, capsys):
    def no_scan(*args, **kwargs):
        raise AssertionError("the scan ran with an unusable SOURCE_DATE_EPOCH")

    monkeypatch.setattr("scanner.cli.scan_cmd.run_scan", no_scan)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    monkeypatch.chdir(REPO)
    assert main(["scan", "examples/hcx-mini", "--json", str(tmp_path / "r.json"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fromscratch: error: SOURCE_DATE_EPOCH={value!r} is not a time") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_source_date_epoch_that_is_not_a_number_is_refused_before_any_import_fails(tmp_path):
    """scipy's import itself fails on SOURCE_DATE_EPOCH=abc: the command line must refuse it first, in one line."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "abc"}
    done = subprocess.run([sys.executable, "-m", "scanner", "version"], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("fromscratch: error: SOURCE_DATE_EPOCH='abc' is not a time") and done.stderr.count("\n") == 1


def test_the_last_writable_second_goes_through_every_format(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    monkeypatch.chdir(REPO)
    assert main(["scan", "examples/hcx-mini", *_args(tmp_path), "-q"]) == 1
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))["run"]["started_at"] == "9999-12-31T23:59:59Z"
    sbom = json.loads((tmp_path / "model.spdx.json").read_text(encoding="utf-8"))
    assert sbom["creationInfo"]["created"] == "9999-12-31T23:59:59Z"
