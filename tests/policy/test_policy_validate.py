"""``policy validate``: every kind of mistake is reported once, with its exact file:line:column."""

from __future__ import annotations

import pytest
import yaml
from policy_helpers import policy_yaml, rule_yaml, write

from scanner.errors import DataFileError
from scanner.policy import PolicyFileError, load_policy
from scanner.policy.validate import validate_files
from scanner.yamlsafe import load_yaml


def problems(*paths) -> list[str]:
    return list(validate_files(paths).problems)


def relative(tmp_path, messages: list[str]) -> list[str]:
    prefix = str(tmp_path) + "/"
    return [m.replace(prefix, "") for m in messages]


def check_rule(tmp_path, condition: str, **kwargs) -> list[str]:
    path = write(tmp_path, "r.yaml", rule_yaml("technical.t", condition, **kwargs))
    return relative(tmp_path, problems(path))


# --------------------------------------------------------------------------- YAML-level bad input


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, "p.yaml", 'format_version: 1\nid: x\nversion: "1"\ntitle: [unclosed\n')
    assert relative(tmp_path, problems(path)) == ["p.yaml:5:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"]


def test_billion_laughs_is_refused_at_the_first_alias(tmp_path):
    path = write(tmp_path, "laughs.yaml", """
        format_version: 1
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        rules: *b
    """)
    assert relative(tmp_path, problems(path)) == ["laughs.yaml:3:8: YAML aliases (*a) are not allowed"]


def test_a_flood_of_nodes_is_refused_while_parsing_not_after(tmp_path):
    """The node cap stops composing: the syntax error after the flood is never reached."""
    items = ", ".join(["1"] * 60_000)
    path = write(tmp_path, "flood.test.yaml", f"format_version: 1\ncases: [{items}, : broken\n")
    assert relative(tmp_path, problems(path)) == ["flood.test.yaml:2:149994: more than 50000 YAML nodes"]
    with pytest.raises(DataFileError, match=r"^x:2:1: more than 3 YAML nodes$"):
        load_yaml("a: 1\nb: [1, 2, 3, 4]\n", "x", max_nodes=3)
    assert load_yaml("a: 1\nb: [1, 2, 3, 4]\n", "x").data == {"a": 1, "b": [1, 2, 3, 4]}


def test_ten_megabyte_policy_is_refused_without_being_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text('format_version: 1\nid: big\nversion: "1"\ntitle: t\ndescription: "' + "x" * (10 << 20) + '"\n')
    size = path.stat().st_size
    assert relative(tmp_path, problems(path)) == [f"big.yaml: {size} bytes is larger than the 1048576-byte limit for this kind of file"]


def test_duplicate_key_and_unsupported_version(tmp_path):
    dup = write(tmp_path, "dup.yaml", "format_version: 1\nid: x\nid: y\n")
    v2 = write(tmp_path, "v2.yaml", "format_version: 2\nrules: []\n")
    assert relative(tmp_path, problems(dup, v2)) == [
        "dup.yaml:3:1: duplicate key 'id'",
        "v2.yaml:1:17: format_version must be 1: this version of fromscratch reads format 1 only",
        "v2.yaml:2:8: must not be empty",
    ]


def test_recursive_extends_is_a_cycle_error(tmp_path):
    a = write(tmp_path, "a.yaml", 'format_version: 1\nid: a\nversion: "1"\ntitle: A\nextends: b.yaml\n')
    write(tmp_path, "b.yaml", 'format_version: 1\nid: b\nversion: "1"\ntitle: B\nextends: ./a.yaml\n')
    assert relative(tmp_path, problems(a)) == ["b.yaml:5:10: 'extends' makes a cycle: a.yaml -> b.yaml -> a.yaml"]


def test_a_policy_extending_itself(tmp_path):
    a = write(tmp_path, "self.yaml", 'format_version: 1\nid: s\nversion: "1"\ntitle: S\nextends: self.yaml\n')
    assert relative(tmp_path, problems(a)) == ["self.yaml:5:10: 'extends' makes a cycle: self.yaml -> self.yaml"]


def test_unknown_file_kind(tmp_path):
    path = write(tmp_path, "what.yaml", "format_version: 1\nsomething: else\n")
    assert relative(tmp_path, problems(path)) == [
        "what.yaml:1:1: cannot tell what this file is: a rule file has 'rules', a policy 'id', "
        "a waivers file 'waivers', a test file 'cases'"]


