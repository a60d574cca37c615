"""Decode stored weight bytes into float32, chunk by chunk.

Only formats whose values can be recovered exactly (up to float32) are decoded: IEEE floats,
bfloat16, the two OCP FP8 formats, 8-bit integers (scaled when the checkpoint ships scales), the
block-quantised GGUF types (each block carries its own scales; decoded with the maintained ``gguf``
package) and ONNX-style scaled integers (``I8_SCALED``/``U8_SCALED``: the scale and zero point are
named in the tensor's ``Dequant``). Packed low-bit formats whose layout a header does not describe
(GPTQ/AWQ ``qweight`` int32 words, 4-bit ``U8`` nibbles in safetensors) are reported as not
dequantised rather than guessed.

The two self-describing encodings are served as ``EncodedArray`` objects instead of numpy views:
their stored rows are not ``cols x itemsize`` bytes, so the reader hands out an object with the
logical shape that decodes itself row block by row block (see ``EncodedArray``).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf import quants as gguf_quants

# Stored dtype -> numpy dtype of the raw elements.
RAW_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "F8_E4M3": np.dtype("u1"),
    "F8_E5M2": np.dtype("u1"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "I16": np.dtype("<i2"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
}


def _dequantisable(qtype: GGMLQuantizationType) -> bool:
    """Whether ``gguf`` can dequantise this block type (asked once, on one all-zero block)."""
    block, block_bytes = GGML_QUANT_SIZES[qtype]
    if block == 1:  # plain element types (F32, F16, BF16, I8 ...) are not block-quantised
        return False
    try:
        gguf_quants.dequantize(np.zeros((1, block_bytes), np.uint8), qtype)
    except NotImplementedError:
        return False
    return True


# GGUF block-quantised types the ``gguf`` package dequantises, as dtype strings ("GGUF_Q4_1" ...).
# Types it cannot dequantise (Q8_1, Q8_K: intermediate formats) keep their GGUF name and stay undecoded.
GGUF_BLOCK_DTYPES: dict[str, GGMLQuantizationType] = {
    f"GGUF_{qtype.name}": qtype for qtype in GGMLQuantizationType if _dequantisable(qtype)
}
SCALED_DTYPES: dict[str, np.dtype] = {"I8_SCALED": np.dtype("i1"), "U8_SCALED": np.dtype("u1")}

# Integer dtypes that hold weights only together with scales; without them values are codes, not weights.
INTEGER_DTYPES = frozenset({"I8", "U8", "I16", "I32", "I64"})
# Dtypes ``decode`` turns into the weights themselves, with no companion tensor to find by name:
# IEEE and FP8 floats, and the self-describing quantised encodings above.
FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}) | frozenset(GGUF_BLOCK_DTYPES) | frozenset(SCALED_DTYPES)


def gguf_block(dtype: str) -> tuple[int, int] | None:
    """(elements per block, bytes per block) of a GGUF block dtype string, else None."""
    qtype = GGUF_BLOCK_DTYPES.get(dtype)
    return GGML_QUANT_SIZES[qtype] if qtype is not None else None


def _fp8_table(exponent_bits: int, mantissa_bits: int, bias: int, *, ieee_special: bool) -> np.ndarray:
    """All 256 values of an 8-bit float format, computed from its definition (OCP FP8 spec)."""
    codes = np.arange(256, dtype=np.uint32)
    sign = np.where(codes >> 7, -1.0, 1.0)
    exponent = (codes >> mantissa_bits) & ((1 << exponent_bits) - 1)
    mantissa = codes & ((1 << mantissa_bits) - 1)
    frac = mantissa / float(1 << mantissa_bits)
    normal = sign * (1.0 + frac) * np.exp2(exponent.astype(np.float64) - bias)
    subnormal = sign * frac * np.exp2(1.0 - bias)
    values = np.where(exponent == 0, subnormal, normal)
    top = (1 << exponent_bits) - 1
    if ieee_special:  # E5M2: all-ones exponent is inf (mantissa 0) or NaN
        values = np.where((exponent == top) & (mantissa == 0), sign * np.inf, values)
        values = np.where((exponent == top) & (mantissa != 0), np.nan, values)
    else:  # E4M3 (fn): only S.1111.111 is NaN; no infinities
        values = np.where((exponent == top) & (mantissa == (1 << mantissa_bits) - 1), np.nan, values)
    return values.astype(np.float32)


FP8_E4M3 = _fp8_table(4, 3, 7, ieee_special=False)
FP8_E5M2 = _fp8_table(5, 2, 15, ieee_special=True)


def decode(raw: np.ndarray | EncodedArray, dtype: str, out: np.ndarray | None = None) -> np.ndarray:
    """Raw elements (viewed with ``RAW_DTYPES[dtype]``, or an ``EncodedArray``) as float32; reuses ``out`` when given."""
    if isinstance(raw, EncodedArray):
        return raw.decode(out)
    if dtype == "BF16":
        target = out if out is not None else np.empty(raw.shape, np.float32)
        np.left_shift(raw, 16, out=target.view(np.uint32), dtype=np.uint32)
        return target
    if dtype == "F8_E4M3":
        return np.take(FP8_E4M3, raw, out=out)
    if dtype == "F8_E5M2":
        return np.take(FP8_E5M2, raw, out=out)
    if out is not None:
        np.copyto(out, raw, casting="unsafe")
        return out
    return raw.astype(np.float32)


def round_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits with round-to-nearest-even, the rounding every framework's cast uses.

    The dtype-normalised hash is taken over these bits, so an F32 tensor and its BF16 cast hash alike.
    """
    bits = values.view(np.uint32)
    rounded = bits + (((bits >> 16) & 1) + 0x7FFF)
    out = (rounded >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        out[nan] = 0x7FC0
    return out


class EncodedArray:
    """Stored values that are not one element per ``itemsize`` bytes, with the array surface the engine uses.

    The fingerprint pass treats a tensor's raw view as an array: it reads ``shape``/``ndim``/``size``,
    selects experts and row ranges with ``[]``, flattens trailing axes with ``reshape`` and asks
    ``flags.c_contiguous`` before hashing a sub-range's bytes. This class offers exactly that, in
    logical (decoded) coordinates, over a numpy view of the stored data; ``decode`` produces the
    float32 values. Sub-range byte hashes are never taken of encoded data (``c_contiguous`` is
    False), so a piece cut from an encoded tensor carries the whole tensor's raw hash.
    """

    flags = SimpleNamespace(c_contiguous=False)

    def __init__(self, full_shape: tuple[int, ...], columns: slice | None = None) -> None:
        self.full_shape = tuple(int(d) for d in full_shape)
        self.columns = columns  # a column window applied after decoding, for [rows, columns] selections

    @property
    def shape(self) -> tuple[int, ...]:
        if self.columns is None:
            return self.full_shape
        return self.full_shape[:-1] + (self.columns.stop - self.columns.start,)

    @property
    def ndim(self) -> int:
        return len(self.full_shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        return self.full_shape[0]

    def __getitem__(self, key: object) -> EncodedArray:
        columns = None
        if isinstance(key, tuple):
            if len(key) != 2 or self.ndim != 2 or not all(isinstance(k, slice) for k in key) or self.columns is not None:
                raise IndexError("encoded arrays support [rows] and one [rows, columns] slice only")
            key, window = key
            c0, c1, step = window.indices(self.full_shape[-1])
            if step != 1:
                raise IndexError("encoded arrays support contiguous column slices only")
            columns = None if (c0, c1) == (0, self.full_shape[-1]) else slice(c0, max(c0, c1))
        elif self.columns is not None:
            raise IndexError("encoded arrays do not select rows of a column selection")
        if isinstance(key, (int, np.integer)):
            return self._rows(int(key), drop_axis=True)
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise IndexError("encoded arrays support contiguous row slices only")
        start, stop, _ = key.indices(self.full_shape[0])
        picked = self._rows(slice(start, max(start, stop)), drop_axis=False)
        picked.columns = columns
        return picked

    def reshape(self, *shape: int | tuple[int, ...]) -> EncodedArray:
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if self.columns is not None:
            raise ValueError("cannot reshape a column selection of an encoded array")
        dims = [int(d) for d in shape]
        if dims.count(-1) > 1:
            raise ValueError("at most one dimension may be -1")
        if -1 in dims:
            known = math.prod(d for d in dims if d != -1)
            if known == 0 or self.size % known:
                raise ValueError(f"cannot reshape {self.shape} into {tuple(shape)}")
            dims[dims.index(-1)] = self.size // known
        if math.prod(dims) != self.size:
            raise ValueError(f"cannot reshape {self.shape} into {tuple(dims)}")
        return self._reshaped(tuple(dims))

    def decode(self, out: np.ndarray | None = None) -> np.ndarray:
        """All selected values as float32 (into ``out`` when given; it must hold ``shape``)."""
        values = self._decode_all().reshape(self.full_shape)
        if self.columns is not None:
            values = values[..., self.columns]
        if out is None:
            return np.ascontiguousarray(values, dtype=np.float32)
        np.copyto(out, values, casting="unsafe")
        return out

    def _rows(self, key: int | slice, *, drop_axis: bool) -> EncodedArray:
        raise NotImplementedError

    def _reshaped(self, shape: tuple[int, ...]) -> EncodedArray:
        raise NotImplementedError

    def _decode_all(self) -> np.ndarray:
        raise NotImplementedError


class BlockQuantized(EncodedArray):
    """A GGUF block-quantised tensor: blocks of ``block`` values run along the last axis, row after row.

    ``data`` is the stored bytes as uint8 with shape ``shape[:-1] + (bytes per row,)``, a zero-copy
    view into the memory-mapped file; only the rows being decoded are ever expanded.
    """

    def __init__(self, data: np.ndarray, dtype: str, shape: tuple[int, ...]) -> None:
        super().__init__(shape)
        self.dtype = dtype
        self.data = data
        self.block, self.block_bytes = gguf_block(dtype) or (0, 0)
        if (not self.block or not shape or shape[-1] % self.block or data.shape[:-1] != tuple(shape[:-1])
                or data.shape[-1] * self.block != shape[-1] * self.block_bytes):
            raise ValueError(f"{dtype} values of shape {tuple(shape)} cannot be stored as {data.shape} bytes")

    def _rows(self, key: int | slice, *, drop_axis: bool) -> EncodedArray:
        picked = self.data[key]
        return BlockQuantized(picked, self.dtype, picked.shape[:-1] + (self.full_shape[-1],))

    def _reshaped(self, shape: tuple[int, ...]) -> EncodedArray:
        if not shape or shape[-1] % self.block:
            raise ValueError(f"{self.dtype} values come in blocks of {self.block}; cannot reshape to {shape}")
        data = self.data.reshape(shape[:-1] + (shape[-1] // self.block * self.block_bytes,))
        return BlockQuantized(data, self.dtype, shape)

    def _decode_all(self) -> np.ndarray:
        return gguf_quants.dequantize(np.ascontiguousarray(self.data), GGUF_BLOCK_DTYPES[self.dtype])


class ScaledIntegers(EncodedArray):
    """Integer codes with a broadcastable scale and zero point: ``(code - zero_point) * scale``.

    ``scale`` and ``zero_point`` have the codes' number of axes, each axis either 1 or the codes'
    length, so selecting rows selects their scales too.
    """

    def __init__(self, codes: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None) -> None:
        super().__init__(codes.shape)
        for label, a in (("scale", scale), ("zero point", zero_point)):
            if a is not None and (a.ndim != codes.ndim or any(s not in (1, c) for s, c in zip(a.shape, codes.shape))):
                raise ValueError(f"{label} of shape {a.shape} does not broadcast over codes of shape {codes.shape}")
        self.codes, self.scale, self.zero_point = codes, scale, zero_point

    def _rows(self, key: int | slice, *, drop_axis: bool) -> EncodedArray:
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            if a.shape[0] == 1:
                return a[0] if drop_axis else a
            return a[key]
        return ScaledIntegers(self.codes[key], pick(self.scale), pick(self.zero_point))

    def _reshaped(self, shape: tuple[int, ...]) -> EncodedArray:
        def constant(a: np.ndarray | None) -> bool:
            return a is None or a.size == 1

        def per_row(a: np.ndarray | None) -> bool:
            return a is None or all(d == 1 for d in a.shape[1:])

        if constant(self.scale) and constant(self.zero_point):
            lead = (1,) * len(shape)
        elif shape[0] == self.shape[0] and per_row(self.scale) and per_row(self.zero_point):
            lead = (shape[0],) + (1,) * (len(shape) - 1)
        else:
            raise ValueError(f"cannot reshape codes {self.shape} to {shape} with a scale of shape {self.scale.shape}")

        def fit(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            return a.reshape(lead if a.size > 1 else (1,) * len(shape))
        return ScaledIntegers(self.codes.reshape(shape), fit(self.scale), fit(self.zero_point))

    def _decode_all(self) -> np.ndarray:
        values = self.codes.astype(np.float32)
        if self.zero_point is not None:
            values -= self.zero_point.astype(np.float32)
        values *= self.scale
        return values
