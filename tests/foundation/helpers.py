"""Small builders for test repositories, including deliberately broken files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from scanner.synthetic.repo import save_weights


def tiny_repo(root: Path, *, card: str | None = "---\nlicense: apache-2.0\n---\n# Tiny\n") -> Path:
    """A valid little repository: config, card, one safetensors file with text and vision tensors."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    save_weights(root / "model.safetensors", {
        "model.embed_tokens.weight": rng.standard_normal((128, 64)).astype(np.float32),
        "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((64, 64)).astype(np.float32),
        "visual.blocks.0.attn.qkv.weight": rng.standard_normal((192, 64)).astype(np.float32),
        "visual.merger.mlp.0.weight": rng.standard_normal((64, 64)).astype(np.float32),
        "mystery.buffer": rng.standard_normal(8).astype(np.float32),
    }, dtype="F32")
    (root / "config.json").write_text(json.dumps({
        "model_type": "qwen2_5_vl", "architectures": ["Qwen2_5_VLForConditionalGeneration"], "hidden_size": 64,
        "num_hidden_layers": 1, "vocab_size": 128, "_name_or_path": "someone/base-model",
        "vision_config": {"depth": 1, "hidden_size": 64, "num_heads": 4}}), encoding="utf-8")
    if card is not None:
        (root / "README.md").write_text(card, encoding="utf-8")
    return root


def raw_safetensors(path: Path, header: dict, data: bytes, *, declared_length: int | None = None) -> Path:
    """Write a safetensors file byte by byte, so tests can lie in the header on purpose."""
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    length = len(encoded) if declared_length is None else declared_length
    path.write_bytes(struct.pack("<Q", length) + encoded + data)
    return path
