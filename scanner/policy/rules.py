"""Loading rule files into checked ``Rule`` values, and the set of rules a policy can choose from.

A rule book is every rule file in the bundled ``rules`` folder plus the folders a policy (or a test
file) names. Problems from all files are collected and raised together so an author fixes them in
one pass; a rule id defined twice is an error naming both places.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scanner.bundled import bundled_dir
from scanner.policy.files import (
    RULE_FILE,
    load_checked,
    schema_problems_by_item,
    yaml_files,
)
from scanner.policy.language import ConditionParser
from scanner.policy.model import PolicyFileError, Rule, RuleFile
from scanner.policy.template import Template, TemplateError, parse_template
from scanner.policy.typecheck import (
    ParameterSpec,
    ParamValue,
    check_rule,
    parameter_value_problems,
    value_fits_type,
)
from scanner.report.model import RuleCategory, Severity
from scanner.yamlsafe import Located

frozen = dataclass(frozen=True, slots=True, kw_only=True)


@frozen
class RuleBook:
    """Rules by id, and the files they came from (by display name)."""

    rules: Mapping[str, Rule]
    files: Mapping[str, RuleFile]

    def file_of(self, rule_id: str) -> RuleFile:
        return self.files[self.rules[rule_id].file]


def load_rule_file(path: Path, *, name: str | None = None) -> RuleFile:
    """One rule file, fully checked; raises ``PolicyFileError`` listing every problem."""
    located, _, sha256 = load_checked(path, RULE_FILE, name=name, keep_going=True)
    broken = schema_problems_by_item(located, RULE_FILE)
    problems: list[tuple[str, str]] = [p for item in broken.values() for p in item]
    rules = []
    for index, data in enumerate(located.data["rules"]):
        if index in broken:
            continue
        rule = _rule(located, data, ("rules", index), problems)
        if rule is not None:
            rules.append(rule)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append((rule.at, f"duplicate rule id '{rule.id}' (first defined at {seen[rule.id]})"))
        seen.setdefault(rule.id, rule.at)
    if problems:
        raise PolicyFileError(sorted_messages(problems))
    return RuleFile(name=located.filename, sha256=sha256, rules=tuple(rules))


def _rule(located: Located, data: dict, path: tuple, problems: list[tuple[str, str]]) -> Rule | None:
    where = located.where
    parser = ConditionParser(located)
    params: dict[str, ParameterSpec] = {}
    for name, spec in (data.get("parameters") or {}).items():
        param = ParameterSpec(name=name, type=spec["type"], default=spec["default"], description=spec["description"],
                              at=where((*path, "parameters", name)),
                              default_at=where((*path, "parameters", name, "default")))
        if not value_fits_type(param.default, param.type):
            problems.append((param.default_at, f"default of parameter '{name}' must be {_type_phrase(param.type)}"))
        params[name] = param
    applies_when = parser.condition(data["applies_when"], (*path, "applies_when")) if "applies_when" in data else None
    condition = parser.condition(data["condition"], (*path, "condition"))
    templates: dict[str, Template | None] = {}
    for key in ("message", "pass_message", "scope"):
        templates[key] = None
        if key in data:
            try:
                templates[key] = parse_template(data[key], where((*path, key)))
            except TemplateError as exc:
                problems.append((where((*path, key)), f"{key}: {exc}"))
    named = id_category(data["id"])
    if named is not None and named.value != data["category"]:
        problems.append((where((*path, "id")), f"rule id '{data['id']}' says category {named.value}, but its category "
                                               f"is {data['category']}: ids are '<category>.<name>'"))
    checks = check_rule(params=params, applies_when=applies_when, condition=condition, templates=templates)
    problems.extend(checks.errors)
    defaults = {n: ParamValue(value=p.default, at=p.default_at, items_at=_items_at(located, (*path, "parameters", n, "default"), p.default))
                for n, p in params.items() if value_fits_type(p.default, p.type)}
    problems.extend(parameter_value_problems(checks, defaults))
    if templates["message"] is None:
        return None
    return Rule(
        id=data["id"], category=RuleCategory(data["category"]), severity=Severity(data["severity"]),
        title=data["title"], description=data.get("description", ""), parameters=params,
        applies_when=applies_when, condition=condition, scope=templates["scope"], message=templates["message"],
        pass_message=templates["pass_message"], how_to_fix=data["how_to_fix"], references=tuple(data["references"]),
        file=located.filename, at=where((*path, "id")), checks=checks,
    )


def id_category(rule_id: str) -> RuleCategory | None:
    """The category a rule id's prefix names (``ethical`` for ``ethical.x``), or None for another prefix."""
    prefix = rule_id.partition(".")[0]
    return RuleCategory(prefix) if prefix in {c.value for c in RuleCategory} else None


