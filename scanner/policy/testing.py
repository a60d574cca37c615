"""``policy test``: run the test cases kept beside rules and policies, like a test runner.

A test file (``*.test.yaml``) names a policy (or just some rules) and lists cases. Each case gives
the facts (inline and partial, a facts/report file, or a small repository to scan) and what it
expects: the verdict and some rules' statuses. Partial facts are completed with empty defaults
(no components, tokenizer absent, no licences...) so a case states only what it is about; list
items are completed the same way, so ``{name: vision, lineage: [{catalog_id: x, relation:
identical}]}`` is a whole component. Enum fields (a relation, a severity) have no default: a case
must say them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from scanner import __version__
from scanner.codec import DecodeError, from_jsonable
from scanner.policy.evaluation import evaluate
from scanner.policy.files import (
    TEST_FILE,
    TEST_SUFFIXES,
    load_checked,
    parse_yaml,
    read_bytes,
)
from scanner.errors import FromScratchError
from scanner.policy.model import Policy, PolicyFileError, Waivers
from scanner.policy.policies import load_policy_file, policy_for_rules, policy_path
from scanner.policy.rules import (
    closest_rule_id,
    load_rule_book,
    position_key,
    rule_dirs_of,
    sorted_messages,
)
from scanner.policy.waivers import load_waivers, real_date
from scanner.report.model import SCHEMA_VERSION, Facts, RuleResult, RuleStatus
from scanner.yamlsafe import MAX_NODES as MAX_YAML_NODES, Located

frozen = dataclass(frozen=True, slots=True, kw_only=True)

MAX_FACTS_FILE_BYTES = 64 << 20
REPORT_ONLY_KEYS = ("policy", "rules", "verdict")
SPECIAL_DEFAULTS: dict[str, Any] = {
    "schema_version": SCHEMA_VERSION,
    "tool.name": "fromscratch",
    "tool.version": __version__,
    "run.started_at": "1970-01-01T00:00:00Z",
    "target.path": "(policy test case)",
    "target.source": "local",
    "tokenizer.status": "absent",
}


@frozen
class CaseOutcome:
    """One case: passed or not, and every difference between expected and actual (or why it could not run)."""

    file: str
    name: str
    differences: tuple[str, ...]
    errored: bool = False  # the case could not run (its differences say why)

    @property
    def passed(self) -> bool:
        return not self.differences


@frozen
class TestRun:
    cases: tuple[CaseOutcome, ...]
    file_errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.cases) and not self.file_errors and all(c.passed for c in self.cases)


def find_test_files(paths: Iterable[Path]) -> list[Path]:
    """Test files under the given folders (recursively) plus the files given, each once, sorted per argument."""
    found: dict[Path, Path] = {}
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.name.endswith(TEST_SUFFIXES)) if path.is_dir() else [path]
        for candidate in candidates:
            found.setdefault(candidate.resolve(), candidate)
    return list(found.values())


def run_tests(paths: Iterable[Path]) -> TestRun:
    """Run every case of every test file; a case that cannot run is reported and the others still run."""
    policies: dict[Any, Policy] = {}
    cases: list[CaseOutcome] = []
    errors: list[str] = []
    for path in find_test_files(paths):
        try:
            located, _, _ = load_checked(path, TEST_FILE)
        except PolicyFileError as exc:
            errors.extend(exc.messages)
            continue
        cases.extend(_run_case(path, located, index, case, policies) for index, case in enumerate(located.data["cases"]))
    return TestRun(cases=tuple(cases), file_errors=tuple(errors))


def check_cases(path: Path, located: Located) -> list[str]:
    """What ``policy validate`` checks of a schema-valid test file without running it: each case's
    policy, facts (paths and types), facts file, repository folder, waivers file, ``today`` and the
    rules it expects. Repositories are not scanned; that is ``policy test``'s work."""
    policies: dict[Any, Policy] = {}
    problems: list[str] = []
    for index, case in enumerate(located.data["cases"]):
        try:
            _prepare(path, located, index, case, policies, scan=False)
        except FromScratchError as exc:
            problems.extend(_case_messages(exc, located, index))
    return problems


def _run_case(path: Path, located: Located, index: int, case: dict, policies: dict[Any, Policy]) -> CaseOutcome:
    try:
        setup = _prepare(path, located, index, case, policies, scan=True)
        evaluation = evaluate(setup.policy, setup.facts, waivers=setup.waivers, today=setup.today)
    except FromScratchError as exc:  # e.g. a repository that cannot be scanned: this case errs, the rest run
        return CaseOutcome(file=located.filename, name=case["name"], differences=_case_messages(exc, located, index),
                           errored=True)
    differences = _differences(case["expect"], evaluation.rules, evaluation.verdict.status.value,
                               evaluation.verdict.summary)
    return CaseOutcome(file=located.filename, name=case["name"], differences=tuple(differences))