# --------------------------------------------------------------------------- conditions


def test_unknown_fact_path_with_suggestion(tmp_path):
    assert check_rule(tmp_path, "{fact: code.trust_remot_code, equals: true}") == [
        "r.yaml:8:14: unknown fact 'trust_remot_code' under 'code' in 'code.trust_remot_code' (did you mean 'trust_remote_code'?)"]


def test_unknown_top_level_fact_and_name_out_of_scope(tmp_path):
    assert check_rule(tmp_path, """
        any:
          - {fact: component.name, equals: text}
          - exists: {in: components, as: c}
          - {fact: c.name, equals: text}
    """) == [
        "r.yaml:9:18: unknown fact 'component' in 'component.name' (did you mean 'components'?)",
        "r.yaml:11:18: unknown fact 'c' in 'c.name'",
    ]


def test_wrong_types_and_the_yaml_number_hint(tmp_path):
    assert check_rule(tmp_path, """
        exists:
          in: components
          as: c
          where:
            all:
              - {fact: c.tensors, at_least: "many"}
              - {fact: c.fingerprinted, equals: 1}
              - exists:
                  in: c.lineage
                  as: l
                  where: {fact: l.statistics.p_value, less_than: 1e-3}
    """) == [
        "r.yaml:13:43: 'components[].tensors' is a number; 'many' is text",
        "r.yaml:14:47: 'components[].fingerprinted' is true or false; 1 is a whole number",
        "r.yaml:18:64: 'components[].lineage[].statistics.p_value' is a number; '1e-3' is text "
        "(YAML reads '1e-3' as text: write 1.0e-3)",
    ]


def test_enum_value_typo_points_at_the_item(tmp_path):
    assert check_rule(tmp_path, """
        exists:
          in: components[].lineage
          as: l
          where: {fact: l.relation, in: [identical, derivd]}
    """) == ["r.yaml:11:51: 'derivd' is not a value of 'components[].lineage[].relation' "
             "(one of identical, derived, independent, inconclusive) (did you mean 'derived'?)"]


def test_operators_that_do_not_fit_the_fact(tmp_path):
    assert check_rule(tmp_path, """
        any:
          - {fact: components, equals: text}
          - {fact: "components[].name", equals: text}
          - {fact: code.trust_remote_code, is_null: true}
          - {fact: code.files, contains_text: x}
          - {fact: tokenizer.type, greater_than: 3}
          - {fact: tokenizer.vocab_size, contains: 3}
          - {fact: code.trust_remote_code, is_empty: true}
          - {fact: tokenizer.status, equals: [present]}
          - {fact: tokenizer.status, in: []}
          - value: {param: p}
            equals: 1
    """) == [
        "r.yaml:9:38: 'components' is a list; 'equals' compares single values (walk it with exists/every, or use is_empty/contains)",
        "r.yaml:10:18: 'components[].name': '[]' walks a list and is allowed only in 'in:'; use exists/every here",
        "r.yaml:11:51: 'code.trust_remote_code' is never null, so is_null cannot tell anything",
        "r.yaml:12:45: 'code.files' is a list; 'contains_text' compares single values (walk it with exists/every, or use is_empty/contains)",
        "r.yaml:13:48: 'greater_than' compares numbers; 'tokenizer.type' is text",
        "r.yaml:14:50: contains looks for an item in a list; 'tokenizer.vocab_size' is a whole number (use contains_text for text)",
        "r.yaml:15:52: is_empty applies to lists, maps and text; 'code.trust_remote_code' is true or false",
        "r.yaml:16:44: 'equals' takes one value, not a list (use 'in' for several)",
        "r.yaml:17:40: 'in: []' can never hold",
        "r.yaml:18:11: compare a fact or a computed value, not a parameter ('value: {param: ...}')",
    ]


def test_unreachable_thresholds_alone_and_together(tmp_path):
    assert check_rule(tmp_path, """
        exists:
          in: components[].lineage
          as: l
          where:
            all:
              - {fact: l.statistics.p_adjusted, at_most: 1.5}
              - {fact: l.statistics.effect_size, at_least: 0.9}
              - {fact: l.statistics.effect_size, at_most: 0.5}
              - {fact: l.statistics.tensors_compared, less_than: 0}
    """) == [
        "r.yaml:13:56: unreachable threshold: 'components[].lineage[].statistics.p_adjusted at_most 1.5' always holds, "
        "because the value lies in [0, 1]",
        "r.yaml:15:57: unreachable threshold: 'components[].lineage[].statistics.effect_size at_most 0.5' contradicts "
        "the other bounds on it in the same 'all' (no value is both >= 0.9 and <= 0.5)",
        "r.yaml:16:64: unreachable threshold: 'components[].lineage[].statistics.tensors_compared less_than 0' can never "
        "hold, because the value lies in [0, inf]",
    ]


