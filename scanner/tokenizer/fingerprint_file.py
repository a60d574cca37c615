"""The ``.tokfp`` file: a tokenizer fingerprint on disk, byte-for-byte reproducible and validated on load.

Layout::

    8 bytes   magic  b"FSTOKFP\\0"
    4 bytes   header length, little-endian uint32
    header    JSON, UTF-8, sorted keys, no spaces, ASCII only
    arrays    token hashes (<u4 x vocab_size), merge block hashes (<u8 x merge_blocks),
              merge sketch (<u8 x merge_sketch_size), back to back

A small JSON header keeps the file readable with ``head -c``; packed little-endian arrays keep it
small and need no pickle or object arrays. Same fingerprint in, same bytes out. Loading checks
every count, size, digest shape and ordering before anything is used, and a file that fails is a
``DataFileError`` naming it, because a broken catalog file must stop a scan rather than silently
weaken it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from scanner.codec import DecodeError, from_jsonable
from scanner.errors import DataFileError
from scanner.tokenizer.fingerprint import MERGE_BLOCK, MERGE_SKETCH_SIZE, SPECIAL_TOKENS_KEPT, TokenizerFingerprint
from scanner.tokenizer.model import TokenEncoding

MAGIC = b"FSTOKFP\x00"
FORMAT_VERSION = 1
FILE_SUFFIX = ".tokfp"
_MAX_HEADER_BYTES = 8 << 20
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Header:
    format: Literal["fromscratch-tokenizer-fingerprint"]
    version: int
    label: str
    source: str
    model_type: str
    encoding: str
    vocab_size: int
    token_count: int
    added_tokens: int
    special_tokens: tuple[str, ...]
    special_tokens_total: int
    vocab_digest: str
    merges: int | None
    merges_digest: str | None
    merge_block_size: int
    merge_blocks: int
    merge_sketch_size: int


def fingerprint_to_bytes(fp: TokenizerFingerprint) -> bytes:
    """Serialise deterministically."""
    header = {
        "format": "fromscratch-tokenizer-fingerprint",
        "version": FORMAT_VERSION,
        "label": fp.label,
        "source": fp.source,
        "model_type": fp.model_type,
        "encoding": fp.encoding,
        "vocab_size": fp.vocab_size,
        "token_count": fp.token_count,
        "added_tokens": fp.added_tokens,
        "special_tokens": list(fp.special_tokens),
        "special_tokens_total": fp.special_tokens_total,
        "vocab_digest": fp.vocab_digest,
        "merges": fp.merges,
        "merges_digest": fp.merges_digest,
        "merge_block_size": MERGE_BLOCK,
        "merge_blocks": len(fp.merge_block_hashes) // 8,
        "merge_sketch_size": len(fp.merge_sketch) // 8,
    }
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return b"".join(
        (MAGIC, len(text).to_bytes(4, "little"), text, fp.token_hashes, fp.merge_block_hashes, fp.merge_sketch)
    )


def fingerprint_from_bytes(data: bytes, name: str) -> TokenizerFingerprint:
    """Parse and validate; raises ``DataFileError`` starting with ``name``."""
    def bad(message: str) -> DataFileError:
        return DataFileError(f"{name}: {message}")

    if data[:8] != MAGIC:
        raise bad("not a tokenizer fingerprint (wrong magic bytes)")
    if len(data) < 12:
        raise bad("truncated before the header")
    length = int.from_bytes(data[8:12], "little")
    if length > _MAX_HEADER_BYTES or 12 + length > len(data):
        raise bad(f"header length {length} does not fit the {len(data)}-byte file")
    try:
        raw = json.loads(data[12:12 + length].decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise bad(f"header is not ASCII JSON ({exc})") from None
    if isinstance(raw, dict) and raw.get("version") != FORMAT_VERSION and isinstance(raw.get("version"), int):
        raise bad(f"fingerprint version {raw['version']} is not supported (this tool reads version {FORMAT_VERSION})")
    try:
        header = from_jsonable(_Header, raw, "header")
    except DecodeError as exc:
        raise bad(str(exc)) from None
    _check_header(header, bad)
    sizes = (4 * header.vocab_size, 8 * header.merge_blocks, 8 * header.merge_sketch_size)
    start = 12 + length
    if len(data) != start + sum(sizes):
        raise bad(f"is {len(data)} bytes, but its header describes {start + sum(sizes)}")
    token_hashes = data[start:start + sizes[0]]
    blocks = data[start + sizes[0]:start + sizes[0] + sizes[1]]
    sketch = data[start + sizes[0] + sizes[1]:]
    if int(np.count_nonzero(np.frombuffer(token_hashes, dtype="<u4"))) != header.token_count:
        raise bad("token_count does not match the token hashes")
    sketch_values = np.frombuffer(sketch, dtype="<u8")
    if len(sketch_values) > 1 and not bool(np.all(sketch_values[1:] > sketch_values[:-1])):
        raise bad("the merge sketch is not strictly ascending")
    return TokenizerFingerprint(
        label=header.label,
        source=header.source,
        model_type=header.model_type,
        encoding=header.encoding,
        vocab_size=header.vocab_size,
        token_count=header.token_count,
        added_tokens=header.added_tokens,
        special_tokens=header.special_tokens,
        special_tokens_total=header.special_tokens_total,
        vocab_digest=header.vocab_digest,
        token_hashes=token_hashes,
        merges=header.merges,
        merges_digest=header.merges_digest,
        merge_block_hashes=blocks,
        merge_sketch=sketch,
    )


def _check_header(h: _Header, bad: Callable[[str], DataFileError]) -> None:
    if h.encoding not in {e.value for e in TokenEncoding}:
        raise bad(f"unknown encoding {h.encoding!r}")
    if h.merge_block_size != MERGE_BLOCK:
        raise bad(f"merge_block_size is {h.merge_block_size}, this tool compares blocks of {MERGE_BLOCK}")
    counts = ("vocab_size", "token_count", "added_tokens", "special_tokens_total", "merge_blocks", "merge_sketch_size")
    for field_name in counts:
        if getattr(h, field_name) < 0:
            raise bad(f"{field_name} is negative")
    if h.token_count > h.vocab_size:
        raise bad("token_count is larger than vocab_size")
    if len(h.special_tokens) > min(h.special_tokens_total, SPECIAL_TOKENS_KEPT):
        raise bad("lists more special tokens than special_tokens_total allows")
    if not _DIGEST.fullmatch(h.vocab_digest):
        raise bad("vocab_digest is not 64 lowercase hex digits")
    if h.merges is None:
        if h.merges_digest is not None or h.merge_blocks or h.merge_sketch_size:
            raise bad("has merge data but no merge count")
        return
    if h.merges < 0 or h.merges_digest is None or not _DIGEST.fullmatch(h.merges_digest):
        raise bad("merges needs a non-negative count and a 64-hex-digit merges_digest")
    if h.merge_blocks != -(-h.merges // MERGE_BLOCK):
        raise bad(f"{h.merges} merges need {-(-h.merges // MERGE_BLOCK)} merge blocks, not {h.merge_blocks}")
    if h.merge_sketch_size > min(h.merges, MERGE_SKETCH_SIZE):
        raise bad(f"merge sketch of {h.merge_sketch_size} hashes is larger than allowed")
