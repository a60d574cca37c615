"""Evaluating one rule over the JSON form of the facts, recording every fact it read.

Logic is three-valued (Kleene): a comparison whose fact is missing, null where a number is needed,
or divided by zero is *unknown*, not an exception. ``all`` is false as soon as one part is false,
``any`` true as soon as one part is true, so a guard (``config is_null: false``) placed first keeps
an absent fact from mattering; an unknown that does matter makes the rule's status ``error`` with
the reason. ``exists`` looks at every item so the message can name every match.

Work is bounded: one evaluation of a policy (all its rules together) may take at most ``MAX_STEPS``
steps (a node visit or a list item), shared through a ``StepBudget``; a per-rule cap alone would let
a policy of many heavy rules run for minutes. Each rule keeps at most ``MAX_WITNESSES`` matches per
node and records at most ``MAX_EVIDENCE`` facts. Facts are finite and the language has no recursion,
so these caps bound time and memory whatever the rules say.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.policy.language import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Count,
    Divide,
    Every,
    Exists,
    FactPath,
    FactRef,
    Literal,
    Not,
    Operand,
    Param,
    Source,
    Sum,
)
from scanner.policy.template import UNREADABLE, Placeholder, Template, render
from scanner.report.model import RuleStatus

MAX_STEPS = 1_000_000
MAX_WITNESSES = 50
MAX_EVIDENCE = 200
MAX_LISTED = 20


class Truth(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Item:
    """A value from the facts and its concrete path, e.g. ``components[1].lineage[0]``."""

    path: str
    value: Any


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    value: Any


Bindings = Mapping[str, Item]


@dataclass(slots=True)
class Outcome:
    truth: Truth
    witnesses: list[Bindings] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class Unknown(Exception):
    """A value could not be read or computed; ``reason`` says which and why.

    ``located`` says the reason already names where (a division's own position), so the comparison
    that needed the value does not add its position too.
    """

    def __init__(self, reason: str, *, located: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.located = located


class BudgetExceeded(Exception):
    """The evaluation's rules together took more than their ``StepBudget``."""


class StepBudget:
    """The steps left for one evaluation, shared by all its rules so the whole policy is bounded."""

    def __init__(self) -> None:
        self.limit = MAX_STEPS
        self.used = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit

    def take(self) -> None:
        self.used += 1
        if self.used > self.limit:
            raise BudgetExceeded


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRun:
    """The raw outcome of one rule before messages, waivers and severity are applied."""

    status: RuleStatus  # fail, pass, not_applicable or error (waivers come later)
    witnesses: tuple[Bindings, ...]
    evidence: Mapping[str, Any]
    reasons: tuple[str, ...]


class Evaluator:
    """Evaluates conditions over one set of facts with one rule's parameter values."""

    def __init__(self, facts: Mapping[str, Any], params: Mapping[str, Any], budget: StepBudget) -> None:
        self.facts = facts
        self.params = params
        self.budget = budget
        self.evidence: dict[str, Any] = {}
        self.dropped = 0

    # ----------------------------------------------------------------------- bookkeeping

    def _step(self) -> None:
        self.budget.take()

    def _record(self, path: str, value: Any) -> None:
        if path in self.evidence:
            return
        if len(self.evidence) >= MAX_EVIDENCE:
            self.dropped += 1
            return
        self.evidence[path] = _compact(value)

    # ----------------------------------------------------------------------- reading facts

    def _start(self, path: FactPath, env: Bindings) -> Item:
        head = path.head
        if head in env:
            return env[head]
        return Item(head, self.facts[head])

    def _child(self, item: Item, name: str, full: str) -> Item:
        value = item.value
        if isinstance(value, _Entry):
            return Item(item.path + ".key", value.key) if name == "key" else Item(item.path, value.value)
        if value is None:
            raise Unknown(f"{item.path} is null, so {full} cannot be read")
        if not isinstance(value, dict):
            raise Unknown(f"{item.path} is not an object, so {full} cannot be read")
        if name not in value:
            raise Unknown(f"{item.path} has no '{name}'")
        return Item(f"{item.path}.{name}", value[name])

    def read(self, path: FactPath, env: Bindings, *, record: bool = True) -> Item:
        item = self._start(path, env)
        for segment in path.segments[1:]:
            item = self._child(item, segment.name, path.text)
        if record:
            self._record(item.path, item.value.value if isinstance(item.value, _Entry) else item.value)
        return item

    def _expand(self, item: Item, reasons: list[str]) -> list[Item]:
        value = item.value.value if isinstance(item.value, _Entry) else item.value
        if isinstance(value, list):
            self._record(item.path, value)
            return [Item(f"{item.path}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, dict):
            self._record(item.path, value)
            return [Item(f"{item.path}.{k}", _Entry(k, value[k])) for k in sorted(value)]
        reasons.append(f"{item.path} is {'null' if value is None else 'not a list'}, so its items are unknown")
        return []

    def items(self, path: FactPath, env: Bindings) -> tuple[list[Item], list[str]]:
        """The items ``in: PATH`` walks, flattening ``[]`` segments; reasons for any that could not be read."""
        reasons: list[str] = []
        current = [self._start(path, env)]
        for index, segment in enumerate(path.segments):
            if index > 0:
                nxt = []
                for item in current:
                    self._step()
                    try:
                        nxt.append(self._child(item, segment.name, path.text))
                    except Unknown as exc:
                        reasons.append(exc.reason)
                current = nxt
            if segment.flatten:
                current = [i for item in current for i in self._expand(item, reasons)]
        if not path.segments[-1].flatten:
            current = [i for item in current for i in self._expand(item, reasons)]
        return current, reasons

    # ----------------------------------------------------------------------- conditions

    def condition(self, node: Condition, env: Bindings) -> Outcome:
        self._step()
        if isinstance(node, AllOf):
            return self._all(node, env)
        if isinstance(node, AnyOf):
            return self._any(node, env)
        if isinstance(node, Not):
            inner = self.condition(node.item, env)
            if inner.truth is Truth.UNKNOWN:
                return inner
            return Outcome(Truth.TRUE, [env]) if inner.truth is Truth.FALSE else Outcome(Truth.FALSE)
        if isinstance(node, Exists):
            return self._exists(node.source, env)
        if isinstance(node, Every):
            return self._every(node.source, env)
        return self._compare(node, env)

    def _all(self, node: AllOf, env: Bindings) -> Outcome:
        matches: list[Bindings] = [env]
        reasons: list[str] = []
        for item in node.items:
            outcome = self.condition(item, env)
            if outcome.truth is Truth.FALSE:
                return Outcome(Truth.FALSE)
            if outcome.truth is Truth.UNKNOWN:
                reasons.extend(outcome.reasons)
                continue
            matches = _join(matches, outcome.witnesses)
        return Outcome(Truth.UNKNOWN, reasons=reasons) if reasons else Outcome(Truth.TRUE, matches)

    def _any(self, node: AnyOf, env: Bindings) -> Outcome:
        reasons: list[str] = []
        for item in node.items:
            outcome = self.condition(item, env)
            if outcome.truth is Truth.TRUE:
                return outcome
            reasons.extend(outcome.reasons)
        return Outcome(Truth.UNKNOWN, reasons=reasons) if reasons else Outcome(Truth.FALSE)

    def _exists(self, source: Source, env: Bindings) -> Outcome:
        items, reasons = self.items(source.path, env)
        witnesses: list[Bindings] = []
        found = False
        for item in items:
            self._step()
            inner = {**env, source.name: item}
            outcome = self.condition(source.where, inner) if source.where else Outcome(Truth.TRUE, [inner])
            if outcome.truth is Truth.TRUE:
                found = True
                witnesses.extend(outcome.witnesses[:MAX_WITNESSES - len(witnesses)])
            elif outcome.truth is Truth.UNKNOWN:
                reasons.extend(outcome.reasons)
        if found:
            return Outcome(Truth.TRUE, witnesses)
        return Outcome(Truth.UNKNOWN, reasons=reasons) if reasons else Outcome(Truth.FALSE)

    def _every(self, source: Source, env: Bindings) -> Outcome:
        items, reasons = self.items(source.path, env)
        for item in items:
            self._step()
            outcome = self.condition(source.where, {**env, source.name: item})
            if outcome.truth is Truth.FALSE:
                return Outcome(Truth.FALSE)
            reasons.extend(outcome.reasons)
        return Outcome(Truth.UNKNOWN, reasons=reasons) if reasons else Outcome(Truth.TRUE, [env])

    def _compare(self, node: Compare, env: Bindings) -> Outcome:
        try:
            left, left_path = self.operand(node.left, env)
            right, _ = self.operand(node.right, env)
            for side, value in ((node.left, left), (node.right, right)):
                if isinstance(side, (Count, Sum, Divide)):
                    self._record(f"({type(side).__name__.lower()} at {side.at})", value)
            holds = _apply(node.op, left, right, left_path or "the value")
        except Unknown as exc:
            return Outcome(Truth.UNKNOWN, reasons=[exc.reason if exc.located else f"{exc.reason} ({node.at})"])
        return Outcome(Truth.TRUE, [env]) if holds else Outcome(Truth.FALSE)

    # ----------------------------------------------------------------------- operands

    def operand(self, node: Operand, env: Bindings) -> tuple[Any, str | None]:
        """The value of an operand, and its fact path when it is one."""
        if isinstance(node, Literal):
            return node.value, None
        if isinstance(node, Param):
            return self.params[node.name], None
        if isinstance(node, FactRef):
            item = self.read(node.path, env)
            value = item.value.value if isinstance(item.value, _Entry) else item.value
            return value, item.path
        if isinstance(node, Count):
            return sum(1 for _ in self._selected(node.source, env)), None
        if isinstance(node, Sum):
            total = 0.0
            for inner in self._selected(node.source, env):
                value, path = self.operand(FactRef(path=node.of, at=node.at), inner)
                if not _is_number(value):
                    raise Unknown(f"{path} is {_kind(value)}, not a number, so the sum is unknown")
                try:
                    total += value
                except OverflowError:
                    raise Unknown(f"{path} is too large to add up") from None
            return total, None
        return self._divide(node, env), None

    def _selected(self, source: Source, env: Bindings) -> list[Bindings]:
        items, reasons = self.items(source.path, env)
        if reasons:
            raise Unknown(reasons[0])
        out = []
        for item in items:
            self._step()
            inner = {**env, source.name: item}
            if source.where is not None:
                outcome = self.condition(source.where, inner)
                if outcome.truth is Truth.UNKNOWN:
                    raise Unknown(outcome.reasons[0])
                if outcome.truth is Truth.FALSE:
                    continue
            out.append(inner)
        return out

    def _divide(self, node: Divide, env: Bindings) -> float:
        numerator, _ = self.operand(node.numerator, env)
        denominator, path = self.operand(node.denominator, env)
        for value in (numerator, denominator):
            if not _is_number(value):
                raise Unknown(f"divide at {node.at} needs numbers, got {_kind(value)}", located=True)
        if denominator == 0:
            named = f" ({path} is 0)" if path else ""
            raise Unknown(f"division by zero at {node.at}{named}", located=True)
        try:
            result = numerator / denominator
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise Unknown(f"division at {node.at} overflowed", located=True)
        return result

    # ----------------------------------------------------------------------- messages

    def render(self, template: Template, env: Bindings) -> str:
        def value_of(placeholder: Placeholder) -> Any:
            if placeholder.param is not None:
                return self.params.get(placeholder.param, UNREADABLE)
            try:
                item = self.read(placeholder.path, env, record=False)
            except Unknown:
                return UNREADABLE
            return item.value.value if isinstance(item.value, _Entry) else item.value
        return render(template, value_of)


def run_rule(applies_when: Condition | None, condition: Condition, facts: Mapping[str, Any],
             params: Mapping[str, Any], budget: StepBudget) -> tuple[RuleRun, Evaluator]:
    """Evaluate a rule within what is left of ``budget``; the evaluator is returned for rendering its messages."""
    evaluator = Evaluator(facts, params, budget)
    if budget.exhausted:
        return _run(RuleStatus.ERROR, (), evaluator, [f"skipped because earlier rules used up the policy's budget of "
                                                      f"{budget.limit:,} steps"]), evaluator
    try:
        if applies_when is not None:
            gate = evaluator.condition(applies_when, {})
            if gate.truth is not Truth.TRUE:
                status = RuleStatus.NOT_APPLICABLE if gate.truth is Truth.FALSE else RuleStatus.ERROR
                return _run(status, (), evaluator, gate.reasons), evaluator
        outcome = evaluator.condition(condition, {})
    except BudgetExceeded:
        return _run(RuleStatus.ERROR, (), evaluator, [f"evaluation stopped: the policy's budget of {budget.limit:,} "
                                                      "steps ran out; narrow this rule's exists/every/count"]), evaluator
    status = {Truth.TRUE: RuleStatus.FAIL, Truth.FALSE: RuleStatus.PASS, Truth.UNKNOWN: RuleStatus.ERROR}[outcome.truth]
    return _run(status, outcome.witnesses, evaluator, outcome.reasons), evaluator


def _run(status: RuleStatus, witnesses, evaluator: Evaluator, reasons) -> RuleRun:
    evidence = dict(evaluator.evidence)
    if evaluator.dropped:
        evidence["..."] = f"{evaluator.dropped} more facts read"
    return RuleRun(status=status, witnesses=tuple(_unique(witnesses)), evidence=evidence,
                   reasons=tuple(dict.fromkeys(reasons)))


def _unique(witnesses) -> list[Bindings]:
    seen: dict[tuple, Bindings] = {}
    for w in witnesses:
        seen.setdefault(tuple(sorted((k, v.path) for k, v in w.items())), w)
    return list(seen.values())


def _join(left: list[Bindings], right: list[Bindings]) -> list[Bindings]:
    out: list[Bindings] = []
    for a in left:
        for b in right:
            out.append({**a, **b})
            if len(out) >= MAX_WITNESSES:
                return out
    return out


# --------------------------------------------------------------------------- operators


def _apply(op: str, left: Any, right: Any, path: str) -> bool:
    if op == "is_null":
        return (left is None) == right
    if op == "equals":
        return _same(left, right)
    if op == "not_equals":
        return not _same(left, right)
    if op in ("in", "not_in"):
        if not isinstance(right, list):
            raise Unknown(f"'{op}' needs a list, got {_kind(right)}")
        found = any(_same(left, value) for value in right)
        return found if op == "in" else not found
    if left is None:
        raise Unknown(f"{path} is null")
    if op == "is_empty":
        if not isinstance(left, (list, dict, str)):
            raise Unknown(f"{path} is {_kind(left)}, which is neither empty nor not")
        return (len(left) == 0) == right
    if op == "contains":
        if not isinstance(left, list):
            raise Unknown(f"{path} is {_kind(left)}, not a list")
        return any(_same(value, right) for value in left)
    if op in ("starts_with", "ends_with", "contains_text"):
        if not isinstance(left, str) or not isinstance(right, str):
            raise Unknown(f"'{op}' compares text; {path} is {_kind(left)}")
        return {"starts_with": left.startswith, "ends_with": left.endswith, "contains_text": left.__contains__}[op](right)
    if not _is_number(left) or not _is_number(right):
        raise Unknown(f"'{op}' compares numbers; {path} is {_kind(left)} and the threshold {_kind(right)}")
    return {"less_than": left < right, "at_most": left <= right, "greater_than": left > right,
            "at_least": left >= right}[op]


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps true apart from 1 (JSON has no such confusion; Python does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _compact(value: Any) -> Any:
    """What evidence keeps of a value: scalars as they are, short lists of scalars, else a size."""
    if isinstance(value, list):
        if len(value) <= MAX_LISTED and all(not isinstance(v, (list, dict)) for v in value):
            return list(value)
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    if isinstance(value, dict):
        if len(value) <= MAX_LISTED and all(not isinstance(v, (list, dict)) for v in value.values()):
            return dict(sorted(value.items()))
        return f"{{{len(value)} entr{'y' if len(value) == 1 else 'ies'}}}"
    if isinstance(value, str) and len(value) > 300:
        return value[:297] + "..."
    return value
