"""The architecture stage: each component's signature against every catalog entry's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner.architecture.compare import compare
from scanner.architecture.signature import ArchitectureSignature, signature_of
from scanner.architecture.split import split_config
from scanner.catalog.store import CatalogEntry
from scanner.report.model import ArchitectureFacts, ArchitectureRelation

KEEP_PER_COMPONENT = 3
_RANK = {ArchitectureRelation.IDENTICAL: 0, ArchitectureRelation.SAME_FAMILY: 1, ArchitectureRelation.DIFFERENT: 2}


def signatures(config: Mapping[str, Any]) -> dict[str, ArchitectureSignature]:
    return {component: signature_of(component, sub) for component, sub in split_config(config).items()}


_BY_ENTRY: dict[tuple[str, str], dict[str, ArchitectureSignature]] = {}


def _entry_signatures(entry: CatalogEntry) -> dict[str, ArchitectureSignature]:
    """Catalog signatures are computed once per process (the catalog does not change during a run)."""
    key = (entry.id, str(entry.file))
    if key not in _BY_ENTRY:
        _BY_ENTRY[key] = signatures(entry.config)
    return _BY_ENTRY[key]


def architecture_facts(config: Mapping[str, Any] | None, entries: Iterable[CatalogEntry]) -> ArchitectureFacts:
    """Closest catalog signatures per component (identical first); 'different' ones are not listed."""
    if not config:
        return ArchitectureFacts(lineage=())
    candidate = signatures(config)
    rows = []
    entries = list(entries)
    for component, sig in candidate.items():
        found = []
        for entry in entries:
            reference = _entry_signatures(entry).get(component)
            if reference is None:
                continue
            result = compare(sig, reference)
            if result.relation != ArchitectureRelation.DIFFERENT:
                found.append((_RANK[result.relation], -len(result.agreeing), entry.id, result))
        found.sort(key=lambda item: item[:3])
        rows += [result.as_lineage(catalog_id=entry_id) for _, _, entry_id, result in found[:KEEP_PER_COMPONENT]]
    return ArchitectureFacts(lineage=tuple(rows))
