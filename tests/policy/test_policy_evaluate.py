"""Evaluating policies over hand-built facts: three-valued logic, errors as statuses, evidence, verdicts."""

from __future__ import annotations

import dataclasses

import pytest
from policy_helpers import facts, policy_yaml, rule_yaml, write

from scanner.policy import engine, evaluate, load_policy
from scanner.report.model import RuleStatus, ScanReport, Severity, VerdictStatus


def one_rule(tmp_path, condition: str, **kwargs):
    write(tmp_path, "rules/r.yaml", rule_yaml("technical.t", condition, **kwargs))
    return load_policy(str(write(tmp_path, "p.yaml", policy_yaml("p", ["technical.t"], rule_dirs=("rules",)))))


def only(evaluation):
    (result,) = evaluation.rules
    return result


SHARE_OF_REUSED_PARAMETERS = """
    value:
      divide:
        - sum:
            in: components
            as: c
            of: c.parameters
            where:
              exists:
                in: c.lineage
                as: l
                where: {fact: l.relation, in: [identical, derived]}
        - sum: {in: components, as: c, of: c.parameters}
    greater_than: 0.25
"""


def test_a_missing_fact_is_an_error_status_not_a_crash(tmp_path):
    policy = one_rule(tmp_path, "{fact: config.model_type, equals: llama}")
    result = only(evaluate(policy, facts()))
    assert result.status is RuleStatus.ERROR
    assert result.message.replace(f"{tmp_path}/", "") == (
        "Could not be evaluated: config is null, so config.model_type cannot be read (rules/r.yaml:8:7).")
    assert evaluate(policy, facts()).verdict.status is VerdictStatus.NEEDS_REVIEW


def test_a_guard_first_keeps_the_missing_fact_from_mattering(tmp_path):
    policy = one_rule(tmp_path, """
        all:
          - {fact: config, is_null: false}
          - {fact: config.model_type, equals: llama}
    """)
    assert only(evaluate(policy, facts())).status is RuleStatus.PASS
    assert only(evaluate(policy, facts(config={"model_type": "llama"}))).status is RuleStatus.FAIL


def test_exists_is_true_when_one_item_matches_even_if_another_is_unknown(tmp_path):
    policy = one_rule(tmp_path, """
        exists:
          in: components[].lineage
          as: l
          where: {fact: l.statistics.effect_size, at_least: 0.5}
    """, message="{l.catalog_id}")
    unknown_only = facts(components=[{"name": "text", "lineage": [{"catalog_id": "a", "relation": "derived"}]}])
    mixed = facts(components=[{"name": "text", "lineage": [
        {"catalog_id": "a", "relation": "derived"},
        {"catalog_id": "b", "relation": "derived", "statistics": {"effect_size": 0.9}}]}])
    assert only(evaluate(policy, unknown_only)).status is RuleStatus.ERROR
    result = only(evaluate(policy, mixed))
    assert (result.status, result.message) == (RuleStatus.FAIL, "b.")


def test_division_by_zero_at_run_time_is_an_error_naming_the_place(tmp_path):
    policy = one_rule(tmp_path, SHARE_OF_REUSED_PARAMETERS)
    result = only(evaluate(policy, facts()))
    assert result.status is RuleStatus.ERROR
    assert result.message.replace(f"{tmp_path}/", "") == (
        "Could not be evaluated: division by zero at rules/r.yaml:9:9.")


def test_sum_and_divide_compute_a_share(tmp_path):
    policy = one_rule(tmp_path, SHARE_OF_REUSED_PARAMETERS)
    reused_vision = facts(components=[
        {"name": "text", "parameters": 600},
        {"name": "vision", "parameters": 400, "lineage": [{"catalog_id": "v", "relation": "identical"}]}])
    small_projector = facts(components=[
        {"name": "text", "parameters": 900},
        {"name": "projector", "parameters": 100, "lineage": [{"catalog_id": "v", "relation": "derived"}]}])
    assert only(evaluate(policy, reused_vision)).status is RuleStatus.FAIL
    assert only(evaluate(policy, small_projector)).status is RuleStatus.PASS


