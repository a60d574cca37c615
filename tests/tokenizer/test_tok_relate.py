"""Relations between real tokenizers and controlled modifications of them."""

from __future__ import annotations

import itertools
import random

import pytest
from tok_helpers import fingerprint_of, ids_to_tokens, merge_strings, tiktoken_text, write_tokenizer_json

from scanner.report.model import TokenizerRelation
from scanner.tokenizer import TokenEncoding, fingerprint, relate, relate_all, tokenizer_from_vocab

REUSE = {TokenizerRelation.IDENTICAL, TokenizerRelation.EXTENDED, TokenizerRelation.SUBSET}
FAMILIES = ["qwen3", "llama3", "llama2", "gemma3", "deepseek_v3", "gptoss"]


def test_a_tokenizer_is_identical_to_itself_and_to_its_shipped_fingerprint(real_fps, shipped):
    comparison = relate(real_fps["gemma3"], shipped["gemma3"])
    assert comparison.relation is TokenizerRelation.IDENTICAL
    assert comparison.statistics.id_aligned_fraction == 1.0 and comparison.statistics.merges_identical is True
    assert comparison.reason == "the same 262145 tokens at the same ids; the same 514906 merges"


def test_llama3_and_the_llama3_1_package_are_identical(shipped):
    """The llama3_1 package carries the Llama 3.0 special tokens: vocabulary and merges are the same."""
    assert relate(shipped["llama3_1"], shipped["llama3"]).relation is TokenizerRelation.IDENTICAL


@pytest.mark.parametrize(("candidate", "reference"), [
    (a, b) for a, b in itertools.permutations(FAMILIES, 2)
])
def test_different_families_are_never_reuse(shipped, candidate, reference):
    comparison = relate(shipped[candidate], shipped[reference])
    assert comparison.relation not in REUSE, comparison.reason
    expected = TokenizerRelation.OVERLAPPING if {candidate, reference} == {"qwen3", "llama3"} else TokenizerRelation.INDEPENDENT
    assert comparison.relation is expected, comparison.reason


def test_appended_added_tokens_extend_the_reference(real_json, real_dirs, real_fps, tmp_path):
    data = real_json("qwen3")
    data["added_tokens"] += [
        {"id": 151669 + i, "content": f"<|ko_{i}|>", "special": True} for i in range(5)
    ]
    candidate = fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data, config_from=real_dirs["qwen3"]))
    comparison = relate(candidate, real_fps["qwen3"])
    assert comparison.relation is TokenizerRelation.EXTENDED
    stats = comparison.statistics
    assert (stats.tokens_added, stats.tokens_removed, stats.id_aligned_fraction) == (5, 0, 1.0)
    assert stats.merges_identical is True
    assert relate(real_fps["qwen3"], candidate).relation is TokenizerRelation.SUBSET


def test_vocabulary_extension_with_new_merges_extends_the_reference(real_json, real_fps, tmp_path):
    """A language extension: new tokens after the existing ids and their merges after the existing ones."""
    data = real_json("llama3")
    vocab, merges = data["model"]["vocab"], data["model"]["merges"]
    syllables = ["ê°Ģ", "ëĤĺ", "ëĭ¤", "ëĿ¼", "ë§Ī"]
    new = 0
    for left, right in itertools.product(syllables, repeat=2):
        if left + right not in vocab:
            vocab[left + right] = 128256 + new
            merges.append(f"{left} {right}")
            new += 1
    candidate = fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data))
    comparison = relate(candidate, real_fps["llama3"])
    assert comparison.relation is TokenizerRelation.EXTENDED
    stats = comparison.statistics
    assert stats.tokens_added == new and stats.merges_identical is False
    assert stats.merge_rank_agreement > 0.99 and stats.merge_jaccard > 0.95


def test_renamed_reserved_special_tokens_extend_the_reference(real_json, real_fps, tmp_path):
    """As Llama 3.1 did to three of Llama 3's reserved tokens."""
    data = real_json("llama3")
    renamed = {128004: "<|finetune_right_pad_id|>", 128008: "<|eom_id|>", 128010: "<|python_tag|>"}
    for entry in data["added_tokens"]:
        entry["content"] = renamed.get(entry["id"], entry["content"])
    candidate = fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data))
    comparison = relate(candidate, real_fps["llama3"])
    assert comparison.relation is TokenizerRelation.EXTENDED
    assert (comparison.statistics.tokens_added, comparison.statistics.tokens_removed) == (3, 3)
    assert "adds or replaces 3 tokens" in comparison.reason


