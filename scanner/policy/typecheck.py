"""Static checks of a rule's conditions and messages against the fact schema.

Everything a rule author can get wrong without running it is caught here, with the position of the
mistake: a fact path that does not exist, a list compared as if it were one value, an operator that
does not fit the fact's type, an enum value the fact never takes, a parameter that is not declared,
a threshold a value can never cross (``p_adjusted at_most 1.5``), bounds that contradict each other
inside one ``all``, a division by a literal zero, a message placeholder naming something the
matched facts do not bind.

Parameters are checked twice: their declared type here, and their values (defaults here, a policy's
settings in ``policies.py``) through the uses this checker records.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.policy.factschema import NUMERIC_KINDS, FactSchema, FactType, fact_schema
from scanner.policy.language import (
    EQUALITY_OPS,
    MEMBERSHIP_OPS,
    ORDERING_OPS,
    TEXT_OPS,
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
from scanner.policy.template import Template

frozen = dataclass(frozen=True, slots=True, kw_only=True)

RESERVED_NAMES = frozenset({"param"})
INTEGER = FactType(path="(count)", kind="integer", range=(0.0, math.inf))
NUMBER = FactType(path="(computed)", kind="number")


@frozen
class ParameterSpec:
    """A rule parameter: its type, default, and where it is declared."""

    name: str
    type: str
    default: Any
    description: str
    at: str
    default_at: str


@frozen
class ParamValue:
    """A parameter's value and where it was set (its items' positions too, for lists)."""

    value: Any
    at: str
    items_at: tuple[str, ...] = ()

    def item_at(self, index: int) -> str:
        return self.items_at[index] if index < len(self.items_at) else self.at


@frozen
class ParamUse:
    """A parameter compared with a fact: its values must fit that fact (enum values, range)."""

    param: str
    fact: FactType
    op: str
    at: str


@frozen
class ThresholdSite:
    """An ordering or equality comparison of a bounded fact with a literal or a parameter."""

    subject: str  # the fact as written plus the binding scope, so two sites compare the same thing
    fact: FactType
    op: str
    operand: Literal | Param
    at: str
    group: int | None  # id of the enclosing ``all``: its sites must be satisfiable together


@frozen
class RuleChecks:
    """What validation of one rule found: errors, and what later parameter checks need."""

    errors: tuple[tuple[str, str], ...]
    param_uses: tuple[ParamUse, ...]
    thresholds: tuple[ThresholdSite, ...]
    witness_names: Mapping[str, FactType]


@dataclass
class _State:
    params: Mapping[str, ParameterSpec]
    schema: FactSchema
    errors: list[tuple[str, str]] = field(default_factory=list)
    uses: list[ParamUse] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    thresholds: list[ThresholdSite] = field(default_factory=list)
    next_group: int = 0

    def error(self, at: str, message: str) -> None:
        self.errors.append((at, message))


class _Invalid(Exception):
    """Raised inside one comparison after its error is recorded, to skip further checks of it."""


def check_rule(*, params: Mapping[str, ParameterSpec], applies_when: Condition | None, condition: Condition,
               templates: Mapping[str, Template | None]) -> RuleChecks:
    """Check one rule. ``templates``: message, pass_message and scope (None when absent)."""
    state = _State(params=params, schema=fact_schema())
    if applies_when is not None:
        _condition(state, applies_when, {}, None)
    witness = _condition(state, condition, {}, None)
    for name, template in templates.items():
        if template is None:
            continue
        names = {} if name == "pass_message" else witness
        for part in template.parts:
            if isinstance(part, str):
                continue
            if part.param is not None:
                if part.param not in params:
                    state.error(template.at, f"'{{{part.text}}}' names parameter '{part.param}', which the rule does not declare")
                state.used_params.add(part.param)
                continue
            try:
                target = _resolve(state, part.path, names, allow_flatten=False, context=f"'{{{part.text}}}'")
            except _Invalid:
                continue
            if target.kind == "entry":
                state.error(template.at, f"'{{{part.text}}}' is a map entry: use .key or .value")
    for name, spec in params.items():
        if name not in state.used_params:
            state.error(spec.at, f"parameter '{name}' is declared but never used")
    return RuleChecks(errors=tuple(state.errors), param_uses=tuple(state.uses), thresholds=tuple(state.thresholds),
                      witness_names=witness)


def _condition(state: _State, node: Condition, scope: dict[str, FactType], group: int | None) -> dict[str, FactType]:
    """Check ``node``; return the names a match binds (usable in the message)."""
    if isinstance(node, AllOf):
        state.next_group += 1
        own = state.next_group
        names: dict[str, FactType] = {}
        for item in node.items:
            names.update(_condition(state, item, scope, own))
        return names
    if isinstance(node, AnyOf):
        branches = [_condition(state, item, scope, None) for item in node.items]
        common = set(branches[0]).intersection(*branches[1:]) if branches else set()
        return {k: branches[0][k] for k in sorted(common)}
    if isinstance(node, Not):
        _condition(state, node.item, scope, None)
        return {}
    if isinstance(node, (Exists, Every)):
        item_type = _source(state, node.source, scope)
        if item_type is None:
            return {}
        inner = {**scope, node.source.name: item_type}
        names = _condition(state, node.source.where, inner, None) if node.source.where else {}
        return {node.source.name: item_type, **names} if isinstance(node, Exists) else {}
    _compare(state, node, scope, group)
    return {}


def _source(state: _State, source: Source, scope: dict[str, FactType]) -> FactType | None:
    """Check ``in``/``as``; return the type of one item."""
    name = source.name
    if name in scope:
        state.error(source.name_at, f"'{name}' is already bound by an enclosing exists/every; choose another name")
    elif name in RESERVED_NAMES or state.schema.child(state.schema.root, name) is not None:
        state.error(source.name_at, f"'{name}' is the name of a fact (or reserved); choose another name")
    try:
        container = _resolve(state, source.path, scope, allow_flatten=True, context=f"'in: {source.path.text}'")
    except _Invalid:
        return None
    if source.path.segments[-1].flatten:
        return container
    item = state.schema.item(container)
    if item is None:
        state.error(source.path.at, f"'{source.path.text}' is {container.label()}, not a list or map: there is nothing to walk")
    return item


def _resolve(state: _State, path: FactPath, scope: Mapping[str, FactType], *, allow_flatten: bool, context: str) -> FactType:
    schema = state.schema
    head = path.segments[0]
    current = scope.get(head.name) or schema.child(schema.root, head.name)
    if current is None:
        options = [*scope, *schema.children(schema.root)]
        state.error(path.at, f"unknown fact '{head.name}' in {context}{_did_you_mean(head.name, options)}")
        raise _Invalid
    for index, segment in enumerate(path.segments):
        if index > 0:
            if current.kind == "array":
                state.error(path.at, f"{context}: '{current.path}' is a list; walk it with exists/every, "
                                     f"or write '{_written(path, index)}[]' to take each item")
                raise _Invalid
            child = schema.child(current, segment.name)
            if child is None:
                where = current.path or "the facts"
                state.error(path.at, f"unknown fact '{segment.name}' under '{where}' in {context}"
                                     f"{_did_you_mean(segment.name, schema.children(current))}")
                raise _Invalid
            current = child
        if segment.flatten:
            if not allow_flatten:
                state.error(path.at, f"{context}: '[]' walks a list and is allowed only in 'in:'; use exists/every here")
                raise _Invalid
            item = schema.item(current)
            if item is None or current.kind == "map":
                state.error(path.at, f"{context}: '{current.path}' is {current.label()}, so '[]' cannot walk it")
                raise _Invalid
            current = item
    return current


def _written(path: FactPath, upto: int) -> str:
    return ".".join(s.name + ("[]" if s.flatten else "") for s in path.segments[:upto])


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _compare(state: _State, node: Compare, scope: dict[str, FactType], group: int | None) -> None:
    try:
        left = _left(state, node, scope)
        _operator(state, node, left, scope)
    except _Invalid:
        return
    numeric = node.op in ORDERING_OPS or (node.op in EQUALITY_OPS and left.kind in NUMERIC_KINDS)
    if numeric and isinstance(node.right, (Literal, Param)) and left.range is not None:
        subject = node.left.path.text if isinstance(node.left, FactRef) else f"@{node.at}"
        subject += "|" + ",".join(f"{k}={scope[k].path}" for k in sorted(scope))
        state.thresholds.append(ThresholdSite(subject=subject, fact=left, op=node.op, operand=node.right,
                                              at=node.op_at, group=group))


def _left(state: _State, node: Compare, scope: dict[str, FactType]) -> FactType:
    if isinstance(node.left, Param):
        state.error(node.at, "compare a fact or a computed value, not a parameter ('value: {param: ...}')")
        raise _Invalid
    return _operand_type(state, node.left, scope)


def _operand_type(state: _State, operand: Operand, scope: dict[str, FactType]) -> FactType:
    """The static type of an expression (literals and parameters are handled by the operator checks)."""
    if isinstance(operand, FactRef):
        return _resolve(state, operand.path, scope, allow_flatten=False, context=f"'{operand.path.text}'")
    if isinstance(operand, Count):
        _aggregate_source(state, operand.source, scope)
        return INTEGER
    if isinstance(operand, Sum):
        item_scope = _aggregate_source(state, operand.source, scope)
        if item_scope is not None:
            of = _resolve(state, operand.of, item_scope, allow_flatten=False, context=f"'of: {operand.of.text}'")
            if of.kind not in (*NUMERIC_KINDS, "any"):
                state.error(operand.of.at, f"'of: {operand.of.text}' is {of.label()}; sum adds numbers")
        return NUMBER
    if isinstance(operand, Divide):
        for part in (operand.numerator, operand.denominator):
            _numeric_operand(state, part, scope)
        if isinstance(operand.denominator, Literal) and operand.denominator.value == 0:
            state.error(operand.denominator.at, "division by zero")
        return NUMBER
    if isinstance(operand, Param):
        spec = _param(state, operand)
        kind = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}.get(spec.type, "any")
        return FactType(path=f"param.{operand.name}", kind=kind)
    return FactType(path="(value)", kind=_literal_kind(operand.value))


def _aggregate_source(state: _State, source: Source, scope: dict[str, FactType]) -> dict[str, FactType] | None:
    item = _source(state, source, scope)
    if item is None:
        return None
    inner = {**scope, source.name: item}
    if source.where is not None:
        _condition(state, source.where, inner, None)
    return inner


def _numeric_operand(state: _State, operand: Operand, scope: dict[str, FactType]) -> None:
    if isinstance(operand, Literal):
        if not _is_number(operand.value):
            state.error(operand.at, f"divide takes numbers; got {operand.value!r}")
        return
    if isinstance(operand, Param):
        spec = _param(state, operand)
        if spec.type not in ("integer", "number"):
            state.error(operand.at, f"parameter '{operand.name}' is a {spec.type}; divide takes numbers")
        return
    kind = _operand_type(state, operand, scope).kind
    if kind not in (*NUMERIC_KINDS, "any"):
        state.error(operand.at, f"divide takes numbers; this is {kind}")


def _param(state: _State, param: Param) -> ParameterSpec:
    spec = state.params.get(param.name)
    if spec is None:
        declared = ", ".join(state.params) or "none"
        state.error(param.at, f"unknown parameter '{param.name}' (declared: {declared})")
        raise _Invalid
    state.used_params.add(param.name)
    return spec


def _operator(state: _State, node: Compare, left: FactType, scope: dict[str, FactType]) -> None:
    op, right = node.op, node.right
    if op == "is_null":
        if not left.nullable:
            state.error(node.op_at, f"'{left.path}' is never null, so is_null cannot tell anything")
        return
    if op == "is_empty":
        if left.kind not in ("array", "map", "string", "any"):
            state.error(node.op_at, f"is_empty applies to lists, maps and text; '{left.path}' is {left.label()}")
        return
    if left.kind in ("array", "map", "object", "entry") and op != "contains":
        state.error(node.op_at, f"'{left.path}' is {left.label()}; '{op}' compares single values "
                                f"(walk it with exists/every, or use is_empty/contains)")
        return
    if op == "contains":
        if left.kind not in ("array", "any"):
            state.error(node.op_at, f"contains looks for an item in a list; '{left.path}' is {left.label()} "
                                    f"(use contains_text for text)")
            return
        item = state.schema.item(left) if left.kind == "array" else left
        if item is not None and item.kind not in (*("string", "integer", "number", "boolean", "enum"), "any"):
            state.error(node.op_at, f"contains compares list items with a value; items of '{left.path}' are {item.label()}")
            return
        _value_fits(state, right, item or left, node, scope)
        return
    if op in ORDERING_OPS:
        if left.kind not in (*NUMERIC_KINDS, "any"):
            state.error(node.op_at, f"'{op}' compares numbers; '{left.path}' is {left.label()}")
            return
        _value_fits(state, right, FactType(path=left.path, kind="number", range=left.range), node, scope)
        return
    if op in TEXT_OPS:
        if left.kind not in ("string", "enum", "any"):
            state.error(node.op_at, f"'{op}' compares text; '{left.path}' is {left.label()}")
            return
        _value_fits(state, right, FactType(path=left.path, kind="string"), node, scope)
        return
    if op in MEMBERSHIP_OPS:
        if isinstance(right, Param):
            spec = _param(state, right)
            if spec.type != "list":
                state.error(right.at, f"'{op}' takes a list; parameter '{right.name}' is a {spec.type}")
            state.uses.append(ParamUse(param=right.name, fact=left, op=op, at=right.at))
            return
        values = right.value if isinstance(right, Literal) else None
        if not isinstance(values, list):
            state.error(node.op_at, f"'{op}' takes a list of values or {{param: NAME}}")
            return
        if not values:
            state.error(node.op_at, f"'{op}: []' can never hold" if op == "in" else "'not_in: []' always holds")
        for index, value in enumerate(values):
            at = right.items_at[index] if index < len(right.items_at) else node.op_at
            _literal_fits(state, value, left, at)
        return
    _value_fits(state, right, left, node, scope)  # equals / not_equals


def _value_fits(state: _State, right: Operand, target: FactType, node: Compare, scope: dict[str, FactType]) -> None:
    """The right-hand side of a comparison must be a value the fact can have."""
    if isinstance(right, Literal):
        if isinstance(right.value, list):
            state.error(right.at, f"'{node.op}' takes one value, not a list (use 'in' for several)")
            return
        _literal_fits(state, right.value, target, right.at)
        return
    if isinstance(right, Param):
        spec = _param(state, right)
        if not _kinds_fit(target.kind, spec.type):
            state.error(right.at, f"parameter '{right.name}' is a {spec.type}, but '{target.path}' is {target.label()}")
        state.uses.append(ParamUse(param=right.name, fact=target, op=node.op, at=right.at))
        return
    try:
        other = _operand_type(state, right, scope)
    except _Invalid:
        return
    if not _kinds_fit(target.kind, other.kind):
        state.error(right.at, f"'{target.path}' is {target.label()} but is compared with {other.label()} '{other.path}'")


def _literal_fits(state: _State, value: Any, target: FactType, at: str) -> None:
    if target.kind == "any":
        return
    if value is None:
        if not target.nullable:
            state.error(at, f"'{target.path}' is never null")
        return
    kind = _literal_kind(value)
    if kind in ("integer", "number") and not _is_number(value):
        state.error(at, "not a finite number" if isinstance(value, float) else "a number too large to compare")
        return
    if not _kinds_fit(target.kind, kind):
        hint = ""
        if kind == "string" and target.kind in NUMERIC_KINDS and _looks_numeric(value):
            hint = " (YAML reads '1e-3' as text: write 1.0e-3)"
        state.error(at, f"'{target.path}' is {target.label()}; {value!r} is {_article(kind)}{hint}")
        return
    if target.kind == "enum" and value not in target.enum:
        state.error(at, f"'{value}' is not a value of '{target.path}' (one of {', '.join(target.enum)})"
                        f"{_did_you_mean(str(value), list(target.enum))}")


def _kinds_fit(target: str, given: str) -> bool:
    if "any" in (target, given):
        return True
    families = [{"string", "enum"}, {"integer", "number"}, {"boolean"}]
    return any(target in family and given in family for family in families)


def _literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "list"


def _article(kind: str) -> str:
    return {"integer": "a whole number", "number": "a number", "string": "text", "boolean": "true/false",
            "list": "a list", "null": "null"}.get(kind, kind)


def _is_number(value: Any) -> bool:
    """A finite number (an integer too large for a float counts as not finite)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- parameter values


