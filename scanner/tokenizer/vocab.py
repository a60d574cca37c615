"""From a format's vocabulary entries to a ``Tokenizer``; also the entry point for GGUF token arrays.

Every reader fills a ``VocabBuilder`` with what its format says (id -> text and kind, merges, which
ids are added or special) and ``build`` turns that into canonical keys. Keeping the key rules in one
place is what makes fingerprints agree across formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scanner.tokenizer.canonical import display_text, ordinary_token_key, token_key
from scanner.tokenizer.files import MAX_MERGES, MAX_TOKEN_BYTES, MAX_TOKEN_IDS, UnreadableFile, expect, fail, is_int
from scanner.tokenizer.model import TOKEN_KIND_NUMBERS, TokenEncoding, Tokenizer, TokenizerLoad, TokenKind

_SPECIAL_KINDS = (TokenKind.CONTROL, TokenKind.UNKNOWN)
_ADDED_KINDS = (TokenKind.CONTROL, TokenKind.UNKNOWN, TokenKind.USER_DEFINED, TokenKind.UNUSED)


@dataclass(slots=True)
class VocabBuilder:
    """What one reader found, before canonical keys are computed (mutable while configs are merged in)."""

    model_type: str
    source_format: str
    encoding: TokenEncoding
    files: list[str]
    entries: dict[int, tuple[str | bytes, TokenKind]] = field(default_factory=dict)
    merges: list[tuple[str, str]] | None = None
    added_ids: set[int] = field(default_factory=set)
    special_ids: set[int] = field(default_factory=set)

    def add_token(self, token_id: int, text: str, *, special: bool) -> None:
        """Declare an added token (it wins over a model-vocabulary entry with the same id)."""
        self.entries[token_id] = (text, TokenKind.CONTROL if special else TokenKind.USER_DEFINED)
        self.added_ids.add(token_id)
        if special:
            self.special_ids.add(token_id)


def split_merge(merge: object, file: str, where: str) -> tuple[str, str]:
    """A merge written ``"a b"`` or ``["a", "b"]``."""
    if isinstance(merge, str):
        parts = merge.split(" ")
        expect(len(parts) == 2, file, f"{where}: merge {merge[:40]!r} is not two tokens separated by one space")
        return parts[0], parts[1]
    expect(
        isinstance(merge, list) and len(merge) == 2 and all(isinstance(p, str) for p in merge),
        file, f"{where}: merge {str(merge)[:40]} is neither 'a b' nor a pair of strings",
    )
    return merge[0], merge[1]


def build(builder: VocabBuilder) -> Tokenizer:
    """Canonical keys, merges and special tokens from a filled builder."""
    file = builder.files[0]
    expect(bool(builder.entries), file, "holds no tokens")
    size = max(builder.entries) + 1
    keys: list[bytes | None] = [None] * size
    for token_id, (text, kind) in builder.entries.items():
        key = token_key(text, kind, builder.encoding)
        if len(key) > MAX_TOKEN_BYTES:
            fail(file, "tokenizer.limit", f"token {token_id} is {len(key)} bytes long, over the {MAX_TOKEN_BYTES}-byte limit")
        keys[token_id] = key
    merges = None
    if builder.merges is not None:
        merges = tuple(
            (ordinary_token_key(a, builder.encoding), ordinary_token_key(b, builder.encoding)) for a, b in builder.merges
        )
    special = tuple(
        (token_id, display_text(keys[token_id]))
        for token_id in sorted(builder.special_ids)
        if keys[token_id] is not None
    )
    return Tokenizer(
        model_type=builder.model_type,
        source_format=builder.source_format,
        encoding=builder.encoding,
        keys=tuple(keys),
        merges=merges,
        added_tokens=len(builder.added_ids),
        special_tokens=special,
        files=tuple(builder.files),
    )


def tokenizer_from_vocab(
    tokens: Sequence[str],
    merges: Sequence[str] | None = None,
    token_types: Sequence[int] | None = None,
    *,
    model_type: str,
    encoding: TokenEncoding,
    file: str,
    source_format: str = "gguf",
) -> TokenizerLoad:
    """A tokenizer from parallel arrays, as GGUF stores them (``tokenizer.ggml.tokens``/``merges``/``token_type``).

    ``token_types`` uses GGUF's (and SentencePiece's) numbering, see ``TokenKind``; absent means all
    normal. ``file`` names the file the arrays came from, for problem messages. Malformed arrays give
    an ``unreadable`` load with the reason, never an exception.
    """
    try:
        builder = VocabBuilder(model_type=model_type, source_format=source_format, encoding=encoding, files=[file])
        expect(len(tokens) <= MAX_TOKEN_IDS, file, f"{len(tokens)} tokens is over the {MAX_TOKEN_IDS}-token limit")
        if token_types is not None:
            expect(len(token_types) == len(tokens), file, f"{len(tokens)} tokens but {len(token_types)} token types")
        for token_id, text in enumerate(tokens):
            expect(isinstance(text, str), file, f"token {token_id} is {type(text).__name__}, not a string")
            kind = TokenKind.NORMAL
            if token_types is not None:
                raw_type = token_types[token_id]
                expect(is_int(raw_type) and int(raw_type) in TOKEN_KIND_NUMBERS, file,
                       f"token {token_id} has unknown token type {raw_type!r}")
                kind = TokenKind(int(raw_type))
            builder.entries[token_id] = (text, kind)
            if kind in _ADDED_KINDS:
                builder.added_ids.add(token_id)
            if kind in _SPECIAL_KINDS:
                builder.special_ids.add(token_id)
        if merges is not None:
            expect(len(merges) <= MAX_MERGES, file, f"{len(merges)} merges is over the {MAX_MERGES}-merge limit")
            builder.merges = [split_merge(m, file, f"merge {rank}") for rank, m in enumerate(merges)]
        return TokenizerLoad(status="present", tokenizer=build(builder), problems=())
    except UnreadableFile as exc:
        return TokenizerLoad(status="unreadable", tokenizer=None, problems=(exc.problem,))


GGUF_TOKENIZER_MODELS: dict[str, tuple[str, TokenEncoding]] = {
    "gpt2": ("BPE", TokenEncoding.BYTE_LEVEL),
    "llama": ("SentencePiece", TokenEncoding.METASPACE),
    "t5": ("Unigram", TokenEncoding.METASPACE),
    "bert": ("WordPiece", TokenEncoding.PLAIN),
}
"""GGUF ``tokenizer.ggml.model`` values -> (model type, encoding) for ``tokenizer_from_vocab``."""
