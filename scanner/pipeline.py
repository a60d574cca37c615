"""The scan pipeline: walk -> parse -> fingerprint -> match -> facts -> rules -> verdict.

Each stage takes the previous stage's typed output and returns its own; this module only wires
them. Reporters never see anything but the final ``ScanReport``.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from scanner import __version__
from scanner.architecture.matching import architecture_facts
from scanner.catalog.store import Catalog, load_catalogs
from scanner.compliance import Observed, compliance_facts
from scanner.components import COMPONENTS, assign_all
from scanner.errors import DataFileError, problem
from scanner.hub import is_hub_target, not_downloaded_files, resolve_target
from scanner.lineage.engine import run_lineage
from scanner.lineage.match import Reference
from scanner.lineage.storage import load_fingerprint
from scanner.parse.repo import ParsedRepo, parse_repo
from scanner.policy import evaluate, load_policy, load_waivers
from scanner.progress import NoProgress, Progress
from scanner.reproducible import source_date_epoch
from scanner.report.model import (
    SCHEMA_VERSION,
    CatalogInfo,
    Component,
    Facts,
    FileStatus,
    Problem,
    RepoFile,
    RunInfo,
    ScanReport,
    Severity,
    Target,
    TensorRecord,
    TokenizerFacts,
    ToolInfo,
    WeightLineage,
)
from scanner.tokenizer import (
    TokenizerLoad,
    load_tokenizer,
    relate_all,
    tokenizer_facts,
)
from scanner.tokenizer import fingerprint as tokenizer_fingerprint
from scanner.walk.walker import RepoListing, walk


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    """How to scan: which catalogs and policy, and whether weights are read."""

    catalogs: tuple[Path, ...] = ()
    policy: str = "kr-sovereign-ai-2026"
    waivers: Path | None = None
    read_weights: bool = True
    progress: Progress = field(default_factory=NoProgress)
    clock: Callable[[], float] = time.time


def run_info(started: float, finished: float) -> RunInfo:
    """Timestamps, fixed by SOURCE_DATE_EPOCH so two scans of the same input give the same bytes."""
    fixed = source_date_epoch()
    if fixed is not None:
        return RunInfo(started_at=fixed.isoformat().replace("+00:00", "Z"), duration_seconds=0.0)
    stamp = datetime.fromtimestamp(started, tz=timezone.utc).replace(microsecond=0)
    return RunInfo(started_at=stamp.isoformat().replace("+00:00", "Z"), duration_seconds=round(finished - started, 3))


def scan_facts(target: str, options: ScanOptions) -> Facts:
    """Walk, parse, fingerprint and match a local repository into facts."""
    started = options.clock()
    source = acquire(target, options)
    listing = source.listing
    parsed = parse_repo(listing, remote_headers=source.remote_headers, remote_files=source.remote_files)
    catalog = load_catalogs(options.catalogs)
    tokenizer_load, tokenizer = _tokenizer_stage(listing, parsed, catalog)
    lineage, lineage_problems = _lineage_stage(listing, parsed, catalog, tokenizer_load, options)
    tensors = _tensor_records(parsed)
    components = _components(tensors, parsed, lineage)
    architecture = architecture_facts(parsed.raw_config, catalog.entries.values())
    compliance = compliance_facts(listing, parsed, Observed(components=components, tokenizer=tokenizer,
                                                            architecture=architecture), catalog)
    problems = (source.problems + listing.problems + parsed.problems + tokenizer_load.problems + lineage_problems
                + compliance.problems)
    return Facts(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(name="fromscratch", version=__version__),
        run=run_info(started, options.clock()),
        target=_target(source, parsed, compliance.read_files | _tokenizer_files(tokenizer_load)),
        problems=tuple(sorted(set(problems), key=lambda p: (p.file, p.code, p.message))),
        config=parsed.config,
        card=parsed.card,
        components=components,
        tensors=tuple(tensors),
        tokenizer=tokenizer,
        architecture=architecture,
        licenses=compliance.licenses,
        obligations=compliance.obligations,
        control=compliance.control,
        provenance=compliance.provenance,
        code=replace(compliance.code, pickle_imports=tuple(sorted({i.qualified for i in parsed.pickle_imports}))),
        catalog=CatalogInfo(version=" + ".join(catalog.versions), checksum=catalog.checksum,
                            entries=len(catalog.entries), entries_with_weights=len(catalog.with_weights),
                            skipped=catalog.skipped + catalog.warnings, overridden=catalog.overridden),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Acquired:
    """The repository as the walker saw it, plus what a Hub target left on the Hub."""

    label: str
    listing: RepoListing
    remote_headers: tuple = ()
    remote_files: tuple[RepoFile, ...] = ()
    problems: tuple[Problem, ...] = ()


def acquire(target: str, options: ScanOptions) -> Acquired:
    """A local folder as it is; ``hf://owner/name[@rev]`` pinned and fetched into the Hub cache first."""
    if not is_hub_target(target):
        return Acquired(label=target, listing=walk(target, progress=options.progress))
    resolved = resolve_target(target, weights=options.read_weights, progress=options.progress)
    listing = walk(resolved.folder, progress=options.progress, source="hf-hub", revision=resolved.revision,
                   allow_empty=bool(resolved.remote_files))
    return Acquired(label=resolved.pinned, listing=listing, remote_headers=resolved.remote_headers,
                    remote_files=not_downloaded_files(resolved, {f.path for f in listing.files}),
                    problems=resolved.problems)


