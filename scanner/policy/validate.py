"""``policy validate``: schema and semantic checks of rule, policy, waiver and test files.

Each file's kind is told from its top-level keys. Rule files are checked in full and together
with the bundled rules (a duplicate id across files is an error); policies are loaded exactly as
a scan would load them; waivers must name rules that exist; test files are checked against their
schema, then each case's policy, facts, files, ``today`` and expected rules are checked without
running it (``policy test`` runs them). Problems of one rule never hide those of the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner.policy.files import (
    POLICY_FILE,
    RULE_FILE,
    TEST_FILE,
    WAIVER_FILE,
    YAML_SUFFIXES,
    display_name,
    load_checked,
)
from scanner.policy.model import PolicyFileError
from scanner.policy.policies import load_policy_file
from scanner.policy.rules import load_rule_book, load_rule_file, position_key
from scanner.policy.schemas import policy_test_schema, schema_errors
from scanner.policy.testing import check_cases
from scanner.policy.waivers import load_waivers

frozen = dataclass(frozen=True, slots=True, kw_only=True)


@frozen
class Validation:
    """Files checked (name and kind) and every problem found, as ``file:line:column: message``."""

    files: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the YAML files below them, sorted."""
    out: dict[Path, Path] = {}
    for path in paths:
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(YAML_SUFFIXES)) if path.is_dir() else [path]
        for item in found:
            out.setdefault(item.resolve(), item)
    return list(out.values())


def validate_files(paths: Iterable[Path]) -> Validation:
    files: list[tuple[str, str]] = []
    problems: list[str] = []
    by_kind: dict[str, list[Path]] = {RULE_FILE: [], POLICY_FILE: [], WAIVER_FILE: [], TEST_FILE: []}
    for path in expand(paths):
        try:
            located, kind, _ = load_checked(path, keep_going=True)
        except PolicyFileError as exc:
            files.append((display_name(path), "?"))
            problems.extend(exc.messages)
            continue
        files.append((located.filename, kind))
        by_kind[kind].append(path)
        if kind == TEST_FILE:
            problems.extend(schema_errors(located, policy_test_schema()) or check_cases(path, located))
    known_rules: set[str] = set()
    for path in by_kind[RULE_FILE]:
        try:
            known_rules.update(rule.id for rule in load_rule_file(path).rules)
        except PolicyFileError as exc:
            problems.extend(exc.messages)
    try:
        known_rules.update(load_rule_book(rule_files=by_kind[RULE_FILE]).rules)
    except PolicyFileError as exc:
        problems.extend(exc.messages)
    for path in by_kind[POLICY_FILE]:
        try:
            known_rules.update(s.rule.id for s in load_policy_file(path).selections)
        except PolicyFileError as exc:
            problems.extend(exc.messages)
    for path in by_kind[WAIVER_FILE]:
        try:
            load_waivers(path, known_rules=known_rules)
        except PolicyFileError as exc:
            problems.extend(exc.messages)
    return Validation(files=tuple(files), problems=tuple(sorted(dict.fromkeys(problems), key=position_key)))
