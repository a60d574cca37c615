"""``fromscratch policy ...`` through click: output and exit codes (0 ok, 1 problems/failures, 2 cannot run)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from policy_helpers import REPO, write

from scanner.cli import cli, main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_bundled_files_succeeds(runner):
    result = runner.invoke(cli, ["policy", "validate", str(REPO / "rules"), str(REPO / "policies")])
    assert result.exit_code == 0, result.output
    assert "ok  policies/kr-sovereign-ai-2026.yaml (policy)" in result.output
    assert "ok  rules/technical.yaml (rules)" in result.output


def test_validate_reports_problems_and_exits_1(runner, tmp_path):
    path = write(tmp_path, "p.yaml", """
        format_version: 1
        id: p
        version: "1"
        title: P
        rules: [{id: technical.no-such-rule}]
        verdict: {first_match: [], otherwise: from_scratch}
    """)
    result = runner.invoke(cli, ["policy", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:5:14: unknown rule id 'technical.no-such-rule'" in result.output
    assert main(["policy", "validate", str(path)]) == 1


def test_test_command_passes_on_the_bundled_suites(runner):
    result = runner.invoke(cli, ["policy", "test", str(REPO / "policies" / "tests"), str(REPO / "rules" / "tests")])
    assert result.exit_code == 0, result.output
    assert "PASS  policies/tests/kr-sovereign-ai-2026.test.yaml: January 2026 miniature - vision encoder weights reused" \
        in result.output


def test_test_command_shows_a_diff_and_exits_1(runner, tmp_path):
    path = write(tmp_path, "x.test.yaml", """
        format_version: 1
        policy: kr-sovereign-ai-2026
        cases:
          - name: wrong expectation
            facts:
              tokenizer: {status: present, lineage: [{catalog_id: t, relation: identical, reason: same vocabulary}]}
            expect:
              verdict: from_scratch
              rules: {technical.tokenizer-reused: pass}
    """)
    result = runner.invoke(cli, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"FAIL  {path}: wrong expectation"
    assert lines[1] == "    verdict: expected from_scratch, got needs_review"
    assert "    technical.tokenizer-reused: expected pass, got fail" in lines
    assert lines[-1] == "1 case: 0 passed, 1 failed"


def test_a_case_that_cannot_run_is_reported_and_the_other_cases_still_run(runner, tmp_path):
    (tmp_path / "empty-repo").mkdir()
    path = write(tmp_path, "x.test.yaml", """
        format_version: 1
        policy: kr-sovereign-ai-2026
        cases:
          - name: an empty repository
            repo: empty-repo
            expect: {verdict: needs_review}
          - name: a day that does not exist
            facts: {}
            today: "2026-13-01"
            expect: {verdict: needs_review}
          - name: no weights needs review
            facts: {}
            expect: {verdict: needs_review}
    """)
    result = runner.invoke(cli, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"ERROR  {path}: an empty repository",
        f"    {path}:4:5: {tmp_path}/empty-repo: the folder is empty: no files to scan",
        f"ERROR  {path}: a day that does not exist",
        f"    {path}:9:12: '2026-13-01' is not a real date",
        f"PASS  {path}: no weights needs review",
        "3 cases: 1 passed, 0 failed, 2 could not run",
    ]


def test_test_command_with_no_test_files_fails(runner, tmp_path):
    result = runner.invoke(cli, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "no test files (*.test.yaml) found" in result.output


def test_a_broken_test_file_fails_with_its_position(runner, tmp_path):
    write(tmp_path, "b.test.yaml", "format_version: 1\npolicy: kr-sovereign-ai-2026\ncases:\n  - name: n\n")
    result = runner.invoke(cli, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert f"ERROR {tmp_path}/b.test.yaml:4:5: missing key 'expect'" in result.output


HCX_MINI = str(REPO / "examples" / "hcx-mini")


@pytest.fixture(scope="module")
def hcx_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.json"
    assert main(["scan", HCX_MINI, "--json", str(out), "-q"]) == 1  # not from scratch: its vision encoder is copied
    return out


def rule_statuses(report_file) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule in json.loads(report_file.read_text())["rules"]:
        out.setdefault(rule["id"], []).append(rule["status"])
    return out


def test_scan_with_a_policy_file_judges_by_that_policy(tmp_path, hcx_report):
    policy = write(tmp_path, "reuse-ok.yaml", """
        format_version: 1
        id: reuse-ok
        version: "1"
        title: Encoders and projector may be reused
        extends: kr-sovereign-ai-2026
        rules:
          - id: technical.component-weights-reused
            parameters:
              exempt_components: [vision, audio, projector]
    """)
    out = tmp_path / "r.json"
    assert main(["scan", HCX_MINI, "--policy", str(policy), "--json", str(out), "-q"]) == 3  # undeclared reuse: review
    report = json.loads(out.read_text())
    assert report["policy"]["id"] == "reuse-ok"
    assert report["verdict"]["status"] == "needs_review"
    assert rule_statuses(out)["technical.component-weights-reused"] == ["pass"]
    assert rule_statuses(hcx_report)["technical.component-weights-reused"] == ["fail"]
    assert rule_statuses(out)["ethical.undisclosed-reuse"] == ["fail"]


def test_scan_with_waivers_shows_the_waived_findings_apart(tmp_path, capsys):
    waivers = write(tmp_path, "w.yaml", """
        format_version: 1
        waivers:
          - {rule: technical.component-weights-reused, scope: "component:vision", reason: licensed from the vendor,
             author: reviewer, expires: 2099-12-31}
    """)
    out = tmp_path / "r.json"
    assert main(["scan", HCX_MINI, "--waivers", str(waivers), "--json", str(out), "-q"]) == 1  # audio is still copied
    weights = [r for r in json.loads(out.read_text())["rules"] if r["id"] == "technical.component-weights-reused"]
    assert [r["status"] for r in weights] == ["fail", "waived"]
    assert "vision" not in weights[0]["message"] and "audio" in weights[0]["message"]
    assert weights[1]["waiver"]["author"] == "reviewer" and weights[1]["waiver"]["scope"] == "component:vision"
    broken = write(tmp_path, "bad.yaml", "format_version: 1\nwaivers: [{rule: x}]\n")
    capsys.readouterr()
    assert main(["scan", HCX_MINI, "--waivers", str(broken), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:2:11: missing key 'scope'" in err
    assert "Traceback" not in err


def test_scan_explain_shows_each_rules_facts_and_reasons(capsys):
    assert main(["scan", HCX_MINI, "--explain", "--no-color"]) == 1
    text = capsys.readouterr().out
    assert "Verdict: NOT FROM SCRATCH" in text
    assert "FAIL technical.component-weights-reused  [technical, error]" in text
    assert 'components[1].lineage[0].relation = "identical"' in text
    assert text.index("== Failed") < text.index("== Passed")


def test_explain_judges_a_saved_report_and_lists_the_facts_read(runner, hcx_report):
    result = runner.invoke(cli, ["policy", "explain", "--policy", "kr-sovereign-ai-2026", str(hcx_report)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Verdict: NOT FROM SCRATCH" in text
    assert "FAIL technical.component-weights-reused  [technical, error]" in text
    assert 'components[1].lineage[0].relation = "identical"' in text
    assert text.index("== Failed") < text.index("== Passed")


def test_explain_with_waivers_shows_them_separately(runner, hcx_report, tmp_path):
    waivers = write(tmp_path, "w.yaml", """
        format_version: 1
        waivers:
          - {rule: technical.architecture-matches-catalog, scope: "*", reason: reviewed, author: me, expires: 2030-01-01}
    """)
    result = runner.invoke(cli, ["policy", "explain", "--policy", "kr-sovereign-ai-2026", "--waivers", str(waivers),
                                 "--today", "2029-12-31", str(hcx_report)])
    assert result.exit_code == 0, result.output
    assert "== Waived (accepted exceptions, shown separately) (1)" in result.output
    assert "  waiver: scope '*', approved by me, until 2030-01-01: reviewed" in result.output


def test_explain_errors_exit_2(runner, hcx_report, tmp_path):
    unknown = runner.invoke(cli, ["policy", "explain", "--policy", "no-such-policy", str(hcx_report)])
    assert unknown.exit_code == 2
    assert "unknown policy 'no-such-policy'; bundled policies are attribution-only, kr-sovereign-ai-2026, " \
           "permissive-release (or give a .yaml file)" in unknown.output
    not_json = write(tmp_path, "x.json", "{")
    assert runner.invoke(cli, ["policy", "explain", str(not_json)]).exit_code == 2
    waivers_alone = runner.invoke(cli, ["policy", "explain", "--waivers", str(not_json), str(hcx_report)])
    assert waivers_alone.exit_code == 2


def test_explain_without_policy_shows_what_the_report_recorded(runner, hcx_report):
    data = json.loads(hcx_report.read_text())
    result = runner.invoke(cli, ["policy", "explain", str(hcx_report)])
    assert result.exit_code == 0
    assert f"Policy {data['policy']['id']} {data['policy']['version']}" in result.output


def test_new_scaffolds_a_rule_whose_test_passes(runner, tmp_path):
    folder = tmp_path / "my-rules"
    result = runner.invoke(cli, ["policy", "new", "ethical.no-forbidden-deps", "--category", "ethical",
                                 "--severity", "error", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "ethical.no-forbidden-deps.yaml").is_file()
    assert runner.invoke(cli, ["policy", "validate", str(folder)]).exit_code == 0
    tested = runner.invoke(cli, ["policy", "test", str(folder / "tests")])
    assert tested.exit_code == 0, tested.output
    assert tested.output.splitlines()[-1] == "2 cases: 2 passed, 0 failed"
    again = runner.invoke(cli, ["policy", "new", "ethical.no-forbidden-deps", "--dir", str(folder)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert runner.invoke(cli, ["policy", "new", "Not An Id", "--dir", str(folder)]).exit_code == 2


def test_new_takes_the_category_from_the_id_and_refuses_a_contradiction(runner, tmp_path):
    result = runner.invoke(cli, ["policy", "new", "ethical.my-rule", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "    category: ethical\n" in (tmp_path / "ethical.my-rule.yaml").read_text()
    assert runner.invoke(cli, ["policy", "new", "acme.my-rule", "--dir", str(tmp_path)]).exit_code == 0
    assert "    category: technical\n" in (tmp_path / "acme.my-rule.yaml").read_text()
    assert runner.invoke(cli, ["policy", "validate", str(tmp_path)]).exit_code == 0
    clash = runner.invoke(cli, ["policy", "new", "technical.x", "--category", "ethical", "--dir", str(tmp_path)])
    assert clash.exit_code == 2
    assert clash.output == ("fromscratch: error: rule id 'technical.x' says category technical, but --category is "
                            "ethical: ids are '<category>.<name>'\n")
    assert not (tmp_path / "technical.x.yaml").exists()


def test_new_into_a_folder_that_cannot_exist_is_a_one_line_error(runner, tmp_path):
    blocker = write(tmp_path, "a-file", "")
    result = runner.invoke(cli, ["policy", "new", "technical.zz", "--dir", str(blocker / "x")])
    assert result.exit_code == 2
    assert result.output == f"fromscratch: error: cannot write the rule under '{blocker}/x': Not a directory\n"


def test_list_names_bundled_policies_and_rules(runner):
    result = runner.invoke(cli, ["policy", "list"])
    assert result.exit_code == 0
    assert "  kr-sovereign-ai-2026 2026.1  Korea sovereign AI foundation model, 2026 independence criteria" in result.output
    assert "  technical.component-weights-reused  [technical, error]" in result.output