def value_fits_type(value: Any, param_type: str) -> bool:
    if param_type == "string":
        return isinstance(value, str)
    if param_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if param_type == "number":
        return _is_number(value)
    if param_type == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value)


def parameter_value_problems(checks: RuleChecks, values: Mapping[str, ParamValue]) -> list[tuple[str, str]]:
    """Problems of parameter ``values`` with how the rule uses them.

    Enum facts must receive values they can take; thresholds must be crossable, alone and together
    with the other bounds of the same ``all``.
    """
    problems: list[tuple[str, str]] = []
    for use in checks.param_uses:
        if use.param not in values:
            continue
        given = values[use.param]
        items = given.value if isinstance(given.value, list) else [given.value]
        if use.fact.kind == "enum":
            for index, item in enumerate(items):
                if item not in use.fact.enum:
                    problems.append((given.item_at(index), f"parameter '{use.param}': '{item}' is not a value of '{use.fact.path}' "
                                         f"(one of {', '.join(use.fact.enum)}){_did_you_mean(str(item), list(use.fact.enum))}"))
        elif use.fact.kind in ("integer", "number") and use.op in MEMBERSHIP_OPS:
            for index, item in enumerate(items):
                if not _is_number(item):
                    problems.append((given.item_at(index), f"parameter '{use.param}': {item!r} is not a number, but '{use.fact.path}' is"))
    problems.extend(_threshold_problems(checks.thresholds, values))
    return problems


