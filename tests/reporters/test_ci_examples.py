"""The CI recipe in examples/ci: it parses, runs the scan with the report options, and maps exit codes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scanner.reporters import OutputFormat

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "examples" / "ci"


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


def _hooks() -> list[dict]:
    hooks = yaml.safe_load((CI / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((CI / "pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    return [*hooks, *local]


def test_pre_commit_hooks_run_the_scan_on_the_whole_repository():
    hooks = _hooks()
    assert hooks[0]["entry"] == hooks[1]["entry"], "the hook-repository and local hooks drifted apart"
    for hook in hooks:
        assert "fromscratch scan . " in hook["entry"] and hook["pass_filenames"] is False
        assert '--sarif "$out/report.sarif"' in hook["entry"] and '--html "$out/report.html"' in hook["entry"]
        assert "pre-push" in hook["stages"]
    assert "ROOT of a hook repository" in (CI / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")


def _shim(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    script.chmod(0o755)


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None, reason="bash or git is not installed")
def test_the_hook_writes_its_reports_into_the_git_folder_not_the_repository(tmp_path):
    """The hook command on a real git checkout of the example: reports under .git/, the tree untouched."""
    model = tmp_path / "model"
    shutil.copytree(REPO / "examples" / "hcx-mini", model)
    subprocess.run(["git", "init", "-q", str(model)], check=True, timeout=30)
    before = sorted(p.name for p in model.iterdir())
    _shim(tmp_path / "bin", "fromscratch", f'PYTHONPATH={REPO} exec {sys.executable} -m scanner "$@"')
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "SOURCE_DATE_EPOCH": "1767225600"}
    for attempt in (1, 2):
        done = subprocess.run(["bash", "-c", _hooks()[0]["entry"].removeprefix("bash -c ").strip("'")], cwd=model,
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"reports in {model / '.git' / 'fromscratch'}/report.html" in done.stdout
    assert sorted(p.name for p in model.iterdir()) == before
    reports = model / ".git" / "fromscratch"
    assert sorted(p.name for p in reports.iterdir()) == ["report.html", "report.sarif"]
    assert "report.html" not in (reports / "report.sarif").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_workflow_installs_from_a_pinned_git_tag_never_from_pypi_by_name(tmp_path):
    script = _step("Install fromscratch")["run"]
    assert re.search(r"pip install \"fromscratch @ git\+", script), "fromscratch must come from its git repository"
    _shim(tmp_path / "bin", "python", f'echo "$@" > {tmp_path / "pip-args"}')
    _shim(tmp_path / "bin", "fromscratch", "echo fromscratch 0.1.0")
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "FROMSCRATCH_REF": _workflow()["env"]["FROMSCRATCH_REF"]}

    def install(url: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-e", "-c", script], env={**env, "FROMSCRATCH_GIT": url}, capture_output=True,
                              text=True, timeout=10, check=False)

    placeholder = install(_workflow()["env"]["FROMSCRATCH_GIT"])
    assert placeholder.returncode == 2 and "set FROMSCRATCH_GIT" in placeholder.stdout
    assert not (tmp_path / "pip-args").exists()
    assert install("https://github.com/example/fromscratch").returncode == 0
    assert (tmp_path / "pip-args").read_text(encoding="utf-8").split() == [
        "-m", "pip", "install", "fromscratch", "@", "git+https://github.com/example/fromscratch@v0.1.0"]


@pytest.mark.parametrize(("required", "code", "outcome"), [("1", 1, "requires one"), ("0", 0, "1 skipped")])
def test_ci_fails_the_browser_tests_when_no_browser_is_found(tmp_path, required, code, outcome):
    assert "export FROMSCRATCH_REQUIRE_BROWSER=1" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    env = {**os.environ, "FROMSCRATCH_CHROMIUM": str(tmp_path / "no-such-browser"), "FROMSCRATCH_REQUIRE_BROWSER": required}
    test = "tests/reporters/test_html_browser.py::test_the_payloads_do_run_in_this_browser_when_written_raw"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == code and outcome in done.stdout, done.stdout + done.stderr