def _case_messages(exc: FromScratchError, located: Located, index: int) -> tuple[str, ...]:
    """The error's lines, each pointing into the test file: other files' messages get the case's position first."""
    messages = exc.messages if isinstance(exc, PolicyFileError) else tuple(str(exc).splitlines())
    at = located.where(("cases", index))
    return tuple(m if m.startswith(f"{located.filename}:") else f"{at}: {m}" for m in messages)


@frozen
class _Setup:
    """What a case is evaluated with; ``facts`` is None for a repository case checked without a scan."""

    policy: Policy
    facts: Facts | None
    waivers: Waivers | None
    today: dt.date | None


def _prepare(path: Path, located: Located, index: int, case: dict, policies: dict[Any, Policy], *, scan: bool) -> _Setup:
    """Load everything a case names, raising ``PolicyFileError`` with the problems of all its parts at once."""
    base = ("cases", index)
    problems: list[str] = []

    def attempt(load: Callable[[], Any]) -> Any:
        try:
            return load()
        except PolicyFileError as exc:
            problems.extend(exc.messages)
            return None

    policy = attempt(lambda: _policy_for(path, located, case, base, policies))
    facts = attempt(lambda: _facts(path, located, case, base, scan=scan))
    waivers = attempt(lambda: load_waivers(path.parent / case["waivers"])) if "waivers" in case else None
    today = real_date(case["today"]) if "today" in case else None
    if "today" in case and today is None:
        problems.append(f"{located.where((*base, 'today'))}: '{case['today']}' is not a real date")
    if policy is not None:
        applied = [s.rule.id for s in policy.selections]
        for rule_id in case["expect"].get("rules", {}):
            if rule_id not in applied:
                hint = closest_rule_id(rule_id, applied)
                problems.append(f"{located.where((*base, 'expect', 'rules', rule_id))}: policy {policy.id} does not "
                                f"apply rule '{rule_id}'" + (f" (did you mean '{hint}'?)" if hint else ""))
    if problems:
        raise PolicyFileError(problems)
    return _Setup(policy=policy, facts=facts, waivers=waivers, today=today)


def _policy_for(path: Path, located: Located, case: dict, base: tuple, cache: dict[Any, Policy]) -> Policy:
    data = located.data
    ref = case.get("policy", data.get("policy"))
    if ref is not None:
        where = located.where((*base, "policy")) if "policy" in case else located.where(("policy",))
        try:
            policy_file = policy_path(ref, path.parent)
        except LookupError as exc:
            raise PolicyFileError([f"{where}: {exc}"]) from None
        key = policy_file.resolve()
        if key not in cache:
            try:
                cache[key] = load_policy_file(policy_file)
            except PolicyFileError as exc:  # said once per 'policy:' line, not once per case
                raise PolicyFileError([f"{where}: {m}" for m in exc.messages]) from None
        return cache[key]
    if "rules" not in data:
        raise PolicyFileError([f"{located.where(base)}: the case has no policy: set 'policy' (or 'rules') in the file or the case"])
    rule_dirs, missing = rule_dirs_of(located, path.parent)
    if missing:
        raise PolicyFileError(sorted_messages(missing))
    key = (tuple(data["rules"]), tuple(d.resolve() for d in rule_dirs))
    if key not in cache:
        book = load_rule_book(rule_dirs)
        ids = [(rule_id, located.where(("rules", i))) for i, rule_id in enumerate(data["rules"])]
        cache[key] = policy_for_rules(ids, book, name=f"rules-of-{path.name}")
    return cache[key]


def _facts(path: Path, located: Located, case: dict, base: tuple, *, scan: bool) -> Facts | None:
    if "facts" in case:
        return facts_from_partial(case["facts"], located, (*base, "facts"))
    if "facts_file" in case:
        return _facts_file(path.parent / case["facts_file"])
    from scanner.pipeline import (  # the scan stack is only needed for repository cases
        ScanOptions,
        scan_facts,
    )

    repo = path.parent / case["repo"]
    if not repo.is_dir():
        raise PolicyFileError([f"{located.where((*base, 'repo'))}: repository folder '{repo}' not found"])
    if not scan:
        return None
    return scan_facts(str(repo), ScanOptions(read_weights=case.get("read_weights", True)))


