"""Summaries and the report's tokenizer facts."""

from __future__ import annotations

from scanner.report.model import TokenizerRelation
from scanner.tokenizer import TokenizerLoad, relate_all, summarize, tokenizer_facts


def test_summary_of_a_real_tokenizer(real_loads):
    summary = summarize(real_loads["gemma3"].tokenizer)
    assert (summary.type, summary.source_format, summary.vocab_size, summary.added_tokens) == (
        "BPE", "tokenizer.json", 262145, 6415,
    )
    assert summary.special_tokens == (
        "<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>",
        "<end_of_image>", "<image_soft_token>",
    )
    assert summary.special_tokens_total == 9 and summary.merges == 514906


def test_report_facts_carry_the_summary_and_the_closest_relations(real_loads, real_fps, shipped):
    comparisons = relate_all(real_fps["qwen3"], shipped.values())
    facts = tokenizer_facts(real_loads["qwen3"], comparisons)
    assert (facts.status, facts.type, facts.vocab_size, facts.added_tokens) == ("present", "BPE", 151669, 26)
    assert facts.files == ("tokenizer.json", "tokenizer_config.json")
    assert facts.lineage[0].catalog_id == "qwen3" and facts.lineage[0].relation is TokenizerRelation.IDENTICAL
    assert len(facts.lineage) == len(shipped)


def test_report_facts_without_a_tokenizer():
    facts = tokenizer_facts(TokenizerLoad(status="absent", tokenizer=None, problems=()))
    assert (facts.status, facts.files, facts.type, facts.vocab_size, facts.lineage) == ("absent", (), None, None, ())
