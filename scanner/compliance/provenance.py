"""Declared versus detected provenance: undisclosed reuse and claims the scan could not confirm.

*Undisclosed*: weights or a tokenizer the scan traced to a catalog model that the card's
``base_model`` (or an adapter's base) does not declare. A declaration covers a detection when it
names the same catalog entry, another release of the same catalog family, or a model the catalog
records as its base (Qwen2.5-7B-Instruct declares Qwen2.5-7B); for a tokenizer, a declared model
of the same publisher is enough, since publishers share tokenizers across families. A declared
base counts as confirmed only when the weights match it or a model in its line of descent.

*Unverified*: a declared base the weights did not confirm, with the reason, because the reasons
call for different actions: not in the catalog (extend the catalog), in the catalog without
weight fingerprints (fingerprint it), weights compared and found independent (the claim is
wrong, or the model was trained so long that nothing remains). The card's ``base_model_relation``
is a claim too and is held against the weight lineage: an ``adapter`` ships changes, not full
weights that match a catalog model; a ``finetune`` is not value-identical to what it tuned; a
``quantized`` release keeps its original's values up to rounding; a ``merge`` combines at least two
models.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.catalog.store import Catalog, CatalogEntry
from scanner.compliance.upstreams import HUB_ID, WEIGHT_REUSE, CatalogIndex, Declaration, UpstreamRecord
from scanner.report.model import ArchitectureFacts, ArchitectureRelation, Component, WeightLineage, WeightRelation

MAX_BASE_DEPTH = 4
RELATIONS = ("adapter", "finetune", "merge", "quantized")
# Rounding to 8 or 4 bits keeps the centred correlation with the original at about 0.99 or more;
# weights that moved further were trained, not only quantised.
QUANTIZED_MIN_EFFECT = 0.95


def _bases(entry: CatalogEntry, index: CatalogIndex) -> set[str]:
    """Ids of the entry and of the catalog models it declares as bases, transitively."""
    seen = {entry.id}
    frontier = [entry]
    for _ in range(MAX_BASE_DEPTH):
        following = []
        for current in frontier:
            for base in current.declared_base_models:
                found = index.hub(base)
                if found is not None and found.id not in seen:
                    seen.add(found.id)
                    following.append(found)
        frontier = following
    return seen


def lineal(a: CatalogEntry, b: CatalogEntry, index: CatalogIndex) -> bool:
    """Same entry, or one declares the other as a base (directly or through other catalog models)."""
    return a.id == b.id or a.id in _bases(b, index) or b.id in _bases(a, index)


def related(a: CatalogEntry, b: CatalogEntry, index: CatalogIndex) -> bool:
    """Lineal, or another release of the same catalog family."""
    return a.family == b.family or lineal(a, b, index)


def _reuse(record: UpstreamRecord) -> list[str]:
    return sorted(w for w in record.what if w.startswith("weights:") or w == "tokenizer")


def _covered(record: UpstreamRecord, claimed: Sequence[UpstreamRecord], index: CatalogIndex) -> bool:
    if record.claims:
        return True
    for other in claimed:
        if any(related(a, b, index) for a in record.entries for b in other.entries):
            return True
        tokenizer_only = not any(w.startswith("weights:") for w in record.what)
        if tokenizer_only and record.organisation and record.organisation == other.organisation:
            return True
    return False


def undisclosed(records: Sequence[UpstreamRecord], index: CatalogIndex) -> list[str]:
    """One line per upstream whose detected weight or tokenizer reuse no declaration covers."""
    claimed = [r for r in records if r.claims]
    lines = []
    for record in records:
        reuse = _reuse(record)
        if not reuse or not record.detected or _covered(record, claimed, index):
            continue
        label = f"{record.name} ({record.catalog_id})" if record.catalog_id and record.catalog_id != record.name else record.name
        hint = f"; a config hint names it ({', '.join(record.hints)})" if record.hints else ""
        lines.append(f"{label}: {', '.join(reuse)} reused, but the card's base_model does not declare it{hint}")
    return lines


def _weights_reason(entry: CatalogEntry, components: Sequence[Component]) -> str:
    relations = [f"{c.name} {lineage.relation.value}" for c in components for lineage in c.lineage
                 if lineage.catalog_id == entry.id]
    if relations:
        return f"weights compared with {entry.id}: {', '.join(relations)}"
    return f"weights compared, but no component is comparable with {entry.id}'s"


def _unconfirmed_reason(entry: CatalogEntry, components: Sequence[Component], architecture: ArchitectureFacts,
                        records: Sequence[UpstreamRecord], adapter: bool) -> str:
    fingerprinted = any(c.fingerprinted for c in components)
    if entry.weights is None:
        reason = f"in the catalog ({entry.id}) without weight fingerprints"
    elif adapter and not fingerprinted:
        reason = f"an adapter: its weights are changes to {entry.id}'s, not comparable with them"
    elif not fingerprinted:
        reason = f"in the catalog ({entry.id}) with weight fingerprints, but this repository's weights were not read"
    else:
        reason = _weights_reason(entry, components)
    extra = []
    if any(a.catalog_id == entry.id and a.relation is ArchitectureRelation.IDENTICAL for a in architecture.lineage):
        extra.append("its architecture is identical")
    if any("tokenizer" in r.what and entry in r.entries for r in records):
        extra.append("its tokenizer is reused")
    return reason + (f" ({'; '.join(extra)})" if extra else "")


def unverified(declared: Sequence[Declaration], records: Sequence[UpstreamRecord], catalog: Catalog,
               components: Sequence[Component], architecture: ArchitectureFacts, adapter: bool,
               relation: str | None = None) -> list[str]:
    """One line per claimed base that the weights did not confirm, saying why; and one when the card's
    ``base_model_relation`` (checked even without a ``base_model``) does not fit the weights."""
    index = CatalogIndex(catalog)
    weight_entries = [e for r in records if any(w.startswith("weights:") for w in r.what) for e in r.entries]
    lines = []
    for claim in (d for d in declared if d.claim):
        if not HUB_ID.match(claim.value):
            lines.append(f"{claim.value} ({claim.source}): not a Hub model id ('owner/name'), so it cannot be looked up")
            continue
        entry = index.hub(claim.value)
        if entry is None:
            lines.append(f"{claim.value} ({claim.source}): not in the catalog")
            continue
        if any(lineal(entry, found, index) for found in weight_entries):
            continue
        kin = sorted({found.id for found in weight_entries if found.family == entry.family})
        if kin:
            reason = f"the weights match {', '.join(kin)}, another {entry.family} model, not {entry.id}"
        else:
            reason = _unconfirmed_reason(entry, components, architecture, records, adapter)
        lines.append(f"{claim.value} ({claim.source}): {reason}")
    lines += relation_unverified(relation, components)
    return list(dict.fromkeys(lines))


def _weight_reuse(components: Sequence[Component]) -> list[tuple[str, WeightLineage]]:
    return [(c.name, lineage) for c in components for lineage in c.lineage if lineage.relation in WEIGHT_REUSE]


def _listed(reuse: Sequence[tuple[str, WeightLineage]]) -> str:
    return ", ".join(sorted({f"{name} {lineage.relation.value} {lineage.catalog_id}" for name, lineage in reuse}))


def _relation_problem(relation: str, components: Sequence[Component]) -> str | None:
    """Why the weights contradict (or cannot confirm) the declared ``base_model_relation``; None when they agree."""
    if relation not in RELATIONS:
        return f"not one of {', '.join(RELATIONS)}, the relations the Hub knows, so the claim cannot be checked"
    if not any(c.fingerprinted for c in components):
        return "this repository's weights were not read, so the claim cannot be checked"
    reuse = _weight_reuse(components)
    if relation == "adapter" and reuse:
        return f"an adapter ships changes to its base, but the repository holds full model weights ({_listed(reuse)})"
    if relation == "finetune" and reuse and all(lin.relation is WeightRelation.IDENTICAL for _, lin in reuse):
        return f"the weights are value-identical to their original ({_listed(reuse)}): nothing was fine-tuned"
    if relation == "quantized":
        identical = [(n, lin) for n, lin in reuse if lin.relation is WeightRelation.IDENTICAL]
        moved = [(n, lin) for n, lin in reuse if lin.relation is WeightRelation.DERIVED
                 and lin.statistics is not None and lin.statistics.effect_size < QUANTIZED_MIN_EFFECT]
        if moved:
            effects = ", ".join(sorted({f"{n} r={lin.statistics.effect_size:.2f}" for n, lin in moved if lin.statistics}))
            return (f"the weights differ from their original more than quantisation does ({_listed(moved)}; {effects}, "
                    f"a quantisation stays above {QUANTIZED_MIN_EFFECT}): they were trained further")
        if identical and len(identical) == len(reuse):
            return f"the weights are value-identical to their original ({_listed(identical)}): a lossless copy, not quantized"
    if relation == "merge":
        merged = sorted({lin.catalog_id for _, lin in reuse})
        if len(merged) < 2:
            found = f"only {merged[0]}" if merged else "no catalog model"
            return f"a merge combines at least two models, but the weights match {found}"
    return None


def relation_unverified(relation: str | None, components: Sequence[Component]) -> list[str]:
    """A line when the card's ``base_model_relation`` does not fit what the weights show."""
    relation = relation.strip() if relation else None
    if not relation:
        return []
    reason = _relation_problem(relation, components)
    return [f"base_model_relation '{relation}' (card): {reason}"] if reason else []
