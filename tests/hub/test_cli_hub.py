"""``python -m scanner scan hf://…`` end to end against the local fake Hub, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hub_repo import COMMIT

ROOT = Path(__file__).resolve().parents[2]
SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")


def _scan(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", *args, "--json", str(report), "-q"],
                         cwd=ROOT, env={**os.environ, "SOURCE_DATE_EPOCH": "0"}, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode in (0, 1, 3), run.stderr  # a verdict, not "could not scan"
    return run, json.loads(report.read_text(encoding="utf-8"))


def _files(report: dict) -> dict[str, dict]:
    return {f["path"]: f for f in report["target"]["files"]}


def test_scan_of_a_hub_target_pins_the_commit_in_the_report(serve, hub_env, tmp_path):
    serve()
    run, report = _scan(tmp_path, "hf://acme/tiny@main")
    assert report["target"]["path"] == f"hf://acme/tiny@{COMMIT}"
    assert report["target"]["source"] == "hf-hub" and report["target"]["revision"] == COMMIT
    files = _files(report)
    assert all(files[s]["status"] == "read" for s in SHARDS)
    assert report["tensors"] and run.stderr == ""
    assert (hub_env / "models--acme--tiny" / "snapshots" / COMMIT / SHARDS[0]).is_file()


def test_no_weights_on_the_command_line_reads_headers_without_downloading(serve, hub_env, tmp_path):
    hub = serve()
    _, report = _scan(tmp_path, "hf://acme/tiny", "--no-weights")
    assert report["target"]["revision"] == COMMIT
    files = _files(report)
    for shard in SHARDS:
        assert files[shard]["status"] == "read" and "header read over HTTP" in files[shard]["note"]
        assert all(e.range == "bytes=0-100000" for e in hub.gets(shard))
        assert not (hub_env / "models--acme--tiny" / "snapshots" / COMMIT / shard).exists()
    assert len(report["tensors"]) > 0


def test_a_failed_shard_is_named_in_the_report_and_the_scan_finishes_quietly(serve, tmp_path):
    serve(faults={SHARDS[0]: "404"})
    run, report = _scan(tmp_path, "hf://acme/tiny")
    failed = [p for p in report["problems"] if p["code"] == "hub.download-failed"]
    assert [p["file"] for p in failed] == [SHARDS[0]]
    assert _files(report)[SHARDS[0]]["note"].startswith("download failed: HTTP 404")
    codes = {p["code"] for p in report["problems"] if p["file"] == "model.safetensors.index.json"}
    assert codes == {"safetensors.shard-unread"}  # present on the Hub, so not 'missing'
    assert run.stderr == ""