def _items_at(located: Located, path: tuple, value: object) -> tuple[str, ...]:
    return tuple(located.where((*path, i)) for i in range(len(value))) if isinstance(value, list) else ()


def _type_phrase(param_type: str) -> str:
    return {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
            "list": "a list of values"}[param_type]


def rule_dirs_of(located: Located, base: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The ``rule_dirs`` a policy or test file names (relative to ``base``) that exist, and a problem at
    the entry of each that does not, so the message points into the file that named it."""
    found: list[Path] = []
    problems: list[tuple[str, str]] = []
    for index, name in enumerate(located.data.get("rule_dirs", ())):
        folder = base / name
        if folder.is_dir():
            found.append(folder)
        else:
            problems.append((located.where(("rule_dirs", index)), f"rule folder '{folder}' does not exist"))
    return found, problems


def load_rule_book(rule_dirs: Iterable[Path] = (), rule_files: Iterable[Path] = ()) -> RuleBook:
    """Bundled rules plus those in ``rule_dirs`` and ``rule_files``; each file read once."""
    paths: dict[Path, Path] = {}
    problems: list[str] = []
    for folder in (bundled_dir("rules"), *rule_dirs):
        if not folder.is_dir():
            problems.append(f"{folder}: rule folder does not exist")
            continue
        for path in yaml_files(folder, tests=False):
            paths.setdefault(path.resolve(), path)
    for path in rule_files:
        paths.setdefault(path.resolve(), path)
    files: dict[str, RuleFile] = {}
    for path in paths.values():
        try:
            loaded = load_rule_file(path)
        except PolicyFileError as exc:
            problems.extend(exc.messages)
            continue
        files[loaded.name] = loaded
    rules: dict[str, Rule] = {}
    for loaded in files.values():  # bundled first, then in the order given: the later definition is the duplicate
        for rule in loaded.rules:
            if rule.id in rules:
                problems.append(f"{rule.at}: duplicate rule id '{rule.id}' (also defined at {rules[rule.id].at})")
                continue
            rules[rule.id] = rule
    if problems:
        raise PolicyFileError(problems)
    return RuleBook(rules=rules, files=files)


def unknown_rule_id(rule_id: str, known: Collection[str]) -> str:
    """``unknown rule id 'X'``, with the closest known id as a hint."""
    hint = closest_rule_id(rule_id, known)
    return f"unknown rule id '{rule_id}'" + (f" (did you mean '{hint}'?)" if hint else "")


def closest_rule_id(rule_id: str, known: Collection[str]) -> str | None:
    """The known id ``rule_id`` was probably meant to be, if any.

    Names (after the dot) of the same category come first: over all ids, ``technical.nonexistent``
    would suggest ``ethical.licence-inconsistent``, and the shared ``technical.`` prefix makes any
    two technical ids look alike. Another category is suggested only for a nearly equal name (a
    wrong prefix).
    """
    category, _, name = rule_id.partition(".")
    for in_category, cutoff in ((True, 0.6), (False, 0.85)):
        by_name = {k.partition(".")[2]: k for k in sorted(known) if (k.partition(".")[0] == category) == in_category}
        close = difflib.get_close_matches(name, list(by_name), n=1, cutoff=cutoff)
        if close:
            return by_name[close[0]]
    return None


def sorted_messages(problems: Iterable[tuple[str, str]]) -> list[str]:
    """``where: message`` lines in file/line/column order, each once."""
    unique = dict.fromkeys(f"{at}: {message}" for at, message in problems)
    return sorted(unique, key=position_key)


def position_key(message: str) -> tuple:
    head = message.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return (parts[0], int(parts[1]), int(parts[2]), message)
    return (head, 0, 0, message)