def test_same_vocabulary_with_reordered_merges_is_extended_not_identical(real_json, real_fps, tmp_path):
    data = real_json("llama2")
    merges = merge_strings(data)
    random.Random(7).shuffle(merges)
    data["model"]["merges"] = merges
    comparison = relate(fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data)), real_fps["llama2"])
    assert comparison.relation is TokenizerRelation.EXTENDED
    assert comparison.statistics.merges_identical is False
    assert comparison.statistics.merge_rank_agreement < 0.01
    assert comparison.statistics.merge_jaccard == 1.0
    assert "different merges" in comparison.reason


def test_fewer_added_tokens_is_a_subset(real_json, real_fps, tmp_path):
    """Qwen2.5's tokenizer is Qwen3's without its last four added tokens."""
    data = real_json("qwen3")
    data["added_tokens"] = [entry for entry in data["added_tokens"] if entry["id"] < 151665]
    comparison = relate(fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data)), real_fps["qwen3"])
    assert comparison.relation is TokenizerRelation.SUBSET
    assert (comparison.statistics.tokens_added, comparison.statistics.tokens_removed) == (0, 4)


def test_tiktoken_base_vocabulary_is_a_subset_of_the_full_tokenizer(real_loads, real_fps, tmp_path):
    (tmp_path / "tokenizer.model").write_text(tiktoken_text(list(real_loads["llama3"].tokenizer.keys[:128000])))
    candidate = fingerprint_of(tmp_path, ["tokenizer.model"])
    comparison = relate(candidate, real_fps["llama3"])
    assert comparison.relation is TokenizerRelation.SUBSET
    assert comparison.statistics.merges_identical is None
    assert "merges not compared (the candidate carries none)" in comparison.reason
    assert relate(real_fps["llama3"], candidate).relation is TokenizerRelation.EXTENDED


def _from_tokens(tokens: list[str]):
    load = tokenizer_from_vocab(tokens, model_type="BPE", encoding=TokenEncoding.BYTE_LEVEL, file="test", source_format="test")
    return fingerprint(load.tokenizer)


def test_a_pruned_and_renumbered_copy_is_a_subset_by_order(real_json, real_fps):
    tokens = ids_to_tokens(real_json("llama3"))
    pruned = _from_tokens([text for token_id, text in enumerate(tokens) if token_id < 256 or token_id % 5])
    comparison = relate(pruned, real_fps["llama3"])
    assert comparison.relation is TokenizerRelation.SUBSET
    stats = comparison.statistics
    assert stats.id_aligned_fraction < 0.01
    assert stats.candidate_in_reference == 1.0 and stats.order_agreement == 1.0
    assert "at different ids but in the same order" in comparison.reason
    assert relate(real_fps["llama3"], pruned).relation is TokenizerRelation.EXTENDED


def test_a_shuffled_copy_is_only_overlapping(real_json, real_fps):
    tokens = ids_to_tokens(real_json("llama3"))
    random.Random(3).shuffle(tokens)
    comparison = relate(_from_tokens(tokens[:100_000]), real_fps["llama3"])
    assert comparison.statistics.candidate_in_reference == 1.0
    assert comparison.relation is TokenizerRelation.OVERLAPPING


def test_a_toy_vocabulary_inside_a_large_one_is_independent(real_json, real_fps):
    comparison = relate(_from_tokens(ids_to_tokens(real_json("qwen3"))[:600]), real_fps["qwen3"])
    assert comparison.statistics.candidate_aligned_fraction == 1.0
    assert comparison.relation is TokenizerRelation.INDEPENDENT


def test_relate_all_puts_the_closest_first_and_converts_to_report_lineage(shipped):
    comparisons = relate_all(shipped["llama3"], shipped.values())
    assert [c.reference for c in comparisons[:3]] == ["llama3", "llama3_1", "qwen3"]
    assert [c.relation for c in comparisons[:3]] == [
        TokenizerRelation.IDENTICAL, TokenizerRelation.IDENTICAL, TokenizerRelation.OVERLAPPING,
    ]
    lineage = comparisons[2].to_lineage()
    assert lineage.catalog_id == "qwen3" and lineage.relation is TokenizerRelation.OVERLAPPING
    assert lineage.statistics["shared_tokens"] == 109564.0
    assert "merges_identical" in lineage.statistics and lineage.reason == comparisons[2].reason
