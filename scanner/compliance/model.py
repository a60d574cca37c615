"""The compliance stage's input from earlier stages and its output to the report."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.report.model import (
    ArchitectureFacts,
    CodeFacts,
    Component,
    ControlTerm,
    LicenseFacts,
    Obligation,
    Problem,
    ProvenanceFacts,
    TokenizerFacts,
)

frozen = dataclass(frozen=True, slots=True, kw_only=True)


@frozen
class Observed:
    """What the scan already found that provenance depends on: weight, tokenizer and architecture lineage."""

    components: tuple[Component, ...]
    tokenizer: TokenizerFacts
    architecture: ArchitectureFacts


@frozen
class ComplianceFacts:
    """The report's licence, obligation, control, provenance and code sections, and the problems met."""

    licenses: LicenseFacts
    obligations: tuple[Obligation, ...]
    control: tuple[ControlTerm, ...]
    provenance: ProvenanceFacts
    code: CodeFacts
    problems: tuple[Problem, ...]
    read_files: frozenset[str] = frozenset()  # licence, notice, code and manifest files this stage read
