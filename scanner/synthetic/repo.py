"""Write a synthetic model repository: weights, config, card, licence and tokenizer files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from scanner.synthetic.models import Tensors

_STORE = {"F32": np.float32, "F16": np.float16}


def to_bf16_bits(w: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (round to nearest even), stored as uint16."""
    bits = np.ascontiguousarray(w, dtype=np.float32).view(np.uint32)
    return ((bits + (((bits >> 16) & 1) + 0x7FFF)) >> 16).astype(np.uint16)


def save_weights(path: Path, tensors: Tensors, dtype: str = "BF16", metadata: dict[str, str] | None = None) -> None:
    """Save as safetensors in F32, F16 or BF16 (numpy has no bfloat16, so BF16 files are laid out here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if dtype in _STORE:
        save_file({k: np.ascontiguousarray(v, dtype=_STORE[dtype]) for k, v in sorted(tensors.items())}, str(path),
                  metadata=metadata)
        return
    if dtype != "BF16":
        raise ValueError(f"unsupported dtype {dtype}")
    header: dict = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name in sorted(tensors):
        data = to_bf16_bits(tensors[name]).tobytes()
        header[name] = {"dtype": "BF16", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as fh:
        fh.write(len(encoded).to_bytes(8, "little"))
        fh.write(encoded)
        for blob in blobs:
            fh.write(blob)


def write_repo(root: Path, tensors: Tensors, config: dict, *, dtype: str = "BF16", card: str | None = None,
               license_text: str | None = None, extra_files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    save_weights(root / "model.safetensors", tensors, dtype)
    (root / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if card is not None:
        (root / "README.md").write_text(card, encoding="utf-8")
    if license_text is not None:
        (root / "LICENSE").write_text(license_text, encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root