def test_division_by_literal_zero_and_a_count_that_always_passes(tmp_path):
    assert check_rule(tmp_path, """
        any:
          - value: {divide: [{count: {in: components, as: c}}, 0]}
            greater_than: 0.5
          - value: {count: {in: components, as: c}}
            at_least: 0
    """) == [
        "r.yaml:9:62: division by zero",
        "r.yaml:12:21: unreachable threshold: '(count) at_least 0' always holds, because the value lies in [0, inf]",
    ]


def test_schema_errors_misspelt_keys_and_two_operators(tmp_path):
    expected_keys = ("all, any, at_least, at_most, contains, contains_text, ends_with, equals, every, exists, fact, "
                     "greater_than, in, is_empty, is_null, less_than, not, not_equals, not_in, starts_with, value")
    assert check_rule(tmp_path, """
        all:
          - {fact: code.trust_remote_code, equal: true}
          - {fact: code.trust_remote_code, equals: true, is_null: false}
          - {fcat: code.trust_remote_code}
    """) == [
        f"r.yaml:9:49: unknown key 'equal' (did you mean 'equals'?); expected one of: {expected_keys}",
        "r.yaml:10:11: a comparison takes exactly one operator (found: fact, equals, is_null)",
        f"r.yaml:11:18: unknown key 'fcat' (did you mean 'fact'?); expected one of: {expected_keys}",
    ]


def test_names_placeholders_and_parameters(tmp_path):
    assert check_rule(tmp_path, """
        exists:
          in: components
          as: tokenizer
          where: {fact: tokenizer.name, in: {param: names}}
    """, message="{tokenizer.name} {nope.x} {param.other}", extra="""
        parameters:
          names: {type: string, default: text, description: d}
          unused: {type: list, default: [a], description: d}
    """) == [
        "r.yaml:10:13: 'tokenizer' is the name of a fact (or reserved); choose another name",
        "r.yaml:11:43: 'in' takes a list; parameter 'names' is a string",
        "r.yaml:12:14: '{param.other}' names parameter 'other', which the rule does not declare",
        "r.yaml:12:14: unknown fact 'nope' in '{nope.x}'",
        "r.yaml:17:15: parameter 'unused' is declared but never used",
    ]


def test_duplicate_rule_id_within_and_across_files(tmp_path):
    one = rule_yaml("technical.same", "{fact: code.trust_remote_code, equals: true}")
    twice = one + one.split("rules:\n", 1)[1]
    inside = write(tmp_path, "twice.yaml", twice)
    across = write(tmp_path, "other.yaml", rule_yaml("technical.component-weights-reused",
                                                     "{fact: code.trust_remote_code, equals: true}"))
    assert relative(tmp_path, problems(inside)) == [
        "twice.yaml:12:9: duplicate rule id 'technical.same' (first defined at twice.yaml:3:9)"]
    assert relative(tmp_path, problems(across)) == [
        "other.yaml:3:9: duplicate rule id 'technical.component-weights-reused' (also defined at rules/technical.yaml:5:9)"]


# --------------------------------------------------------------------------- policies and waivers


