"""Upstream models: what the repository says it builds on, and what the scan found it reuses.

Declared upstreams come from the card's ``base_model`` and an adapter's
``adapter_config.json:base_model_name_or_path`` (claims), and from ``_name_or_path``-style values
that tools leave in configs (hints: a tool wrote them, not the publisher). Hub ids are mapped to
catalog entries through the entries' ``hf_repo``; a hint that is a local path is matched by its last
folder name.

Detected upstreams come from the earlier stages:

* a component whose weights are ``identical`` or ``derived`` -> ``weights:<component>``;
* a tokenizer ``identical``/``extended``/``subset`` -> ``tokenizer``; a catalog tokenizer belongs to
  the catalog family of the same name (``llama3_1`` -> ``llama-3.1``), else to the entries that name
  it, and joins that family's upstream if there already is one;
* hyper-parameters ``identical`` -> ``architecture:<component>``: recorded, but an architecture is
  an idea, not licensed material, so it carries no obligations;
* files resembling known public code -> ``code``, with the licence of that code (DeepSeek's
  inference code is MIT even where DeepSeek's weights are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from scanner.catalog.store import Catalog, CatalogEntry
from scanner.code.analysis import CodeAnalysis
from scanner.code.known import KnownCodeGroup
from scanner.code.similarity import CodeMatch
from scanner.licenses import identify_card_license
from scanner.licenses.expressions import catalog_ids
from scanner.report.model import (
    ArchitectureFacts,
    ArchitectureRelation,
    CardFacts,
    Component,
    TokenizerFacts,
    TokenizerRelation,
    Upstream,
    WeightRelation,
)

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
WEIGHT_REUSE = (WeightRelation.IDENTICAL, WeightRelation.DERIVED)
TOKENIZER_REUSE = (TokenizerRelation.IDENTICAL, TokenizerRelation.EXTENDED, TokenizerRelation.SUBSET)


@dataclass(frozen=True, slots=True)
class Declaration:
    """A name the repository gives for what it builds on, and where it says so."""

    value: str
    source: str
    claim: bool  # the publisher's statement (card, adapter config), not a value a tool left behind


@dataclass(slots=True)
class UpstreamRecord:
    """An upstream while it is being assembled, with what the obligation checks need."""

    key: str
    name: str
    catalog_id: str | None = None
    entries: tuple[CatalogEntry, ...] = ()
    what: set[str] = field(default_factory=set)
    claims: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    detected: bool = False
    license_expression: str | None = None
    license_ids: tuple[str, ...] = ()
    organisation: str | None = None
    country: str | None = None
    code_group: KnownCodeGroup | None = None
    code_matches: list[tuple[str, CodeMatch]] = field(default_factory=list)

    @property
    def reused(self) -> bool:
        """Licensed material taken from it (weights, tokenizer, code), detected or claimed."""
        return bool(self.claims) or any(w.startswith(("weights:", "tokenizer", "code")) for w in self.what)

    def report(self) -> Upstream:
        return Upstream(catalog_id=self.catalog_id, name=self.name, what=tuple(sorted(self.what)),
                        declared=bool(self.claims or self.hints), detected=self.detected,
                        license_id=self.license_ids[0] if len(self.license_ids) == 1 else None,
                        license_expression=self.license_expression, organisation=self.organisation, country=self.country)


def entry_license(entry: CatalogEntry) -> tuple[str | None, tuple[str, ...]]:
    """(SPDX expression, catalog licence ids) of a catalog entry, from ``license`` or else its card fields."""
    if entry.license:
        ids, _ = catalog_ids(entry.license)
        return entry.license, ids
    if entry.license_card:
        card = identify_card_license(entry.license_card.get("license"), entry.license_card.get("license_name"),
                                     entry.license_card.get("license_link"))
        return card.expression, (card.license_id,) if card.license_id else ()
    return None, ()


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _hub_name(repo: str) -> str:
    owner, _, name = repo.lower().partition("/")
    return f"{owner}/{name.removeprefix('meta-')}"


class CatalogIndex:
    """Look-ups from names the repository uses to catalog entries."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.by_hub: dict[str, CatalogEntry] = {}
        self.by_folder: dict[str, list[CatalogEntry]] = {}
        for entry in catalog.entries.values():
            self.by_hub.setdefault(entry.hf_repo.lower(), entry)
            self.by_hub.setdefault(_hub_name(entry.hf_repo), entry)
            self.by_folder.setdefault(entry.hf_repo.rsplit("/", 1)[-1].lower(), []).append(entry)

    def hub(self, repo_id: str) -> CatalogEntry | None:
        """The entry for a Hub id; Meta's renamed repositories (Meta-Llama-3.1-8B -> Llama-3.1-8B) match either way."""
        return self.by_hub.get(repo_id.lower()) or self.by_hub.get(_hub_name(repo_id))

    def hint(self, value: str) -> CatalogEntry | None:
        """A hint is a Hub id or a local path whose last folder is a catalog model's repository name."""
        if HUB_ID.match(value):
            return self.hub(value)
        name = PurePosixPath(value.replace("\\", "/").rstrip("/")).name.lower()
        candidates = self.by_folder.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def family(self, tokenizer_id: str) -> list[CatalogEntry]:
        """The family a tokenizer comes from: the one spelled like it (llama3_1 -> llama-3.1), else the
        entries that name it.

        Later releases keep their predecessor's tokenizer (Llama 3.2 ships Llama 3.1's), but the
        tokenizer was published, and licensed, with the family it is named after.
        """
        origin = [e for e in self.catalog.entries.values() if _squash(e.family) == _squash(tokenizer_id)]
        return origin or [e for e in self.catalog.entries.values() if e.tokenizer == tokenizer_id]


