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
    """Read and check a fingerprint file; any inconsistency is a ``DataFileError`` naming the file.

    Catalogs come from elsewhere, so nothing in one is trusted: a file that would crash the matcher,
    or whose NaN sketches would correlate with nothing and hide a copy, is refused whole.
    """
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as fh:
            meta = fh.metadata() or {}
        arrays = load_file(str(path))
        header = json.loads(meta["fromscratch"])
    except (OSError, SafetensorError, KeyError, ValueError) as exc:
        raise DataFileError(f"{path}: not a readable fingerprint file ({exc})") from None
    if not isinstance(header, dict):
        raise DataFileError(f"{path}: fingerprint header is a JSON {type(header).__name__}, not an object")
    if header.get("format") != FORMAT or header.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{path}: unsupported fingerprint format {header.get('format')} v{header.get('format_version')}")
    if header.get("sketch") != SKETCH_VERSION:
        raise DataFileError(f"{path}: sketch version {header.get('sketch')} differs from this tool's {SKETCH_VERSION}")
    try:
        fp = _checked(header, arrays)
    except (KeyError, TypeError, ValueError, DecodeError) as exc:
        raise DataFileError(f"{path}: inconsistent fingerprint file ({exc})") from None
    return fp, header["source"]


def _checked(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> ModelFingerprint:
    """The fingerprint a header and its arrays describe, once every shape, key and value is consistent."""
    if not isinstance(header.get("source"), dict):
        raise ValueError("'source' is not an object")
    keys = {name: _key_list(header, name) for name in ("matrix_keys", "vector_keys", "row_keys", "token_keys")}
    tensors = tuple(from_jsonable(TensorPrint, t) for t in _list(header, "tensors"))
    by_key = {t.key: t for t in tensors}
    if len(by_key) != len(tensors):
        raise ValueError("duplicate tensor keys")
    for t in tensors:
        if any(not isinstance(d, int) or d <= 0 for d in t.shape) or (t.kind == "matrix" and len(t.shape) != 2):
            raise ValueError(f"tensor '{t.key}' has an impossible shape {list(t.shape)} for a {t.kind}")
    for name, kind in (("matrix_keys", "matrix"), ("row_keys", "matrix"), ("token_keys", "matrix"), ("vector_keys", "vector")):
        stray = [k for k in keys[name] if k not in by_key or by_key[k].kind != kind]
        if stray:
            raise ValueError(f"'{name}' names '{stray[0]}', which is not a {kind} of this model")
    expected = {"matrices": (len(keys["matrix_keys"]), K, K), "vectors": (len(keys["vector_keys"]), K)}
    for i, _key in enumerate(keys["row_keys"]):
        expected[f"rows.{i}.index"] = (len(arrays.get(f"rows.{i}.index", ())),)
        expected[f"rows.{i}.values"] = (expected[f"rows.{i}.index"][0], K)
    for i, _key in enumerate(keys["token_keys"]):
        expected[f"tokens.{i}.hashes"] = (len(arrays.get(f"tokens.{i}.hashes", ())),)
        expected[f"tokens.{i}.values"] = (expected[f"tokens.{i}.hashes"][0], K)
    if set(arrays) != set(expected):
        odd = sorted(set(arrays) ^ set(expected))[0]
        raise ValueError(f"array '{odd}' is {'missing' if odd in expected else 'not described by the header'}")
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ValueError(f"array '{name}' has shape {list(array.shape)}, expected {list(shape)}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"array '{name}' holds NaN or Inf values")
    rows = {}
    for i, key in enumerate(keys["row_keys"]):
        index = arrays[f"rows.{i}.index"]
        if index.dtype.kind not in "iu" or (len(index) and (index.min() < 0 or index.max() >= by_key[key].shape[0])):
            raise ValueError(f"array 'rows.{i}.index' holds row numbers outside '{key}'")
        rows[key] = (index.astype(np.int64), arrays[f"rows.{i}.values"].astype(np.float32))
    tokens = {}
    for i, key in enumerate(keys["token_keys"]):
        hashes = arrays[f"tokens.{i}.hashes"]
        if hashes.dtype != np.uint64 or np.any(hashes[1:] <= hashes[:-1]):
            raise ValueError(f"array 'tokens.{i}.hashes' is not sorted unique uint64 token hashes")
        tokens[key] = (hashes, arrays[f"tokens.{i}.values"].astype(np.float32))
    return ModelFingerprint(
        tensors=tensors,
        matrices=dict(zip(keys["matrix_keys"], arrays["matrices"].astype(np.float32))),
        vectors=dict(zip(keys["vector_keys"], arrays["vectors"].astype(np.float32))),
        rows=rows,
        tokens=tokens,
    )


def _list(header: dict[str, Any], name: str) -> list:
    value = header[name]
    if not isinstance(value, list):
        raise ValueError(f"'{name}' is not a list")
    return value


def _key_list(header: dict[str, Any], name: str) -> list[str]:
    value = _list(header, name)
    if not all(isinstance(k, str) for k in value) or len(set(value)) != len(value):
        raise ValueError(f"'{name}' is not a list of distinct strings")
    return value