def test_policy_semantic_errors(tmp_path):
    path = write(tmp_path, "bad.yaml", """
        format_version: 1
        id: bad
        version: "1"
        title: Bad
        rules:
          - id: technical.component-weights-reused
            parameters:
              forbidden_relations: [identical, derivd]
              min_effect_size: 1.5
              colour: blue
          - id: technical.tokenizer-reusd
          - id: technical.component-weights-reused
          - id: policy.upstream-licensor-control
            parameters:
              home_countries: KR
        verdict:
          first_match:
            - when: {status: fail, category: ethical}
              then: not_from_scratch
            - when: {rules: [ethical.undisclosed-reuse]}
              then: needs_review
          otherwise: from_scratch
    """)
    assert relative(tmp_path, problems(path)) == [
        "bad.yaml:8:40: parameter 'forbidden_relations': 'derivd' is not a value of 'components[].lineage[].relation' "
        "(one of identical, derived, independent, inconclusive) (did you mean 'derived'?)",
        "bad.yaml:9:24: unreachable threshold: 'components[].lineage[].statistics.effect_size at_least parameter "
        "'min_effect_size' = 1.5' can never hold, because the value lies in [-1, 1] (used at rules/technical.yaml:68:73)",
        "bad.yaml:10:15: rule 'technical.component-weights-reused' has no parameter 'colour' "
        "(its parameters: forbidden_relations, allow_derived, require_independent, exempt_components, min_effect_size)",
        "bad.yaml:11:9: unknown rule id 'technical.tokenizer-reusd' (did you mean 'technical.tokenizer-reused'?)",
        "bad.yaml:12:9: rule 'technical.component-weights-reused' is listed twice (first at bad.yaml:6:9)",
        "bad.yaml:15:23: parameter 'home_countries' of rule 'policy.upstream-licensor-control' must be a list; got 'KR'",
        "bad.yaml:18:13: this verdict entry can never apply: no rule of the policy has category ethical",
        "bad.yaml:20:22: rule 'ethical.undisclosed-reuse' is not applied by this policy",
        "bad.yaml:22:14: a rule that cannot be evaluated would pass as from_scratch: no verdict entry covers status "
        "error for technical.component-weights-reused, policy.upstream-licensor-control; add one such as "
        "{when: {status: error}, then: needs_review}",
    ]


def test_a_policy_may_not_pass_rules_it_could_not_evaluate(tmp_path):
    text = """
        format_version: 1
        id: p
        version: "1"
        title: P
        rules:
          - id: technical.component-weights-reused
          - id: technical.tokenizer-reused
            severity: info
          - id: ethical.undisclosed-reuse
        verdict:
          first_match:
            - when: {status: fail, severity: error}
              then: not_from_scratch
            - WHEN
          otherwise: OTHERWISE
    """
    uncovered = write(tmp_path, "a.yaml", text.replace("WHEN", "when: {status: error, category: technical}\n"
                                                       "              then: needs_review").replace("OTHERWISE", "from_scratch"))
    assert relative(tmp_path, problems(uncovered)) == [
        "a.yaml:16:14: a rule that cannot be evaluated would pass as from_scratch: no verdict entry covers status "
        "error for ethical.undisclosed-reuse; add one such as {when: {status: error}, then: needs_review}"]
    covered = write(tmp_path, "b.yaml", text.replace("WHEN", "when: {status: [fail, error]}\n"
                                                     "              then: needs_review").replace("OTHERWISE", "from_scratch"))
    assert problems(covered) == []
    cautious = write(tmp_path, "c.yaml", text.replace("WHEN", "when: {status: pass}\n"
                                                      "              then: from_scratch").replace("OTHERWISE", "needs_review"))
    assert problems(cautious) == []


def test_policy_schema_errors(tmp_path):
    path = write(tmp_path, "p.yaml", """
        format_version: 1
        id: Bad_Id
        version: 1.0
        title: T
        rules:
          - id: technical.component-weights-reused
            severity: fatal
    """)
    assert relative(tmp_path, problems(path)) == [
        "p.yaml:1:1: missing key 'verdict'",
        "p.yaml:2:5: 'Bad_Id' is not a policy id: lower-case letters, digits, '.' and '-'",
        "p.yaml:3:10: expected text, got 1.0 (quote it to make it text)",
        "p.yaml:7:15: expected one of error, warning, info; got 'fatal'",
    ]


def test_extends_with_exclude_and_overrides(tmp_path):
    write(tmp_path, "rules/x.yaml", rule_yaml("technical.extra", "{fact: code.trust_remote_code, equals: true}"))
    path = write(tmp_path, "child.yaml", """
        format_version: 1
        id: child
        version: "1"
        title: Child
        extends: kr-sovereign-ai-2026
        rule_dirs: [rules]
        exclude: [technical.remote-code-required, technical.not-there]
        rules:
          - id: technical.tokenizer-reused
            severity: error
          - id: technical.extra
    """)
    assert relative(tmp_path, problems(path)) == ["child.yaml:7:43: 'technical.not-there' is not a rule of the extended policy"]


