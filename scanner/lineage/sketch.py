"""Seeded random projections: compact, non-invertible sketches whose correlations estimate Pearson's r.

For a canonical matrix W (r x c) the sketch is ``S = Rr^T (W - mean) Rc`` (32 x 32 = 1024 numbers),
where ``Rn`` is an n x 32 orthonormal matrix derived from nothing but n. Because the projection
depends only on the dimension lengths, a candidate and a catalog model compute the same projection
without exchanging anything, a transposed copy has the transposed sketch (``sketch(W^T) =
sketch(W)^T``), and a row permutation of W is a row permutation of ``Rr``. The cosine of two
sketches is an unbiased estimate of the centred cosine (Pearson r) of the two matrices, with
standard deviation 1/sqrt(1024) when they are independent — the null the statistics use.

``Rn`` is structured so that the expensive product ``W Rc`` (32 multiply-adds per weight with a
dense ``Rc``) costs about two: the n columns are cut into contiguous buckets of equal width, each
column carries a random sign, and each bucket's signed sum is mixed into the 32 coordinates by a
dense orthonormal matrix (``Rn = D B M``, D the signs, B the bucket indicator scaled by the
bucket's 1/sqrt(width), M the mixing matrix). Its columns are exactly orthonormal, every column of
W still reaches every coordinate, and the signs make it blind to smooth structure across
neighbouring columns, so the null above is unchanged. The signs and M come from BLAKE3's
extendable output keyed by the dimension, not from a numpy random generator, so sketches stay
comparable across numpy versions and platforms.
"""

from __future__ import annotations

from functools import lru_cache

import blake3
import numpy as np

K = 32
SKETCH_VERSION = "bucketed-rademacher-32x32-v2"
BUCKETS = 256          # columns are summed into about this many buckets before mixing
FAST_MIN_WIDTH = 8     # below this bucket width a dense product is as fast as bucketing
_DOMAIN = b"fromscratch sketch v2 dimension "


def _seed_signs(label: bytes, count: int) -> np.ndarray:
    """``count`` seeded +-1 values (float64), a pure function of ``label``."""
    bits = np.unpackbits(np.frombuffer(blake3.blake3(_DOMAIN + label).digest(length=(count + 7) // 8), np.uint8))
    return bits[:count].astype(np.float64) * 2.0 - 1.0


@lru_cache(maxsize=64)
def _layout(n: int) -> tuple[int, int, int]:
    """(bucket width, full buckets, tail columns): ``n // width`` buckets of ``width`` columns, and one
    more bucket for the ``tail`` columns left over (fewer than ``width``)."""
    width = max(1, n // BUCKETS)
    full = n // width
    return width, full, n - full * width


@lru_cache(maxsize=64)
def _mixing(buckets: int) -> np.ndarray:
    """buckets x K mixing matrix with orthonormal columns (rows, when there are fewer buckets than K).

    Orthonormality matters for calibration: with a plain random +-1 matrix the K sketch
    coordinates of an isotropic tensor are correlated, which inflates the spread of sketch
    correlations between unrelated tensors beyond 1/k. The +-1 matrix is made orthonormal by a QR
    decomposition whose signs are fixed (positive diagonal), so the result is unique.
    """
    signs = _seed_signs(b"mix " + str(buckets).encode(), buckets * K).reshape(buckets, K)
    tall = signs if buckets >= K else signs.T
    q, r = np.linalg.qr(tall)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return q if buckets >= K else q.T


@lru_cache(maxsize=64)
def _parts(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column signs, bucket of each column, per-bucket mixing rows scaled by 1/sqrt(bucket width))."""
    width, full, tail = _layout(n)
    sizes = np.array([width] * full + ([tail] if tail else []), np.float64)
    mix = _mixing(len(sizes)) / np.sqrt(sizes)[:, None] if n else np.zeros((0, K))
    bucket = np.minimum(np.arange(n) // width, max(len(sizes) - 1, 0))
    return _seed_signs(b"signs " + str(n).encode(), n), bucket, mix


@lru_cache(maxsize=64)
def projection(n: int) -> np.ndarray:
    """The n x K projection for a dimension of length n: orthonormal columns (rows, when n < K)."""
    signs, bucket, mix = _parts(n)
    out = (signs[:, None] * mix[bucket]).astype(np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=64)
def _factors(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``projection(n)``'s signs and scaled mixing rows as float32, for ``project_rows``."""
    signs, _bucket, mix = _parts(n)
    return signs.astype(np.float32), mix.astype(np.float32)


def project_rows(block: np.ndarray) -> np.ndarray:
    """``block @ projection(block.shape[1])`` (float32), at about two operations per element.

    Each bucket's signed column sum is one matrix-vector product over a strided view of the block
    (no copy), then the bucket sums are mixed by one small product.
    """
    n = block.shape[1]
    width, full, tail = _layout(n)
    if width < FAST_MIN_WIDTH:
        return block @ projection(n)
    signs, mix = _factors(n)
    main = full * width
    grouped = block[:, :main].reshape(len(block), full, width).transpose(1, 0, 2)
    sums = np.matmul(grouped, signs[:main].reshape(full, width, 1))[:, :, 0]  # buckets x rows
    if tail:
        sums = np.vstack([sums, (block[:, main:] @ signs[main:])[None]])
    return (mix.T @ sums).T


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
