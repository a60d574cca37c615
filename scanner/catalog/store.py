"""Catalogs of known models on disk: layout, integrity manifest, loading and merging.

A catalog is a folder::

    catalog.yaml            format_version, name, version, description
    MANIFEST.json           sha256 of every other file, checked on load
    entries/<id>.yaml       one model's published facts (schema: scanner/data/catalog/entry.schema.json)
    weights/<id>.safetensors  its weight fingerprint, when the catalog has one
    tokenizers/<id>.tokfp   tokenizer fingerprints

Loading checks the manifest first: a file whose checksum differs, a file the manifest does not list,
or a listed file that is missing makes the entries that depend on it *skipped*, with the reason;
the rest of the catalog is still used. ``verify`` reports the same findings and fails on any.
User catalogs are merged over the bundled one in the order given; an entry with an id that is
already present replaces it, with a warning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scanner.bundled import data_path
from scanner.errors import DataFileError
from scanner.lineage.storage import load_fingerprint
from scanner.yamlsafe import load_yaml

CATALOG_FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
CATALOG_FILE = "catalog.yaml"
ENTRY_SCHEMA = data_path("catalog", "entry.schema.json")
MAX_ENTRY_BYTES = 1 << 20


def bundled_catalog_dir() -> Path:
    return data_path("catalog")


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogEntry:
    """One known model: its published facts and where its fingerprints are."""

    id: str
    name: str
    family: str
    organisation: str
    country: str | None
    release_date: str | None
    hf_repo: str
    revision: str | None
    license_card: dict[str, str]
    license: str | None
    declared_base_models: tuple[str, ...]
    config: dict[str, Any]
    tokenizer: str | None
    weights: Path | None
    weights_revision: str | None
    synthetic: bool
    sources: tuple[dict[str, str], ...]
    catalog: str
    file: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """The merged catalogs a scan compares against, and what had to be left out."""

    entries: dict[str, CatalogEntry]
    tokenizer_dirs: tuple[Path, ...]
    versions: tuple[str, ...]
    checksum: str
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def with_weights(self) -> list[CatalogEntry]:
        return [e for e in self.entries.values() if e.weights is not None]


def entry_key_order() -> tuple[str, ...]:
    """The documented order of entry keys (the schema's), so written entries read the same way."""
    return tuple(json.loads(ENTRY_SCHEMA.read_text(encoding="utf-8"))["properties"])


def dump_entry(entry: dict[str, Any]) -> str:
    """An entry as YAML, keys in the documented order."""
    order = entry_key_order()
    ordered = {k: entry[k] for k in order if k in entry} | {k: v for k, v in entry.items() if k not in order}
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def catalog_files(folder: Path) -> list[str]:
    """Every file of a catalog folder that the manifest covers (all but the manifest, README and dotfiles)."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and not any(part.startswith(".") for part in rel.split("/")) \
                and path.name != "README.md" and "__pycache__" not in rel:
            out.append(rel)
    return out


def write_manifest(folder: Path) -> dict[str, str]:
    """Record the checksum of every catalog file; run after changing a catalog by hand."""
    files = {rel: sha256_file(folder / rel) for rel in catalog_files(folder)}
    text = json.dumps({"format_version": CATALOG_FORMAT_VERSION, "files": files}, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return files


def check_manifest(folder: Path) -> tuple[set[str], list[str]]:
    """(files that failed, one message per finding) — checksum mismatches, unlisted and missing files."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        listed: dict[str, str] = manifest["files"]
        if not isinstance(listed, dict):
            raise TypeError("'files' is not an object")
    except FileNotFoundError:
        return set(catalog_files(folder)), [f"{path}: missing; run 'fromscratch catalog verify --update' after reviewing the catalog"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return set(catalog_files(folder)), [f"{path}: unreadable manifest ({exc})"]
    bad: set[str] = set()
    messages = []
    present = set(catalog_files(folder))
    for rel in sorted(present - set(listed)):
        bad.add(rel)
        messages.append(f"{folder / rel}: not listed in {MANIFEST} (added by hand?)")
    for rel, expected in sorted(listed.items()):
        if rel not in present:
            bad.add(rel)
            messages.append(f"{folder / rel}: listed in {MANIFEST} but missing")
        elif sha256_file(folder / rel) != expected:
            bad.add(rel)
            messages.append(f"{folder / rel}: checksum mismatch (tampered with or corrupted)")
    return bad, messages


def read_catalog_header(folder: Path) -> dict[str, Any]:
    path = folder / CATALOG_FILE
    if not path.is_file():
        raise DataFileError(f"{folder}: not a fromscratch catalog (no {CATALOG_FILE})")
    located = load_yaml(path.read_bytes(), str(path))
    header = located.data
    if not isinstance(header, dict) or header.get("format_version") != CATALOG_FORMAT_VERSION:
        raise DataFileError(f"{located.where(('format_version',))}: unsupported catalog format_version "
                            f"{header.get('format_version') if isinstance(header, dict) else None!r}")
    for key in ("name", "version"):
        if not isinstance(header.get(key), (str, int, float)):
            raise DataFileError(f"{path}: '{key}' is required")
    return header


_validator: jsonschema.Draft202012Validator | None = None


def _entry_validator() -> jsonschema.Draft202012Validator:
    global _validator
    if _validator is None:
        _validator = jsonschema.Draft202012Validator(json.loads(ENTRY_SCHEMA.read_text(encoding="utf-8")))
    return _validator


def read_entry(path: Path, folder: Path, catalog_name: str) -> CatalogEntry:
    """Parse and validate one entry file; ``DataFileError`` with file:line:column on any problem."""
    if path.stat().st_size > MAX_ENTRY_BYTES:
        raise DataFileError(f"{path}: larger than {MAX_ENTRY_BYTES} bytes")
    located = load_yaml(path.read_bytes(), str(path))
    data = _json_safe(located.data)
    error = jsonschema.exceptions.best_match(_entry_validator().iter_errors(data))
    if error is not None:
        where = located.where(tuple(error.absolute_path))
        raise DataFileError(f"{where}: {error.message[:200]}")
    if data["id"] != path.stem:
        raise DataFileError(f"{located.where(('id',))}: id '{data['id']}' does not match the file name '{path.name}'")
    weights = data.get("weights")
    weights_path = folder / weights["file"] if weights else None
    return CatalogEntry(
        id=data["id"], name=data["name"], family=data["family"], organisation=data["organisation"],
        country=data.get("country"), release_date=data.get("release_date"), hf_repo=data["hf_repo"],
        revision=data.get("revision"), license_card=dict(data.get("license_card", {})), license=data.get("license"),
        declared_base_models=tuple(data.get("declared_base_models", ())), config=data["config"],
        tokenizer=data.get("tokenizer"), weights=weights_path,
        weights_revision=weights.get("revision") if weights else None, synthetic=bool(data.get("synthetic", False)),
        sources=tuple(data["sources"]), catalog=catalog_name, file=path)


def _json_safe(value: Any) -> Any:
    """YAML dates become ISO strings, so entries validate and serialise like the JSON they mirror."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def load_catalogs(extra: Sequence[Path] = (), *, include_bundled: bool = True) -> Catalog:
    """The bundled catalog merged with user catalogs; unsound entries are skipped with their reason."""
    folders = ([bundled_catalog_dir()] if include_bundled else []) + [Path(f) for f in extra]
    entries: dict[str, CatalogEntry] = {}
    skipped: list[str] = []
    warnings: list[str] = []
    versions: list[str] = []
    manifest_digest = hashlib.sha256()
    tokenizer_dirs: list[Path] = []
    for i, folder in enumerate(folders):
        header = read_catalog_header(folder)
        label = "bundled" if include_bundled and i == 0 else str(folder)
        versions.append(f"{label} {header['version']}")
        bad, messages = check_manifest(folder)
        manifest_digest.update((folder / MANIFEST).read_bytes() if (folder / MANIFEST).is_file() else b"")
        if (folder / "tokenizers").is_dir():
            tokenizer_dirs.append(folder / "tokenizers")
        for path in sorted((folder / "entries").glob("*.yaml")):
            rel = path.relative_to(folder).as_posix()
            if rel in bad:
                skipped.append(f"{path.stem}: {next(m for m in messages if rel in m)}")
                continue
            try:
                entry = read_entry(path, folder, label)
            except DataFileError as exc:
                skipped.append(f"{path.stem}: {exc}")
                continue
            if entry.weights is not None:
                weights_rel = entry.weights.relative_to(folder).as_posix()
                if weights_rel in bad or not entry.weights.is_file():
                    reason = next((m for m in messages if weights_rel in m), f"{entry.weights}: missing")
                    warnings.append(f"{entry.id}: weight fingerprint not used: {reason}")
                    entry = _without_weights(entry)
            if entry.id in entries:
                warnings.append(f"{entry.id}: entry from {label} overrides the one from {entries[entry.id].catalog}")
            entries[entry.id] = entry
    return Catalog(entries=dict(sorted(entries.items())), tokenizer_dirs=tuple(tokenizer_dirs), versions=tuple(versions),
                   checksum=manifest_digest.hexdigest(), skipped=tuple(skipped), warnings=tuple(warnings))


def _without_weights(entry: CatalogEntry) -> CatalogEntry:
    return replace(entry, weights=None, weights_revision=None)


def verify_catalog(folder: Path) -> list[str]:
    """Every integrity and validity problem of one catalog folder (empty when sound)."""
    problems: list[str] = []
    try:
        header = read_catalog_header(folder)
    except DataFileError as exc:
        return [str(exc)]
    _, messages = check_manifest(folder)
    problems += messages
    ids: dict[str, Path] = {}
    for path in sorted((folder / "entries").glob("*.yaml")):
        try:
            entry = read_entry(path, folder, str(header["name"]))
        except DataFileError as exc:
            problems.append(str(exc))
            continue
        if entry.id in ids:
            problems.append(f"{path}: duplicate id '{entry.id}' (also {ids[entry.id]})")
        ids[entry.id] = path
        if entry.weights is not None:
            try:
                load_fingerprint(entry.weights)
            except DataFileError as exc:
                problems.append(f"{entry.file}: {exc}")
        if entry.tokenizer and not (folder / "tokenizers" / f"{entry.tokenizer}.tokfp").is_file() \
                and not (bundled_catalog_dir() / "tokenizers" / f"{entry.tokenizer}.tokfp").is_file():
            problems.append(f"{entry.file}: tokenizer fingerprint '{entry.tokenizer}' is missing")
    return problems
