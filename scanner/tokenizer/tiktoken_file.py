"""tiktoken rank files (``*.tiktoken``, Llama 3's ``original/tokenizer.model``): ``<base64 token> <rank>`` per line.

The rank is the token id and the decoded bytes are already the canonical key. Special tokens are not
in these files (the runtime code adds them), and merges are implied by the ranks, so neither is read.
"""

from __future__ import annotations

import binascii
import re

from scanner.tokenizer.files import MAX_TOKEN_IDS, check_id, expect, fail
from scanner.tokenizer.model import TokenEncoding, TokenKind
from scanner.tokenizer.vocab import VocabBuilder

_LINE = re.compile(rb"[A-Za-z0-9+/]+={0,2} [0-9]{1,9}")


def looks_like_tiktoken(data: bytes) -> bool:
    """Tell a rank file from a SentencePiece protobuf (which starts with binary field tags)."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    return bool(_LINE.fullmatch(first))


def read_tiktoken(data: bytes, rel: str) -> VocabBuilder:
    """Parse an already-read rank file; raises ``UnreadableFile`` naming ``rel``."""
    builder = VocabBuilder(model_type="BPE", source_format="tiktoken", encoding=TokenEncoding.RAW_BYTES, files=[rel])
    for number, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line:
            continue
        if not _LINE.fullmatch(line):
            fail(rel, "tokenizer.invalid", f"line {number} is not '<base64 token> <rank>'")
        encoded, rank = line.split(b" ")
        try:
            token = binascii.a2b_base64(encoded, strict_mode=True)
        except binascii.Error:
            fail(rel, "tokenizer.invalid", f"line {number}: the token is not valid base64")
        token_id = check_id(int(rank), rel, f"line {number}")
        expect(token_id not in builder.entries, rel, f"line {number}: rank {token_id} appears twice")
        builder.entries[token_id] = (token, TokenKind.NORMAL)
        expect(len(builder.entries) <= MAX_TOKEN_IDS, rel, f"more than {MAX_TOKEN_IDS} tokens")
    expect(bool(builder.entries), rel, "holds no tokens")
    return builder