def test_waiver_problems(tmp_path):
    text = """
        format_version: 1
        waivers:
          - rule: technical.tokenizer-reused
            scope: "*"
            reason: r
            author: a
            expires: EXPIRES
          - rule: technical.tokenizer-reused
            scope: "*"
            reason: again
            author: b
            expires: 2027-01-31
    """
    unquoted = write(tmp_path, "w1.yaml", text.replace("EXPIRES", "2026-02-30"))
    quoted = write(tmp_path, "w2.yaml", text.replace("EXPIRES", '"2026-02-30"'))
    words = write(tmp_path, "w3.yaml", text.replace("EXPIRES", "next week"))
    twice = write(tmp_path, "w4.yaml", text.replace("EXPIRES", "2026-12-31"))
    assert relative(tmp_path, problems(unquoted, quoted, words, twice)) == [
        "w1.yaml:7:14: not a valid YAML value (day is out of range for month)",
        "w2.yaml:7:14: '2026-02-30' is not a real date",
        "w3.yaml:7:14: 'next week' is not a date (YYYY-MM-DD)",
        "w4.yaml:8:5: a second waiver for rule 'technical.tokenizer-reused' and scope '*' (first at w4.yaml:3:5)",
    ]


def test_waiver_for_an_unknown_rule(tmp_path):
    path = write(tmp_path, "w.yaml", """
        format_version: 1
        waivers:
          - rule: technical.no-such-rule
            scope: "*"
            reason: r
            author: a
            expires: 2026-12-31
    """)
    assert relative(tmp_path, problems(path)) == ["w.yaml:3:5: unknown rule id 'technical.no-such-rule'"]


def test_a_rule_id_whose_prefix_names_another_category(tmp_path):
    path = write(tmp_path, "r.yaml", rule_yaml("ethical.remote-code", "{fact: code.trust_remote_code, equals: true}"))
    assert relative(tmp_path, problems(path)) == [
        "r.yaml:3:9: rule id 'ethical.remote-code' says category ethical, but its category is technical: "
        "ids are '<category>.<name>'"]
    other_prefix = write(tmp_path, "o.yaml", rule_yaml("acme.remote-code", "{fact: code.trust_remote_code, equals: true}"))
    assert problems(other_prefix) == []


def test_a_duplicate_waiver_does_not_hide_the_other_problems_of_the_file(tmp_path):
    path = write(tmp_path, "w.yaml", """
        format_version: 1
        waivers:
          - {rule: technical.tokenizer-reused, scope: "*", reason: r, author: a, expires: 2027-01-01}
          - {rule: technical.tokenizer-reused, scope: "*", reason: r, author: a, expires: 2027-01-01}
          - {rule: technical.tokenizer-reusd, scope: "*", reason: r, author: a, expires: 2027-01-01}
          - {rule: technical.weights-missing, scope: "*", reason: r, author: a, expires: soon}
          - {rule: technical.weights-missing, scope: "x", reason: r, author: a, expires: "2027-02-30"}
    """)
    assert relative(tmp_path, problems(path)) == [
        "w.yaml:4:5: a second waiver for rule 'technical.tokenizer-reused' and scope '*' (first at w.yaml:3:5)",
        "w.yaml:5:5: unknown rule id 'technical.tokenizer-reusd' (did you mean 'technical.tokenizer-reused'?)",
        "w.yaml:6:82: 'soon' is not a date (YYYY-MM-DD)",
        "w.yaml:7:82: '2027-02-30' is not a real date",
    ]


def test_an_unknown_rule_id_is_matched_against_its_own_category_first(tmp_path):
    path = write(tmp_path, "p.yaml", policy_yaml("p", ["technical.component-weights-reused", "technical.nonexistent",
                                                       "technical.licence-inconsistent",
                                                       "ethical.licence-inconsistant"], rule_dirs=()))
    assert relative(tmp_path, problems(path)) == [
        "p.yaml:8:9: unknown rule id 'technical.nonexistent'",
        "p.yaml:9:9: unknown rule id 'technical.licence-inconsistent' (did you mean 'ethical.licence-inconsistent'?)",
        "p.yaml:10:9: unknown rule id 'ethical.licence-inconsistant' (did you mean 'ethical.licence-inconsistent'?)",
    ]


