"""The repositories the fake Hub serves in these tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scanner.synthetic import models as M
from scanner.synthetic.repo import save_weights

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OLD_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
SPEC = M.TextSpec(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, vocab=256)


def safetensors_bytes(tmp: Path, tensors: dict[str, np.ndarray], name: str = "model.safetensors") -> bytes:
    path = tmp / name
    save_weights(path, tensors, "F32")
    return path.read_bytes()


def tiny_repo_files(tmp: Path) -> dict[str, bytes]:
    """A sharded safetensors model with its metadata, a second (pickle) copy and a large non-model file."""
    tensors = M.text_model(SPEC, 3)
    names = sorted(tensors)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": {n: tensors[n] for n in names[:half]},
              "model-00002-of-00002.safetensors": {n: tensors[n] for n in names[half:]}}
    files = {shard: safetensors_bytes(tmp, part, shard) for shard, part in shards.items()}
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {}, "weight_map": {n: shard for shard, part in shards.items() for n in part}}).encode()
    files["config.json"] = json.dumps(M.text_config(SPEC, "llama")).encode()
    files["README.md"] = b"---\nlicense: apache-2.0\nbase_model: acme/base\n---\n# Tiny\n"
    files["LICENSE"] = b"Apache License\nVersion 2.0, January 2004\n"
    files["tokenizer_config.json"] = b'{"model_max_length": 2048}'
    files["pytorch_model.bin"] = b"PK\x03\x04 a second copy the scan does not need"
    files["images/diagram.png"] = b"\x89PNG" + bytes(2 << 20)
    return files
