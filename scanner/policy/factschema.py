"""The fact paths rules may read, with their JSON types, taken from the report model itself.

The table comes from ``codec.fact_paths(Facts)``, the same walk that writes ``docs/fact-paths.md``,
so the validator accepts exactly the paths the docs list and the report carries; a renamed field
breaks rules at ``policy validate`` time instead of silently never matching. Two things the walk
does not say are added here: which values may be null (so ``is_null`` and ``equals: null`` can be
checked), and the numeric range of values whose meaning bounds them (probabilities, correlations,
counts), so a threshold outside that range is reported as unreachable.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

from scanner.codec import fact_paths
from scanner.report.model import Facts

frozen = dataclass(frozen=True, slots=True, kw_only=True)

SCALAR_KINDS = frozenset({"string", "integer", "number", "boolean", "enum"})
NUMERIC_KINDS = frozenset({"integer", "number"})

# Values whose meaning bounds them. Integers not listed here are counts or sizes (never negative).
KNOWN_RANGES: dict[str, tuple[float, float]] = {
    "components[].lineage[].statistics.effect_size": (-1.0, 1.0),
    "components[].lineage[].statistics.p_value": (0.0, 1.0),
    "components[].lineage[].statistics.p_adjusted": (0.0, 1.0),
    "components[].lineage[].statistics.null_sd": (0.0, math.inf),
    "components[].lineage[].statistics.per_layer[].similarity": (-1.0, 1.0),
    "licenses.detections[].confidence": (0.0, 1.0),
    "code.files[].similar_to{}": (0.0, 1.0),
    "run.duration_seconds": (0.0, math.inf),
}


@frozen
class FactType:
    """The static type of a fact path (or of a name bound to one) as the validator sees it.

    ``kind`` is one of object, array, map, entry (one key/value pair of a map while iterating it),
    string, integer, number, boolean, enum or any (free JSON: anything goes, checked when read).
    """

    path: str
    kind: str
    nullable: bool = False
    enum: tuple[str, ...] = ()
    description: str = ""
    range: tuple[float, float] | None = None

    @property
    def is_scalar(self) -> bool:
        return self.kind in SCALAR_KINDS

    def label(self) -> str:
        """How a type is named in error messages."""
        if self.kind == "enum":
            return "one of " + ", ".join(self.enum)
        return {"array": "a list", "map": "a map", "object": "an object", "entry": "a map entry",
                "any": "any value", "integer": "a whole number", "string": "text",
                "boolean": "true or false"}.get(self.kind, f"a {self.kind}")


ANY = FactType(path="", kind="any", nullable=True)


class FactSchema:
    """Navigation over fact paths: the root, a named child, the items of a list or map."""

    def __init__(self, rows: list[tuple[str, str, str]], nullable: frozenset[str]) -> None:
        self._types: dict[str, FactType] = {}
        all_paths = {r[0] for r in rows}
        for path, type_name, description in rows:
            kind, enum = _kind(type_name)
            if kind == "object" and path + "{}" in all_paths:
                kind = "map"
            rng = KNOWN_RANGES.get(path)
            if rng is None and kind == "integer":
                rng = (0.0, math.inf)
            self._types[path] = FactType(path=path, kind=kind, nullable=path in nullable, enum=enum,
                                         description=description, range=rng)
        self.root = FactType(path="", kind="object", description="The scan facts.")

    def paths(self) -> list[str]:
        return list(self._types)

    def get(self, path: str) -> FactType | None:
        return self._types.get(path)

    def child(self, parent: FactType, name: str) -> FactType | None:
        """The type of ``parent.name``; None when no such fact exists."""
        if parent.kind == "any":
            return dataclasses.replace(ANY, path=f"{parent.path}.{name}")
        if parent.kind == "map":
            return self._types[parent.path + "{}"]
        if parent.kind == "entry":
            if name == "key":
                return FactType(path=parent.path + ".key", kind="string")
            if name == "value":
                return self._types[parent.path]
            return None
        if parent.kind == "object":
            return self._types.get(f"{parent.path}.{name}" if parent.path else name)
        return None

    def children(self, parent: FactType) -> list[str]:
        """Names readable below ``parent``, for 'did you mean' hints."""
        if parent.kind == "entry":
            return ["key", "value"]
        prefix = f"{parent.path}." if parent.path else ""
        return [p[len(prefix):] for p in self._types
                if p.startswith(prefix) and "." not in p[len(prefix):] and "[" not in p[len(prefix):]
                and "{" not in p[len(prefix):]]

    def item(self, container: FactType) -> FactType | None:
        """What iterating ``container`` yields: list items, or key/value entries of a map."""
        if container.kind == "array":
            return self._types[container.path + "[]"]
        if container.kind == "map":
            return FactType(path=container.path + "{}", kind="entry", description="A key and its value.")
        if container.kind == "any":
            return dataclasses.replace(ANY, path=container.path + "[]")
        return None


def _kind(type_name: str) -> tuple[str, tuple[str, ...]]:
    if type_name.startswith("enum: "):
        return "enum", tuple(v.strip() for v in type_name[len("enum: "):].split("|"))
    return type_name, ()


@cache
def fact_schema() -> FactSchema:
    """The schema of ``Facts`` (built once; the report model does not change at run time)."""
    return FactSchema(fact_paths(Facts), frozenset(_nullable_paths(Facts)))


def _nullable_paths(root: type) -> list[str]:
    """Paths whose declared type admits null, named the way ``codec.fact_paths`` names them."""
    out: list[str] = []

    def walk(tp: Any, path: str) -> None:
        origin = get_origin(tp)
        if tp is Any:
            out.append(path)
            return
        if origin in (typing.Union, types.UnionType):
            options = [a for a in get_args(tp) if a is not type(None)]
            if len(options) < len(get_args(tp)):
                out.append(path)
            if len(options) == 1:
                walk(options[0], path)
            return
        if origin is tuple:
            walk(get_args(tp)[0], path + "[]")
        elif origin in (Mapping, dict):
            walk(get_args(tp)[1], path + "{}")
        elif dataclasses.is_dataclass(tp):
            hints = get_type_hints(tp)
            for f in dataclasses.fields(tp):
                walk(hints[f.name], f"{path}.{f.name}" if path else f.name)

    walk(root, "")
    return out
