"""Streaming access to tensor data: memory-mapped, zero-copy raw views, float32 in bounded row chunks.

A model is never loaded whole. Each tensor is a view into the memory-mapped file; values are
decoded into one reusable float32 buffer a few rows at a time, and the mapped pages of each chunk
are released (``madvise(MADV_DONTNEED)``: they stay in the page cache but leave this process's
resident set) once it is processed, so peak memory is set by the chunk size, not by the model or
its largest tensor.
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scanner.parse.safetensors_header import Dequant, HeaderTensor
from scanner.weights.dtypes import (
    GGUF_BLOCK_DTYPES,
    RAW_DTYPES,
    SCALED_DTYPES,
    BlockQuantized,
    EncodedArray,
    ScaledIntegers,
    decode,
    gguf_block,
)

MADV_POPULATE_READ = 22  # Linux uapi value; Python's mmap module does not name it
CHUNK_BYTES = 4 << 20  # float32 bytes per decoded chunk


@dataclass(frozen=True, slots=True)
class Scale:
    """How stored values become weights: a per-row or per-block multiplier read from a companion tensor."""

    values: np.ndarray  # float32; shape (rows,) for per-row, (ceil(rows/b), ceil(cols/b)) for block
    block: int  # 0 for per-row scales


class WeightFiles:
    """Open memory maps of a repository's weight files, closed together."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths
        self._maps: dict[str, mmap.mmap] = {}
        self._bytes: dict[str, np.ndarray] = {}  # a uint8 view of each map: its base address, for release()
        self._stack = ExitStack()

    def __enter__(self) -> WeightFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bytes.clear()
        for mm in self._maps.values():
            try:
                mm.close()
            except BufferError:  # an array view is still alive somewhere; the map closes when it goes
                pass
        self._maps.clear()
        self._stack.close()

    def raw(self, tensor: HeaderTensor) -> np.ndarray | EncodedArray:
        """Zero-copy view of the stored elements, shaped as declared.

        Block-quantised GGUF tensors and scaled integers come back as an ``EncodedArray`` over the
        same mapped bytes (see ``scanner.weights.dtypes``); ``row_chunks`` decodes either kind.
        """
        mm = self._map(tensor.file)
        if tensor.dtype in GGUF_BLOCK_DTYPES:
            block, block_bytes = gguf_block(tensor.dtype)
            shape = tensor.shape if tensor.shape else (1,)
            row_bytes = shape[-1] // block * block_bytes
            data = np.frombuffer(mm, dtype=np.uint8, count=tensor.end - tensor.start, offset=tensor.start)
            return BlockQuantized(data.reshape(shape[:-1] + (row_bytes,)), tensor.dtype, shape)
        if tensor.dtype in SCALED_DTYPES:
            codes = np.frombuffer(mm, dtype=SCALED_DTYPES[tensor.dtype], count=tensor.numel,
                                  offset=tensor.start).reshape(tensor.shape)
            if tensor.dequant is None:
                raise ValueError(f"tensor '{tensor.name}' is {tensor.dtype} without a scale")
            scale = self._broadcastable(tensor.dequant.scale, tensor.dequant, tensor.shape)
            zero = (self._broadcastable(tensor.dequant.zero_point, tensor.dequant, tensor.shape)
                    if tensor.dequant.zero_point is not None else None)
            return ScaledIntegers(codes, scale, zero)
        dtype = RAW_DTYPES[tensor.dtype]
        count = tensor.numel
        return np.frombuffer(mm, dtype=dtype, count=count, offset=tensor.start).reshape(tensor.shape)

    def _broadcastable(self, companion: HeaderTensor, dequant: Dequant, shape: tuple[int, ...]) -> np.ndarray:
        """A scale or zero point as an array with the weight's number of axes (small: one value per row or column)."""
        values = np.array(decode(self.raw(companion), companion.dtype), dtype=np.float32)
        if values.size == 1:
            return values.reshape((1,) * len(shape))
        if dequant.axis is not None and values.ndim == 1:
            axis = dequant.axis % len(shape)
            return values.reshape(tuple(len(values) if i == axis else 1 for i in range(len(shape))))
        if values.ndim < len(shape):
            values = values.reshape((1,) * (len(shape) - values.ndim) + values.shape)
        return values

    def open_all(self, files: set[str]) -> None:
        """Map every file up front, so worker threads only ever read the map tables."""
        for file in sorted(files):
            self._map(file)

    def hash_bytes(self, tensor: HeaderTensor, hasher, step: int = CHUNK_BYTES) -> None:
        """Feed the tensor's stored bytes to ``hasher`` in bounded steps, releasing each step's pages."""
        self._map(tensor.file)
        data = self._bytes[tensor.file]
        for start in range(tensor.start, tensor.end, step):
            block = data[start:min(start + step, tensor.end)]
            hasher.update(block)
            self.release(block)

    def prefault(self, view: object) -> None:
        """Map a chunk's pages in one call (MADV_POPULATE_READ, Linux 5.14+) instead of one fault per page."""
        self._advise(view, MADV_POPULATE_READ)

    def release(self, view: object) -> None:
        """Drop the mapped pages behind a processed numpy view from the resident set (they stay cached)."""
        self._advise(view, getattr(mmap, "MADV_DONTNEED", None))

    def _advise(self, view: object, advice: int | None) -> None:
        if advice is None or not isinstance(view, np.ndarray) or not view.nbytes:
            return
        address = view.__array_interface__["data"][0]
        for file, data in self._bytes.items():
            base = data.ctypes.data
            if base <= address < base + data.nbytes:
                start = (address - base) // mmap.PAGESIZE * mmap.PAGESIZE
                end = min(data.nbytes, address - base + view.nbytes)
                try:
                    self._maps[file].madvise(advice, start, end - start)
                except OSError:  # an older kernel without the advice: the pages fault in as usual
                    pass
                return

    def _map(self, file: str) -> mmap.mmap:
        if file not in self._maps:
            fh = self._stack.enter_context(open(self._paths[file], "rb"))
            self._maps[file] = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            self._bytes[file] = np.frombuffer(self._maps[file], dtype=np.uint8)
        return self._maps[file]