def _hints_in(data: Any, file: str, path: str = "", depth: int = 0) -> Iterable[Declaration]:
    if not isinstance(data, dict) or depth > 3:
        return
    for key, value in sorted(data.items()):
        where = f"{path}.{key}" if path else key
        if key in ("_name_or_path", "name_or_path", "base_model_name_or_path") and isinstance(value, str) and value.strip():
            yield Declaration(value=value.strip(), source=f"{file}:{where}", claim=False)
        elif isinstance(value, dict):
            yield from _hints_in(value, file, where, depth + 1)


def declarations(card: CardFacts | None, json_files: Mapping[str, Any], code: CodeAnalysis,
                 embedded: Sequence[str] = ()) -> list[Declaration]:
    """Claims (card, adapter config, GGUF ``general.base_model``) first, then hints (configs, tokenizer
    config, other repositories' code)."""
    found = [Declaration(value=b.strip(), source="card:base_model", claim=True)
             for b in (card.base_model if card else ()) if b.strip()]
    found += [Declaration(value=b.strip(), source="weights:general.base_model", claim=True) for b in embedded if b.strip()]
    adapter = json_files.get("adapter_config.json")
    if isinstance(adapter, dict) and isinstance(adapter.get("base_model_name_or_path"), str):
        found.append(Declaration(value=adapter["base_model_name_or_path"].strip(),
                                 source="adapter_config.json:base_model_name_or_path", claim=True))
    for file, data in sorted(json_files.items()):
        if file != "adapter_config.json":
            found.extend(_hints_in(data, file))
    for point in code.entry_points:
        if point.repository:
            found.append(Declaration(value=point.repository, source=point.source, claim=False))
    unique: dict[tuple[str, str], Declaration] = {}
    for d in found:
        unique.setdefault((d.value, d.source), d)
    return list(unique.values())


