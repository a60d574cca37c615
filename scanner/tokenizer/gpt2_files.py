"""GPT-2-style ``vocab.json`` (token -> id) with ``merges.txt`` (one ``a b`` merge per line).

Both files spell tokens with GPT-2's byte stand-ins. ``merges.txt`` may start with a ``#version``
line, which is a comment, not a merge. A ``vocab.json`` without ``merges.txt`` belongs to a word- or
character-level tokenizer (speech CTC models ship one) and is read as plain text.
"""

from __future__ import annotations

from pathlib import Path

from scanner.tokenizer.files import MAX_MERGES, MAX_TOKEN_IDS, check_id, expect, read_json_file, read_text
from scanner.tokenizer.model import TokenEncoding, TokenKind
from scanner.tokenizer.vocab import VocabBuilder, split_merge


def read_vocab_and_merges(root: Path, vocab_rel: str, merges_rel: str | None) -> VocabBuilder:
    """Read the pair (or a lone ``vocab.json``); raises ``UnreadableFile`` naming the file at fault."""
    vocab = read_json_file(root, vocab_rel)
    expect(isinstance(vocab, dict), vocab_rel, f"expected a JSON object of token -> id, found {type(vocab).__name__}")
    expect(len(vocab) <= MAX_TOKEN_IDS, vocab_rel, f"{len(vocab)} tokens is over the {MAX_TOKEN_IDS}-token limit")
    if merges_rel is None:
        builder = VocabBuilder(model_type="WordLevel", source_format="vocab.json", encoding=TokenEncoding.PLAIN,
                               files=[vocab_rel])
    else:
        builder = VocabBuilder(model_type="BPE", source_format="vocab.json+merges.txt",
                               encoding=TokenEncoding.BYTE_LEVEL, files=[vocab_rel, merges_rel])
    for text, token_id in vocab.items():
        token_id = check_id(token_id, vocab_rel, repr(text[:40]))
        expect(token_id not in builder.entries, vocab_rel, f"id {token_id} is given to two tokens")
        builder.entries[token_id] = (text, TokenKind.NORMAL)
    if merges_rel is not None:
        builder.merges = _read_merges(root, merges_rel)
    return builder


def _read_merges(root: Path, rel: str) -> list[tuple[str, str]]:
    merges: list[tuple[str, str]] = []
    for number, line in enumerate(read_text(root, rel).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line or (number == 1 and line.startswith("#version")):
            continue
        merges.append(split_merge(line, rel, f"line {number}"))
        expect(len(merges) <= MAX_MERGES, rel, f"more than {MAX_MERGES} merges")
    return merges
