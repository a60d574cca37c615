"""Canonical token keys: the bytes a token stands for, independent of the file format it came from.

Formats spell the same token differently. GPT-2-style byte-level BPE files (``tokenizer.json``,
``vocab.json``, GGUF ``gpt2``) replace each byte by a printable character (a space is ``Ġ``, a newline
``Ċ``); SentencePiece files write a space as ``▁`` and a lone byte as ``<0x0A>``; tiktoken files hold the
bytes base64-encoded. Reducing every ordinary token to its bytes lets one vocabulary read from any of
these give the same fingerprint, and lets unrelated vocabularies be compared on what their tokens mean.

Control, user-defined and unknown tokens are written literally by every format, so their key is
their UTF-8 text. Lone surrogates (possible in JSON) are kept with ``surrogatepass`` so that a key
always exists and is deterministic.
"""

from __future__ import annotations

import re

from scanner.tokenizer.model import TokenEncoding, TokenKind

METASPACE = "\u2581"
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


def _byte_level_translation() -> dict[int, int]:
    """Map GPT-2's byte stand-in characters to the Latin-1 character of the byte they stand for.

    Bytes that are printable in Latin-1 (``!``..``~``, ``¡``..``¬``, ``®``..``ÿ``) stand for themselves;
    the other 68 bytes are written as U+0100 onwards, in byte order. Characters that are neither
    are mapped to U+FFFF so that encoding to Latin-1 fails and the token is taken literally.
    """
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table: dict[int, int] = {}
    shifted = 0x100
    for byte in range(256):
        if byte not in printable:
            table[shifted] = byte
            table[byte] = 0xFFFF
            shifted += 1
    return table


_BYTE_LEVEL = _byte_level_translation()


def text_bytes(text: str) -> bytes:
    """A literal token's key: its UTF-8 text."""
    return text.encode("utf-8", "surrogatepass")


def byte_level_bytes(text: str) -> bytes:
    """Undo GPT-2's byte-to-character mapping; text outside that alphabet is taken literally."""
    try:
        return text.translate(_BYTE_LEVEL).encode("latin-1")
    except UnicodeEncodeError:
        return text_bytes(text)


def ordinary_token_key(text: str | bytes, encoding: TokenEncoding) -> bytes:
    """The key of a normal vocabulary token (also used for both sides of a merge)."""
    if isinstance(text, bytes):
        return text
    if encoding is TokenEncoding.BYTE_LEVEL:
        return byte_level_bytes(text)
    if encoding is TokenEncoding.METASPACE:
        return text_bytes(text.replace(METASPACE, " "))
    return text_bytes(text)


def token_key(text: str | bytes, kind: TokenKind, encoding: TokenEncoding) -> bytes:
    """The canonical key of one vocabulary entry."""
    if kind is TokenKind.BYTE and isinstance(text, str):
        match = _BYTE_PIECE.fullmatch(text)
        if match:
            return bytes([int(match.group(1), 16)])
    if kind in (TokenKind.NORMAL, TokenKind.BYTE):
        return ordinary_token_key(text, encoding)
    return text if isinstance(text, bytes) else text_bytes(text)


def display_text(key: bytes) -> str:
    """A readable form of a key for reports (invalid UTF-8 shown with replacement characters)."""
    return key.decode("utf-8", "replace")
