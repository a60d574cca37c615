"""Bounded, failure-as-value reads of tokenizer files.

Tokenizer files come from strangers: a ``tokenizer.json`` may be truncated, hold the wrong types, be
gigabytes long or not be UTF-8. Every reader in this package raises ``UnreadableFile`` carrying a
``Problem`` whose message starts with the file, and ``load.py`` turns it into a value, so no
exception escapes a scan and the user reads one line that says which file and what is wrong.

The caps bound memory: a file is never read past ``MAX_FILE_BYTES``, and a vocabulary or merge list
beyond the counts below (an order of magnitude above any published tokenizer) is refused before it
is materialised.
"""

from __future__ import annotations

from numbers import Integral
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

from scanner.errors import problem
from scanner.parse.textfile import read_json
from scanner.report.model import Problem

MAX_FILE_BYTES = 200 << 20
MAX_TOKEN_IDS = 1 << 22
MAX_MERGES = 1 << 23
MAX_TOKEN_BYTES = 1 << 16


class UnreadableFile(Exception):
    """A tokenizer file could not be used; ``problem`` says which and why."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason.message)
        self.problem = reason


def fail(file: str, code: str, message: str) -> NoReturn:
    """Give up on ``file`` with a one-line reason."""
    raise UnreadableFile(problem(file, code, message))


def resolve(root: Path, rel: str) -> Path:
    """The on-disk path of a repository-relative file, refusing paths that climb out of the repository."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        fail(rel, "tokenizer.path", "is not a path inside the repository")
    return root.joinpath(*parts)


def read_bytes(root: Path, rel: str) -> bytes:
    """The whole file, if it is no larger than ``MAX_FILE_BYTES``."""
    limit = MAX_FILE_BYTES
    path = resolve(root, rel)
    try:
        size = path.stat().st_size
        if size > limit:
            fail(rel, "tokenizer.too-large", f"is {size} bytes, over the {limit}-byte limit for tokenizer files; not read")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        fail(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})")
    if len(data) > limit:
        fail(rel, "tokenizer.too-large", f"grew past the {limit}-byte limit for tokenizer files while being read")
    return data


def read_text(root: Path, rel: str) -> str:
    """The whole file as UTF-8 text (a byte-order mark is dropped)."""
    data = read_bytes(root, rel)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(rel, "tokenizer.encoding", f"is not UTF-8 (byte {exc.start})")


def read_json_file(root: Path, rel: str) -> Any:
    """Parsed JSON, through the project's shared bounded JSON reader."""
    data, issue = read_json(resolve(root, rel), rel, limit=MAX_FILE_BYTES)
    if issue is not None:
        raise UnreadableFile(issue)
    return data


def expect(condition: bool, file: str, message: str) -> None:
    """Refuse a file whose structure is not what its format requires."""
    if not condition:
        fail(file, "tokenizer.invalid", message)


def is_int(value: Any) -> bool:
    """An integer, including numpy's (GGUF arrays); ``true`` is not an id."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_id(token_id: Any, file: str, where: str) -> int:
    """A token id that is an integer within the supported range."""
    expect(is_int(token_id), file, f"{where}: token id {token_id!r} is not an integer")
    expect(0 <= token_id < MAX_TOKEN_IDS, file, f"{where}: token id {token_id} is outside 0..{MAX_TOKEN_IDS - 1}")
    return int(token_id)
