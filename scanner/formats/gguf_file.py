"""The GGUF container: metadata key/values and the tensor table, read without trusting any count.

A GGUF file is a small header (magic, version, tensor count, key/value count), the key/values, a
table of tensor descriptors (name, dimensions, type, offset into the data section) and the aligned
data section. Every count and length in it is attacker-controlled, so this reader never allocates
by a declared size: it walks the memory-mapped bytes with a cursor that refuses to read past the
end, caps arrays, and treats a tensor table that does not parse to its declared count as a lie
(the tensors are then only kept if they still fit the file exactly; a problem says so either way).
The ``gguf`` package supplies the quantisation constants; tensor values are decoded later, lazily.
"""

from __future__ import annotations

import math
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

from scanner.errors import problem
from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import Problem, Severity

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_ARRAY = 1 << 22  # elements kept per metadata array (a vocabulary is well under this)
MAX_DIMS = 8
MAX_NESTING = 2
MIN_TENSOR_INFO = 8 + 4 + 4 + 8  # empty name, no dimensions, type, offset
MIN_KV = 8 + 4 + 1

# GGUF metadata value types (gguf specification)
_SCALARS: dict[int, str] = {0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1",
                            10: "<u8", 11: "<i8", 12: "<f8"}
_BOOL, _STRING, _ARRAY = 7, 8, 9

# Plain (non-block) GGUF tensor types and the dtype strings the weight reader uses for them.
PLAIN_TYPES: dict[GGMLQuantizationType, str] = {
    GGMLQuantizationType.F32: "F32", GGMLQuantizationType.F16: "F16", GGMLQuantizationType.BF16: "BF16",
    GGMLQuantizationType.F64: "F64", GGMLQuantizationType.I8: "I8", GGMLQuantizationType.I16: "I16",
    GGMLQuantizationType.I32: "I32", GGMLQuantizationType.I64: "I64",
}


class GGUFFormatError(ValueError):
    """The bytes do not follow the GGUF layout at the point named in the message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GGUFTensor:
    """One tensor descriptor as stored: GGUF names and dimension order (innermost first)."""

    name: str
    dims: tuple[int, ...]
    type_id: int
    offset: int  # relative to the data section


@dataclass(frozen=True, slots=True, kw_only=True)
class GGUFFile:
    """The parsed header of one GGUF file: metadata and usable tensors (absolute offsets, GGUF names)."""

    file: str
    version: int
    size: int
    metadata: dict[str, Any]
    tensors: tuple[HeaderTensor, ...]
    declared_tensors: int


def gguf_dtype(type_id: int) -> str | None:
    """The dtype string for a GGUF tensor type id: plain types by name, block types as ``GGUF_<TYPE>``."""
    try:
        qtype = GGMLQuantizationType(type_id)
    except ValueError:
        return None
    return PLAIN_TYPES.get(qtype, f"GGUF_{qtype.name}")


def stored_bytes(type_id: int, dims: tuple[int, ...]) -> int | None:
    """Bytes a tensor of this type and shape occupies, or None when the innermost dimension breaks a block."""
    qtype = GGMLQuantizationType(type_id)
    block, block_bytes = GGML_QUANT_SIZES[qtype]
    if dims and dims[0] % block:
        return None
    return math.prod(dims) // block * block_bytes


class _Cursor:
    """Little-endian reads from a memory map that fail cleanly at the end instead of reading past it."""

    def __init__(self, buf: mmap.mmap, offset: int = 0) -> None:
        self.buf = buf
        self.pos = offset
        self.size = len(buf)

    def remaining(self) -> int:
        return self.size - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.remaining():
            raise GGUFFormatError(f"{what} needs {n} bytes at offset {self.pos} but the file ends at {self.size}")
        data = self.buf[self.pos:self.pos + n]
        self.pos += n
        return data

    def u32(self, what: str) -> int:
        return struct.unpack("<I", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack("<Q", self.take(8, what))[0]

    def string(self, what: str) -> str:
        length = self.u64(f"{what} length")
        return self.take(length, what).decode("utf-8", errors="replace")

    def skip_string(self, what: str) -> None:
        self.skip(self.u64(f"{what} length"), what)

    def skip(self, n: int, what: str) -> None:
        if n < 0 or n > self.remaining():
            raise GGUFFormatError(f"{what} needs {n} bytes at offset {self.pos} but the file ends at {self.size}")
        self.pos += n

    def array(self, dtype: np.dtype, count: int, what: str) -> np.ndarray:
        """``count`` elements copied out of the map (the caller has capped ``count``)."""
        data = self.take(count * dtype.itemsize, what)
        return np.frombuffer(data, dtype=dtype).copy()


def open_gguf(path: Path, rel: str) -> tuple[GGUFFile | None, list[Problem]]:
    """The file's metadata and tensor table, or None with the reason it could not be read at all."""
    try:
        with open(path, "rb") as fh:
            size = path.stat().st_size
            if size < 24:
                return None, [problem(rel, "gguf.truncated", f"is {size} bytes, too short for a GGUF header")]
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(buf, rel, size)
    except OSError as exc:
        return None, [problem(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})")]


