"""The scan pipeline: walk -> parse -> fingerprint -> match -> facts -> rules -> verdict.

Each stage takes the previous stage's typed output and returns its own; this module only wires
them. Reporters never see anything but the final ``ScanReport``.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from scanner import __version__
from scanner.components import COMPONENTS, assign_all
from scanner.parse.repo import ParsedRepo, parse_repo
from scanner.progress import NoProgress, Progress
from scanner.report.model import (
    SCHEMA_VERSION,
    ArchitectureFacts,
    CatalogInfo,
    CodeFacts,
    Component,
    Facts,
    FileStatus,
    LicenseFacts,
    ProvenanceFacts,
    RepoFile,
    RunInfo,
    Target,
    TensorRecord,
    TokenizerFacts,
    ToolInfo,
)
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
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed and fixed.strip().isdigit():
        stamp = datetime.fromtimestamp(int(fixed), tz=timezone.utc)
        return RunInfo(started_at=stamp.isoformat().replace("+00:00", "Z"), duration_seconds=0.0)
    stamp = datetime.fromtimestamp(started, tz=timezone.utc).replace(microsecond=0)
    return RunInfo(started_at=stamp.isoformat().replace("+00:00", "Z"), duration_seconds=round(finished - started, 3))


def scan_facts(target: str, options: ScanOptions) -> Facts:
    """Walk, parse and fingerprint a local repository into facts."""
    started = options.clock()
    listing = walk(target, progress=options.progress)
    parsed = parse_repo(listing)
    tensors = _tensor_records(parsed)
    return Facts(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(name="fromscratch", version=__version__),
        run=run_info(started, options.clock()),
        target=_target(listing, parsed),
        problems=tuple(sorted(listing.problems + parsed.problems, key=lambda p: (p.file, p.code, p.message))),
        config=parsed.config,
        card=parsed.card,
        components=_components(tensors, parsed),
        tensors=tuple(tensors),
        tokenizer=TokenizerFacts(status="absent", files=(), type=None, vocab_size=None, added_tokens=None,
                                 special_tokens=(), lineage=()),
        architecture=ArchitectureFacts(lineage=()),
        licenses=LicenseFacts(detections=(), declared_expression=None, findings=()),
        obligations=(),
        control=(),
        provenance=ProvenanceFacts(declared_base_models=parsed.card.base_model if parsed.card else (),
                                   declared_relation=parsed.card.base_model_relation if parsed.card else None,
                                   config_hints=(), upstreams=(), undisclosed=(), unverified=()),
        code=CodeFacts(files=(), trust_remote_code=False, dependencies=(), pickle_imports=()),
        catalog=CatalogInfo(version="", checksum="", entries=0, entries_with_weights=0, skipped=()),
    )


def _target(listing: RepoListing, parsed: ParsedRepo) -> Target:
    files = tuple(
        RepoFile(path=f.path, size=f.size, sha256=f.sha256, kind=f.kind,
                 status=FileStatus.READ if f.path in parsed.read_files else f.status, note=f.note)
        for f in listing.files
    )
    return Target(path=listing.target, source=listing.source, revision=listing.revision, files=files)


def _tensor_records(parsed: ParsedRepo) -> list[TensorRecord]:
    headers = parsed.tensors
    placement = assign_all([t.name for t in headers], parsed.config)
    return [
        TensorRecord(name=t.name, dtype=t.dtype, shape=t.shape, file=t.file,
                     component=placement[t.name][0], parameters=t.numel)
        for t in sorted(headers, key=lambda t: (t.file, t.name))
    ]


def _components(tensors: list[TensorRecord], parsed: ParsedRepo) -> tuple[Component, ...]:
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
            fingerprinted=False,
            lineage=(),
        ))
    return tuple(out)


def run_scan(target: str, options: ScanOptions) -> "ScanReport":
    """Facts, then the policy's judgement of them."""
    from scanner.report.model import PolicyInfo, ScanReport, Verdict, VerdictStatus

    facts = scan_facts(target, options)
    return ScanReport(
        **{f: getattr(facts, f) for f in facts.__dataclass_fields__},
        policy=PolicyInfo(id="none", version="0", title="no policy engine yet", checksum=""),
        rules=(),
        verdict=Verdict(status=VerdictStatus.NEEDS_REVIEW, summary="No policy was evaluated."),
    )
