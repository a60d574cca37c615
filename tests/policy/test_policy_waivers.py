"""Waivers: scoped, shown separately, and no longer applied the day after they expire."""

from __future__ import annotations

import datetime as dt

from policy_helpers import facts, policy_yaml, write

from scanner.policy import evaluate, load_policy, load_waivers
from scanner.policy.waivers import default_today
from scanner.report.model import RuleStatus, VerdictStatus

TWO_REUSED = facts(components=[
    {"name": "text", "tensors": 10, "fingerprinted": True},
    {"name": "vision", "tensors": 10, "fingerprinted": True,
     "lineage": [{"catalog_id": "qwen2.5-vl-32b-instruct", "catalog_component": "vision", "relation": "identical"}]},
    {"name": "audio", "tensors": 10, "fingerprinted": True,
     "lineage": [{"catalog_id": "whisper-large-v3", "catalog_component": "audio", "relation": "identical"}]},
])


def waivers_file(tmp_path, scope: str, expires: str = "2026-12-31", rule: str = "technical.component-weights-reused"):
    return load_waivers(write(tmp_path, "waivers.yaml", f"""
        format_version: 1
        waivers:
          - rule: {rule}
            scope: "{scope}"
            reason: The audio encoder licence was reviewed and accepted.
            author: Review board
            expires: {expires}
    """))


def weights_results(evaluation):
    return [r for r in evaluation.rules if r.id == "technical.component-weights-reused"]


def test_a_scoped_waiver_splits_the_findings_and_shows_the_waived_ones_separately(tmp_path):
    waivers = waivers_file(tmp_path, "component:audio")
    evaluation = evaluate(load_policy(), TWO_REUSED, waivers=waivers, today=dt.date(2026, 6, 1))
    failed, waived = weights_results(evaluation)
    assert (failed.status, waived.status) == (RuleStatus.FAIL, RuleStatus.WAIVED)
    assert failed.message.startswith("The vision weights relate to qwen2.5-vl-32b-instruct")
    assert "audio" not in failed.message
    assert waived.message.startswith("The audio weights relate to whisper-large-v3")
    assert waived.waiver is not None and waived.waiver.author == "Review board"
    assert evaluation.verdict.status is VerdictStatus.NOT_FROM_SCRATCH


def test_a_rule_wide_waiver_covers_every_finding(tmp_path):
    waivers = waivers_file(tmp_path, "*")
    evaluation = evaluate(load_policy(), TWO_REUSED, waivers=waivers, today=dt.date(2026, 12, 31))
    (result,) = weights_results(evaluation)
    assert result.status is RuleStatus.WAIVED
    assert evaluation.verdict.status is VerdictStatus.FROM_SCRATCH
    assert "1 was waived" in evaluation.verdict.summary


def test_an_expired_waiver_stops_applying_and_says_so(tmp_path):
    waivers = waivers_file(tmp_path, "*")
    evaluation = evaluate(load_policy(), TWO_REUSED, waivers=waivers, today=dt.date(2027, 1, 1))
    (result,) = weights_results(evaluation)
    assert result.status is RuleStatus.FAIL
    assert result.message.endswith("(a waiver for scope '*' by Review board expired on 2026-12-31).")
    assert evaluation.verdict.status is VerdictStatus.NOT_FROM_SCRATCH


def test_waivers_do_not_hide_other_rules_or_scopes(tmp_path):
    other_scope = waivers_file(tmp_path, "component:projector")
    assert weights_results(evaluate(load_policy(), TWO_REUSED, waivers=other_scope, today=dt.date(2026, 1, 1)))[0].status \
        is RuleStatus.FAIL
    other_rule = waivers_file(tmp_path, "*", rule="technical.tokenizer-reused")
    (result,) = weights_results(evaluate(load_policy(), TWO_REUSED, waivers=other_rule, today=dt.date(2026, 1, 1)))
    assert result.status is RuleStatus.FAIL


def test_a_waiver_never_turns_an_evaluation_error_into_waived(tmp_path):
    write(tmp_path, "rules/r.yaml", """
        format_version: 1
        rules:
          - id: technical.model-type
            category: technical
            severity: error
            title: t
            condition: {fact: config.model_type, equals: llama}
            message: m
            how_to_fix: f
            references: [r]
    """)
    policy = load_policy(str(write(tmp_path, "p.yaml", policy_yaml("p", ["technical.model-type"], rule_dirs=("rules",)))))
    waivers = waivers_file(tmp_path, "*", rule="technical.model-type")
    (result,) = evaluate(policy, facts(), waivers=waivers, today=dt.date(2026, 1, 1)).rules
    assert result.status is RuleStatus.ERROR


def test_the_default_day_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01T00:00:00Z
    assert default_today() == dt.date(2027, 1, 1)
