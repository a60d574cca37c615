"""The values the tokenizer stage passes around: a loaded tokenizer, the outcome of loading one, its summary.

A ``Tokenizer`` keeps every token as its *canonical key*: the bytes the token stands for, whatever file
format it came from (see ``canonical.py``). That is what makes a vocabulary read from
``tokenizer.json``, from ``vocab.json`` + ``merges.txt``, from a SentencePiece or tiktoken file, or from
GGUF arrays compare equal when it is the same vocabulary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from scanner.report.model import Problem

frozen = dataclass(frozen=True, slots=True, kw_only=True)


class TokenEncoding(str, enum.Enum):
    """How a format spells the bytes of an ordinary token.

    ``byte_level``: GPT-2's printable stand-ins for bytes (``Ġ`` is a space). ``metaspace``:
    SentencePiece text with ``▁`` for a space and ``<0xNN>`` byte pieces. ``plain``: the token's text
    as is (WordPiece, WordLevel). ``raw_bytes``: the bytes themselves (tiktoken rank files).
    """

    BYTE_LEVEL = "byte_level"
    METASPACE = "metaspace"
    PLAIN = "plain"
    RAW_BYTES = "raw_bytes"


class TokenKind(enum.IntEnum):
    """What a vocabulary entry is; the numbers are SentencePiece's and GGUF's token types.

    Only ``NORMAL`` tokens are spelled in the format's encoding; control, user-defined and unknown
    tokens are stored as their literal text everywhere, and ``BYTE`` pieces name one raw byte.
    """

    NORMAL = 1
    UNKNOWN = 2
    CONTROL = 3
    USER_DEFINED = 4
    UNUSED = 5
    BYTE = 6


TOKEN_KIND_NUMBERS = frozenset(kind.value for kind in TokenKind)


@frozen
class Tokenizer:
    """A tokenizer reduced to what lineage needs: canonical token keys by id, merges, special tokens."""

    model_type: str
    """The algorithm: BPE, WordPiece, Unigram, WordLevel (as the source names it)."""
    source_format: str
    """What it was read from: tokenizer.json, vocab.json+merges.txt, sentencepiece, tiktoken, vocab.txt, gguf."""
    encoding: TokenEncoding
    keys: tuple[bytes | None, ...]
    """Canonical key of each id; ``None`` where the vocabulary leaves an id unused."""
    merges: tuple[tuple[bytes, bytes], ...] | None
    """BPE merges in rank order as canonical key pairs; ``None`` when the format carries none."""
    added_tokens: int
    """Tokens declared on top of the model vocabulary (added_tokens, added_tokens_decoder)."""
    special_tokens: tuple[tuple[int, str], ...]
    """``(id, text)`` of special tokens, by id."""
    files: tuple[str, ...]
    """Repository-relative files the tokenizer was read from."""

    @property
    def token_count(self) -> int:
        """Ids that hold a token (the vocabulary size including added tokens)."""
        return sum(1 for key in self.keys if key is not None)


@frozen
class TokenizerLoad:
    """The outcome of reading a repository's tokenizer: a tokenizer, problems, or both.

    ``status`` is ``present`` (a tokenizer was read, perhaps with warnings), ``absent`` (no tokenizer
    file) or ``unreadable`` (tokenizer files exist but none could be read; ``problems`` say why).
    """

    status: str
    tokenizer: Tokenizer | None
    problems: tuple[Problem, ...]


@frozen
class TokenizerSummary:
    """What a report says about a tokenizer without listing its vocabulary."""

    type: str
    source_format: str
    vocab_size: int
    """Ids holding a token: model vocabulary plus added tokens, each id counted once."""
    added_tokens: int
    special_tokens: tuple[str, ...]
    """Special tokens by id, capped (see ``special_tokens_total``)."""
    special_tokens_total: int
    merges: int | None
    files: tuple[str, ...]
