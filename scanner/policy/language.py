"""The condition language: a small declarative predicate set, parsed into a tree once.

A condition is YAML: ``all`` / ``any`` / ``not`` combine conditions; ``exists`` / ``every`` walk a
list (or a map's entries) binding each item to a name; a comparison reads one fact (``fact: PATH``)
or a computed value (``value: {count|sum|divide: ...}``) and applies exactly one typed operator to a
literal, a policy parameter (``{param: NAME}``) or another fact. There is no way to call code, read
a file or loop without bound: every loop runs over a list that is already in the facts.

The JSON Schema (``schemas.py``) has checked the shape before anything here runs, so this module
only builds the tree; every node keeps its ``file:line:column`` for later messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.yamlsafe import Located, Path_

frozen = dataclass(frozen=True, slots=True, kw_only=True)

EQUALITY_OPS = ("equals", "not_equals")
MEMBERSHIP_OPS = ("in", "not_in")
ORDERING_OPS = ("less_than", "at_most", "greater_than", "at_least")
TEXT_OPS = ("starts_with", "ends_with", "contains_text")
OPERATORS = (*EQUALITY_OPS, *MEMBERSHIP_OPS, *ORDERING_OPS, *TEXT_OPS, "contains", "is_empty", "is_null")
COMBINATORS = ("all", "any", "not", "exists", "every")
EXPRESSIONS = ("param", "fact", "count", "sum", "divide")

SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\])?"
PATH_PATTERN = rf"^{SEGMENT}(?:\.{SEGMENT})*$"
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"


@frozen
class Segment:
    name: str
    flatten: bool  # written ``name[]``: continue with each item of the list


@frozen
class FactPath:
    """A dotted path as written, starting at a fact or at a name bound by ``exists``/``every``/``count``/``sum``."""

    text: str
    segments: tuple[Segment, ...]
    at: str

    @property
    def head(self) -> str:
        return self.segments[0].name


@frozen
class Literal:
    value: Any
    at: str
    items_at: tuple[str, ...] = ()  # positions of a list's items


@frozen
class Param:
    name: str
    at: str


@frozen
class FactRef:
    path: FactPath
    at: str


@frozen
class Source:
    """``in: PATH, as: NAME, where: CONDITION``: the items a quantifier or aggregate walks."""

    path: FactPath
    name: str
    where: Condition | None
    at: str
    name_at: str


@frozen
class Count:
    source: Source
    at: str


@frozen
class Sum:
    source: Source
    of: FactPath
    at: str


@frozen
class Divide:
    numerator: Operand
    denominator: Operand
    at: str


Operand = Literal | Param | FactRef | Count | Sum | Divide


@frozen
class Compare:
    left: Operand
    op: str
    right: Operand
    at: str
    op_at: str


@frozen
class AllOf:
    items: tuple[Condition, ...]
    at: str


@frozen
class AnyOf:
    items: tuple[Condition, ...]
    at: str


@frozen
class Not:
    item: Condition
    at: str


@frozen
class Exists:
    source: Source
    at: str


@frozen
class Every:
    source: Source
    at: str


Condition = AllOf | AnyOf | Not | Exists | Every | Compare


def parse_path(text: str, at: str) -> FactPath:
    segments = tuple(Segment(name=s.removesuffix("[]"), flatten=s.endswith("[]")) for s in text.split("."))
    return FactPath(text=text, segments=segments, at=at)


class ConditionParser:
    """Builds condition trees from schema-checked YAML, remembering each node's position."""

    def __init__(self, located: Located) -> None:
        self.located = located

    def condition(self, data: dict, path: Path_) -> Condition:
        at = self.located.where(path)
        if "all" in data:
            return AllOf(items=tuple(self.condition(c, (*path, "all", i)) for i, c in enumerate(data["all"])), at=at)
        if "any" in data:
            return AnyOf(items=tuple(self.condition(c, (*path, "any", i)) for i, c in enumerate(data["any"])), at=at)
        if "not" in data:
            return Not(item=self.condition(data["not"], (*path, "not")), at=at)
        if "exists" in data:
            return Exists(source=self.source(data["exists"], (*path, "exists")), at=at)
        if "every" in data:
            return Every(source=self.source(data["every"], (*path, "every")), at=at)
        (op,) = [k for k in data if k in OPERATORS]
        left = (FactRef(path=parse_path(data["fact"], self.located.where((*path, "fact"))), at=at)
                if "fact" in data else self.operand(data["value"], (*path, "value")))
        return Compare(left=left, op=op, right=self.operand(data[op], (*path, op)), at=at,
                       op_at=self.located.where((*path, op)))

    def source(self, data: dict, path: Path_) -> Source:
        where = self.condition(data["where"], (*path, "where")) if "where" in data else None
        return Source(path=parse_path(data["in"], self.located.where((*path, "in"))), name=data["as"], where=where,
                      at=self.located.where(path), name_at=self.located.where((*path, "as")))

    def operand(self, data: Any, path: Path_) -> Operand:
        at = self.located.where(path)
        if not isinstance(data, dict):
            items = tuple(self.located.where((*path, i)) for i in range(len(data))) if isinstance(data, list) else ()
            return Literal(value=data, at=at, items_at=items)
        if "param" in data:
            return Param(name=data["param"], at=at)
        if "fact" in data:
            return FactRef(path=parse_path(data["fact"], self.located.where((*path, "fact"))), at=at)
        if "count" in data:
            return Count(source=self.source(data["count"], (*path, "count")), at=at)
        if "sum" in data:
            body = data["sum"]
            return Sum(source=self.source(body, (*path, "sum")),
                       of=parse_path(body["of"], self.located.where((*path, "sum", "of"))), at=at)
        numerator, denominator = data["divide"]
        return Divide(numerator=self.operand(numerator, (*path, "divide", 0)),
                      denominator=self.operand(denominator, (*path, "divide", 1)), at=at)
