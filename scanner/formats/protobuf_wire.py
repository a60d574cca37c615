"""Protocol-buffer wire format, read in place: field numbers, values and byte ranges, no copies.

ONNX models are protocol buffers whose weights sit inside them as ``bytes`` fields. Loading one
with the ``onnx`` package materialises every weight in memory and forgets where it was in the
file; the lineage engine wants the opposite — the byte range, to memory-map it later. This reader
walks the wire format over a memory map and yields each field with the position of its payload,
so a 2 GB model costs a few MB to index. Lengths are checked against the enclosing message before
anything is read, so a hostile file cannot make it read past its end or loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a well-formed protocol buffer at the point named."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field: its number, wire type, and either an integer value or the payload's [start, end) range."""

    number: int
    wire_type: int
    value: int  # varint / fixed value, or the payload start for LENGTH fields
    end: int  # payload end for LENGTH fields (== value for the others)

    @property
    def length(self) -> int:
        return self.end - self.value


def read_varint(buf: bytes | memoryview, pos: int, limit: int) -> tuple[int, int]:
    """(value, next position) of the varint at ``pos``; at most 10 bytes, never past ``limit``."""
    result = 0
    shift = 0
    while True:
        if pos >= limit:
            raise WireError(f"varint runs past the end of its message at byte {pos}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


def fields(buf: bytes | memoryview, start: int, end: int) -> Iterator[Field]:
    """Every field of the message occupying ``buf[start:end]``, in stored order."""
    pos = start
    while pos < end:
        key, pos = read_varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {pos}")
        if wire_type == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield Field(number, wire_type, value, pos)
        elif wire_type == LENGTH:
            length, pos = read_varint(buf, pos, end)
            if length > end - pos:
                raise WireError(f"field {number} declares {length} bytes at byte {pos}; only {end - pos} remain")
            yield Field(number, wire_type, pos, pos + length)
            pos += length
        elif wire_type in (FIXED64, FIXED32):
            size = 8 if wire_type == FIXED64 else 4
            if size > end - pos:
                raise WireError(f"field {number} runs past the end of its message at byte {pos}")
            yield Field(number, wire_type, int.from_bytes(buf[pos:pos + size], "little"), pos + size)
            pos += size
        else:
            raise WireError(f"field {number} has unsupported wire type {wire_type} at byte {pos}")


def text(buf: bytes | memoryview, f: Field) -> str:
    """A LENGTH field as UTF-8 text (undecodable bytes replaced)."""
    return bytes(buf[f.value:f.end]).decode("utf-8", errors="replace")


def signed(value: int) -> int:
    """A varint read as two's-complement int64 (how protobuf stores negative int32/int64)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def packed_varints(buf: bytes | memoryview, f: Field) -> list[int]:
    """The values of a packed repeated varint field."""
    out = []
    pos = f.value
    while pos < f.end:
        value, pos = read_varint(buf, pos, f.end)
        out.append(signed(value))
    return out