def test_test_cases_are_checked_without_running_them(tmp_path):
    (tmp_path / "repo").mkdir()
    write(tmp_path, "w.yaml", "format_version: 1\nwaivers:\n  - {rule: x.y, scope: '*', reason: r, author: a, expires: 2026-02-30}\n")
    path = write(tmp_path, "a.test.yaml", """
        format_version: 1
        policy: kr-sovereign-ai-2026
        cases:
          - name: misspelt fact and rule
            facts: {componentz: []}
            expect:
              rules: {technical.nope: pass, technical.tokenizer-reusd: fail}
          - name: a day that does not exist
            facts: {}
            today: "2026-13-01"
            expect: {verdict: from_scratch}
          - name: files that are missing or broken
            facts_file: nothing.json
            waivers: w.yaml
            expect: {verdict: from_scratch}
          - name: a repository is not scanned by validate
            repo: repo
            expect: {verdict: from_scratch}
          - name: fine
            facts: {}
            today: "2026-02-28"
            expect: {verdict: needs_review, rules: {technical.weights-missing: fail}}
    """)
    assert relative(tmp_path, problems(path)) == [
        "a.test.yaml:5:25: unknown fact 'componentz' under 'facts' (did you mean 'components'?)",
        "a.test.yaml:7:31: policy kr-sovereign-ai-2026 does not apply rule 'technical.nope'",
        "a.test.yaml:7:64: policy kr-sovereign-ai-2026 does not apply rule 'technical.tokenizer-reusd' "
        "(did you mean 'technical.tokenizer-reused'?)",
        "a.test.yaml:10:12: '2026-13-01' is not a real date",
        "a.test.yaml:12:5: nothing.json: cannot be read (No such file or directory)",
        "a.test.yaml:12:5: w.yaml:3:60: not a valid YAML value (day is out of range for month)",
    ]


def test_a_file_of_another_kind_is_named_as_such_in_one_line(tmp_path):
    rules = write(tmp_path, "r.yaml", rule_yaml("technical.x", "{fact: code.trust_remote_code, equals: true}"))
    with pytest.raises(PolicyFileError) as caught:
        load_policy(str(rules))
    assert caught.value.messages == (f"{rules}:1:1: this is a rule file, not a policy (a rule file has 'rules', "
                                     "a policy 'id', a waivers file 'waivers', a test file 'cases')",)


def test_a_missing_rule_folder_is_reported_where_it_is_named(tmp_path):
    policy = write(tmp_path, "p.yaml", policy_yaml("p", ["technical.component-weights-reused"], rule_dirs=("rules", "gone")))
    (tmp_path / "rules").mkdir()
    tests = write(tmp_path, "t/a.test.yaml", """
        format_version: 1
        rules: [technical.weights-missing]
        rule_dirs: [missing]
        cases:
          - {name: c, facts: {}, expect: {verdict: needs_review}}
    """)
    assert relative(tmp_path, problems(policy, tests)) == [
        "p.yaml:5:22: rule folder 'gone' does not exist",
        "t/a.test.yaml:3:13: rule folder 't/missing' does not exist",
    ]


def test_a_policy_with_its_own_rules_validates(tmp_path):
    write(tmp_path, "rules/x.yaml", rule_yaml("technical.extra", "{fact: code.trust_remote_code, equals: true}"))
    path = write(tmp_path, "p.yaml", policy_yaml("mine", ["technical.extra", "technical.weights-missing"], rule_dirs=("rules",)))
    result = validate_files([path, tmp_path / "rules"])
    assert result.problems == ()
    assert sorted(kind for _, kind in result.files) == ["policy", "rules"]


@pytest.mark.parametrize("value", [None, True, 10**400, float("nan"), "x y", [], {}, [1, {}], {"fact": 3},
                                   {"param": "zzz"}, {"exists": {"in": "code", "as": "x"}}])
def test_odd_values_anywhere_in_a_condition_are_problems_not_crashes(tmp_path, value):
    rule = {"id": "technical.t", "category": "technical", "severity": "error", "title": "t", "message": "m",
            "how_to_fix": "f", "references": ["r"],
            "condition": {"exists": {"in": "components", "as": "c", "where": {"fact": "c.tensors", "at_least": 1}}}}
    for place in ("condition", "exists", "in", "where", "at_least"):
        mutated = yaml.safe_load(yaml.safe_dump(rule))
        target = {"condition": mutated, "exists": mutated["condition"], "in": mutated["condition"]["exists"],
                  "where": mutated["condition"]["exists"], "at_least": mutated["condition"]["exists"]["where"]}[place]
        target[place] = value
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump({"format_version": 1, "rules": [mutated]}), encoding="utf-8")
        result = validate_files([path])
        assert result.problems, (place, value)
