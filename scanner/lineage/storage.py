"""Fingerprints on disk: one safetensors file per model, no pickle, checked on load.

Layout: ``matrices`` (n x 32 x 32), ``vectors`` (m x 32), ``rows.<i>.index``/``rows.<i>.values`` and
``tokens.<i>.hashes``/``tokens.<i>.values``, all float16 and scaled to unit norm (correlations do
not depend on scale, and unit norm keeps float16 far from overflow); the per-piece records and the
key order live as JSON in the file's ``__metadata__``. Same fingerprint in, same bytes out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save

from scanner.codec import DecodeError, from_jsonable, to_jsonable
from scanner.errors import DataFileError
from scanner.lineage.fingerprint import ModelFingerprint, TensorPrint
from scanner.lineage.sketch import K, SKETCH_VERSION

FORMAT = "fromscratch-weight-fingerprint"
FORMAT_VERSION = 1


def _unit(a: np.ndarray, axis: tuple[int, ...] | int) -> np.ndarray:
    norm = np.sqrt(np.sum(np.square(a, dtype=np.float64), axis=axis, keepdims=True))
    norm[norm == 0] = 1.0
    return (a / norm).astype(np.float16)


def dump_fingerprint(fp: ModelFingerprint, source: dict[str, Any]) -> bytes:
    matrix_keys = sorted(fp.matrices)
    vector_keys = sorted(fp.vectors)
    row_keys = sorted(fp.rows)
    token_keys = sorted(fp.tokens)
    arrays: dict[str, np.ndarray] = {
        "matrices": _unit(np.stack([fp.matrices[k] for k in matrix_keys]) if matrix_keys else np.zeros((0, K, K)), (1, 2)),
        "vectors": _unit(np.stack([fp.vectors[k] for k in vector_keys]) if vector_keys else np.zeros((0, K)), 1),
    }
    for i, key in enumerate(row_keys):
        index, values = fp.rows[key]
        arrays[f"rows.{i}.index"] = index.astype(np.int32)
        arrays[f"rows.{i}.values"] = _unit(values, 1)
    for i, key in enumerate(token_keys):
        hashes, values = fp.tokens[key]
        arrays[f"tokens.{i}.hashes"] = hashes.astype(np.uint64)
        arrays[f"tokens.{i}.values"] = _unit(values, 1)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "sketch": SKETCH_VERSION, "source": source,
        "matrix_keys": matrix_keys, "vector_keys": vector_keys, "row_keys": row_keys, "token_keys": token_keys,
        "tensors": [to_jsonable(t) for t in fp.tensors],
    }
    return save(arrays, metadata={"fromscratch": json.dumps(header, sort_keys=True, separators=(",", ":"))})


def load_fingerprint(path: Path) -> tuple[ModelFingerprint, dict[str, Any]]:
    """Read and check a fingerprint file; any inconsistency is a ``DataFileError`` naming the file."""
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as fh:
            meta = fh.metadata() or {}
        arrays = load_file(str(path))
        header = json.loads(meta["fromscratch"])
    except (OSError, SafetensorError, KeyError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable fingerprint file ({exc})") from None
    if header.get("format") != FORMAT or header.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{path}: unsupported fingerprint format {header.get('format')} v{header.get('format_version')}")
    if header.get("sketch") != SKETCH_VERSION:
        raise DataFileError(f"{path}: sketch version {header.get('sketch')} differs from this tool's {SKETCH_VERSION}")
    try:
        tensors = tuple(from_jsonable(TensorPrint, t) for t in header["tensors"])
        matrices = arrays["matrices"].astype(np.float32)
        vectors = arrays["vectors"].astype(np.float32)
        if matrices.shape != (len(header["matrix_keys"]), K, K) or vectors.shape != (len(header["vector_keys"]), K):
            raise ValueError("array shapes do not match the key lists")
        rows = {key: (arrays[f"rows.{i}.index"].astype(np.int64), arrays[f"rows.{i}.values"].astype(np.float32))
                for i, key in enumerate(header["row_keys"])}
        tokens = {key: (arrays[f"tokens.{i}.hashes"], arrays[f"tokens.{i}.values"].astype(np.float32))
                  for i, key in enumerate(header["token_keys"])}
    except (KeyError, TypeError, ValueError, DecodeError) as exc:
        raise DataFileError(f"{path}: inconsistent fingerprint file ({exc})") from None
    fp = ModelFingerprint(
        tensors=tensors,
        matrices=dict(zip(header["matrix_keys"], matrices)),
        vectors=dict(zip(header["vector_keys"], vectors)),
        rows=rows,
        tokens=tokens,
    )
    return fp, header.get("source", {})
