"""The bundled rules and policies: valid, tested, documented, and in step with the report model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from policy_helpers import REPO, write

from scanner.bundled import data_path
from scanner.codec import fact_paths
from scanner.policy.factschema import KNOWN_RANGES, fact_schema
from scanner.policy.files import file_kind
from scanner.policy.generate import stale_files
from scanner.policy.policies import bundled_policy_names
from scanner.policy.schemas import SCHEMAS, plain
from scanner.policy.testing import run_tests
from scanner.policy.validate import validate_files
from scanner.report.model import Facts

SCHEMA_FOR_KIND = {"rules": "rule.schema.json", "policy": "policy.schema.json", "waivers": "waiver.schema.json",
                   "tests": "policy-test.schema.json"}


def test_generated_docs_and_schemas_are_current():
    assert stale_files() == [], "run: python -m scanner.policy.generate"


def test_bundled_rules_policies_and_tests_validate():
    result = validate_files([REPO / "rules", REPO / "policies"])
    assert result.problems == ()
    kinds = {kind for _, kind in result.files}
    assert kinds == {"rules", "policy", "tests", "waivers"}


def test_every_bundled_policy_has_a_passing_test_suite():
    names = bundled_policy_names()
    assert names == ["attribution-only", "kr-sovereign-ai-2026", "permissive-release"]
    for name in names:
        assert (REPO / "policies" / "tests" / f"{name}.test.yaml").is_file()
    run = run_tests([REPO / "policies" / "tests", REPO / "rules" / "tests"])
    failures = [(c.file, c.name, c.differences) for c in run.cases if not c.passed]
    assert failures == [] and run.file_errors == ()
    assert run.ok


def test_the_kr_suite_holds_the_three_cases_the_criteria_are_judged_by():
    run = run_tests([REPO / "policies" / "tests" / "kr-sovereign-ai-2026.test.yaml"])
    names = {c.name for c in run.cases}
    assert {"January 2026 miniature - vision encoder weights reused",
            "own weights with a reused tokenizer needs review",
            "own weights whose norm gains resemble a known model are from scratch"} <= names


@pytest.mark.parametrize("folder", ["rules", "policies"])
def test_shipped_json_schemas_accept_the_bundled_files(folder):
    """What an editor using the shipped schemas sees must agree with the tool."""
    for path in sorted((REPO / folder).rglob("*.yaml")):
        data = plain(yaml.safe_load(path.read_text(encoding="utf-8")))
        schema = json.loads(data_path("schemas", SCHEMA_FOR_KIND[file_kind(data)]).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(data)


def test_shipped_schemas_are_valid_json_schemas():
    for name in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(json.loads(data_path("schemas", name).read_text(encoding="utf-8")))


def test_fact_schema_matches_the_report_model():
    schema = fact_schema()
    assert schema.paths() == [path for path, _, _ in fact_paths(Facts)]
    assert set(KNOWN_RANGES) <= set(schema.paths())
    assert schema.get("obligations[].satisfied").nullable
    assert not schema.get("code.trust_remote_code").nullable
    assert schema.get("code.files[].similar_to").kind == "map"


def test_fact_paths_doc_lists_every_path():
    text = (REPO / "docs" / "fact-paths.md").read_text(encoding="utf-8")
    for path, _, _ in fact_paths(Facts):
        assert f"| `{path}` |" in text


def test_example_repositories_scanned_in_a_test_case(tmp_path: Path):
    """Test cases may scan a small repository instead of listing facts."""
    examples = REPO / "examples"
    path = write(tmp_path, "repos.test.yaml", f"""
        format_version: 1
        policy: kr-sovereign-ai-2026
        cases:
          - name: the bundled January 2026 demo reuses its vision encoder
            repo: {examples / "hcx-mini"}
            expect:
              verdict: not_from_scratch
              rules: {{technical.component-weights-reused: fail}}
          - name: the bundled independent model is from scratch
            repo: {examples / "independent-lm"}
            expect:
              verdict: from_scratch
          - name: without reading weights nothing can be concluded
            repo: {examples / "independent-lm"}
            read_weights: false
            expect:
              verdict: needs_review
              rules: {{technical.weights-not-fingerprinted: fail}}
    """)
    run = run_tests([path])
    assert [(c.name, c.differences) for c in run.cases if not c.passed] == []
    assert len(run.cases) == 3


def test_the_guides_worked_example_validates_and_passes(tmp_path: Path):
    guide = (REPO / "docs" / "policy-guide.md").read_text(encoding="utf-8")
    example = guide.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in example.split("```yaml\n")[1:]]
    names = ["rules/acme.yaml", "acme-release.yaml", "tests/acme-release.test.yaml"]
    assert len(blocks) == len(names)
    for name, block in zip(names, blocks):
        write(tmp_path, name, block)
    assert validate_files([tmp_path]).problems == ()
    run = run_tests([tmp_path / "tests"])
    assert run.ok and len(run.cases) == 3


def test_editors_are_offered_every_bundled_rule_id():
    bundled = sorted(r["id"] for f in (REPO / "rules").glob("*.yaml") for r in yaml.safe_load(f.read_text())["rules"])
    for name in ("policy.schema.json", "waiver.schema.json", "policy-test.schema.json"):
        schema = json.loads(data_path("schemas", name).read_text(encoding="utf-8"))
        assert schema["$defs"]["ruleId"]["examples"] == bundled, name
