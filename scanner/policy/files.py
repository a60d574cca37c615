"""Reading rule, policy, waiver and test files: size cap, safe YAML, schema check, stable names.

Every file goes through ``load_yaml`` (no aliases, no merge keys, no duplicate keys, node cap) after
a size check made *before* reading, so a 10 MB policy is refused without being loaded. Files are
named in messages and checksums the way a user recognises them: bundled files as
``rules/technical.yaml`` wherever the package is installed, other files as the path given.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from scanner.bundled import bundled_dir
from scanner.errors import DataFileError, FromScratchError
from scanner.policy.model import PolicyFileError
from scanner.policy.schemas import (
    plain,
    policy_schema,
    policy_test_schema,
    rule_schema,
    schema_errors,
    schema_problems,
    waiver_schema,
)
from scanner.yamlsafe import Located, load_yaml

MAX_POLICY_FILE_BYTES = 1 << 20
MAX_TEST_FILE_BYTES = 2 << 20
MAX_NODES = 50_000  # the largest bundled file has under 500; parsing 50,000 takes about two seconds
MAX_NESTING = 48  # YAML levels; every checker and the evaluator recurse over conditions
RULE_FILE, POLICY_FILE, WAIVER_FILE, TEST_FILE = "rules", "policy", "waivers", "tests"
KIND_NAMES = {RULE_FILE: "a rule file", POLICY_FILE: "a policy", WAIVER_FILE: "a waivers file", TEST_FILE: "a test file"}
KIND_MARKS = "a rule file has 'rules', a policy 'id', a waivers file 'waivers', a test file 'cases'"
SCHEMA_FOR = {RULE_FILE: rule_schema, POLICY_FILE: policy_schema, WAIVER_FILE: waiver_schema, TEST_FILE: policy_test_schema}
YAML_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")


def display_name(path: Path) -> str:
    """``rules/x.yaml`` / ``policies/x.yaml`` for bundled files, the path as given otherwise."""
    resolved = path.resolve()
    for kind in ("rules", "policies"):
        try:
            root = bundled_dir(kind).resolve()
        except FromScratchError:
            continue
        if resolved.is_relative_to(root):
            return f"{kind}/{resolved.relative_to(root).as_posix()}"
    return str(path)


def read_bytes(path: Path, name: str, max_bytes: int) -> bytes:
    """The file's bytes, refusing anything larger than ``max_bytes`` before reading it."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise PolicyFileError([f"{name}: {size} bytes is larger than the {max_bytes}-byte limit for this kind of file"])
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PolicyFileError([f"{name}: cannot be read ({exc.strerror or exc})"]) from None
    if len(data) > max_bytes:
        raise PolicyFileError([f"{name}: larger than the {max_bytes}-byte limit for this kind of file"])
    return data


def parse_yaml(data: bytes, name: str, max_bytes: int, max_nodes: int = MAX_NODES) -> Located:
    """Safe YAML with the position of every node, refused past ``MAX_NESTING`` levels or ``max_nodes`` nodes."""
    try:
        located = load_yaml(data, name, max_bytes=max_bytes, max_nodes=max_nodes)
    except DataFileError as exc:
        raise PolicyFileError([str(exc)]) from None
    too_deep = next((path for path in located.positions if len(path) > MAX_NESTING), None)
    if too_deep is not None:
        raise PolicyFileError([f"{located.where(too_deep)}: nested more than {MAX_NESTING} levels deep; "
                               f"split the condition into several rules"])
    return Located(plain(located.data), located.positions, name)


def file_kind(data: Any) -> str | None:
    """Which of the four formats a parsed file is, from its top-level keys."""
    if not isinstance(data, dict):
        return None
    if "cases" in data:
        return TEST_FILE
    if "waivers" in data:
        return WAIVER_FILE
    if "id" in data or "verdict" in data or "extends" in data:
        return POLICY_FILE
    if "rules" in data:
        return RULE_FILE
    return None


def load_checked(path: Path, expected: str | None = None, *, name: str | None = None,
                 keep_going: bool = False) -> tuple[Located, str, str]:
    """Read, parse and schema-check one file; return (located data, kind, sha256 of the bytes).

    With ``keep_going`` the schema problems of the file's items are left for the caller (see
    ``schema_problems_by_item``) so it can still check the items that are fine.
    """
    name = name or display_name(path)
    max_bytes = MAX_TEST_FILE_BYTES if expected == TEST_FILE or path.name.endswith(TEST_SUFFIXES) else MAX_POLICY_FILE_BYTES
    raw = read_bytes(path, name, max_bytes)
    located = parse_yaml(raw, name, max_bytes)
    found = file_kind(located.data)
    kind = expected or found
    if not isinstance(located.data, dict):
        raise PolicyFileError([f"{name}:1:1: expected a mapping with format_version and the file's content"])
    if kind is None:
        raise PolicyFileError([f"{name}:1:1: cannot tell what this file is: {KIND_MARKS}"])
    if found is not None and found != kind:  # checking it against the wrong schema would list every key
        raise PolicyFileError([f"{name}:1:1: this is {KIND_NAMES[found]}, not {KIND_NAMES[kind]} ({KIND_MARKS})"])
    if keep_going:
        found = schema_problems(located, SCHEMA_FOR[kind]())
        if any(len(p) < 2 for p, _ in found):
            raise PolicyFileError([f"{located.where(p)}: {m}" for p, m in found])
    else:
        errors = schema_errors(located, SCHEMA_FOR[kind]())
        if errors:
            raise PolicyFileError(errors)
    return located, kind, hashlib.sha256(raw).hexdigest()


def schema_problems_by_item(located: Located, kind: str) -> dict[int, list[tuple[str, str]]]:
    """Schema problems of a file's top-level list items, by item index, as (where, message)."""
    out: dict[int, list[tuple[str, str]]] = {}
    for path, message in schema_problems(located, SCHEMA_FOR[kind]()):
        if len(path) >= 2 and isinstance(path[1], int):
            out.setdefault(path[1], []).append((located.where(path), message))
    return out


def yaml_files(folder: Path, *, tests: bool) -> list[Path]:
    """The YAML files directly in ``folder`` (test files when ``tests``, the others otherwise), sorted."""
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(YAML_SUFFIXES) and path.name.endswith(TEST_SUFFIXES) == tests:
            out.append(path)
    return out