class UpstreamBuilder:
    """Collects upstreams by key so that one model reused several ways is one upstream."""

    def __init__(self) -> None:
        self.records: dict[str, UpstreamRecord] = {}

    def for_entry(self, entry: CatalogEntry) -> UpstreamRecord:
        record = self.records.get(entry.id)
        if record is None:
            expression, ids = entry_license(entry)
            record = UpstreamRecord(key=entry.id, name=entry.name, catalog_id=entry.id, entries=(entry,),
                                    license_expression=expression, license_ids=ids, organisation=entry.organisation,
                                    country=entry.country)
            self.records[entry.id] = record
        return record

    def for_family(self, tokenizer_id: str, entries: Sequence[CatalogEntry]) -> UpstreamRecord:
        existing = [r for r in self.records.values() if r.entries and r.entries[0] in entries]
        if existing:
            return sorted(existing, key=lambda r: (not r.detected, r.key))[0]
        if len(entries) == 1:
            return self.for_entry(entries[0])
        family = entries[0].family
        key = f"family:{family}"
        if key not in self.records:
            licenses = {entry_license(e) for e in entries}
            organisations = {e.organisation for e in entries}
            countries = {e.country for e in entries}
            expression, ids = licenses.pop() if len(licenses) == 1 else (None, ())
            self.records[key] = UpstreamRecord(
                key=key, name=f"{family} family (tokenizer {tokenizer_id})", entries=tuple(entries),
                license_expression=expression, license_ids=ids,
                organisation=organisations.pop() if len(organisations) == 1 else None,
                country=countries.pop() if len(countries) == 1 else None)
        return self.records[key]

    def for_name(self, name: str) -> UpstreamRecord:
        key = f"name:{name.lower()}"
        if key not in self.records:
            self.records[key] = UpstreamRecord(key=key, name=name)
        return self.records[key]

    def for_code(self, group: KnownCodeGroup) -> UpstreamRecord:
        key = f"code:{group.project.lower()}:{group.license}"
        if key not in self.records:
            ids, _ = catalog_ids(group.license) if group.license else ((), ())
            self.records[key] = UpstreamRecord(key=key, name=f"{group.project} (code)", code_group=group,
                                               license_expression=group.license, license_ids=ids,
                                               organisation=group.organisation, country=group.country)
        return self.records[key]


def collect_upstreams(catalog: Catalog, declared: Sequence[Declaration], components: Sequence[Component],
                      tokenizer: TokenizerFacts, architecture: ArchitectureFacts, code: CodeAnalysis) -> list[UpstreamRecord]:
    """Every upstream, declared or detected, in a stable order."""
    index = CatalogIndex(catalog)
    builder = UpstreamBuilder()
    for component in components:
        for lineage in component.lineage:
            entry = catalog.entries.get(lineage.catalog_id)
            if entry is not None and lineage.relation in WEIGHT_REUSE:
                record = builder.for_entry(entry)
                record.what.add(f"weights:{component.name}")
                record.detected = True
    for declaration in declared:
        entry = index.hub(declaration.value) if declaration.claim else index.hint(declaration.value)
        if entry is not None:
            record = builder.for_entry(entry)
        elif declaration.claim or HUB_ID.match(declaration.value):
            record = builder.for_name(declaration.value)
        else:
            continue
        (record.claims if declaration.claim else record.hints).append(declaration.source)
    reused = [(t.catalog_id, index.family(t.catalog_id)) for t in tokenizer.lineage if t.relation in TOKENIZER_REUSE]
    any_resolved = any(entries for _, entries in reused)
    for tokenizer_id, entries in reused:
        if entries:
            record = builder.for_family(tokenizer_id, entries)
        elif any_resolved:
            continue  # an equal tokenizer already led to a catalog family
        else:
            record = builder.for_name(f"tokenizer {tokenizer_id}")
        record.what.add("tokenizer")
        record.detected = True
    for lineage in architecture.lineage:
        entry = catalog.entries.get(lineage.catalog_id)
        if entry is not None and lineage.relation is ArchitectureRelation.IDENTICAL:
            record = builder.for_entry(entry)
            record.what.add(f"architecture:{lineage.component}")
            record.detected = True
    for path, matches in sorted(code.matches.items()):
        for match in matches:
            record = builder.for_code(match.group)
            record.what.add("code")
            record.detected = True
            record.code_matches.append((path, match))
    return sorted(builder.records.values(), key=lambda r: (not r.reused, r.catalog_id is None, r.name.lower(), r.key))
