"""Tokenizer reading, summary, fingerprints and lineage relations.

Typical use in a scan::

    load = load_tokenizer(repo_root, repo_files)          # never raises; problems are values
    comparisons = ()
    if load.tokenizer is not None:
        candidate = fingerprint(load.tokenizer, label="candidate")
        comparisons = relate_all(candidate, load_tokenizer_catalog().values())
    facts = tokenizer_facts(load, comparisons)              # the report's TokenizerFacts

A GGUF reader feeds its arrays through ``tokenizer_from_vocab`` (``GGUF_TOKENIZER_MODELS`` maps
``tokenizer.ggml.model`` to the model type and encoding). Shipped fingerprints are rebuilt with
``python -m scanner.tokenizer.rebuild --out scanner/data/catalog/tokenizers``.
"""

from scanner.tokenizer.catalog import load_tokenizer_catalog, read_fingerprint, write_fingerprint
from scanner.tokenizer.fingerprint import TokenizerFingerprint, fingerprint
from scanner.tokenizer.fingerprint_file import fingerprint_from_bytes, fingerprint_to_bytes
from scanner.tokenizer.load import load_tokenizer
from scanner.tokenizer.model import TokenEncoding, Tokenizer, TokenizerLoad, TokenizerSummary, TokenKind
from scanner.tokenizer.relate import TokenizerComparison, TokenizerStatistics, relate, relate_all
from scanner.tokenizer.summary import summarize, tokenizer_facts
from scanner.tokenizer.vocab import GGUF_TOKENIZER_MODELS, tokenizer_from_vocab

__all__ = [
    "GGUF_TOKENIZER_MODELS",
    "TokenEncoding",
    "TokenKind",
    "Tokenizer",
    "TokenizerComparison",
    "TokenizerFingerprint",
    "TokenizerLoad",
    "TokenizerStatistics",
    "TokenizerSummary",
    "fingerprint",
    "fingerprint_from_bytes",
    "fingerprint_to_bytes",
    "load_tokenizer",
    "load_tokenizer_catalog",
    "read_fingerprint",
    "relate",
    "relate_all",
    "summarize",
    "tokenizer_facts",
    "tokenizer_from_vocab",
    "write_fingerprint",
]
