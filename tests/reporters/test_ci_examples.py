"""The CI recipe in examples/ci: it parses, runs the scan with the report options, and maps exit codes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scanner.reporters import OutputFormat

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def _workflow() -> dict:
    return yaml.safe_load((CI / "fromscratch.yml").read_text(encoding="utf-8"))


def _step(name: str) -> dict:
    steps = _workflow()["jobs"]["scan"]["steps"]
    return next(step for step in steps if step.get("name") == name)


def test_workflow_scans_with_every_report_and_uploads_them():
    workflow = _workflow()
    assert workflow["permissions"]["security-events"] == "write"
    scan = _step("Scan")["run"]
    assert "fromscratch scan" in scan and "SOURCE_DATE_EPOCH" in scan
    for fmt in OutputFormat:
        assert f"--{fmt.value} " in scan, fmt
    uploaded = _step("Upload the reports")
    assert uploaded["if"] == "always()" and "fromscratch-report.html" in uploaded["with"]["path"]
    sarif = _step("Upload SARIF to code scanning")
    assert sarif["uses"].startswith("github/codeql-action/upload-sarif@") and sarif["with"]["sarif_file"] == "fromscratch.sarif"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(("scan_exit", "allow", "expected"), [
    ("0", "false", 0), ("1", "false", 1), ("2", "false", 2), ("3", "false", 3), ("3", "true", 0), ("", "false", 2),
])
def test_the_job_fails_per_the_exit_code(scan_exit, allow, expected):
    script = _step("Pass or fail per the exit code")["run"]
    env = {"SCAN_EXIT": scan_exit, "ALLOW_NEEDS_REVIEW": allow, "FROMSCRATCH_POLICY": "p", "MODEL_DIR": ".",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode == expected, done.stdout + done.stderr


def test_pre_commit_hooks_run_the_scan_on_the_whole_repository():
    hooks = yaml.safe_load((CI / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((CI / "pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    for hook in (*hooks, *local):
        assert hook["entry"].startswith("fromscratch scan . ") and hook["pass_filenames"] is False
        assert "--sarif" in hook["entry"] and "--html" in hook["entry"]
        assert "pre-push" in hook["stages"]
