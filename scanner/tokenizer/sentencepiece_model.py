"""SentencePiece ``.model`` files, read as protobuf without the sentencepiece library.

Only three things matter for lineage: the pieces in id order, each piece's type (normal, unknown,
control, user-defined, unused, byte), and the trainer's model type. The file is a ``ModelProto``:
field 1 repeats ``SentencePiece {1: piece, 2: score, 3: type}``, field 2 is the ``TrainerSpec``
whose field 3 is the model type (1 Unigram, 2 BPE, 3 word, 4 char). Everything else is skipped by
wire type, so newer fields do not break the reader. Reading it ourselves avoids a dependency and any
native code on untrusted input; every length is checked against the buffer.
"""

from __future__ import annotations

from scanner.tokenizer.files import MAX_TOKEN_IDS, expect, fail
from scanner.tokenizer.model import TOKEN_KIND_NUMBERS, TokenEncoding, TokenKind
from scanner.tokenizer.vocab import VocabBuilder

_MODEL_TYPES = {1: "Unigram", 2: "BPE", 3: "WordLevel", 4: "Char"}
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class _Truncated(Exception):
    """The buffer ended inside a field, or a field had a wire type protobuf no longer allows."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _Truncated
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes, start: int, end: int):
    """Yield ``(field number, wire type, value)``; length-delimited values are ``(start, end)`` offsets."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LENGTH:
            length, pos = _varint(buf, pos)
            if pos + length > end:
                raise _Truncated
            value, pos = (pos, pos + length), pos + length
        elif wire in (_FIXED64, _FIXED32):
            width = 8 if wire == _FIXED64 else 4
            if pos + width > end:
                raise _Truncated
            value, pos = None, pos + width
        else:
            raise _Truncated
        yield number, wire, value


def read_sentencepiece(data: bytes, rel: str) -> VocabBuilder:
    """Parse an already-read model file; raises ``UnreadableFile`` naming ``rel``."""
    builder = VocabBuilder(model_type="Unigram", source_format="sentencepiece", encoding=TokenEncoding.METASPACE, files=[rel])
    try:
        for number, wire, value in _fields(data, 0, len(data)):
            if number == 1 and wire == _LENGTH:
                token_id = len(builder.entries)
                expect(token_id < MAX_TOKEN_IDS, rel, f"more than {MAX_TOKEN_IDS} pieces")
                text, kind = _piece(data, *value, rel, token_id)
                builder.entries[token_id] = (text, kind)
                if kind not in (TokenKind.NORMAL, TokenKind.BYTE):
                    builder.added_ids.add(token_id)
                if kind in (TokenKind.CONTROL, TokenKind.UNKNOWN):
                    builder.special_ids.add(token_id)
            elif number == 2 and wire == _LENGTH:
                builder.model_type = _trainer_model_type(data, *value)
    except _Truncated:
        fail(rel, "tokenizer.invalid", "is not a SentencePiece model (truncated or malformed protobuf)")
    expect(bool(builder.entries), rel, "is not a SentencePiece model (no pieces)")
    return builder


def _piece(data: bytes, start: int, end: int, rel: str, token_id: int) -> tuple[str, TokenKind]:
    raw: bytes | None = None
    kind = TokenKind.NORMAL
    for number, wire, value in _fields(data, start, end):
        if number == 1 and wire == _LENGTH:
            raw = data[value[0]:value[1]]
        elif number == 3 and wire == _VARINT:
            expect(value in TOKEN_KIND_NUMBERS, rel, f"piece {token_id} has unknown type {value}")
            kind = TokenKind(value)
    expect(raw is not None, rel, f"piece {token_id} has no text")
    try:
        return raw.decode("utf-8"), kind
    except UnicodeDecodeError:
        fail(rel, "tokenizer.encoding", f"piece {token_id} is not UTF-8")


def _trainer_model_type(data: bytes, start: int, end: int) -> str:
    model_type = 1
    for number, wire, value in _fields(data, start, end):
        if number == 3 and wire == _VARINT:
            model_type = value
    return _MODEL_TYPES.get(model_type, f"sentencepiece-type-{model_type}")
