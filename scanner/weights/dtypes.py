"""Decode stored weight bytes into float32, chunk by chunk.

Only formats whose values can be recovered exactly (up to float32) are decoded: IEEE floats,
bfloat16, the two OCP FP8 formats, and 8-bit integers (scaled when the checkpoint ships scales).
Packed low-bit formats (GPTQ/AWQ ``qweight`` int32 words, 4-bit ``U8`` nibbles, MXFP4/NVFP4) need
layout knowledge a header does not carry; they are reported as not dequantised rather than guessed.
"""

from __future__ import annotations

import numpy as np

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

# Integer dtypes that hold weights only together with scales; without them values are codes, not weights.
INTEGER_DTYPES = frozenset({"I8", "U8", "I16", "I32", "I64"})
FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"})


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


def decode(raw: np.ndarray, dtype: str, out: np.ndarray | None = None) -> np.ndarray:
    """Raw elements (viewed with ``RAW_DTYPES[dtype]``) as float32; reuses ``out`` when given."""
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