def _facts_file(path: Path) -> Facts:
    name = str(path)
    raw = read_bytes(path, name, MAX_FACTS_FILE_BYTES)
    if path.suffix == ".json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:  # ValueError: also Python's limit on huge integers
            raise PolicyFileError([f"{name}: not valid JSON ({exc})"]) from None
        except RecursionError:
            raise PolicyFileError([f"{name}: JSON nested too deeply"]) from None
        located = Located(data, {(): (1, 1)}, name)
    else:
        located = parse_yaml(raw, name, MAX_FACTS_FILE_BYTES, MAX_YAML_NODES)
    data = located.data
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in REPORT_ONLY_KEYS}
    return facts_from_partial(data, Located(data, located.positions, name), ())


def facts_from_partial(data: Any, located: Located, at: tuple) -> Facts:
    """Complete partial facts with empty defaults and decode them; errors point into the YAML."""
    problems: list[str] = []
    filled = _fill(Facts, data, "", at, located, problems)
    if problems:
        raise PolicyFileError(sorted(problems, key=position_key))
    try:
        return from_jsonable(Facts, filled)
    except DecodeError as exc:
        raise PolicyFileError([_decode_error(str(exc), located, at)]) from None


def _fill(tp: Any, value: Any, canonical: str, at: tuple, located: Located, problems: list[str]) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in get_args(tp) if a is not type(None)]
        return _fill(options[0], value, canonical, at, located, problems) if len(options) == 1 else value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{located.where(at)}: expected a mapping for '{canonical or 'facts'}'")
            return value
        hints = get_type_hints(tp)
        names = [f.name for f in dataclasses.fields(tp)]
        for key in value:
            if key not in names:
                close = get_close_matches(str(key), names, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"{located.where((*at, str(key)))}: unknown fact '{key}' under "
                                f"'{canonical or 'facts'}'{hint}")
        out = {}
        for name in names:
            child = f"{canonical}.{name}" if canonical else name
            if name in value:
                out[name] = _fill(hints[name], value[name], child, (*at, name), located, problems)
            else:
                out[name] = _default(hints[name], child, at, located, problems)
        return out
    if origin is tuple and isinstance(value, list):
        item = get_args(tp)[0]
        return [_fill(item, v, canonical + "[]", (*at, i), located, problems) for i, v in enumerate(value)]
    if origin in (Mapping, dict) and isinstance(value, dict):
        item = get_args(tp)[1]
        return {k: _fill(item, v, canonical + "{}", (*at, str(k)), located, problems) for k, v in value.items()}
    return value


def _default(tp: Any, canonical: str, at: tuple, located: Located, problems: list[str]) -> Any:
    if canonical in SPECIAL_DEFAULTS:
        return SPECIAL_DEFAULTS[canonical]
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType) or tp is Any:
        return None
    if origin is tuple:
        return []
    if origin in (Mapping, dict):
        return {}
    if dataclasses.is_dataclass(tp):
        return _fill(tp, {}, canonical, at, located, problems)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        field = canonical.rsplit(".", 1)[-1]
        problems.append(f"{located.where(at)}: missing '{field}' ({canonical}: one of {', '.join(m.value for m in tp)})")
        return None
    return {str: "", int: 0, float: 0.0, bool: False}[tp]


def _decode_error(message: str, located: Located, at: tuple) -> str:
    match = re.match(r"^\$((?:\.[A-Za-z0-9_]+|\[\d+\])*): (.*)$", message, re.DOTALL)
    if not match:
        return f"{located.where(at)}: {message}"
    parts: list[str | int] = []
    for name, number in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", match.group(1)):
        parts.append(int(number) if number else name)
    return f"{located.where((*at, *parts))}: {match.group(2)}"


def _differences(expect: dict, results: tuple[RuleResult, ...], verdict: str, summary: str) -> list[str]:
    out = []
    if "verdict" in expect and expect["verdict"] != verdict:
        out.append(f"verdict: expected {expect['verdict']}, got {verdict}\n      {summary}")
    by_rule: dict[str, list[RuleResult]] = {}
    for result in results:
        by_rule.setdefault(result.id, []).append(result)
    for rule_id, wanted in expect.get("rules", {}).items():
        got = by_rule[rule_id]  # _prepare checked that the policy applies it
        status = _overall(got)
        if status != wanted:
            messages = "; ".join(f"[{r.status.value}] {r.message}" for r in got)
            out.append(f"{rule_id}: expected {wanted}, got {status}\n      {messages}")
    return out


def _overall(results: list[RuleResult]) -> str:
    """One status per rule: a failure split by waivers is 'fail' while any part is still open."""
    statuses = {r.status for r in results}
    for status in (RuleStatus.FAIL, RuleStatus.ERROR, RuleStatus.WAIVED):
        if status in statuses:
            return status.value
    return results[0].status.value
