"""A tokenizer described for a report: type, sizes, special tokens (capped), files read."""

from __future__ import annotations

from collections.abc import Iterable

from scanner.report.model import TokenizerFacts
from scanner.tokenizer.model import Tokenizer, TokenizerLoad, TokenizerSummary
from scanner.tokenizer.relate import TokenizerComparison

SPECIAL_TOKENS_SHOWN = 64
"""Special tokens listed in a summary; some tokenizers declare thousands (reserved and unused slots)."""


def summarize(tokenizer: Tokenizer) -> TokenizerSummary:
    """The report-sized description of a loaded tokenizer."""
    special = [text for _, text in tokenizer.special_tokens]
    return TokenizerSummary(
        type=tokenizer.model_type,
        source_format=tokenizer.source_format,
        vocab_size=tokenizer.token_count,
        added_tokens=tokenizer.added_tokens,
        special_tokens=tuple(special[:SPECIAL_TOKENS_SHOWN]),
        special_tokens_total=len(special),
        merges=None if tokenizer.merges is None else len(tokenizer.merges),
        files=tokenizer.files,
    )


def tokenizer_facts(load: TokenizerLoad, comparisons: Iterable[TokenizerComparison] = ()) -> TokenizerFacts:
    """The report's ``tokenizer`` section from a load and its catalog comparisons (closest first)."""
    lineage = tuple(c.to_lineage() for c in comparisons)
    if load.tokenizer is None:
        return TokenizerFacts(status=load.status, files=(), type=None, vocab_size=None, added_tokens=None,
                              special_tokens=(), lineage=lineage)
    summary = summarize(load.tokenizer)
    return TokenizerFacts(
        status=load.status,
        files=summary.files,
        type=summary.type,
        vocab_size=summary.vocab_size,
        added_tokens=summary.added_tokens,
        special_tokens=summary.special_tokens,
        lineage=lineage,
    )
