"""Known public code: winnowing fingerprints of modelling code, kept in a catalog's ``code/`` folder.

One ``<group>.codefp`` file per published code base at one version (DeepSeek-V3's inference code
at a commit, transformers' modelling files at a release). It records where the code came from,
under which licence and by whom, and one fingerprint per file — hashes only, never the code. The
bundled files are rebuilt from ``sources.json`` by ``python -m scanner.code.rebuild``; users add
their own with ``write_code_group``.

The file is JSON with sorted keys, and the hashes of each file are a sorted array of
little-endian unsigned 32-bit integers in base64, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.catalog.store import check_manifest, write_manifest
from scanner.code.winnow import HASH_BYTES, SCHEME, CodeFingerprint
from scanner.errors import DataFileError, problem
from scanner.report.model import Problem, Severity
from scanner.reporters.output import write_atomic

FORMAT_VERSION = 1
SUFFIX = ".codefp"
MAX_FILE_BYTES = 16 << 20
GROUP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COPYRIGHT = re.compile(r"copyright|\(c\)|©", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCodeFile:
    """One fingerprinted file of a known code base; ``carries_notice`` when its header has a copyright
    line naming the group's copyright holder (a copy is expected to keep it)."""

    path: str
    sha256: str
    fingerprint: CodeFingerprint
    carries_notice: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCodeGroup:
    """A published code base (one repository at one commit, or one package release) and its files.

    ``project`` names the code base across versions (``huggingface/transformers``), ``origin`` says
    where this version was read (``github:owner/name@commit`` or ``pypi:package==version``),
    ``license`` is its SPDX expression, and ``copyright_holder`` is the name its copyright notices
    carry, which a repository reusing the code is expected to keep: in the copied files' headers
    where the originals have one, and beside the code when the notice sits in the code base's
    licence file (``notice_in_license_file``, as with an MIT ``LICENSE``).
    """

    group: str
    name: str
    project: str
    origin: str
    license: str | None
    organisation: str
    country: str | None
    copyright_holder: str | None
    files: tuple[KnownCodeFile, ...]
    notice_in_license_file: bool = False


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[0-9a-z]+", text.casefold())) + " "


def names_holder(text: str, holder: str) -> bool:
    """Whether a line of ``text`` is a copyright line naming ``holder`` (case and punctuation ignored)."""
    wanted = _words(holder)
    return any(_COPYRIGHT.search(line) and wanted in _words(line) for line in text.splitlines())


def encode_hashes(hashes: Iterable[int]) -> str:
    values = sorted(hashes)
    return base64.b64encode(struct.pack(f"<{len(values)}I", *values)).decode("ascii")


def decode_hashes(text: str) -> frozenset[int]:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) % HASH_BYTES:
        raise ValueError("hash array length is not a multiple of 4 bytes")
    return frozenset(struct.unpack(f"<{len(raw) // HASH_BYTES}I", raw))


def dump_group(group: KnownCodeGroup) -> str:
    """The ``.codefp`` text of a group: deterministic JSON."""
    data = {
        "format_version": FORMAT_VERSION,
        "scheme": SCHEME,
        "group": group.group,
        "name": group.name,
        "project": group.project,
        "origin": group.origin,
        "license": group.license,
        "organisation": group.organisation,
        "country": group.country,
        "copyright_holder": group.copyright_holder,
        "notice_in_license_file": group.notice_in_license_file,
        "files": [
            {"path": f.path, "sha256": f.sha256, "tokens": f.fingerprint.tokens,
             "carries_notice": f.carries_notice, "hashes": encode_hashes(f.fingerprint.hashes)}
            for f in sorted(group.files, key=lambda f: f.path)
        ],
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataFileError(f"{where}: expected {expected} in '{key}', found {type(value).__name__}")
    return value


def parse_group(text: str, where: str) -> KnownCodeGroup:
    """A ``.codefp`` file's content; ``DataFileError`` naming the key on any mistake."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{where}: expected a JSON object")
    if data.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{where}: format_version {data.get('format_version')!r} is not supported "
                            f"(expected {FORMAT_VERSION})")
    if data.get("scheme") != SCHEME:
        raise DataFileError(f"{where}: fingerprints made with {data.get('scheme')!r}, this version compares {SCHEME!r}")
    group = _get(data, "group", str, where)
    if not GROUP_PATTERN.match(group):
        raise DataFileError(f"{where}: group {group!r} must be lower-case letters, digits, '.', '_' and '-'")
    files = []
    for i, raw in enumerate(_get(data, "files", list, where)):
        at = f"{where}: files[{i}]"
        if not isinstance(raw, dict):
            raise DataFileError(f"{at}: expected an object")
        try:
            hashes = decode_hashes(_get(raw, "hashes", str, at))
        except ValueError as exc:
            raise DataFileError(f"{at}: unreadable 'hashes' ({exc})") from None
        files.append(KnownCodeFile(
            path=_get(raw, "path", str, at), sha256=_get(raw, "sha256", str, at),
            fingerprint=CodeFingerprint(hashes=hashes, tokens=_get(raw, "tokens", int, at)),
            carries_notice=_get(raw, "carries_notice", bool, at)))
    return KnownCodeGroup(
        group=group, name=_get(data, "name", str, where), project=_get(data, "project", str, where),
        origin=_get(data, "origin", str, where),
        license=_get(data, "license", str, where, optional=True), organisation=_get(data, "organisation", str, where),
        country=_get(data, "country", str, where, optional=True),
        copyright_holder=_get(data, "copyright_holder", str, where, optional=True), files=tuple(files),
        notice_in_license_file=_get(data, "notice_in_license_file", bool, where))


def load_known_code(catalog_dirs: Sequence[Path]) -> tuple[list[KnownCodeGroup], list[Problem]]:
    """Every code fingerprint in the ``code/`` folders of the given catalogs.

    Files that fail the catalog's manifest check or do not parse are left out with a warning; a
    later catalog's group replaces an earlier one of the same name, as catalog entries do.
    """
    groups: dict[str, KnownCodeGroup] = {}
    problems: list[Problem] = []
    for folder in catalog_dirs:
        code_dir = folder / "code"
        if not code_dir.is_dir():
            continue
        bad, messages = check_manifest(folder)
        for path in sorted(code_dir.glob(f"*{SUFFIX}")):
            rel = path.relative_to(folder).as_posix()
            if rel in bad:
                reason = next((m for m in messages if rel in m), f"{path}: fails the manifest check")
                problems.append(problem("", "catalog.code-fingerprint", f"code fingerprint not used: {reason}", Severity.WARNING))
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise DataFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
                group = parse_group(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError, DataFileError) as exc:
                problems.append(problem("", "catalog.code-fingerprint", f"code fingerprint not used: {exc}", Severity.WARNING))
                continue
            groups[group.group] = group
    return [groups[name] for name in sorted(groups)], problems


def write_code_group(catalog_dir: Path, group: KnownCodeGroup) -> Path:
    """Write ``code/<group>.codefp`` into a catalog folder and record it in the folder's manifest."""
    if not GROUP_PATTERN.match(group.group):
        raise DataFileError(f"group {group.group!r} must be lower-case letters, digits, '.', '_' and '-'")
    path = catalog_dir / "code" / f"{group.group}{SUFFIX}"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dump_group(group))
    write_manifest(catalog_dir)
    return path
