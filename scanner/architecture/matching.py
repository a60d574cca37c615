"""The architecture stage: each component's signature against every catalog entry's.

A ``different`` comparison (the families differ) is kept when it is still the same architecture
under another name, so renaming ``model_type`` cannot make a model's origin vanish from the report:

* every shape and computation setting both configs declare agrees (``hyperparameters_match``): a
  Qwen2.5-7B config relabelled ``sovereign_lm`` is ``different`` from Qwen2.5-7B, with every
  hyper-parameter in ``agreeing``;
* or both configs name the same model class in ``architectures``: Kimi K2 declares ``kimi_k2``
  but runs ``DeepseekV3ForCausalLM``, with DeepSeek-V3's attention design and other sizes.

Every other ``different`` comparison is left out: two unrelated families share some widths all
the time, and listing them would bury the rows that matter.
"""

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
    """Closest catalog signatures per component: identical, then same family, then the same architecture renamed."""
    if not config:
        return ArchitectureFacts(lineage=())
    candidate = signatures(config)
    classes = _model_classes(config)
    rows = []
    entries = list(entries)
    for component, sig in candidate.items():
        found = []
        for entry in entries:
            reference = _entry_signatures(entry).get(component)
            if reference is None:
                continue
            result = compare(sig, reference)
            if result.relation != ArchitectureRelation.DIFFERENT or result.hyperparameters_match \
                    or classes & _model_classes(entry.config):
                found.append((_RANK[result.relation], not result.hyperparameters_match, -len(result.agreeing), entry.id,
                              result))
        found.sort(key=lambda item: item[:4])
        rows += [result.as_lineage(catalog_id=row[3]) for *row, result in found[:KEEP_PER_COMPONENT]]
    return ArchitectureFacts(lineage=tuple(rows))


def _model_classes(config: Mapping[str, Any]) -> frozenset[str]:
    """The implementation classes a config names (``architectures``), which a renamed model_type keeps."""
    declared = config.get("architectures")
    return frozenset(a for a in declared if isinstance(a, str)) if isinstance(declared, list) else frozenset()
