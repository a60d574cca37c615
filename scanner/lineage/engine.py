"""Run the lineage stage for a candidate: fingerprint, compare, escalate, decide.

The one place that sequences the lineage steps, so the pipeline and ``catalog add`` fingerprint
models the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.components import has_audio_encoder
from scanner.errors import problem
from scanner.lineage import stats
from scanner.lineage.canonical import Piece, heads_of, pieces_for
from scanner.lineage.fingerprint import FingerprintOptions, ModelFingerprint, fingerprint
from scanner.lineage.match import Comparison, Reference, RowEvidence, compare, decide, row_test, row_test_pairs
from scanner.parse.safetensors_header import HeaderTensor
from scanner.progress import Progress
from scanner.report.model import ConfigFacts, Problem, Severity, WeightLineage, WeightRelation
from scanner.weights.reader import WeightFiles

REFERENCE_ROW_LAYERS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class LineageResult:
    """Per-component relations, the candidate's fingerprint, and what could not be used."""

    lineage: dict[str, list[WeightLineage]]
    fingerprint: ModelFingerprint
    problems: tuple[Problem, ...]


def candidate_pieces(tensors: Sequence[HeaderTensor], config: ConfigFacts | None) -> list[Piece]:
    return pieces_for(list(tensors), config, audio_encoder=has_audio_encoder(config))


def fingerprint_candidate(paths: dict[str, Path], tensors: Sequence[HeaderTensor], config: ConfigFacts | None,
                          vocab: Sequence[bytes | None] | None, progress: Progress) -> tuple[ModelFingerprint, list[Piece]]:
    pieces = candidate_pieces(tensors, config)
    head_dims = tuple(sorted({h for c in ("text", "vision", "audio")
                              for h in (heads_of(config, c).head_dim,) if h} | {64, 128}))
    options = FingerprintOptions(vocab=vocab, rotary_head_dims=head_dims)
    with WeightFiles(paths) as files:
        return fingerprint(files, pieces, options, progress), pieces


def fingerprint_reference(paths: dict[str, Path], tensors: Sequence[HeaderTensor], config: ConfigFacts | None,
                          vocab: Sequence[bytes | None] | None, progress: Progress) -> ModelFingerprint:
    """Catalog-side fingerprint: adds sampled row sketches on a few evenly spaced layers per component."""
    pieces = candidate_pieces(tensors, config)
    chosen = _row_layers(pieces)
    options = FingerprintOptions(vocab=vocab,
                                 row_sketch_keys=lambda p: (p.component, p.layer) in chosen and p.kind == "matrix")
    with WeightFiles(paths) as files:
        return fingerprint(files, pieces, options, progress)


def _row_layers(pieces: Sequence[Piece]) -> set[tuple[str, int | None]]:
    by_component: dict[str, set[int]] = {}
    chosen: set[tuple[str, int | None]] = set()
    for p in pieces:
        if p.layer is None:
            chosen.add((p.component, None))
        else:
            by_component.setdefault(p.component, set()).add(p.layer)
    for component, layers in by_component.items():
        ordered = sorted(layers)
        n = min(REFERENCE_ROW_LAYERS, len(ordered))
        picks = {ordered[round(i * (len(ordered) - 1) / max(n - 1, 1))] for i in range(n)}
        chosen |= {(component, layer) for layer in picks}
    return chosen


def run_lineage(paths: dict[str, Path], tensors: Sequence[HeaderTensor], config: ConfigFacts | None,
                references: Sequence[Reference], vocab: Sequence[bytes | None] | None, progress: Progress) -> LineageResult:
    fp, pieces = fingerprint_candidate(paths, tensors, config, vocab, progress)
    problems = [problem(_file_of(pieces, t.key), "weights.unusable", f"tensor '{t.name}' {t.note}", Severity.WARNING)
                for t in fp.tensors if t.note]
    problems += [problem(_file_of(pieces, t.key), "weights.repaired",
                         f"tensor '{t.name}' has {t.nonfinite} NaN or Inf value(s) ({t.nonfinite / t.numel:.3%}); "
                         "replaced by its mean, still compared", Severity.WARNING)
                 for t in fp.tensors if t.nonfinite and not t.note]
    if not references:
        return LineageResult(lineage=_with_unmeasurable(fp, {}), fingerprint=fp, problems=tuple(problems))
    table = compare(fp, references)
    decided = decide(table, fp)
    pairs = row_test_pairs(table, decided, fp)
    if pairs:
        evidence = row_evidence(paths, pieces, table, pairs, progress)
        decided = decide(table, fp, row_evidence=evidence, extra_tests=len(pairs))
    return LineageResult(lineage=_with_unmeasurable(fp, decided), fingerprint=fp, problems=tuple(problems))


def row_evidence(paths: dict[str, Path], pieces: Sequence[Piece], table: Comparison,
                 pairs: dict[tuple[str, int], list[tuple[str, str]]], progress: Progress) -> dict[tuple[str, int], tuple[RowEvidence, ...]]:
    """Row-test evidence of the requested (component, catalog component) pairs: a second pass over just
    the tensors involved, taking every row's sketch, so a permutation of the catalog's rows is found."""
    wanted = frozenset(key for chosen in pairs.values() for key, _ in chosen)
    options = FingerprintOptions(row_sketch_keys=lambda p: p.key in wanted, row_sample=None, only_keys=wanted)
    with WeightFiles(paths) as files:
        row_fp = fingerprint(files, [p for p in pieces if p.key in wanted], options, progress)
    evidence = {pair: row_test(row_fp, table.references[table.index.groups[pair[1]][0]].fingerprint, chosen)
                for pair, chosen in pairs.items()}
    return {pair: found for pair, found in evidence.items() if found}


def _with_unmeasurable(fp: ModelFingerprint, decided: dict[str, list[WeightLineage]]) -> dict[str, list[WeightLineage]]:
    """Components too little of which could be measured are inconclusive against every catalog model,
    never silently 'not compared' or 'independent': a model of NaNs, or of NaNs but one matrix, must not
    pass as original. Reuse found in what could be measured is still reported."""
    out = dict(decided)
    for component, prints in fp.by_component().items():
        matrices = [t for t in prints if t.kind == "matrix"]
        usable = sum(t.usable for t in matrices)
        if not matrices or (usable >= stats.MIN_TENSORS and 2 * usable > len(matrices)):
            continue
        reasons = "; ".join(sorted({t.note for t in matrices if t.note}))
        counted = f"none of its {len(matrices)}" if not usable else f"only {usable} of its {len(matrices)}"
        kept = [w for w in decided.get(component, []) if w.relation != WeightRelation.INDEPENDENT]
        out[component] = kept + [WeightLineage(
            catalog_id="*", catalog_component="*", relation=WeightRelation.INCONCLUSIVE, statistics=None,
            reason=f"{counted} weight matrices could be measured ({reasons})")]
    return out


def _file_of(pieces: Sequence[Piece], key: str) -> str:
    return next((p.source.file for p in pieces if p.key == key), "")