def row_chunks(raw2d: np.ndarray | EncodedArray, dtype: str, scale: Scale | None = None,
               chunk_bytes: int = CHUNK_BYTES, prefault=None) -> Iterator[tuple[int, np.ndarray, np.ndarray | EncodedArray]]:
    """Yield ``(first_row, float32 rows, raw rows)`` for a 2-D raw view; the float32 array is reused between chunks."""
    rows, cols = raw2d.shape
    if rows == 0 or cols == 0:
        return
    step = max(1, chunk_bytes // (4 * cols))
    if scale is not None and scale.block:
        step = max(scale.block, step - step % scale.block)
    buffer = np.empty((min(step, rows), cols), np.float32)
    high_halves = _bf16_high_halves(buffer) if dtype == "BF16" and scale is None and isinstance(raw2d, np.ndarray) else None
    for start in range(0, rows, step):
        block = raw2d[start:start + step]
        if prefault is not None:
            prefault(block)
        out = buffer[: len(block)]
        if high_halves is not None:
            high_halves[: len(block)] = block
        else:
            decode(block, dtype, out=out)
        if scale is not None:
            _apply_scale(out, start, scale)
        yield start, out, block


def _bf16_high_halves(buffer: np.ndarray) -> np.ndarray | None:
    """The upper 16 bits of every float32 in a zeroed buffer, as a uint16 view.

    A bfloat16 is the upper half of a float32, so copying the stored values there decodes them
    without the shift-and-widen pass over every element; the lower halves stay zero because
    nothing else writes this buffer. Little-endian hosts only (the upper half comes second).
    """
    if sys.byteorder != "little":
        return None
    buffer[...] = 0
    return buffer.view(np.uint16)[:, 1::2]


def _apply_scale(out: np.ndarray, start: int, scale: Scale) -> None:
    if scale.block == 0:
        out *= scale.values[start:start + len(out), None]
        return
    b = scale.block
    row_blocks = scale.values[start // b: (start + len(out) + b - 1) // b]
    expanded = np.repeat(np.repeat(row_blocks, b, axis=0)[: len(out)], b, axis=1)[:, : out.shape[1]]
    out *= expanded
