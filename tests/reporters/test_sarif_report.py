"""SARIF 2.1.0: validated against the OASIS JSON Schema, and the mapping dashboards depend on."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import jsonschema

from scanner.report.model import RuleStatus
from scanner.reporters.sarif_report import relevant_files, render_sarif

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def sarif(report) -> dict:
    data = json.loads(render_sarif(report))
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]
    return data


def _results(data: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in data["runs"][0]["results"]}


def test_every_sample_validates_against_the_schema(vlm, sparse, large):
    for report in (vlm, sparse, large):
        assert sarif(report)["version"] == "2.1.0"


def test_failed_errored_and_waived_rules_are_results_and_passed_ones_are_not(vlm):
    data = sarif(vlm)
    results = _results(data)
    expected = {r.id for r in vlm.rules if r.status in (RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED)}
    assert set(results) == expected
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(dict.fromkeys(r.id for r in vlm.rules if r.id in expected))
    for result in results.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_levels_help_and_kinds(vlm):
    data = sarif(vlm)
    results = _results(data)
    rules = {rule["id"]: rule for rule in data["runs"][0]["tool"]["driver"]["rules"]}
    assert results["technical.no-identical-weights"]["level"] == "error"
    assert results["technical.undisclosed-reuse"]["level"] == "warning"
    assert results["technical.no-identical-weights"]["kind"] == "fail"
    errored = results["ethical.licence-consistent"]
    assert errored["kind"] == "open" and errored["level"] == "none"
    assert errored["message"]["text"].startswith("The rule could not be evaluated")
    assert rules["technical.no-identical-weights"]["help"]["text"].startswith("Train the vision encoder yourself")
    assert rules["technical.no-identical-weights"]["defaultConfiguration"]["level"] == "error"


def test_waived_rules_are_suppressed_with_their_reason(vlm):
    waived = _results(sarif(vlm))["ethical.licence-copy"]
    assert waived["kind"] == "fail"
    (suppression,) = waived["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith("Licence copy ships in the release archive")
    assert suppression["properties"] == {"author": "kim.reviewer@example.org", "expires": "2026-06-30",
                                         "scope": "component:vision"}
    others = [r for r in _results(sarif(vlm)).values() if r["ruleId"] != "ethical.licence-copy"]
    assert all("suppressions" not in r for r in others)


def test_locations_point_at_the_relevant_repository_file(vlm):
    results = _results(sarif(vlm))

    def uris(rule_id: str) -> list[str]:
        return [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in results[rule_id]["locations"]]

    prefix = "models/seed-vl-think-32b/"
    assert uris("technical.no-identical-weights") == [prefix + "model-00001-of-00004.safetensors"]
    assert uris("technical.undisclosed-reuse") == [prefix + "README.md"]
    assert uris("policy.no-licensor-control") == [prefix + "LICENSE", prefix + "README.md"]
    assert all(results[rule_id].get("locations") for rule_id in results), "dashboards need a location"


def test_relevant_files_order_of_preference(vlm):
    rule = next(r for r in vlm.rules if r.id == "technical.tokenizer-own")
    assert relevant_files(vlm, replace(rule, evidence={"x": ["tokenizer.json", "not-a-file"]})) == ["tokenizer.json"]
    assert relevant_files(vlm, replace(rule, evidence={"tokenizer.lineage[0].relation": "overlapping"})) == ["tokenizer.json"]
    assert relevant_files(vlm, replace(rule, evidence={"code.trust_remote_code": True})) == [
        "legacy/optimizer.bin", "modeling_seed_vl.py", "requirements.txt"]
    assert relevant_files(vlm, replace(rule, evidence={})) == ["README.md"]
    no_card = replace(vlm, target=replace(vlm.target, files=tuple(f for f in vlm.target.files if f.path != "README.md")))
    assert relevant_files(no_card, replace(rule, evidence={})) == ["config.json"]


def test_absolute_and_hub_targets_use_a_named_base(vlm):
    absolute = sarif(replace(vlm, target=replace(vlm.target, path="/srv/models/seed vl")))
    run = absolute["runs"][0]
    assert run["originalUriBaseIds"]["MODELROOT"]["uri"] == "file:///srv/models/seed%20vl/"
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "model-00001-of-00004.safetensors", "uriBaseId": "MODELROOT"}
    hub = sarif(replace(vlm, target=replace(vlm.target, path="hf://org/name@main", source="hf-hub")))
    assert hub["runs"][0]["originalUriBaseIds"]["MODELROOT"]["uri"] == "hf://org/name@main/"


def test_scan_problems_are_tool_notifications_not_results(vlm):
    invocation = sarif(vlm)["runs"][0]["invocations"][0]
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["pickle.skipped", "safetensors.truncated"]
    assert [n["level"] for n in notes] == ["note", "warning"]
    assert invocation["startTimeUtc"] == vlm.run.started_at


def test_fingerprints_are_stable_across_runs_and_differ_between_rules(vlm):
    first = _results(sarif(vlm))
    later = _results(sarif(replace(vlm, run=replace(vlm.run, started_at="2026-03-01T00:00:00Z"))))
    prints = {rule_id: r["partialFingerprints"]["fromscratchRule/v1"] for rule_id, r in first.items()}
    assert prints == {rule_id: r["partialFingerprints"]["fromscratchRule/v1"] for rule_id, r in later.items()}
    assert len(set(prints.values())) == len(prints)


def test_non_finite_evidence_is_written_as_null(vlm):
    rule = replace(vlm.rules[0], evidence={"score": float("nan")})
    data = sarif(replace(vlm, rules=(rule,)))
    assert data["runs"][0]["results"][0]["properties"]["evidence"] == {"score": None}