NESTED_OVER_TENSORS = """
    exists:
      in: tensors
      as: a
      where:
        exists:
          in: tensors
          as: b
          where: {fact: a.name, equals: {fact: b.file}}
"""


def test_a_rule_that_walks_too_much_stops_with_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_STEPS", 500)
    policy = one_rule(tmp_path, NESTED_OVER_TENSORS)
    many = facts(tensors=[{"name": f"t{i}", "file": "x"} for i in range(100)])
    result = only(evaluate(policy, many))
    assert result.status is RuleStatus.ERROR
    assert result.message == ("Could not be evaluated: evaluation stopped: the policy's budget of 500 steps ran out; "
                              "narrow this rule's exists/every/count.")


def test_the_step_budget_is_shared_by_all_rules_of_an_evaluation(tmp_path, monkeypatch):
    """Twenty heavy rules must not each get the whole budget: that took minutes on one report."""
    ids = [f"technical.heavy-{i}" for i in range(20)]
    write(tmp_path, "rules/r.yaml", "format_version: 1\nrules:\n" + "".join(
        rule_yaml(rule_id, NESTED_OVER_TENSORS).split("rules:\n", 1)[1] for rule_id in ids))
    policy = load_policy(str(write(tmp_path, "p.yaml", policy_yaml("p", ids, rule_dirs=("rules",)))))
    many = facts(tensors=[{"name": f"t{i}", "file": "x"} for i in range(30)])
    monkeypatch.setattr(engine, "MAX_STEPS", 5_000)  # one rule needs about 2,000 steps here
    results = {r.id: r for r in evaluate(policy, many).rules}
    assert [results[i].status for i in ids[:2]] == [RuleStatus.PASS, RuleStatus.PASS]
    assert results[ids[2]].message == ("Could not be evaluated: evaluation stopped: the policy's budget of 5,000 "
                                       "steps ran out; narrow this rule's exists/every/count.")
    for rule_id in ids[3:]:
        assert results[rule_id].status is RuleStatus.ERROR
        assert results[rule_id].message == ("Could not be evaluated: skipped because earlier rules used up the "
                                            "policy's budget of 5,000 steps.")
    monkeypatch.setattr(engine, "MAX_STEPS", 1_000_000)
    assert {r.status for r in evaluate(policy, many).rules} == {RuleStatus.PASS}


def test_evidence_lists_the_facts_read_with_their_values_and_is_capped(tmp_path, monkeypatch):
    policy = one_rule(tmp_path, """
        exists:
          in: components
          as: c
          where: {fact: c.tensors, greater_than: 5}
    """)
    result = only(evaluate(policy, facts(components=[{"name": "a", "tensors": 3}, {"name": "b", "tensors": 9}])))
    assert result.evidence == {"components": "[2 items]", "components[0].tensors": 3, "components[1].tensors": 9}
    monkeypatch.setattr(engine, "MAX_EVIDENCE", 2)
    result = only(evaluate(policy, facts(components=[{"name": str(i), "tensors": i} for i in range(5)])))
    assert result.evidence == {"components": "[5 items]", "components[0].tensors": 0, "...": "4 more facts read"}


def test_map_entries_have_key_and_value(tmp_path):
    policy = one_rule(tmp_path, """
        exists:
          in: code.files[].similar_to
          as: match
          where: {fact: match.value, at_least: 0.8}
    """, message="{match.key} {match.value:.0%}")
    found = facts(code={"files": [{"path": "m.py", "similar_to": {"a/x.py": 0.5, "b/y.py": 0.91}}]})
    result = only(evaluate(policy, found))
    assert (result.status, result.message) == (RuleStatus.FAIL, "b/y.py 91%.")
    assert result.evidence["code.files[0].similar_to.b/y.py"] == 0.91


