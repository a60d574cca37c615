"""Messages with evidence placeholders: ``"{component.name} is {link.relation} to {link.catalog_id}"``.

Placeholders name fact paths (or ``param.NAME``) and are resolved by the policy engine itself, never
by ``str.format`` on live objects, so a message cannot reach attributes or run code. A format spec
is limited to number formatting (``{x:.3f}``, ``{x:.1%}``, ``{x:,d}``) so it cannot ask for a
gigabyte of padding.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.policy.language import FactPath, parse_path

frozen = dataclass(frozen=True, slots=True, kw_only=True)

SPEC_PATTERN = re.compile(r"^,?(\.\d{1,2})?[dfge%]?$")
FIELD_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
MAX_TEXT = 300
MAX_LIST = 10


class TemplateError(ValueError):
    """A placeholder that cannot be used; the message says which and why."""


@frozen
class Placeholder:
    text: str
    path: FactPath | None  # None for a parameter
    param: str | None
    spec: str


@frozen
class Template:
    text: str
    parts: tuple[str | Placeholder, ...]
    at: str


def parse_template(text: str, at: str) -> Template:
    """Split ``text`` into literal text and placeholders; raise ``TemplateError`` on a malformed one."""
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"malformed placeholder ({exc}); write '{{{{' and '}}}}' for literal braces") from None
    parts: list[str | Placeholder] = []
    for literal, field_name, spec, conversion in pieces:
        if literal:
            parts.append(literal)
        if field_name is None:
            continue
        if conversion:
            raise TemplateError(f"'{{{field_name}!{conversion}}}': conversions are not supported")
        if not FIELD_PATTERN.match(field_name):
            raise TemplateError(f"'{{{field_name}}}' is not a fact path, a bound name or param.NAME")
        if spec and not SPEC_PATTERN.match(spec):
            raise TemplateError(f"'{{{field_name}:{spec}}}': only number formats such as .3f, .1%, .2e or ,d are allowed")
        if field_name.startswith("param."):
            parts.append(Placeholder(text=field_name, path=None, param=field_name[len("param."):], spec=spec or ""))
        else:
            parts.append(Placeholder(text=field_name, path=parse_path(field_name, at), param=None, spec=spec or ""))
    return Template(text=text, parts=tuple(parts), at=at)


def render(template: Template, value_of: Callable[[Placeholder], Any]) -> str:
    """Fill the placeholders with ``value_of(placeholder)``; a value that cannot be read shows as 'n/a'."""
    out = []
    for part in template.parts:
        out.append(part if isinstance(part, str) else format_value(value_of(part), part.spec))
    return "".join(out)


class Unreadable:
    """Marker for a placeholder whose fact is missing (rendered as 'n/a')."""


UNREADABLE = Unreadable()


def format_value(value: Any, spec: str = "") -> str:
    """A fact value as text: numbers compact, lists joined, long text cut."""
    if value is UNREADABLE:
        return "n/a"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if spec:
            try:
                return format(value, spec)
            except (ValueError, OverflowError):
                return str(value)
        return str(value) if isinstance(value, int) else f"{value:.4g}"
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT - 3] + "..."
    if isinstance(value, list):
        shown = ", ".join(format_value(v, spec) for v in value[:MAX_LIST])
        return shown + (f" (and {len(value) - MAX_LIST} more)" if len(value) > MAX_LIST else "")
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."
