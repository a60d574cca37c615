"""Catalogs of known models on disk: layout, integrity manifest, loading and merging.

A catalog is a folder::

    catalog.yaml            format_version (1), name, version, description; no other keys
    MANIFEST.json           {"format_version": 1, "files": {path: sha256}} for every other file
    entries/<id>.yaml       one model's published facts (schema: scanner/data/catalog/entry.schema.json)
    weights/<id>.safetensors  its weight fingerprint, when the catalog has one
    tokenizers/<id>.tokfp   tokenizer fingerprints

Loading checks the manifest first: a file whose checksum differs, a file the manifest does not list,
or a listed file that is missing makes the entries that depend on it *skipped*, with the reason;
the rest of the catalog is still used. A manifest that is missing or malformed vouches for
nothing, so every entry and fingerprint of that catalog is skipped, under one message. ``verify``
reports the same findings, reads every fingerprint, and fails on any problem.
User catalogs are merged over the bundled one in the order given; an entry or tokenizer fingerprint
with an id that is already present replaces it, and the replacement is reported (``overridden``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scanner.bundled import data_path
from scanner.errors import DataFileError
from scanner.lineage.storage import load_fingerprint
from scanner.reporters.output import write_all, write_atomic
from scanner.tokenizer import TokenizerFingerprint
from scanner.tokenizer.catalog import read_catalog_fingerprint
from scanner.yamlsafe import load_yaml

CATALOG_FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
CATALOG_FILE = "catalog.yaml"
CATALOG_KEYS = ("format_version", "name", "version", "description")
MANIFEST_KEYS = ("format_version", "files")
TOKENIZER_SUFFIX = ".tokfp"
ENTRY_SCHEMA = data_path("catalog", "entry.schema.json")
MAX_ENTRY_BYTES = 1 << 20
MAX_MANIFEST_BYTES = 16 << 20
OVERRIDES = "overrides the one from"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    """The merged catalogs a scan compares against, and what had to be left out.

    ``skipped`` lists what was not used at all (an entry, a tokenizer fingerprint, or a whole
    catalog whose manifest vouches for nothing); ``warnings`` what was used in part (an entry
    without its weight fingerprint); ``overridden`` what a later catalog replaced. They are kept
    apart because they call for different reactions: a skip hides a reference, an override swaps it.
    """

    entries: dict[str, CatalogEntry]
    tokenizers: dict[str, TokenizerFingerprint]
    versions: tuple[str, ...]
    checksum: str
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()

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


def _manifest_text(files: dict[str, str]) -> str:
    return json.dumps({"format_version": CATALOG_FORMAT_VERSION, "files": files}, indent=2, sort_keys=True) + "\n"


def write_manifest(folder: Path) -> dict[str, str]:
    """Record the checksum of every catalog file; run after reviewing a catalog changed by hand."""
    files = {rel: sha256_file(folder / rel) for rel in catalog_files(folder)}
    write_atomic(folder / MANIFEST, _manifest_text(files))
    return files


def write_catalog_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write files into a catalog (path inside it -> content) and record only their checksums anew.

    Every other manifest line is kept as it is, so a change made by hand elsewhere in the catalog
    still shows up in ``verify`` instead of being vouched for by whoever adds the next entry. The
    files and the manifest are written all or none. A folder without a manifest (a new catalog)
    starts an empty one.
    """
    listed = read_manifest(folder) if (folder / MANIFEST).exists() else {}
    manifest = _manifest_text(listed | {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()})
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    write_all([(folder / rel, data) for rel, data in files.items()] + [(folder / MANIFEST, manifest)])


def read_manifest(folder: Path) -> dict[str, str]:
    """The manifest's file -> sha256 mapping; ``DataFileError`` naming the manifest when it is unusable."""
    path = folder / MANIFEST
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise DataFileError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes")
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"{path}: missing; run 'fromscratch catalog verify --update {folder}' "
                            f"after reviewing the catalog") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise DataFileError(f"{path}: must be a JSON object with {' and '.join(MANIFEST_KEYS)}")
    _closed_and_versioned(manifest, MANIFEST_KEYS, str(path), str(path))
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise DataFileError(f"{path}: 'files' must be an object of path: sha256, not {type(listed).__name__}")
    for rel, digest in listed.items():
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise DataFileError(f"{path}: files['{rel}'] must be a lower-case hex sha256, not {digest!r}")
        if rel.startswith("/") or ".." in rel.split("/") or "\\" in rel:
            raise DataFileError(f"{path}: files['{rel}'] is not a path inside the catalog")
    return listed


