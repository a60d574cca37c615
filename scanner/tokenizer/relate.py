"""How a tokenizer relates to a reference tokenizer, from their fingerprints.

Statistics (all exact except the merge Jaccard, which comes from bottom-k sketches):

* ``shared_tokens``, ``jaccard``, ``candidate_in_reference``, ``reference_in_candidate``: set overlap
  of the canonical token keys. Context only: independent vocabularies overlap a lot.
* ``id_aligned_tokens`` / ``id_aligned_fraction``: tokens found at the *same id* in both, as a share
  of the reference's tokens (``candidate_aligned_fraction``: of the candidate's). This is what
  reuse leaves behind, because a model's embedding rows are indexed by these ids.
* ``tokens_added`` / ``tokens_removed``: candidate tokens not at a reference id, and reference tokens
  not at a candidate id.
* ``order_agreement``: the share of shared tokens that keep their relative order (longest increasing
  subsequence of reference ids taken in candidate id order). Near 1 for a re-numbered copy or a
  common ancestor vocabulary, near 0 for independent training.
* ``merges_identical``, ``merge_rank_agreement`` (share of the shorter merge list found at the same
  ranks, compared in blocks, so appended merges still agree on the common prefix) and
  ``merge_jaccard`` (shared merges whatever their order): ``None`` when either side has no merges.

The decision rules and why their thresholds are safe are in ``thresholds.py``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np

from scanner.report.model import TokenizerLineage, TokenizerRelation
from scanner.tokenizer import thresholds as t
from scanner.tokenizer.fingerprint import MERGE_BLOCK, TokenizerFingerprint

frozen = dataclass(frozen=True, slots=True, kw_only=True)

_STRENGTH = {
    TokenizerRelation.IDENTICAL: 0,
    TokenizerRelation.EXTENDED: 1,
    TokenizerRelation.SUBSET: 2,
    TokenizerRelation.OVERLAPPING: 3,
    TokenizerRelation.INDEPENDENT: 4,
}


@frozen
class TokenizerStatistics:
    """The measurements behind a relation (see the module docstring for each one's meaning)."""

    candidate_tokens: int
    reference_tokens: int
    shared_tokens: int
    jaccard: float
    candidate_in_reference: float
    reference_in_candidate: float
    id_aligned_tokens: int
    id_aligned_fraction: float
    candidate_aligned_fraction: float
    tokens_added: int
    tokens_removed: int
    order_agreement: float
    merges_identical: bool | None
    merge_rank_agreement: float | None
    merge_jaccard: float | None

    def as_map(self) -> dict[str, float]:
        """Numbers for the report (booleans as 0/1; unknown values left out)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: float(value) for name, value in values.items() if value is not None}


@frozen
class TokenizerComparison:
    """A candidate tokenizer's relation to one reference, with the statistics and a one-sentence reason."""

    candidate: str
    reference: str
    relation: TokenizerRelation
    reason: str
    statistics: TokenizerStatistics

    def to_lineage(self) -> TokenizerLineage:
        """The report's form of this comparison (the reference label is the catalog id)."""
        return TokenizerLineage(
            catalog_id=self.reference, relation=self.relation, statistics=self.statistics.as_map(), reason=self.reason
        )


def relate(candidate: TokenizerFingerprint, reference: TokenizerFingerprint) -> TokenizerComparison:
    """Decide how ``candidate`` relates to ``reference`` (see ``thresholds.py`` for the rules)."""
    stats = _statistics(candidate, reference)
    relation, reason = _decide(candidate, reference, stats)
    return TokenizerComparison(
        candidate=candidate.label, reference=reference.label, relation=relation, reason=reason, statistics=stats
    )


def relate_all(candidate: TokenizerFingerprint, references: Iterable[TokenizerFingerprint]) -> tuple[TokenizerComparison, ...]:
    """Comparisons with every reference, closest first (strongest relation, then id alignment, then Jaccard)."""
    comparisons = [relate(candidate, reference) for reference in references]
    return tuple(sorted(comparisons, key=lambda c: (
        _STRENGTH[c.relation], -c.statistics.id_aligned_fraction, -c.statistics.jaccard, c.reference,
    )))


def _statistics(candidate: TokenizerFingerprint, reference: TokenizerFingerprint) -> TokenizerStatistics:
    cand, ref = candidate.token_hash_array(), reference.token_hash_array()
    n = min(len(cand), len(ref))
    aligned = int(np.count_nonzero((cand[:n] == ref[:n]) & (ref[:n] != 0)))
    cand_tokens, ref_tokens = int(np.count_nonzero(cand)), int(np.count_nonzero(ref))
    cand_keys, cand_ids = _first_ids(cand)
    ref_keys, ref_ids = _first_ids(ref)
    _, in_cand, in_ref = np.intersect1d(cand_keys, ref_keys, assume_unique=True, return_indices=True)
    shared = len(in_cand)
    union = len(cand_keys) + len(ref_keys) - shared
    ranks_in_reference = ref_ids[in_ref][np.argsort(cand_ids[in_cand], kind="stable")]
    merges_identical = merge_rank = merge_jaccard = None
    if candidate.merges is not None and reference.merges is not None:
        merges_identical = candidate.merges == reference.merges and candidate.merges_digest == reference.merges_digest
        merge_rank = _merge_rank_agreement(candidate, reference)
        merge_jaccard = _sketch_jaccard(candidate.merge_sketch_array(), reference.merge_sketch_array())
    return TokenizerStatistics(
        candidate_tokens=cand_tokens,
        reference_tokens=ref_tokens,
        shared_tokens=shared,
        jaccard=_ratio(shared, union),
        candidate_in_reference=_ratio(shared, len(cand_keys)),
        reference_in_candidate=_ratio(shared, len(ref_keys)),
        id_aligned_tokens=aligned,
        id_aligned_fraction=_ratio(aligned, ref_tokens),
        candidate_aligned_fraction=_ratio(aligned, cand_tokens),
        tokens_added=cand_tokens - aligned,
        tokens_removed=ref_tokens - aligned,
        order_agreement=_ratio(_longest_increasing(ranks_in_reference.tolist()), shared),
        merges_identical=merges_identical,
        merge_rank_agreement=merge_rank,
        merge_jaccard=merge_jaccard,
    )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _first_ids(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct token hashes (ascending) and the first id holding each."""
    ids = np.flatnonzero(hashes)
    keys, first = np.unique(hashes[ids], return_index=True)
    return keys, ids[first]


def _longest_increasing(sequence: list[int]) -> int:
    tails: list[int] = []
    for value in sequence:
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
        else:
            tails[at] = value
    return len(tails)


def _merge_rank_agreement(candidate: TokenizerFingerprint, reference: TokenizerFingerprint) -> float | None:
    shorter = min(candidate.merges or 0, reference.merges or 0)
    if shorter == 0:
        return None
    cand, ref = candidate.merge_block_array(), reference.merge_block_array()
    blocks = min(len(cand), len(ref))
    equal = np.flatnonzero(cand[:blocks] == ref[:blocks])
    matched = sum(min(MERGE_BLOCK, shorter - int(i) * MERGE_BLOCK) for i in equal)
    return matched / shorter


def _sketch_jaccard(a: np.ndarray, b: np.ndarray) -> float | None:
    """Bottom-k estimate: of the k smallest hashes of the union, the share present in both sets."""
    if len(a) == 0 and len(b) == 0:
        return None
    k = max(len(a), len(b))
    smallest = np.union1d(a, b)[:k]
    both = np.isin(smallest, a, assume_unique=True) & np.isin(smallest, b, assume_unique=True)
    return float(np.count_nonzero(both)) / len(smallest)


def _decide(
    candidate: TokenizerFingerprint, reference: TokenizerFingerprint, s: TokenizerStatistics
) -> tuple[TokenizerRelation, str]:
    merges_note = _merges_note(candidate, reference, s)
    if candidate.vocab_digest == reference.vocab_digest:
        if s.merges_identical is False:
            return TokenizerRelation.EXTENDED, (
                f"the same {s.reference_tokens} tokens at the same ids, but different merges ({merges_note})"
            )
        return TokenizerRelation.IDENTICAL, f"the same {s.reference_tokens} tokens at the same ids; {merges_note}"
    aligned_share = max(s.id_aligned_fraction, s.candidate_aligned_fraction)
    if s.id_aligned_tokens >= t.MIN_TOKENS and aligned_share >= t.ALIGNED_REUSE:
        where = (
            f"{s.id_aligned_tokens} tokens at the same ids ({s.id_aligned_fraction:.2%} of the reference's "
            f"{s.reference_tokens}, {s.candidate_aligned_fraction:.2%} of the candidate's {s.candidate_tokens})"
        )
        if s.candidate_tokens < s.reference_tokens:
            return TokenizerRelation.SUBSET, (
                f"{where}; the candidate lacks {s.tokens_removed} of the reference's tokens and adds {s.tokens_added}; {merges_note}"
            )
        return TokenizerRelation.EXTENDED, (
            f"{where}; the candidate adds or replaces {s.tokens_added} tokens; {merges_note}"
        )
    renumbered = s.shared_tokens >= t.MIN_TOKENS and s.order_agreement >= t.ORDER_KEPT
    if renumbered and s.candidate_in_reference >= t.CONTAINED and s.candidate_tokens <= s.reference_tokens:
        return TokenizerRelation.SUBSET, (
            f"{s.candidate_in_reference:.2%} of the candidate's tokens are in the reference, at different ids but "
            f"in the same order ({s.order_agreement:.2%}): a re-numbered part of it; {merges_note}"
        )
    if renumbered and s.reference_in_candidate >= t.CONTAINED and s.candidate_tokens >= s.reference_tokens:
        return TokenizerRelation.EXTENDED, (
            f"{s.reference_in_candidate:.2%} of the reference's tokens are in the candidate, at different ids but "
            f"in the same order ({s.order_agreement:.2%}): a re-numbered extension; {merges_note}"
        )
    overlap = (
        f"{s.shared_tokens} shared tokens (Jaccard {s.jaccard:.3f}), {s.id_aligned_fraction:.2%} at the same ids, "
        f"{s.order_agreement:.2%} in the same order"
    )
    if s.shared_tokens >= t.MIN_TOKENS and (
        s.order_agreement >= t.ORDER_SHARED_ORIGIN or s.jaccard >= t.JACCARD_SHARED_ORIGIN
    ):
        return TokenizerRelation.OVERLAPPING, (
            f"{overlap}: more than independently built vocabularies share, but not the reference at its ids"
        )
    return TokenizerRelation.INDEPENDENT, f"{overlap}: within what independently built vocabularies share"


def _merges_note(candidate: TokenizerFingerprint, reference: TokenizerFingerprint, s: TokenizerStatistics) -> str:
    if s.merges_identical is None:
        missing = [side for side, fp in (("candidate", candidate), ("reference", reference)) if fp.merges is None]
        return f"merges not compared (the {' and '.join(missing)} {'carry' if len(missing) > 1 else 'carries'} none)"
    if s.merges_identical:
        return f"the same {reference.merges} merges"
    rank = "n/a" if s.merge_rank_agreement is None else f"{s.merge_rank_agreement:.2%}"
    shared = "n/a" if s.merge_jaccard is None else f"{s.merge_jaccard:.2f}"
    return f"merges: {rank} at the same ranks, Jaccard about {shared}"
