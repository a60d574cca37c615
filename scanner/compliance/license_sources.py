"""Every licence statement of the repository, identified, and the findings where they disagree.

Sources, in the order a reviewer weighs them: the card's ``license`` / ``license_name`` /
``license_link``; ``LICENSE*`` files (the licence of the model); ``NOTICE*`` and ``USE_POLICY*``
files (notices and use policies, identified when they hold a licence or a catalog licence's policy);
``SPDX-License-Identifier`` tags in shipped code and the licence fields of bundled packages'
manifests (the licence of that code, which may rightly differ from the model's, so it is never
compared with the card).

The declared licence is the card's when it names one, otherwise that of the top-level ``LICENSE``
files. Only those are compared with the card: a ``LICENSE`` in a sub-folder (``third_party/kern/``)
states the licence of the code bundled there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from scanner.code.analysis import CodeAnalysis
from scanner.errors import problem
from scanner.licenses import (
    LicenseIdentification,
    Method,
    consistency,
    identify_card_license,
    identify_text,
    read_license_text,
)
from scanner.licenses.expressions import check
from scanner.licenses.report import as_detection
from scanner.licenses.spdx_tags import identify_spdx_tag
from scanner.licenses.use_policy import identify_use_policy
from scanner.report.model import CardFacts, FileKind, LicenseFacts, Problem, Severity
from scanner.walk.walker import RepoListing

MAX_SHORT_STATEMENT = 200
MAX_LICENSE_FILES = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseSources:
    """Identified licence sources, the report's licence facts, and what later checks reuse."""

    facts: LicenseFacts
    license_files: tuple[LicenseIdentification, ...]
    notices: tuple[LicenseIdentification, ...]
    use_policies: tuple[LicenseIdentification, ...]
    declared_ids: tuple[str, ...]
    texts: dict[str, str]
    problems: tuple[Problem, ...]


def _with_note(identification: LicenseIdentification, note: str) -> LicenseIdentification:
    return replace(identification, notes=(*identification.notes, note))


def _unidentified(source: str, note: str) -> LicenseIdentification:
    return LicenseIdentification(source=source, license_id=None, expression=None, confidence=0.0, method=Method.NONE,
                                 notes=(note,))


def identify_statement(value: str, source: str) -> LicenseIdentification:
    """A licence written in a manifest field: an SPDX expression, a card-style id, or a whole text."""
    short = value.strip()
    if len(short) <= MAX_SHORT_STATEMENT and "\n" not in short:
        checked = check(short)
        if checked.normalized:
            card_style = identify_card_license(short, source=source)
            if card_style.license_id is not None:
                return card_style
            return LicenseIdentification(source=source, license_id=None, expression=checked.normalized, confidence=0.9,
                                         method=Method.SPDX_TAG, notes=("a valid SPDX expression outside the catalog",))
        return identify_card_license(short, source=source)
    return identify_text(value, source=source)


def _top_level(path: str) -> bool:
    """A licence file of the repository itself; one in a sub-folder covers the code bundled there."""
    return "/" not in path


def _declared(card: LicenseIdentification | None, files: Sequence[LicenseIdentification]) -> tuple[str | None, tuple[str, ...]]:
    if card is not None and (card.license_id or card.expression):
        ids = (card.license_id,) if card.license_id else ()
        return card.expression, ids
    kept = [f for f in files if f.expression and not f.modified]
    if not kept:
        return None, ()
    expressions = list(dict.fromkeys(f.expression for f in kept))
    combined = check(" AND ".join(f"({e})" if " " in e else e for e in expressions)).normalized
    ids = tuple(dict.fromkeys(i for f in kept for i in (f.license_id, *f.also_contains) if i))
    return combined, ids


def license_sources(listing: RepoListing, card: CardFacts | None, code: CodeAnalysis,
                    embedded: Sequence[tuple[str, str]] = ()) -> LicenseSources:
    """Identify every licence source; reading problems become problems and findings, never exceptions.

    ``embedded`` are (file, licence) pairs declared inside weight files (GGUF ``general.license``);
    they are read like a card's licence field, and stand in for the card when there is none.
    """
    problems: list[Problem] = []
    findings: list[str] = []
    texts: dict[str, str] = {}
    license_files: list[LicenseIdentification] = []
    notices: list[LicenseIdentification] = []
    policies: list[LicenseIdentification] = []
    entries = listing.of_kind(FileKind.LICENSE, FileKind.NOTICE, FileKind.USE_POLICY)
    if len(entries) > MAX_LICENSE_FILES:
        problems.append(problem("", "license.too-many-files", f"{len(entries)} licence, notice and use-policy files; "
                                f"only the first {MAX_LICENSE_FILES} were read", Severity.WARNING))
        entries = entries[:MAX_LICENSE_FILES]
    for entry in entries:
        read = read_license_text(listing.path(entry.path), name=entry.path)
        texts[entry.path] = read.text
        if read.problem is not None:
            problems.append(read.problem)
            if read.problem.code != "license.too-large":
                findings.append(f"{read.problem.code}: {read.problem.message}")
        if not read.text.strip():
            identification = _unidentified(entry.path, read.problem.message if read.problem else "no text")
            (license_files if entry.kind is FileKind.LICENSE else notices).append(identification)
            continue
        if entry.kind is FileKind.USE_POLICY:
            policies.append(identify_use_policy(read.text, source=entry.path))
            continue
        identification = identify_text(read.text, source=entry.path)
        if read.truncated:
            identification = _with_note(identification, "only the start of the file was compared")
        if entry.kind is FileKind.LICENSE:
            license_files.append(identification)
        elif identification.license_id is None:
            notices.append(_with_note(identification, "a notice file, not a licence text"))
        else:
            notices.append(identification)

    card_identification = None
    if card is not None:
        card_identification = identify_card_license(card.license, card.license_name, card.license_link)
    weight_declared = [identify_card_license(value, source=f"{file}:general.license") for file, value in embedded]
    if card_identification is None and weight_declared:
        card_identification, weight_declared = weight_declared[0], weight_declared[1:]
    with_text = [f for f in license_files if texts.get(f.source, "").strip()] + [n for n in notices if n.license_id]
    own = [f for f in with_text if _top_level(f.source)]
    bundled = [f for f in with_text if not _top_level(f.source)]
    findings[:0] = [f"{finding.code}: {finding.message}" for finding in consistency(card_identification, own, bundled)]

    code_sources: list[LicenseIdentification] = []
    for python in code.files:
        code_sources += [identify_spdx_tag(raw, source=f"{python.path}:{line}") for line, raw in python.spdx_tags]
    for source, value in code.manifest_licenses:
        code_sources.append(identify_statement(value, source))
    for tag in code_sources:
        if tag.method is Method.SPDX_TAG and tag.expression is None:
            findings.append(f"license.spdx-tag-invalid: {tag.source}: {tag.notes[0] if tag.notes else 'invalid SPDX tag'}")

    declared, declared_ids = _declared(card_identification, [f for f in license_files if _top_level(f.source)])
    detections = [*([card_identification] if card_identification else []), *weight_declared, *license_files, *notices,
                  *policies, *code_sources]
    facts = LicenseFacts(detections=tuple(as_detection(d) for d in detections), declared_expression=declared,
                         findings=tuple(dict.fromkeys(findings)))
    return LicenseSources(facts=facts, license_files=tuple(license_files),
                          notices=tuple(notices), use_policies=tuple(policies), declared_ids=declared_ids, texts=texts,
                          problems=tuple(problems))
