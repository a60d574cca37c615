"""Architecture signatures of the catalog's reference models.

Each file in ``scanner/data/catalog/entries/`` holds one model's published config.json (see
``scanner/data/catalog/entry.schema.json``). The files are read with the project's safe YAML loader
(``yaml.SafeLoader``, no aliases, no duplicate keys), split like any candidate's config, and turned
into one signature per component.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.architecture.signature import ArchitectureSignature, signature_of
from scanner.architecture.split import split_config
from scanner.errors import DataFileError
from scanner.yamlsafe import load_yaml

ENTRY_FORMAT_VERSION = 1
DEFAULT_ENTRIES_DIR = Path(__file__).resolve().parent.parent / "data" / "catalog" / "entries"


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogSignature:
    """One component of one catalog entry."""

    entry_id: str
    component: str
    signature: ArchitectureSignature


def load_entry(path: Path) -> dict[str, Any]:
    """One entry file as a mapping; ``DataFileError`` names the file when it is not a usable entry."""
    located = load_yaml(path.read_bytes(), str(path))
    entry = located.data
    if not isinstance(entry, dict):
        raise DataFileError(f"{path}: a catalog entry must be a mapping")
    version = entry.get("format_version")
    if version != ENTRY_FORMAT_VERSION:
        raise DataFileError(f"{located.where(('format_version',))}: unsupported format_version {version!r}")
    for key in ("id", "config"):
        if key not in entry:
            raise DataFileError(f"{path}: missing '{key}'")
    if not isinstance(entry["id"], str):
        raise DataFileError(f"{located.where(('id',))}: 'id' must be a string")
    if not isinstance(entry["config"], Mapping):
        raise DataFileError(f"{located.where(('config',))}: 'config' must be a mapping")
    return entry


def iter_entry_paths(entries_dir: Path = DEFAULT_ENTRIES_DIR) -> Iterator[Path]:
    """Entry files in name order, so every run yields the same sequence."""
    yield from sorted(entries_dir.glob("*.yaml"))


def signatures_of_entry(entry: Mapping[str, Any]) -> Iterator[CatalogSignature]:
    """One ``CatalogSignature`` per component the entry's config declares."""
    for component, sub_config in split_config(entry["config"]).items():
        yield CatalogSignature(entry_id=entry["id"], component=component, signature=signature_of(component, sub_config))


def iter_catalog_signatures(entries_dir: Path = DEFAULT_ENTRIES_DIR) -> Iterator[CatalogSignature]:
    """(entry id, component, signature) for every entry, in file-name then component order."""
    for path in iter_entry_paths(entries_dir):
        yield from signatures_of_entry(load_entry(path))
