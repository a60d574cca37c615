import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scanner.cli import cli, main
from scanner.codec import from_jsonable, to_jsonable
from scanner.report.model import ScanReport
from scanner.report.schema import SCHEMA_FILE, schema_text

from helpers import tiny_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_shipped_schema_matches_the_dataclasses():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), "run: python -m scanner.report.schema"


def _scan_json(target: Path, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["scan", str(target), "--json", str(out), "-q", *extra])
    return code, json.loads(out.read_text(encoding="utf-8"))


def test_scan_json_validates_and_round_trips(tmp_path):
    code, data = _scan_json(tiny_repo(tmp_path / "repo"), tmp_path)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(data)
    report = from_jsonable(ScanReport, data)
    assert to_jsonable(report) == data
    assert code in (0, 1, 3)
    components = {c["name"]: c for c in data["components"]}
    assert set(components) == {"text", "vision", "projector", "other"}
    assert components["other"]["tensors"] == 1


def test_same_input_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    repo = tiny_repo(tmp_path / "repo")
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        main(["scan", str(repo), "--json", str(out), "-q"])
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["run"]["started_at"] == "2026-01-01T00:00:00Z"


def test_exit_codes_for_the_examples(tmp_path):
    code, data = _scan_json(EXAMPLES / "hcx-mini", tmp_path)
    assert data["verdict"]["status"] == "not_from_scratch" and code == 1
    code, data = _scan_json(EXAMPLES / "independent-lm", tmp_path)
    assert data["verdict"]["status"] == "from_scratch" and code == 0


def test_exit_code_2_and_one_line_for_missing_target(capsys):
    assert main(["scan", "/definitely/not/here"]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "no such folder" in err and "Traceback" not in err


def test_exit_code_3_when_the_evidence_is_incomplete(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "notes.txt").write_text("no model here\n")
    code, data = _scan_json(tmp_path / "repo", tmp_path)
    assert code == 3 and data["verdict"]["status"] == "needs_review"


def test_exit_code_2_for_usage_errors(capsys):
    assert main(["scan"]) == 2
    assert main(["frobnicate"]) == 2


def test_help_on_every_command_has_examples():
    runner = CliRunner()
    commands = [[], ["scan"], ["catalog"], ["catalog", "add"], ["catalog", "list"], ["catalog", "show"],
                ["catalog", "verify"], ["catalog", "diff"], ["policy"], ["policy", "validate"], ["policy", "test"],
                ["policy", "explain"], ["policy", "new"], ["policy", "list"], ["report"], ["version"]]
    for args in commands:
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Example" in result.output, args


def test_unwritable_output_leaves_no_file(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    target = tmp_path / "no-such-dir" / "report.json"
    assert main(["scan", str(repo), "--json", str(target), "-q"]) == 2
    assert not target.exists() and "cannot write" in capsys.readouterr().err


def test_every_file_a_stage_read_is_listed_as_read(tmp_path):
    repo = tiny_repo(tmp_path / "repo")
    (repo / "LICENSE").write_text((EXAMPLES / "hcx-mini" / "LICENSE").read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "tokenizer.json").write_bytes((EXAMPLES / "hcx-mini" / "tokenizer.json").read_bytes())
    (repo / "modeling_tiny.py").write_text("import torch\n", encoding="utf-8")
    (repo / "requirements.txt").write_text("einops>=0.7\n", encoding="utf-8")
    (repo / "notes.bin.txt").write_text("not read by any stage\n", encoding="utf-8")
    _, data = _scan_json(repo, tmp_path)
    status = {f["path"]: f["status"] for f in data["target"]["files"]}
    assert status == {"LICENSE": "read", "README.md": "read", "config.json": "read", "model.safetensors": "read",
                      "modeling_tiny.py": "read", "notes.bin.txt": "listed", "requirements.txt": "read",
                      "tokenizer.json": "read"}