def check_manifest(folder: Path) -> tuple[dict[str, str], list[str]]:
    """(file -> why it failed, one message per finding): checksum mismatches, unlisted and missing files.

    An unusable manifest fails every file with the same single message.
    """
    try:
        listed = read_manifest(folder)
    except DataFileError as exc:
        return dict.fromkeys(catalog_files(folder), str(exc)), [str(exc)]
    bad = _manifest_findings(folder, listed)
    return bad, [bad[rel] for rel in sorted(bad)]


def _manifest_findings(folder: Path, listed: dict[str, str]) -> dict[str, str]:
    """File -> what is wrong with it, for every file the manifest does not vouch for."""
    present = catalog_files(folder)
    bad: dict[str, str] = {}
    for rel in sorted(set(present) - set(listed)):
        bad[rel] = f"{folder / rel}: not listed in {MANIFEST} (added by hand?)"
    for rel, expected in sorted(listed.items()):
        if rel not in present:
            bad[rel] = f"{folder / rel}: listed in {MANIFEST} but missing"
            continue
        try:
            if sha256_file(folder / rel) != expected:
                bad[rel] = f"{folder / rel}: checksum mismatch (tampered with or corrupted)"
        except OSError as exc:
            bad[rel] = f"{folder / rel}: cannot be read ({exc.strerror or exc})"
    return bad


def _closed_and_versioned(data: dict[str, Any], allowed: Sequence[str], where: str, version_at: str) -> None:
    """A catalog file's top level: only the keys it defines, and the one format version this tool reads."""
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise DataFileError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                            f"(allowed: {', '.join(allowed)})")
    if data.get("format_version") != CATALOG_FORMAT_VERSION:
        raise DataFileError(f"{version_at}: unsupported catalog format_version {data.get('format_version')!r} "
                            f"(this fromscratch reads {CATALOG_FORMAT_VERSION})")


def read_catalog_header(folder: Path) -> dict[str, Any]:
    """catalog.yaml, checked: format_version 1, a name and a version, nothing unknown."""
    path = folder / CATALOG_FILE
    if not path.is_file():
        raise DataFileError(f"{folder}: not a fromscratch catalog (no {CATALOG_FILE})")
    located = load_yaml(path.read_bytes(), str(path))
    header = located.data
    if not isinstance(header, dict):
        raise DataFileError(f"{path}: must be a mapping with {', '.join(CATALOG_KEYS)}")
    _closed_and_versioned(header, CATALOG_KEYS, str(path), located.where(("format_version",)))
    for key in ("name", "version"):
        if isinstance(header.get(key), bool) or not isinstance(header.get(key), (str, int, float)):
            raise DataFileError(f"{located.where((key,))}: '{key}' is required (a string)")
    if not isinstance(header.get("description", ""), str):
        raise DataFileError(f"{located.where(('description',))}: 'description' must be a string")
    return header


_validator: jsonschema.Draft202012Validator | None = None


def _entry_validator() -> jsonschema.Draft202012Validator:
    global _validator
    if _validator is None:
        _validator = jsonschema.Draft202012Validator(json.loads(ENTRY_SCHEMA.read_text(encoding="utf-8")))
    return _validator


def read_entry(path: Path, folder: Path, catalog_name: str) -> CatalogEntry:
    """Parse and validate one entry file; ``DataFileError`` with file:line:column on any problem."""
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise DataFileError(f"{path}: larger than {MAX_ENTRY_BYTES} bytes")
        text = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_entry(text, path, folder, catalog_name)


def parse_entry(text: str | bytes, path: Path, folder: Path, catalog_name: str) -> CatalogEntry:
    """An entry's text, validated as if it were the file at ``path`` (``catalog add`` checks before it writes)."""
    located = load_yaml(text, str(path))
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


@dataclass(slots=True)
class _Merge:
    """What ``load_catalogs`` gathers while it walks the catalogs in order."""

    entries: dict[str, CatalogEntry]
    tokenizers: dict[str, tuple[TokenizerFingerprint, str]]
    skipped: list[str]
    warnings: list[str]
    overridden: list[str]