def test_many_findings_are_listed_once_each_and_capped(tmp_path):
    policy = one_rule(tmp_path, "exists: {in: provenance.undisclosed, as: item}", message="{item}")
    items = [f"u{i:02d}" for i in range(12)] + ["u00"]
    result = only(evaluate(policy, facts(provenance={"undisclosed": items})))
    assert result.message == "u00; u01; u02; u03; u04; u05; u06; u07; u08; u09; and 2 more."


def test_every_applies_when_and_true_is_not_one(tmp_path):
    write(tmp_path, "rules/r.yaml", """
        format_version: 1
        rules:
          - id: technical.every-fingerprinted
            category: technical
            severity: error
            title: t
            applies_when: {fact: components, is_empty: false}
            condition:
              not:
                every: {in: components, as: c, where: {fact: c.fingerprinted, equals: true}}
            message: m
            how_to_fix: f
            references: [r]
          - id: technical.flag-is-one
            category: technical
            severity: info
            title: t
            condition:
              exists:
                in: config.sections
                as: s
                where: {fact: s.hyperparameters.flag, equals: 1}
            message: m
            how_to_fix: f
            references: [r]
    """)
    policy = load_policy(str(write(tmp_path, "p.yaml", policy_yaml(
        "p", ["technical.every-fingerprinted", "technical.flag-is-one"], rule_dirs=("rules",)))))

    def statuses(**partial):
        return {r.id: r.status for r in evaluate(policy, facts(**partial)).rules}

    assert statuses()["technical.every-fingerprinted"] is RuleStatus.NOT_APPLICABLE
    assert statuses(components=[{"name": "a", "fingerprinted": True}])["technical.every-fingerprinted"] is RuleStatus.PASS
    assert statuses(components=[{"name": "a", "fingerprinted": True}, {"name": "b"}])["technical.every-fingerprinted"] is RuleStatus.FAIL
    config = {"sections": [{"component": "text", "hyperparameters": {"flag": True}}]}
    assert statuses(config=config)["technical.flag-is-one"] is RuleStatus.PASS
    config["sections"][0]["hyperparameters"]["flag"] = 1
    assert statuses(config=config)["technical.flag-is-one"] is RuleStatus.FAIL


def test_results_come_failures_first_and_the_summary_names_the_decisive_evidence():
    policy = load_policy("kr-sovereign-ai-2026")
    vision_reused = facts(
        components=[{"name": "text", "tensors": 10, "fingerprinted": True},
                    {"name": "vision", "tensors": 10, "fingerprinted": True,
                     "lineage": [{"catalog_id": "qwen2.5-vl-32b-instruct", "catalog_component": "vision",
                                  "relation": "identical", "statistics": {"effect_size": 1.0, "exact_matches": 390}}]}],
        tokenizer={"status": "present", "lineage": [{"catalog_id": "qwen2.5", "relation": "identical", "reason": "same"}]})
    evaluation = evaluate(policy, vision_reused)
    statuses = [r.status for r in evaluation.rules]
    assert statuses == sorted(statuses, key=[RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED, RuleStatus.PASS,
                                             RuleStatus.NOT_APPLICABLE].index)
    assert [r.id for r in evaluation.rules[:2]] == ["technical.component-weights-reused", "technical.tokenizer-reused"]
    assert evaluation.verdict.status is VerdictStatus.NOT_FROM_SCRATCH
    assert evaluation.verdict.summary == (
        "Not from scratch under policy kr-sovereign-ai-2026 2026.1, because technical.component-weights-reused "
        "(technical, error) failed: The vision weights relate to qwen2.5-vl-32b-instruct (vision) as identical: "
        "effect size 1.000, adjusted p 0, 390 tensors equal, 0 layers significant. "
        "Of 19 rule outcomes, 2 failed, 17 passed.")
    assert evaluation.policy.id == "kr-sovereign-ai-2026"
    assert evaluation.policy.checksum.startswith("sha256:")