def _site_value(site: ThresholdSite, values: Mapping[str, ParamValue]) -> tuple[float, str, str] | None:
    """(number, where it was set, how to name it) for a threshold site, when it is a number."""
    if isinstance(site.operand, Literal):
        value, at, label = site.operand.value, site.at, repr(site.operand.value)
    elif site.operand.name in values:
        value, at = values[site.operand.name].value, values[site.operand.name].at
        label = f"parameter '{site.operand.name}' = {value!r}"
    else:
        return None
    return (float(value), at, label) if _is_number(value) else None


def _threshold_problems(sites: tuple[ThresholdSite, ...], values: Mapping[str, ParamValue]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    groups: dict[tuple[int, str], list[tuple[ThresholdSite, float, str, str]]] = {}
    for site in sites:
        resolved = _site_value(site, values)
        if resolved is None or site.fact.range is None:
            continue
        number, at, label = resolved
        lo, hi = site.fact.range
        verdict = _against_range(site.op, number, lo, hi)
        if verdict:
            where = "" if at == site.at else f" (used at {site.at})"
            problems.append((at, f"unreachable threshold: '{site.fact.path} {site.op} {label}' {verdict}, because "
                                 f"the value lies in [{_num(lo)}, {_num(hi)}]{where}"))
        if site.group is not None:
            groups.setdefault((site.group, site.subject), []).append((site, number, at, label))
    for members in groups.values():
        lower, upper = -math.inf, math.inf
        lower_strict = upper_strict = False
        for site, number, at, label in members:
            if site.op in ("at_least", "greater_than", "equals") and (number > lower or (number == lower and site.op == "greater_than")):
                lower, lower_strict = number, site.op == "greater_than"
            if site.op in ("at_most", "less_than", "equals") and (number < upper or (number == upper and site.op == "less_than")):
                upper, upper_strict = number, site.op == "less_than"
            if lower > upper or (lower == upper and (lower_strict or upper_strict)):
                problems.append((at, f"unreachable threshold: '{site.fact.path} {site.op} {label}' contradicts the other "
                                     f"bounds on it in the same 'all' (no value is both >= {_num(lower)} and <= {_num(upper)})"))
                break
    return problems


def _against_range(op: str, t: float, lo: float, hi: float) -> str:
    never = {"less_than": t <= lo, "at_most": t < lo, "greater_than": t >= hi, "at_least": t > hi,
             "equals": t < lo or t > hi, "not_equals": False}[op]
    always = {"less_than": t > hi, "at_most": t >= hi, "greater_than": t < lo, "at_least": t <= lo,
              "equals": False, "not_equals": t < lo or t > hi}[op]
    return "can never hold" if never else "always holds" if always else ""


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"
