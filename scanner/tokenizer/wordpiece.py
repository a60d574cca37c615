"""WordPiece ``vocab.txt``: one token per line, the line number (from 0) is the id."""

from __future__ import annotations

from pathlib import Path

from scanner.tokenizer.files import MAX_TOKEN_IDS, expect, read_text
from scanner.tokenizer.model import TokenEncoding, TokenKind
from scanner.tokenizer.vocab import VocabBuilder


def read_vocab_txt(root: Path, rel: str) -> VocabBuilder:
    """Read the file; a final newline ends the last token rather than starting an empty one."""
    text = read_text(root, rel)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    expect(len(lines) > 0, rel, "holds no tokens")
    expect(len(lines) <= MAX_TOKEN_IDS, rel, f"{len(lines)} tokens is over the {MAX_TOKEN_IDS}-token limit")
    builder = VocabBuilder(model_type="WordPiece", source_format="vocab.txt", encoding=TokenEncoding.PLAIN, files=[rel])
    builder.entries = {token_id: (line.rstrip("\r"), TokenKind.NORMAL) for token_id, line in enumerate(lines)}
    return builder
