"""Seeded random projections: compact, non-invertible sketches whose correlations estimate Pearson's r.

For a canonical matrix W (r x c) the sketch is ``S = Rr^T (W - mean) Rc`` (32 x 32 = 1024 numbers),
where ``Rn`` is an n x 32 orthonormal matrix derived from nothing but n. Because the projection
depends only on the dimension lengths, a candidate and a catalog model compute the same projection
without exchanging anything, a transposed copy has the transposed sketch (``sketch(W^T) =
sketch(W)^T``), and a row permutation of W is a row permutation of ``Rr``. The cosine of two
sketches is an unbiased estimate of the centred cosine (Pearson r) of the two matrices, with
standard deviation 1/sqrt(1024) when they are independent — the null the statistics use.

Its +-1 seed entries come from BLAKE3's extendable output keyed by the dimension, not from a numpy
random generator, so sketches stay comparable across numpy versions and platforms.
"""

from __future__ import annotations

from functools import lru_cache

import blake3
import numpy as np

K = 32
SKETCH_VERSION = "bilinear-rademacher-32x32-v1"
_DOMAIN = b"fromscratch sketch v1 dimension "


@lru_cache(maxsize=64)
def projection(n: int) -> np.ndarray:
    """The n x K projection for a dimension of length n: orthonormal columns (rows, when n < K).

    Orthonormality matters for calibration: with a plain random +-1 matrix the K sketch
    coordinates of an isotropic tensor are correlated, which inflates the spread of sketch
    correlations between unrelated tensors beyond 1/k. The +-1 matrix is made orthonormal by a QR
    decomposition whose signs are fixed (positive diagonal), so the result is unique.
    """
    bits = np.unpackbits(np.frombuffer(blake3.blake3(_DOMAIN + str(n).encode()).digest(length=(n * K + 7) // 8), np.uint8))
    signs = bits[: n * K].astype(np.float64).reshape(n, K) * 2.0 - 1.0
    tall = signs if n >= K else signs.T
    q, r = np.linalg.qr(tall)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    out = (q if n >= K else q.T).astype(np.float32)
    out.flags.writeable = False
    return out


def effective_k(shape: tuple[int, ...]) -> int:
    """Independent sketch coordinates of a matrix of this shape (1024 unless a side is shorter than K)."""
    return min(shape[0], K) * min(shape[1], K) if len(shape) == 2 else min(shape[0], K)


def sketch_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two sketches (of centred matrices) = estimate of Pearson r between the matrices."""
    a64 = a.astype(np.float64).ravel()
    b64 = b.astype(np.float64).ravel()
    denom = float(np.sqrt(np.dot(a64, a64) * np.dot(b64, b64)))
    return float(np.dot(a64, b64) / denom) if denom > 0 else 0.0


def correlation_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosines between every row of ``a`` (n x d) and every row of ``b`` (m x d)."""
    a = a.reshape(len(a), -1).astype(np.float32)
    b = b.reshape(len(b), -1).astype(np.float32)
    an = np.linalg.norm(a, axis=1, keepdims=True)
    bn = np.linalg.norm(b, axis=1, keepdims=True)
    an[an == 0] = 1.0
    bn[bn == 0] = 1.0
    return np.clip((a / an) @ (b / bn).T, -1.0, 1.0)


ROW_FLOOR = 1e-3  # a row keeping less than this fraction of its norm once its mean is gone carries nothing


@lru_cache(maxsize=64)
def ones_direction(n_cols: int) -> np.ndarray:
    """Unit K-vector of an all-ones row's sketch (``Rc^T 1``): the direction a row's mean adds to its sketch."""
    ones = projection(n_cols).sum(axis=0, dtype=np.float64)
    ones /= np.linalg.norm(ones) or 1.0
    ones.flags.writeable = False
    return ones


def row_signatures(values: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept-row mask, row sketches without their all-ones component) of per-row sketches ``rows @ Rc``.

    A row's mean contributes ``mean_i * Rc^T 1`` to its sketch: the same direction in every model of
    that width. Zero rows (pruned neurons), constant rows and globally centred zero rows are all
    nothing but that direction, so two unrelated models with pruned rows would share near-perfect row
    matches. Removing the direction leaves K - 1 isotropic coordinates (the row test's null), and a
    row left with almost nothing is dropped rather than compared.
    """
    ones = ones_direction(n_cols)
    wide = values.astype(np.float64).reshape(len(values), -1)
    before = np.linalg.norm(wide, axis=1)
    wide = wide - np.outer(wide @ ones, ones)
    after = np.linalg.norm(wide, axis=1)
    kept = (after > ROW_FLOOR * before) & np.isfinite(after)
    return kept, wide[kept].astype(np.float32)
