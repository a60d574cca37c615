"""Typed dataclasses <-> JSON values, and JSON Schema generated from the same types.

Why one module does all three: the report's JSON, its shipped JSON Schema and the fact paths that
policy rules may read must never drift apart. All three are derived here from the dataclass type
hints (and each field's ``doc`` metadata), so changing a dataclass changes them together, and a test
checks that the shipped schema file equals what the types generate.

Supported field types are the ones the report uses: ``str``, ``int``, ``float``, ``bool``, ``None``
unions, ``Literal``, ``enum.Enum`` subclasses with string values, ``tuple[X, ...]``,
``Mapping[str, X]``, ``Any`` (free JSON) and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def doc(text: str, **extra: Any) -> dict[str, Any]:
    """Field metadata carrying the description that ends up in the JSON Schema and the docs."""
    return {"doc": text, **extra}


class DecodeError(ValueError):
    """A JSON value does not fit the dataclass it should become; the message names the key path."""


def to_jsonable(value: Any) -> Any:
    """Turn a report value into plain JSON types, keeping dataclass field order (stable output)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def from_jsonable(cls: type[T], data: Any, path: str = "$") -> T:
    """Rebuild a dataclass (or any supported type) from JSON values, naming the key path on error."""
    return _decode(cls, data, path)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(tp: Any, data: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data, path)
            except DecodeError as exc:
                errors.append(str(exc))
        raise DecodeError(errors[0] if len(errors) == 1 else f"{path}: no type of {tp} fits")
    if origin is Literal:
        if data not in get_args(tp):
            raise DecodeError(f"{path}: expected one of {list(get_args(tp))}, got {data!r}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise DecodeError(f"{path}: expected a list, got {type(data).__name__}")
        (item,) = get_args(tp)[:1]
        return tuple(_decode(item, v, f"{path}[{i}]") for i, v in enumerate(data))
    if origin in (Mapping, dict) or tp in (dict,):
        if not isinstance(data, dict):
            raise DecodeError(f"{path}: expected an object, got {type(data).__name__}")
        value_type = get_args(tp)[1] if get_args(tp) else Any
        return {k: _decode(value_type, v, f"{path}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise DecodeError(f"{path}: expected one of {[m.value for m in tp]}, got {data!r}") from None
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise DecodeError(f"{path}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise DecodeError(f"{path}: missing key {f.name!r}")
        return tp(**kwargs)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise DecodeError(f"{path}: expected a number, got {data!r}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise DecodeError(f"{path}: expected an integer, got {data!r}")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise DecodeError(f"{path}: expected {tp.__name__}, got {data!r}")
        return data
    if tp is type(None):
        if data is not None:
            raise DecodeError(f"{path}: expected null, got {data!r}")
        return None
    raise TypeError(f"{path}: unsupported type {tp!r}")


def json_schema(root: type, *, schema_id: str, title: str) -> dict[str, Any]:
    """A Draft 2020-12 JSON Schema for ``root`` and every dataclass/enum it reaches."""
    defs: dict[str, Any] = {}
    body = _schema(root, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        **defs[root.__name__],
        "$defs": {k: v for k, v in sorted(defs.items()) if k != root.__name__},
    } if "$ref" in body else body


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(option, defs) for option in get_args(tp)]}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin is tuple:
        return {"type": "array", "items": _schema(get_args(tp)[0], defs)}
    if origin in (Mapping, dict):
        return {"type": "object", "additionalProperties": _schema(get_args(tp)[1], defs)}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {"enum": [m.value for m in tp], "description": _first_paragraph(tp)}
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder breaks recursion
            hints = _hints(tp)
            properties = {}
            for f in dataclasses.fields(tp):
                prop = _schema(hints[f.name], defs)
                if "doc" in f.metadata:
                    prop = {**prop, "description": f.metadata["doc"]}
                properties[f.name] = prop
            defs[name] = {
                "type": "object",
                "description": _first_paragraph(tp),
                "properties": properties,
                "required": [f.name for f in dataclasses.fields(tp) if _required(f)],
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"unsupported type in schema: {tp!r}")


def _required(f: dataclasses.Field) -> bool:
    """A field with a default may be absent: it was added in a minor schema version, and older reports lack it."""
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _first_paragraph(obj: Any) -> str:
    text = (obj.__doc__ or "").strip()
    return " ".join(text.split("\n\n")[0].split())


def fact_paths(root: type) -> list[tuple[str, str, str]]:
    """Every readable path under ``root`` as ``(path, json type, description)``, for the rule docs.

    Lists are written ``[]`` (a rule iterates or filters them); maps ``{}``. A field whose ``doc`` says
    ``fact=False`` is payload for the reporters (licence texts), not something a rule decides on.
    """
    rows: list[tuple[str, str, str]] = []

    def walk(tp: Any, path: str, description: str, seen: frozenset) -> None:
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in get_args(tp) if a is not type(None)]
            if len(inner) == 1:
                walk(inner[0], path, description, seen)
                return
        if origin is tuple:
            rows.append((path, "array", description))
            walk(get_args(tp)[0], path + "[]", "", seen)
            return
        if origin in (Mapping, dict):
            rows.append((path, "object", description))
            walk(get_args(tp)[1], path + "{}", "", seen)
            return
        if dataclasses.is_dataclass(tp):
            if tp in seen:
                return
            if path:
                rows.append((path, "object", description or _first_paragraph(tp)))
            hints = _hints(tp)
            for f in dataclasses.fields(tp):
                if f.metadata.get("fact", True):
                    walk(hints[f.name], f"{path}.{f.name}" if path else f.name, f.metadata.get("doc", ""), seen | {tp})
            return
        rows.append((path, _type_name(tp), description))

    walk(root, "", "", frozenset())
    return rows


def _type_name(tp: Any) -> str:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "enum: " + " | ".join(m.value for m in tp)
    if get_origin(tp) is Literal:
        return "enum: " + " | ".join(str(a) for a in get_args(tp))
    if get_origin(tp) in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    return {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}.get(tp, "any")
