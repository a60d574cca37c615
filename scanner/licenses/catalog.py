"""The licence catalog: one YAML file per licence under ``scanner/data/licenses/catalog``.

Each file is checked against the shipped JSON Schema (``license.schema.json``) and then against
what a schema cannot express (the id matches the file name, the texts exist, a LicenseRef follows
the naming rule). All mistakes in all files are reported together, each with ``file:line:column``,
so a catalog author fixes them in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from scanner.errors import DataFileError
from scanner.licenses.model import (
    Category,
    Control,
    LicenseInfo,
    Obligations,
    OptionalPassage,
    SourceRef,
    Term,
)
from scanner.yamlsafe import Located, load_yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "licenses"
CATALOG_DIR = DATA_DIR / "catalog"
SCHEMA_PATH = DATA_DIR / "license.schema.json"
FORMAT_VERSION = 1
_OWN_PREFIX = "LicenseRef-fromscratch-"
_SCANCODE_PREFIX = "LicenseRef-scancode-"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _term(raw: Mapping[str, Any]) -> Term:
    value = raw["value"]
    return Term(value=tuple(value) if isinstance(value, list) else value, clause=raw["clause"])


def _check_file(located: Located, path: Path, errors: list[str]) -> None:
    data = located.data
    if isinstance(data, dict) and data.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        errors.append(
            f"{located.where(('format_version',))}: format_version {data['format_version']!r} is not supported "
            f"(this version of fromscratch reads {FORMAT_VERSION})"
        )
        return
    for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = located.where(tuple(error.absolute_path))
        errors.append(f"{where}: {error.message}")
    if errors or not isinstance(data, dict):
        return
    if data["id"] != path.stem:
        errors.append(f"{located.where(('id',))}: id {data['id']!r} must equal the file name {path.stem!r}")
    if (data["spdx"] is None) == (data["licenseref"] is None):
        errors.append(f"{located.where(('spdx',))}: exactly one of spdx and licenseref must be set")
    ref = data["licenseref"]
    if ref and ref.startswith(_OWN_PREFIX) and ref != _OWN_PREFIX + data["id"]:
        errors.append(f"{located.where(('licenseref',))}: own LicenseRefs are {_OWN_PREFIX}<id>, expected {_OWN_PREFIX}{data['id']}")
    if ref and ref.startswith(_SCANCODE_PREFIX) and ref != _SCANCODE_PREFIX + str(data["scancode_key"]):
        errors.append(f"{located.where(('licenseref',))}: a ScanCode LicenseRef must name scancode_key {data['scancode_key']!r}")
    for key in ("text", "variants", "companions"):
        paths = data.get(key, [])
        for i, rel in enumerate([paths] if isinstance(paths, str) else paths):
            if not (DATA_DIR / rel).is_file():
                at = (key,) if isinstance(paths, str) else (key, i)
                errors.append(f"{located.where(at)}: text file {rel!r} does not exist")


def _build(data: Mapping[str, Any]) -> LicenseInfo:
    return LicenseInfo(
        id=data["id"],
        name=data["name"],
        spdx=data["spdx"],
        licenseref=data["licenseref"],
        scancode_key=data["scancode_key"],
        hf_ids=tuple(data["hf_ids"]),
        link_patterns=tuple(p.lower() for p in data["link_patterns"]),
        category=Category(data["category"]),
        text=data["text"],
        variants=tuple(data.get("variants", ())),
        companions=tuple(data.get("companions", ())),
        optional_passages=tuple(OptionalPassage(start=p["start"], end=p["end"]) for p in data.get("optional_passages", ())),
        source=SourceRef(ref=data["source"]["ref"], retrieved=data["source"]["retrieved"]),
        obligations=Obligations(**{k: _term(v) for k, v in data["obligations"].items()}),
        control=Control(**{k: _term(v) for k, v in data["control"].items()}),
        notes=tuple(data.get("notes", ())),
    )


def load_catalog(directory: Path = CATALOG_DIR) -> dict[str, LicenseInfo]:
    """Read and check every ``*.yaml`` in ``directory``; raise ``DataFileError`` listing all problems."""
    errors: list[str] = []
    entries: dict[str, LicenseInfo] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            located = load_yaml(path.read_bytes(), str(path))
        except DataFileError as exc:
            errors.append(str(exc))
            continue
        file_errors: list[str] = []
        _check_file(located, path, file_errors)
        if file_errors:
            errors.extend(file_errors)
            continue
        entries[located.data["id"]] = _build(located.data)
    if errors:
        raise DataFileError(f"{len(errors)} problem(s) in the licence catalog:\n" + "\n".join(errors))
    return entries


@cache
def _bundled() -> dict[str, LicenseInfo]:
    return load_catalog()


def all_licenses() -> tuple[LicenseInfo, ...]:
    """Every catalog licence, sorted by id."""
    return tuple(info for _, info in sorted(_bundled().items()))


def get_license(license_id: str) -> LicenseInfo:
    """The catalog entry for ``license_id``; ``KeyError`` names the unknown id."""
    try:
        return _bundled()[license_id]
    except KeyError:
        raise KeyError(f"unknown licence id {license_id!r}") from None


@cache
def reference_text(relative_path: str) -> str:
    """A stored reference text (``texts/<name>.txt``), read once."""
    return (DATA_DIR / relative_path).read_text(encoding="utf-8")
