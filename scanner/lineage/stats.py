"""The statistics behind every weight relation: a calibrated null, combination, and the decision rule.

Null model. Two independently initialised tensors are uncorrelated element by element. Their
sketches are orthonormal projections onto k = 1024 coordinates (fewer when a side is shorter than
32), so for independent tensors the sketches are independent k-dimensional vectors and their cosine
is approximately N(0, 1/k) — whatever the tensors' size. (Measured on the benchmark's independent
models: the standard deviation times 32 is 0.98-1.02 per tensor role.) Recipe statistics (norm gains near 1, per-layer
std profiles, spectra) never enter: they are shared by unrelated models and only ever shown as context.

Per tensor, a one-sided test against that null gives a p-value. When the best of m catalog tensors
is taken (renamed tensors, shifted or duplicated layers), Šidák's correction ``1 - (1 - p)^m``
keeps the p-value uniform under the null. Per component the p-values are combined with Stouffer's
method and then multiplied by the number of (catalog model x component) comparisons made in the
scan (Bonferroni), so the family-wise false-positive rate of a whole scan stays below ``ALPHA``.

Decision. ``derived`` needs all of: adjusted p < ``ALPHA``, a median effect (centred correlation)
of at least ``MIN_EFFECT``, and significant evidence on at least ``MIN_LAYERS`` layers (or on every
layer when the component has fewer). A small p-value with a tiny effect is reported as
``inconclusive``, never as reuse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from scanner.lineage.sketch import effective_k

ALPHA = 1e-3            # family-wise false-positive rate per scan
MIN_EFFECT = 0.1        # median centred correlation required to call weights derived
MIN_LAYERS = 3          # layers with their own significant evidence
LAYER_Z = 3.719         # one-sided p < 1e-4 for a layer's own evidence
MIN_TENSORS = 2         # fewer comparable tensors than this cannot decide anything
IDENTICAL_R = 0.99999   # a lossless or float cast (bf16/fp16/fp32) stays above this; int8 round trips fall below
NULL_BAND_Z = 3.0       # charts shade +-3 null standard deviations


def null_sd(shape: tuple[int, ...]) -> float:
    """Standard deviation of a sketch correlation between independent tensors of this shape."""
    return 1.0 / math.sqrt(effective_k(shape))


def upper_p(z: np.ndarray | float) -> np.ndarray | float:
    """One-sided p-value P(Z >= z) for a standard normal, accurate far into the tail."""
    return special.ndtr(-np.asarray(z, dtype=np.float64)) if np.ndim(z) else float(special.ndtr(-z))


def z_of_p(p: np.ndarray) -> np.ndarray:
    """Inverse of ``upper_p``; p is clipped so astronomically small p-values stay finite."""
    return -special.ndtri(np.clip(p, 1e-300, 1.0 - 1e-16))


def sidak(p: np.ndarray, m: np.ndarray | int) -> np.ndarray:
    """P(best of m independent null tests is at least this extreme): 1 - (1 - p)^m, computed stably."""
    p = np.asarray(p, dtype=np.float64)
    return -np.expm1(np.asarray(m, dtype=np.float64) * np.log1p(-np.clip(p, 0.0, 1.0 - 1e-16)))


def stouffer(z: Sequence[float] | np.ndarray) -> float:
    z = np.asarray(z, dtype=np.float64)
    return float(z.sum() / math.sqrt(len(z))) if len(z) else 0.0


def bonferroni(p: float, tests: int) -> float:
    return min(1.0, p * max(tests, 1))
