"""What one shipped Python file imports and declares, read with ``ast`` and never run.

Remote code runs with the user's rights as soon as someone loads the model with
``trust_remote_code=True``, so the scanner only parses it. A file that does not parse (a syntax
error, null bytes, nesting too deep for the parser) still yields its imports from a line-based
fallback and still gets fingerprinted, and the failure is reported, not raised.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from scanner.code.winnow import CodeFingerprint, fingerprint
from scanner.errors import problem
from scanner.licenses.spdx_tags import spdx_tag_values
from scanner.report.model import Problem, Severity

MAX_PYTHON_BYTES = 2 << 20
HEADER_CHARS = 8192
_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<from>[A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+(?P<names>[A-Za-z_][\w., \t]*))", re.MULTILINE)
_DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonFile:
    """A shipped ``*.py`` file as analysed: absolute imports (top-level names), tags, fingerprint.

    ``header`` is the start of the file, where copyright and licence notices sit; the licence
    obligations of reused code are checked against it.
    """

    path: str
    parsed: bool
    imports: tuple[str, ...]
    spdx_tags: tuple[tuple[int, str], ...]
    fingerprint: CodeFingerprint
    header: str


def read_python(path: Path, rel: str) -> tuple[str | None, Problem | None]:
    """The file's text (declared encoding, else UTF-8 with replacements), or why it was not read.

    A cookie that Python rejects (unknown, or contradicting a UTF-8 BOM) falls back to UTF-8 with the
    BOM removed: a BOM left in the text would make the parser report a syntax error on line 1.
    """
    try:
        size = path.stat().st_size
        if size > MAX_PYTHON_BYTES:
            return None, problem(rel, "code.too-large", f"is {size} bytes, over the {MAX_PYTHON_BYTES}-byte limit for "
                                 "Python files; not analysed", Severity.WARNING)
        raw = path.read_bytes()
    except OSError as exc:
        return None, problem(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding, errors="replace"), None
    except (SyntaxError, LookupError):
        return raw.decode("utf-8-sig", errors="replace"), None


def _top(name: str) -> str:
    """The importable root a dependency is known by: the first name, except inside the ``google``
    namespace, which many unrelated distributions share (``google.protobuf``, ``google.genai``,
    ``google.cloud.storage``), so its second name (third under ``google.cloud``) is kept."""
    parts = name.split(".")
    if parts[0] != "google" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:3] if parts[1] == "cloud" and len(parts) > 2 else parts[:2])


def _ast_imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_top(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(_top(node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in _DYNAMIC_IMPORTERS:
                found.add(_top(node.args[0].value))
    return found


def _line_imports(text: str) -> set[str]:
    found: set[str] = set()
    for match in _IMPORT_LINE.finditer(text):
        if match.group("from"):
            found.add(_top(match.group("from")))
        else:
            for part in match.group("names").split(","):
                words = part.split()
                if words:
                    found.add(_top(words[0]))
    return {name for name in found if all(part.isidentifier() for part in name.split("."))}


def analyse_python(text: str, rel: str) -> tuple[PythonFile, Problem | None]:
    """Parse and fingerprint one file's text; a parse failure becomes a problem, not an exception."""
    issue = None
    try:
        tree = ast.parse(text, filename=rel)
        imports, parsed = _ast_imports(tree), True
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        issue = problem(rel, "code.syntax-error", f"is not valid Python{where} ({exc.msg}); imports read line by line",
                        Severity.WARNING)
        imports, parsed = _line_imports(text), False
    except (ValueError, RecursionError, MemoryError) as exc:
        issue = problem(rel, "code.unparsable", f"could not be parsed ({type(exc).__name__}: {str(exc)[:80]}); "
                        "imports read line by line", Severity.WARNING)
        imports, parsed = _line_imports(text), False
    return PythonFile(path=rel, parsed=parsed, imports=tuple(sorted(imports)), spdx_tags=tuple(spdx_tag_values(text)),
                      fingerprint=fingerprint(text), header=text[:HEADER_CHARS]), issue
