"""Loading policies: bundled names or files, ``extends`` chains, rule selection, verdict combination.

A policy may start from another (``extends``), change rules' severities and parameters, drop rules
(``exclude``) and add its own. Chains are followed at most ``MAX_EXTENDS`` deep and a cycle is an
error at the ``extends`` that closes it. Beyond the schema, loading checks what only the whole
policy can tell: unknown or twice-listed rule ids, unknown parameters, parameter values the rule
cannot use (a relation the fact never takes, a threshold that can never be crossed), and verdict
entries that can never apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.bundled import bundled_dir
from scanner.policy.files import (
    POLICY_FILE,
    YAML_SUFFIXES,
    display_name,
    load_checked,
    yaml_files,
)
from scanner.policy.model import (
    DEFAULT_POLICY,
    Policy,
    PolicyFileError,
    RuleSelection,
    VerdictEntry,
)
from scanner.policy.rules import (
    RuleBook,
    load_rule_book,
    rule_dirs_of,
    sorted_messages,
    unknown_rule_id,
)
from scanner.policy.typecheck import (
    ParamValue,
    parameter_value_problems,
    value_fits_type,
)
from scanner.report.model import RuleCategory, RuleStatus, Severity, VerdictStatus
from scanner.yamlsafe import Located

MAX_EXTENDS = 8
MAX_LISTED = 5

DEFAULT_FIRST_MATCH = (
    VerdictEntry(statuses=frozenset({RuleStatus.FAIL}), categories=None, severities=frozenset({Severity.ERROR}),
                 rule_ids=None, then=VerdictStatus.NOT_FROM_SCRATCH, at="(default)"),
    VerdictEntry(statuses=frozenset({RuleStatus.FAIL, RuleStatus.ERROR}), categories=None,
                 severities=frozenset({Severity.ERROR, Severity.WARNING}), rule_ids=None,
                 then=VerdictStatus.NEEDS_REVIEW, at="(default)"),
)


@dataclass(frozen=True, slots=True)
class _Layer:
    """One policy file of an ``extends`` chain."""

    located: Located
    path: Path
    sha256: str


@dataclass(slots=True)
class _Pending:
    """A rule selection while the chain is merged: values with the position each was set at."""

    id: str
    at: str
    severity: str | None = None
    parameters: dict[str, ParamValue] | None = None


def bundled_policy_names() -> list[str]:
    return [p.name.rsplit(".", 1)[0] for p in yaml_files(bundled_dir("policies"), tests=False)]


def policy_path(ref: str, relative_to: Path | None = None) -> Path:
    """A policy reference as a file: a bundled name, or a path (relative to ``relative_to`` when given)."""
    if ref.endswith(YAML_SUFFIXES) or "/" in ref or "\\" in ref:
        path = Path(ref)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.is_file():
            raise LookupError(f"policy file '{path}' not found")
        return path
    candidate = bundled_dir("policies") / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    raise LookupError(f"unknown policy '{ref}'; bundled policies are {', '.join(bundled_policy_names())} "
                      f"(or give a .yaml file)")


def load_policy(name_or_file: str = DEFAULT_POLICY) -> Policy:
    """A bundled policy by name, or a policy file; fully validated (raises ``PolicyFileError``)."""
    try:
        path = policy_path(name_or_file)
    except LookupError as exc:
        raise PolicyFileError([str(exc)]) from None
    return load_policy_file(path)


def load_policy_file(path: Path) -> Policy:
    chain = _chain(path, [])
    problems: list[tuple[str, str]] = []
    pending, verdict, rule_dirs = _merge(chain, problems)
    if not pending:
        problems.append((chain[-1].located.where(("rules",)), "the policy applies no rules"))
    book = load_rule_book(rule_dirs)
    selections = _select(pending, book, problems)
    first_match, otherwise = _verdict(verdict, selections, problems)
    if problems:
        raise PolicyFileError(sorted_messages(problems))
    top = chain[-1].located.data
    return Policy(
        id=top["id"], version=top["version"], title=top["title"], description=top.get("description", ""),
        references=tuple(top.get("references", ())), selections=selections, first_match=first_match,
        otherwise=otherwise, source=chain[-1].located.filename,
        checksum=_checksum([(layer.located.filename, layer.sha256) for layer in chain]
                           + [(book.file_of(s.rule.id).name, book.file_of(s.rule.id).sha256) for s in selections]),
    )


def policy_for_rules(rule_ids: list[tuple[str, str]], book: RuleBook, *, name: str) -> Policy:
    """A policy of just these rules (id, where it was named) with the default verdict combination, for rule tests."""
    problems: list[tuple[str, str]] = []
    pending = {rule_id: _Pending(id=rule_id, at=at) for rule_id, at in rule_ids}
    selections = _select(pending, book, problems)
    if problems:
        raise PolicyFileError(sorted_messages(problems))
    return Policy(id=name, version="test", title=f"rules {', '.join(pending)}", description="", references=(),
                  selections=selections, first_match=DEFAULT_FIRST_MATCH, otherwise=VerdictStatus.FROM_SCRATCH,
                  source=name, checksum=_checksum([(book.file_of(s.rule.id).name, book.file_of(s.rule.id).sha256)
                                                   for s in selections]))


def _chain(path: Path, seen: list[Path]) -> list[_Layer]:
    """The extends chain ending at ``path``, base first."""
    located, _, sha256 = load_checked(path, POLICY_FILE)
    layer = _Layer(located=located, path=path, sha256=sha256)
    base_ref = located.data.get("extends")
    if base_ref is None:
        return [layer]
    at = located.where(("extends",))
    try:
        base = policy_path(base_ref, path.parent)
    except LookupError as exc:
        raise PolicyFileError([f"{at}: {exc}"]) from None
    visited = [*seen, path]
    if base.resolve() in {p.resolve() for p in visited}:
        cycle = " -> ".join(display_name(p) for p in [*visited, base])
        raise PolicyFileError([f"{at}: 'extends' makes a cycle: {cycle}"])
    if len(visited) >= MAX_EXTENDS:
        raise PolicyFileError([f"{at}: 'extends' chains may be at most {MAX_EXTENDS} policies deep"])
    return [*_chain(base, visited), layer]


def _merge(chain: list[_Layer], problems: list[tuple[str, str]]) -> tuple[dict[str, _Pending], tuple[dict, Located] | None, list[Path]]:
    pending: dict[str, _Pending] = {}
    verdict: tuple[dict, Located] | None = None
    rule_dirs: list[Path] = []
    for depth, layer in enumerate(chain):
        data, where = layer.located.data, layer.located.where
        folders, missing = rule_dirs_of(layer.located, layer.path.parent)
        rule_dirs.extend(folders)
        problems.extend(missing)
        for index, rule_id in enumerate(data.get("exclude", ())):
            if depth == 0:
                problems.append((where(("exclude", index)), "'exclude' drops rules of an extended policy; this policy extends none"))
            elif pending.pop(rule_id, None) is None:
                problems.append((where(("exclude", index)), f"'{rule_id}' is not a rule of the extended policy"))
        listed: dict[str, str] = {}
        for index, entry in enumerate(data.get("rules", ())):
            rule_id, at = entry["id"], where(("rules", index, "id"))
            if rule_id in listed:
                problems.append((at, f"rule '{rule_id}' is listed twice (first at {listed[rule_id]})"))
                continue
            listed[rule_id] = at
            current = pending.get(rule_id) or _Pending(id=rule_id, at=at)
            if "severity" in entry:
                current.severity = entry["severity"]
            if "parameters" in entry:
                current.parameters = {**(current.parameters or {}),
                                      **{k: _set_value(layer.located, ("rules", index, "parameters", k), v)
                                         for k, v in entry["parameters"].items()}}
            pending[rule_id] = current
        if "verdict" in data:
            verdict = (data["verdict"], layer.located)
    return pending, verdict, rule_dirs


def _select(pending: Mapping[str, _Pending], book: RuleBook, problems: list[tuple[str, str]]) -> tuple[RuleSelection, ...]:
    selections = []
    for item in pending.values():
        rule = book.rules.get(item.id)
        if rule is None:
            problems.append((item.at, unknown_rule_id(item.id, book.rules)))
            continue
        values = {n: ParamValue(value=p.default, at=p.default_at) for n, p in rule.parameters.items()}
        for name, given in (item.parameters or {}).items():
            spec = rule.parameters.get(name)
            if spec is None:
                known = ", ".join(rule.parameters) or "none"
                problems.append((given.at, f"rule '{rule.id}' has no parameter '{name}' (its parameters: {known})"))
            elif not value_fits_type(given.value, spec.type):
                problems.append((given.at, f"parameter '{name}' of rule '{rule.id}' must be a {spec.type}; got {given.value!r}"))
            else:
                values[name] = given
        problems.extend(parameter_value_problems(rule.checks, values))
        selections.append(RuleSelection(rule=rule, severity=Severity(item.severity) if item.severity else rule.severity,
                                        parameters={n: v.value for n, v in values.items()}, at=item.at))
    return tuple(selections)


def _set_value(located: Located, path: tuple, value: Any) -> ParamValue:
    items = tuple(located.where((*path, i)) for i in range(len(value))) if isinstance(value, list) else ()
    return ParamValue(value=value, at=located.where(path), items_at=items)


def _many(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _verdict(verdict: tuple[dict, Located] | None, selections: tuple[RuleSelection, ...],
             problems: list[tuple[str, str]]) -> tuple[tuple[VerdictEntry, ...], VerdictStatus]:
    if verdict is None:
        return DEFAULT_FIRST_MATCH, VerdictStatus.FROM_SCRATCH
    data, located = verdict
    selected = {s.rule.id for s in selections}
    entries = []
    for index, item in enumerate(data["first_match"]):
        when, base = item["when"], ("verdict", "first_match", index, "when")
        unknown = [j for j, rule_id in enumerate(when.get("rules", ())) if rule_id not in selected]
        for j in unknown:
            problems.append((located.where((*base, "rules", j)), f"rule '{when['rules'][j]}' is not applied by this policy"))
        entry = VerdictEntry(
            statuses=frozenset(RuleStatus(s) for s in _many(when["status"])) if "status" in when else None,
            categories=frozenset(RuleCategory(c) for c in _many(when["category"])) if "category" in when else None,
            severities=frozenset(Severity(s) for s in _many(when["severity"])) if "severity" in when else None,
            rule_ids=frozenset(when["rules"]) if "rules" in when else None,
            then=VerdictStatus(item["then"]), at=located.where(base))
        if not unknown and not any(_could_match(entry, s) for s in selections):
            problems.append((entry.at, f"this verdict entry can never apply: no rule of the policy has {_criteria(entry)}"))
        entries.append(entry)
    otherwise = VerdictStatus(data["otherwise"])
    if otherwise is VerdictStatus.FROM_SCRATCH:
        silent = [s.rule.id for s in selections if s.severity is not Severity.INFO and not _errors_covered(entries, s)]
        if silent:
            named = ", ".join(silent[:MAX_LISTED]) + (f" and {len(silent) - MAX_LISTED} more" if len(silent) > MAX_LISTED else "")
            problems.append((located.where(("verdict", "otherwise")),
                             f"a rule that cannot be evaluated would pass as from_scratch: no verdict entry covers "
                             f"status error for {named}; add one such as {{when: {{status: error}}, then: needs_review}}"))
    return tuple(entries), otherwise


def _errors_covered(entries: list[VerdictEntry], selection: RuleSelection) -> bool:
    """Whether some entry turns an ``error`` outcome of this rule into a verdict other than from_scratch.

    Without one, a policy would call a model from scratch exactly when its evidence could not be
    read. Info rules are exempt: their outcomes are for information, like the default combination's.
    """
    return any(e.then is not VerdictStatus.FROM_SCRATCH and (e.statuses is None or RuleStatus.ERROR in e.statuses)
               and _could_match(e, selection) for e in entries)


def _criteria(entry: VerdictEntry) -> str:
    parts = []
    for label, values in (("category", entry.categories), ("severity", entry.severities), ("id", entry.rule_ids)):
        if values is not None:
            parts.append(f"{label} {' or '.join(sorted(str(getattr(v, 'value', v)) for v in values))}")
    return " and ".join(parts)


def _could_match(entry: VerdictEntry, selection: RuleSelection) -> bool:
    return ((entry.categories is None or selection.rule.category in entry.categories)
            and (entry.severities is None or selection.severity in entry.severities)
            and (entry.rule_ids is None or selection.rule.id in entry.rule_ids))


def _checksum(files: list[tuple[str, str]]) -> str:
    lines = sorted({f"{name} {sha}" for name, sha in files})
    return "sha256:" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