def load_catalogs(extra: Sequence[Path] = (), *, include_bundled: bool = True) -> Catalog:
    """The bundled catalog merged with user catalogs; unsound entries and fingerprints are skipped with their reason."""
    folders = ([bundled_catalog_dir()] if include_bundled else []) + [Path(f) for f in extra]
    merge = _Merge({}, {}, [], [], [])
    versions: list[str] = []
    manifest_digest = hashlib.sha256()
    for i, folder in enumerate(folders):
        header = read_catalog_header(folder)
        label = "bundled" if include_bundled and i == 0 else str(folder)
        versions.append(f"{label} {header['version']}")
        try:
            listed = read_manifest(folder)
            manifest_digest.update((folder / MANIFEST).read_bytes())
            bad = _manifest_findings(folder, listed)
        except DataFileError as exc:
            merge.skipped.append(f"{label}: every entry and fingerprint of this catalog skipped: {exc}")
            continue
        _merge_entries(folder, label, bad, merge)
        _merge_tokenizers(folder, label, bad, merge)
    return Catalog(entries=dict(sorted(merge.entries.items())),
                   tokenizers={k: fp for k, (fp, _) in sorted(merge.tokenizers.items())},
                   versions=tuple(versions), checksum=manifest_digest.hexdigest(), skipped=tuple(merge.skipped),
                   warnings=tuple(merge.warnings), overridden=tuple(merge.overridden))


def _merge_entries(folder: Path, label: str, bad: dict[str, str], merge: _Merge) -> None:
    paths = {p.relative_to(folder).as_posix(): p for p in (folder / "entries").glob("*.yaml")}
    paths |= {rel: folder / rel for rel in bad if _is_entry_file(rel)}  # listed but missing
    for rel, path in sorted(paths.items()):
        if rel in bad:
            merge.skipped.append(f"{path.stem}: {bad[rel]}")
            continue
        try:
            entry = read_entry(path, folder, label)
        except DataFileError as exc:
            merge.skipped.append(f"{path.stem}: {exc}")
            continue
        if entry.weights is not None:
            weights_rel = entry.weights.relative_to(folder).as_posix()
            if weights_rel in bad or not entry.weights.is_file():
                reason = bad.get(weights_rel, f"{entry.weights}: missing")
                merge.warnings.append(f"{entry.id}: weight fingerprint not used: {reason}")
                entry = replace(entry, weights=None, weights_revision=None)
        if entry.id in merge.entries:
            merge.overridden.append(f"{entry.id}: entry from {label} {OVERRIDES} {merge.entries[entry.id].catalog}")
        merge.entries[entry.id] = entry


def _is_entry_file(rel: str) -> bool:
    return rel.startswith("entries/") and rel.count("/") == 1 and rel.endswith(".yaml")


def _merge_tokenizers(folder: Path, label: str, bad: dict[str, str], merge: _Merge) -> None:
    for path in sorted((folder / "tokenizers").glob(f"*{TOKENIZER_SUFFIX}")):
        rel = path.relative_to(folder).as_posix()
        try:
            if rel in bad:
                raise DataFileError(bad[rel])
            fp = read_catalog_fingerprint(path)
        except DataFileError as exc:
            merge.skipped.append(f"tokenizer {path.stem}: {exc}")
            continue
        if path.stem in merge.tokenizers:
            merge.overridden.append(f"tokenizer {path.stem}: fingerprint from {label} {OVERRIDES} "
                                    f"{merge.tokenizers[path.stem][1]}")
        merge.tokenizers[path.stem] = (fp, label)


def verify_catalog(folder: Path) -> list[str]:
    """Every integrity and validity problem of one catalog folder (empty when sound).

    Every fingerprint is read, not only checksummed: a file recorded in the manifest can still be
    garbage, and a scan would then lose that reference.
    """
    problems: list[str] = []
    try:
        header = read_catalog_header(folder)
    except DataFileError as exc:
        return [str(exc)]
    _, messages = check_manifest(folder)
    problems += messages
    for path in sorted((folder / "entries").glob("*.yaml")):
        try:
            entry = read_entry(path, folder, str(header["name"]))
        except DataFileError as exc:
            problems.append(str(exc))
            continue
        if entry.weights is not None:
            try:
                load_fingerprint(entry.weights)
            except DataFileError as exc:
                problems.append(f"{entry.file}: {exc}")
        if entry.tokenizer and not (folder / "tokenizers" / f"{entry.tokenizer}{TOKENIZER_SUFFIX}").is_file() \
                and not (bundled_catalog_dir() / "tokenizers" / f"{entry.tokenizer}{TOKENIZER_SUFFIX}").is_file():
            problems.append(f"{entry.file}: tokenizer fingerprint '{entry.tokenizer}' is missing")
    for path in sorted((folder / "tokenizers").glob(f"*{TOKENIZER_SUFFIX}")):
        try:
            read_catalog_fingerprint(path)
        except DataFileError as exc:
            problems.append(str(exc))
    return problems
