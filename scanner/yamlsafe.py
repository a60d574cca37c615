"""Loading YAML that other people wrote: safe, bounded, and able to say where a mistake is.

PyYAML's ``safe_load`` never runs code, but it still (a) silently keeps the last of two equal
keys, (b) expands aliases, so a few hundred bytes of "billion laughs" become a structure that
explodes when a program walks or serialises it, and (c) forgets where each value came from. Model
cards, catalog entries, rules, policies and waivers are all read through ``load_yaml``, which refuses
duplicate keys and aliases, caps the input size and node count, and returns a position for every
node so errors can say ``file:line:column``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from scanner.errors import DataFileError

MAX_YAML_BYTES = 2 << 20
MAX_NODES = 200_000
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML plus where each value sits in the source (1-based line and column)."""

    data: Any
    positions: dict[Path_, tuple[int, int]]
    filename: str

    def where(self, path: Path_) -> str:
        """``file:line:column`` of the deepest known node on ``path``."""
        for cut in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:cut]))
            if pos:
                return f"{self.filename}:{pos[0]}:{pos[1]}"
        return f"{self.filename}:1:1"


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (and so anchors' expansion) outright, and stops composing at
    ``MAX_NODES`` nodes: counting after PyYAML has built the whole tree would let a 2 MB file of
    tiny items cost tens of seconds and hundreds of megabytes before being refused."""

    def __init__(self, stream: str, filename: str, line_offset: int, max_nodes: int) -> None:
        super().__init__(stream)
        self.name = filename
        self.line_offset = line_offset
        self.max_nodes = max_nodes
        self.nodes = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        self.nodes += 1
        if self.nodes > self.max_nodes:
            mark = self.peek_event().start_mark
            raise DataFileError(f"{self.name}:{mark.line + 1 + self.line_offset}:{mark.column + 1}: "
                                f"more than {self.max_nodes} YAML nodes")
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise DataFileError(
                f"{self.name}:{mark.line + 1 + self.line_offset}:{mark.column + 1}: "
                f"YAML aliases (*{event.anchor}) are not allowed"
            )
        return super().compose_node(parent, index)


def load_yaml(text: str | bytes, filename: str, *, max_bytes: int = MAX_YAML_BYTES, line_offset: int = 0,
              max_nodes: int = MAX_NODES) -> Located:
    """Parse one YAML document; raise ``DataFileError`` with ``file:line:column`` on any problem.

    ``line_offset`` shifts reported lines when the YAML is embedded in a larger file (card front matter).
    ``max_nodes`` lets a caller whose files are small by nature refuse a flood sooner (pure-Python
    parsing costs tens of microseconds per node).
    """
    size = len(text.encode("utf-8", "replace") if isinstance(text, str) else text)
    if size > max_bytes:
        raise DataFileError(f"{filename}: {size} bytes is larger than the {max_bytes}-byte limit for YAML files")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{filename}: not UTF-8 (byte {exc.start})") from None
    loader = _Loader(text, filename, line_offset, max_nodes)
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): (1, 1)}, filename)
        positions: dict[Path_, tuple[int, int]] = {}
        data = _build(node, (), positions, loader, filename)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1 + line_offset}:{mark.column + 1}" if mark else filename
        raise DataFileError(f"{where}: YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise DataFileError(f"{filename}: YAML error: {exc}") from None
    except RecursionError:
        raise DataFileError(f"{filename}: YAML nesting is too deep") from None
    finally:
        loader.dispose()
    return Located(data, positions, filename)


def _build(node: yaml.Node, path: Path_, positions: dict, loader: _Loader, filename: str) -> Any:
    if len(path) > MAX_DEPTH:
        raise DataFileError(f"{_at(filename, node, loader)}: YAML nested more than {MAX_DEPTH} levels deep")
    positions[path] = (node.start_mark.line + 1 + loader.line_offset, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DataFileError(f"{_at(filename, key_node, loader)}: YAML merge keys (<<) are not allowed")
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise DataFileError(f"{_at(filename, key_node, loader)}: mapping keys must be scalars")
            if key in out:
                raise DataFileError(f"{_at(filename, key_node, loader)}: duplicate key {key!r}")
            out[key] = _build(value_node, (*path, str(key)), positions, loader, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), positions, loader, filename) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # PyYAML builds dates itself and fails on e.g. an unquoted 2026-02-30
        raise DataFileError(f"{_at(filename, node, loader)}: not a valid YAML value ({exc})") from None


def _at(filename: str, node: yaml.Node, loader: _Loader) -> str:
    return f"{filename}:{node.start_mark.line + 1 + loader.line_offset}:{node.start_mark.column + 1}"


