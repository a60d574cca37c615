"""Bounded reads of text and JSON files: a 1 GB README or a malformed config is a problem, not a crash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import problem
from scanner.report.model import Problem, Severity

MAX_JSON_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class TextRead:
    """Text read from the start of a file, and whether the cap cut it."""

    text: str
    truncated: bool
    size: int


def read_text_capped(path: Path, limit: int) -> TextRead:
    """Up to ``limit`` bytes decoded as UTF-8 (invalid bytes replaced)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        raw = fh.read(limit)
    return TextRead(raw.decode("utf-8", errors="replace"), size > limit, size)


def read_json(path: Path, rel: str, *, limit: int = MAX_JSON_BYTES) -> tuple[Any, Problem | None]:
    """Parse a JSON file; on failure return ``(None, problem)`` with the line and column of the error."""
    try:
        size = path.stat().st_size
        if size > limit:
            return None, problem(rel, "json.too-large", f"is {size} bytes, over the {limit}-byte limit for JSON files; not read")
        raw = path.read_bytes()
    except OSError as exc:
        return None, problem(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})")
    try:
        return json.loads(raw.decode("utf-8-sig")), None
    except UnicodeDecodeError as exc:
        return None, problem(rel, "json.encoding", f"is not UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        return None, problem(rel, "json.invalid", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return None, problem(rel, "json.invalid", "JSON nesting is too deep")


def expect_object(data: Any, rel: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """Most model JSON files must be objects; say so when one is not."""
    if isinstance(data, dict):
        return data, None
    return None, problem(rel, "json.not-object", f"expected a JSON object, found {type(data).__name__}", Severity.ERROR)