def _parse(buf: mmap.mmap, rel: str, size: int) -> tuple[GGUFFile | None, list[Problem]]:
    cur = _Cursor(buf)
    if cur.take(4, "magic") != MAGIC:
        return None, [problem(rel, "gguf.bad-magic", "does not start with the GGUF magic bytes")]
    version = cur.u32("version")
    if version not in SUPPORTED_VERSIONS:
        swapped = int.from_bytes(version.to_bytes(4, "little"), "big")
        reason = ("is a big-endian GGUF, which is not supported" if swapped in SUPPORTED_VERSIONS
                  else f"has GGUF version {version}; versions {', '.join(map(str, SUPPORTED_VERSIONS))} are supported")
        return None, [problem(rel, "gguf.unsupported-version", reason)]
    tensor_count = cur.u64("tensor count")
    kv_count = cur.u64("key/value count")
    if kv_count * MIN_KV > cur.remaining():
        return None, [problem(rel, "gguf.bad-count", f"declares {kv_count} metadata entries, more than its {size} bytes can hold")]
    problems: list[Problem] = []
    metadata: dict[str, Any] = {}
    try:
        for _ in range(kv_count):
            key = cur.string("metadata key")
            value_type = cur.u32(f"type of '{key}'")
            value = _value(cur, value_type, key, 0, problems, rel)
            if key in metadata:
                problems.append(problem(rel, "gguf.duplicate-key", f"repeats metadata key '{key}'; the first value is used",
                                        Severity.WARNING))
                continue
            metadata[key] = value
    except GGUFFormatError as exc:
        return None, [*problems, problem(rel, "gguf.bad-metadata", f"metadata unreadable: {exc}")]
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        problems.append(problem(rel, "gguf.bad-alignment", f"declares alignment {alignment!r}; {DEFAULT_ALIGNMENT} is used",
                                Severity.WARNING))
        alignment = DEFAULT_ALIGNMENT
    infos, table_end = _tensor_table(cur, tensor_count, rel, problems)
    data_start = -(-table_end // alignment) * alignment
    tensors = _checked_tensors(infos, data_start, size, alignment, rel, problems)
    if len(infos) < tensor_count and tensors and len(tensors) != len(infos):
        # a lying count: what was read is only trusted if every descriptor still fits the file exactly
        problems.append(problem(rel, "gguf.bad-tensor-table",
                                "the tensors that could be read do not fit the file either; none are used"))
        tensors = []
    elif bytes(buf[table_end:data_start]).strip(b"\0"):
        # an understated count: more descriptors follow the table, so every offset would be misread
        problems.append(problem(rel, "gguf.bad-tensor-table",
                                f"has data between the end of its {len(infos)}-tensor table (byte {table_end}) and the "
                                f"aligned start of its data (byte {data_start}), where only padding belongs: the tensor "
                                "count understates the table; no tensors are used"))
        tensors = []
    else:
        problems += _unaccounted(tensors, data_start, size, alignment, rel)
    return GGUFFile(file=rel, version=version, size=size, metadata=metadata, tensors=tuple(tensors),
                    declared_tensors=tensor_count), problems


def _unaccounted(tensors: list[HeaderTensor], data_start: int, size: int, alignment: int, rel: str) -> list[Problem]:
    """Data-section bytes no descriptor covers, beyond alignment padding: a sign that the table leaves
    tensors out (an understated count puts the real data start later than the one computed)."""
    first = min((t.start for t in tensors), default=size)
    last = max((t.end for t in tensors), default=data_start)
    spans = [(what, n) for what, n in (("before its first tensor", first - data_start), ("after its last tensor", size - last))
             if n >= alignment]
    return [problem(rel, "gguf.unaccounted-bytes",
                    f"has {n} bytes {what} that no tensor descriptor accounts for (the tensor count may be understated)",
                    Severity.WARNING) for what, n in spans]


def _value(cur: _Cursor, value_type: int, key: str, depth: int, problems: list[Problem], rel: str) -> Any:
    if value_type in _SCALARS:
        dtype = np.dtype(_SCALARS[value_type])
        raw = np.frombuffer(cur.take(dtype.itemsize, f"value of '{key}'"), dtype=dtype)[0]
        return bool(raw) if value_type == _BOOL else raw.item()
    if value_type == _STRING:
        return cur.string(f"value of '{key}'")
    if value_type == _ARRAY:
        if depth >= MAX_NESTING:
            raise GGUFFormatError(f"'{key}' nests arrays deeper than {MAX_NESTING}")
        item_type = cur.u32(f"item type of '{key}'")
        count = cur.u64(f"length of '{key}'")
        return _array(cur, item_type, count, key, depth, problems, rel)
    raise GGUFFormatError(f"'{key}' has unknown value type {value_type}")


def _array(cur: _Cursor, item_type: int, count: int, key: str, depth: int, problems: list[Problem], rel: str) -> Any:
    keep = count <= MAX_ARRAY
    if not keep:
        problems.append(problem(rel, "gguf.array-too-long", f"metadata array '{key}' has {count} items; not kept",
                                Severity.WARNING))
    if item_type in _SCALARS:
        dtype = np.dtype(_SCALARS[item_type])
        if not keep:
            cur.skip(count * dtype.itemsize, f"array '{key}'")
            return None
        values = cur.array(dtype, count, f"array '{key}'")
        return values.astype(bool) if item_type == _BOOL else values
    if item_type == _STRING:
        if count * 8 > cur.remaining():
            raise GGUFFormatError(f"array '{key}' declares {count} strings, more than the file can hold")
        if not keep:
            for _ in range(count):
                cur.skip_string(f"item of '{key}'")
            return None
        return [cur.string(f"item of '{key}'") for _ in range(count)]
    if item_type == _ARRAY:
        if count * 12 > cur.remaining():
            raise GGUFFormatError(f"array '{key}' declares {count} arrays, more than the file can hold")
        items = [_value(cur, _ARRAY, key, depth + 1, problems, rel) for _ in range(count)]
        return items if keep else None
    raise GGUFFormatError(f"array '{key}' has unknown item type {item_type}")


def _tensor_table(cur: _Cursor, count: int, rel: str, problems: list[Problem]) -> tuple[list[GGUFTensor], int]:
    """Descriptors up to the declared count or the first one that does not parse (a lying count)."""
    infos: list[GGUFTensor] = []
    if count * MIN_TENSOR_INFO > cur.remaining():
        problems.append(problem(rel, "gguf.bad-count",
                                f"declares {count} tensors, more than the {cur.remaining()} bytes after its metadata can describe"))
    end = cur.pos
    for index in range(count):
        try:
            name = cur.string(f"name of tensor {index}")
            if not name:
                raise GGUFFormatError(f"tensor {index} has an empty name")
            n_dims = cur.u32(f"dimension count of '{name}'")
            if n_dims > MAX_DIMS:
                raise GGUFFormatError(f"tensor '{name}' declares {n_dims} dimensions")
            dims = tuple(cur.u64(f"dimension of '{name}'") for _ in range(n_dims))
            type_id = cur.u32(f"type of '{name}'")
            offset = cur.u64(f"offset of '{name}'")
        except GGUFFormatError as exc:
            problems.append(problem(rel, "gguf.bad-tensor-table",
                                    f"declares {count} tensors but only {index} descriptors could be read ({exc})"))
            break
        infos.append(GGUFTensor(name=name, dims=dims, type_id=type_id, offset=offset))
        end = cur.pos
    return infos, end


def _checked_tensors(infos: list[GGUFTensor], data_start: int, size: int, alignment: int, rel: str,
                     problems: list[Problem]) -> list[HeaderTensor]:
    """Tensors whose type is known, whose bytes lie inside the file and overlap no other tensor."""
    seen: set[str] = set()
    placed: list[HeaderTensor] = []
    for info in infos:
        dtype = gguf_dtype(info.type_id)
        if dtype is None:
            problems.append(problem(rel, "gguf.unknown-type", f"tensor '{info.name}' has unknown type {info.type_id}",
                                    Severity.WARNING))
            continue
        if info.name in seen:
            problems.append(problem(rel, "gguf.duplicate-tensor", f"repeats tensor '{info.name}'; the first is used"))
            continue
        seen.add(info.name)
        nbytes = stored_bytes(info.type_id, info.dims)
        if nbytes is None:
            problems.append(problem(rel, "gguf.bad-shape",
                                    f"tensor '{info.name}' has {info.dims[0]} values per row, not a whole number of {dtype} blocks"))
            continue
        start = data_start + info.offset
        if start + nbytes > size:
            problems.append(problem(rel, "gguf.tensor-past-end",
                                    f"tensor '{info.name}' ends at byte {start + nbytes} but the file has {size}"))
            continue
        if info.offset % alignment:
            problems.append(problem(rel, "gguf.misaligned", f"tensor '{info.name}' is not {alignment}-byte aligned",
                                    Severity.WARNING))
        placed.append(HeaderTensor(name=info.name, dtype=dtype, shape=tuple(reversed(info.dims)), file=rel,
                                   start=start, end=start + nbytes))
    kept: list[HeaderTensor] = []
    last_end, last_name = -1, ""
    for t in sorted(placed, key=lambda t: (t.start, t.end, t.name)):
        if t.start < last_end and t.end > t.start:
            problems.append(problem(rel, "gguf.overlap", f"tensor '{t.name}' overlaps tensor '{last_name}'; dropped"))
            continue
        kept.append(t)
        if t.end > last_end:
            last_end, last_name = t.end, t.name
    return sorted(kept, key=lambda t: t.name)
