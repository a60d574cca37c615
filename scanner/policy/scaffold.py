"""``policy new``: a new rule file and its test file, both valid and passing from the first run.

The scaffolded rule is a small working example (no dependency on packages a policy forbids) that
shows a parameter, ``exists``, a scope and placeholders; its test file holds one failing and one
passing case, so ``policy validate`` and ``policy test`` succeed before the author changes a thing.
"""

from __future__ import annotations

import re
from pathlib import Path

from scanner.errors import FromScratchError
from scanner.policy.rules import id_category
from scanner.policy.schemas import RULE_ID_PATTERN
from scanner.report.model import RuleCategory, Severity

VERDICT_FOR_FAILURE = {Severity.ERROR: "not_from_scratch", Severity.WARNING: "needs_review", Severity.INFO: "from_scratch"}

RULE_TEMPLATE = """\
# A rule file: one or more rules. Schema: scanner/data/schemas/rule.schema.json
# (editors: add `# yaml-language-server: $schema=<that file>` at the top for completion).
# Fact paths: docs/fact-paths.md. Guide: docs/policy-guide.md.
format_version: 1
rules:
  - id: {rule_id}
    category: {category}
    severity: {severity}
    title: The model depends on no forbidden package
    description: >-
      Fails when the shipped code imports, or a manifest lists, a package the policy forbids.
      Replace the condition with your own; keep the test cases beside it up to date.
    parameters:
      forbidden_packages:
        type: list
        default: [example_forbidden_package]
        description: Package names that must not appear among the code's dependencies.
    condition:
      exists:
        in: code.dependencies
        as: package
        where: {{fact: package, in: {{param: forbidden_packages}}}}
    scope: "package:{{package}}"
    message: "The code depends on {{package}}, which the policy forbids"
    pass_message: "The code depends on none of: {{param.forbidden_packages}}."
    how_to_fix: Remove the dependency, or ask for a waiver with the reason it is needed.
    references:
      - "Your organisation's criterion this rule implements"
"""

TEST_TEMPLATE = """\
# Test cases for {rule_id}: run with `fromscratch policy test {tests_dir}`.
format_version: 1
rules: [{rule_id}]
rule_dirs: [".."]
cases:
  - name: a forbidden dependency fails
    facts:
      code:
        dependencies: [torch, example_forbidden_package]
    expect:
      verdict: {failing_verdict}
      rules:
        {rule_id}: fail
  - name: no forbidden dependency passes
    facts:
      code:
        dependencies: [torch]
    expect:
      verdict: from_scratch
      rules:
        {rule_id}: pass
"""


def scaffold_rule(rule_id: str, *, category: RuleCategory | None, severity: Severity, directory: Path) -> list[Path]:
    """Write ``<directory>/<rule_id>.yaml`` and ``<directory>/tests/<rule_id>.test.yaml``; refuse to overwrite.

    ``category`` defaults to the one the id's prefix names (``ethical.x`` is ethical), else technical;
    a category that contradicts the prefix is refused, since ``policy validate`` would reject the file.
    """
    named = id_category(rule_id)
    chosen = category or named or RuleCategory.TECHNICAL
    if not re.match(RULE_ID_PATTERN, rule_id):
        raise FromScratchError(f"'{rule_id}' is not a rule id: lower-case words joined by '-', with a dot after "
                               f"the first, e.g. '{chosen.value}.my-rule'")
    if named is not None and named is not chosen:
        raise FromScratchError(f"rule id '{rule_id}' says category {named.value}, but --category is {chosen.value}: "
                               f"ids are '<category>.<name>'")
    rule_file = directory / f"{rule_id}.yaml"
    test_file = directory / "tests" / f"{rule_id}.test.yaml"
    for path in (rule_file, test_file):
        if path.exists():
            raise FromScratchError(f"{path} already exists; choose another rule id or remove it")
    try:
        test_file.parent.mkdir(parents=True, exist_ok=True)
        rule_file.write_text(RULE_TEMPLATE.format(rule_id=rule_id, category=chosen.value, severity=severity.value),
                             encoding="utf-8")
        test_file.write_text(TEST_TEMPLATE.format(rule_id=rule_id, tests_dir=test_file.parent.as_posix(),
                                                  failing_verdict=VERDICT_FOR_FAILURE[severity]), encoding="utf-8")
    except OSError as exc:
        raise FromScratchError(f"cannot write the rule under '{directory}': {exc.strerror or exc}") from None
    return [rule_file, test_file]