def repo_tokenizer(listing: RepoListing, parsed: ParsedRepo) -> TokenizerLoad:
    """The repository's tokenizer files, or else the tokenizer a GGUF file carries inside it."""
    load = load_tokenizer(listing.root, [f.path for f in listing.files if listing.has(f.path)])
    if load.status == "absent" and parsed.embedded_tokenizer is not None:
        return parsed.embedded_tokenizer
    return load


def _tokenizer_stage(listing: RepoListing, parsed: ParsedRepo, catalog: Catalog) -> tuple[TokenizerLoad, TokenizerFacts]:
    """Compared with the catalog's fingerprints as merged: manifest-checked, overrides applied, bad ones skipped."""
    load = repo_tokenizer(listing, parsed)
    comparisons = ()
    if load.tokenizer is not None:
        candidate = tokenizer_fingerprint(load.tokenizer, label="candidate")
        comparisons = relate_all(candidate, catalog.tokenizers.values())
    return load, tokenizer_facts(load, comparisons)


def _lineage_stage(listing: RepoListing, parsed: ParsedRepo, catalog: Catalog, tokenizer: TokenizerLoad,
                   options: ScanOptions) -> tuple[dict[str, list[WeightLineage]] | None, tuple[Problem, ...]]:
    """Per-component weight relations; None when weights were not read (``--no-weights`` or none present)."""
    if not options.read_weights or not parsed.tensors:
        return None, ()
    references, problems = [], []
    for entry in catalog.with_weights:
        try:
            fp, _ = load_fingerprint(entry.weights)
        except DataFileError as exc:
            problems.append(problem("", "catalog.fingerprint", f"catalog entry {entry.id} skipped: {exc}", Severity.WARNING))
            continue
        references.append(Reference(entry.id, fp))
    vocab = tokenizer.tokenizer.keys if tokenizer.tokenizer is not None else None
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, references, vocab, options.progress)
    return result.lineage, tuple(problems) + result.problems


def _tokenizer_files(load: TokenizerLoad) -> frozenset[str]:
    return frozenset(load.tokenizer.files) if load.tokenizer is not None else frozenset()


def _target(source: Acquired, parsed: ParsedRepo, read_elsewhere: frozenset[str]) -> Target:
    listing = source.listing
    read = parsed.read_files | read_elsewhere
    files = tuple(
        RepoFile(path=f.path, size=f.size, sha256=f.sha256, kind=f.kind,
                 status=parsed.file_status.get(f.path, FileStatus.READ if f.path in read else f.status),
                 note=parsed.file_notes.get(f.path, f.note))
        for f in listing.files
    )
    files = tuple(sorted(files + source.remote_files, key=lambda f: f.path))
    return Target(path=source.label, source=listing.source, revision=listing.revision, files=files)


def _tensor_records(parsed: ParsedRepo) -> list[TensorRecord]:
    headers = parsed.tensors
    placement = assign_all([t.name for t in headers], parsed.config)
    return [
        TensorRecord(name=t.name, dtype=t.dtype, shape=t.shape, file=t.file,
                     component=placement[t.name][0], parameters=t.numel)
        for t in sorted(headers, key=lambda t: (t.file, t.name))
    ]


def _components(tensors: list[TensorRecord], parsed: ParsedRepo,
                lineage: dict[str, list[WeightLineage]] | None) -> tuple[Component, ...]:
    by_component: dict[str, list[TensorRecord]] = defaultdict(list)
    for t in tensors:
        by_component[t.component].append(t)
    placement = assign_all([t.name for t in tensors], parsed.config)
    sections = {s.component: s for s in parsed.config.sections} if parsed.config else {}
    out = []
    for name in COMPONENTS:
        members = by_component.get(name, [])
        section = sections.get(name)
        if not members and section is None:
            continue
        out.append(Component(
            name=name,
            tensors=len(members),
            parameters=sum(t.parameters for t in members),
            dtypes=tuple(sorted(Counter(t.dtype for t in members))),
            prefixes=tuple(sorted({placement[t.name][1] for t in members})),
            config_section=section.path if section else None,
            model_type=section.model_type if section else None,
            fingerprinted=lineage is not None and bool(members),
            lineage=tuple((lineage or {}).get(name, ())),
        ))
    return tuple(out)


def run_scan(target: str, options: ScanOptions) -> ScanReport:
    """Facts, then the policy's judgement of them. The policy (and waivers) load first, so a broken
    policy file fails at once instead of after a long scan."""
    policy = load_policy(options.policy)
    waivers = load_waivers(options.waivers) if options.waivers else None
    facts = scan_facts(target, options)
    evaluation = evaluate(policy, facts, waivers=waivers)
    return ScanReport(**{f: getattr(facts, f) for f in facts.__dataclass_fields__}, policy=evaluation.policy,
                      rules=evaluation.rules, verdict=evaluation.verdict)
