"""The thresholds keep their margins on every pair of independent real tokenizers (see thresholds.py)."""

from __future__ import annotations

import itertools

import pytest

from scanner.tokenizer import relate
from scanner.tokenizer import thresholds as t

FAMILIES = ["qwen3", "llama3", "llama2", "gemma3", "deepseek_v3", "gptoss"]
SHARED_ORIGIN = {frozenset({"qwen3", "llama3"})}  # both start from tiktoken's cl100k vocabulary


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(FAMILIES, 2)))
def test_independent_pairs_stay_far_from_the_reuse_thresholds(shipped, a, b):
    s = relate(shipped[a], shipped[b]).statistics
    assert max(s.id_aligned_fraction, s.candidate_aligned_fraction) < t.ALIGNED_REUSE / 100
    assert s.merge_rank_agreement == 0.0 and s.merges_identical is False
    contained = max(s.candidate_in_reference, s.reference_in_candidate) >= t.CONTAINED
    assert not (contained and s.order_agreement >= t.ORDER_KEPT)
    if frozenset({a, b}) in SHARED_ORIGIN:
        assert s.order_agreement > 0.85 and s.jaccard > t.JACCARD_SHARED_ORIGIN
    else:
        assert s.order_agreement < t.ORDER_SHARED_ORIGIN / 10
        assert s.jaccard < t.JACCARD_SHARED_ORIGIN - 0.05


def test_the_statistics_are_symmetric_where_they_should_be(shipped):
    forward = relate(shipped["gemma3"], shipped["llama2"]).statistics
    backward = relate(shipped["llama2"], shipped["gemma3"]).statistics
    assert forward.jaccard == backward.jaccard and forward.shared_tokens == backward.shared_tokens
    assert forward.candidate_in_reference == backward.reference_in_candidate
    assert forward.order_agreement == pytest.approx(backward.order_agreement, abs=0.002)
    assert forward.merge_jaccard == backward.merge_jaccard