def test_a_policy_can_raise_a_rules_severity_and_that_changes_the_verdict(tmp_path):
    path = write(tmp_path, "strict.yaml", """
        format_version: 1
        id: strict
        version: "1"
        title: Strict
        extends: kr-sovereign-ai-2026
        rules:
          - id: technical.tokenizer-reused
            severity: error
    """)
    reused_tokenizer = facts(components=[{"name": "text", "tensors": 1, "fingerprinted": True}],
                             tokenizer={"status": "present", "lineage": [{"catalog_id": "t", "relation": "extended"}]})
    kr = evaluate(load_policy("kr-sovereign-ai-2026"), reused_tokenizer)
    strict = evaluate(load_policy(str(path)), reused_tokenizer)
    assert kr.verdict.status is VerdictStatus.NEEDS_REVIEW
    assert strict.verdict.status is VerdictStatus.NOT_FROM_SCRATCH
    assert strict.rules[0].severity is Severity.ERROR
    assert strict.policy.checksum != kr.policy.checksum


def test_a_whole_report_can_be_evaluated_as_facts():
    base = facts(components=[{"name": "text", "tensors": 1, "fingerprinted": True}])
    policy = load_policy()
    first = evaluate(policy, base)
    report = ScanReport(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                        policy=first.policy, rules=first.rules, verdict=first.verdict)
    assert evaluate(policy, report) == first


@pytest.mark.parametrize("name", ["kr-sovereign-ai-2026", "permissive-release", "attribution-only"])
def test_bundled_policies_judge_empty_facts_without_errors(name):
    evaluation = evaluate(load_policy(name), facts())
    assert RuleStatus.ERROR not in {r.status for r in evaluation.rules}


@pytest.mark.parametrize(("parameters", "expected"), [
    ("{}", {"text": {"derived": "fail", "identical": "fail"}, "projector": {"derived": "fail", "identical": "fail"}}),
    ("{allow_derived: [projector], require_independent: [vision]}",
     {"text": {"derived": "fail", "identical": "fail"}, "projector": {"derived": "pass", "identical": "fail"},
      "vision": {"derived": "fail", "identical": "fail"}}),
    ("{forbidden_relations: [identical], require_independent: [vision]}",
     {"text": {"derived": "pass", "identical": "fail"}, "vision": {"derived": "fail", "identical": "fail"}}),
    ("{allow_derived: [vision], require_independent: [vision], exempt_components: [projector]}",
     {"vision": {"derived": "fail"}, "projector": {"identical": "pass"}}),
])
def test_each_component_can_have_its_own_most_allowed_weight_relation(tmp_path, parameters, expected):
    path = write(tmp_path, "p.yaml", f"""
        format_version: 1
        id: per-component
        version: "1"
        title: Per-component limits
        extends: kr-sovereign-ai-2026
        rules:
          - id: technical.component-weights-reused
            parameters: {parameters}
    """)
    policy = load_policy(str(path))
    for component, by_relation in expected.items():
        for relation, status in by_relation.items():
            reused = facts(components=[{"name": component, "lineage": [{"catalog_id": "m", "relation": relation}]}])
            (result,) = [r for r in evaluate(policy, reused).rules if r.id == "technical.component-weights-reused"]
            assert (component, relation, result.status.value) == (component, relation, status)


@pytest.mark.parametrize(("parameters", "status"), [("{}", "fail"), ("{include_renamed: false}", "pass")])
def test_a_renamed_catalog_architecture_is_reported_unless_the_policy_leaves_it_out(tmp_path, parameters, status):
    path = write(tmp_path, "p.yaml", f"""
        format_version: 1
        id: renamed
        version: "1"
        title: Renamed architectures
        extends: kr-sovereign-ai-2026
        rules:
          - id: technical.architecture-matches-catalog
            parameters: {parameters}
    """)
    renamed = facts(architecture={"lineage": [{"component": "text", "catalog_id": "m", "catalog_component": "text",
                                                "relation": "different", "hyperparameters_match": True}]})
    (result,) = [r for r in evaluate(load_policy(str(path)), renamed).rules if r.id == "technical.architecture-matches-catalog"]
    assert result.status.value == status
