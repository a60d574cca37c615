"""Which weight files the lineage engine fingerprints when a repository holds several copies of one model.

Repositories often ship one model several times: ``model.safetensors`` next to ``pytorch_model.bin``,
a GGUF per quantisation level, ``model.onnx`` next to ``model_quantized.onnx``. Fingerprinting all
of them would repeat the same evidence under colliding tensor names, so one weight set is chosen:

1. safetensors when present (exact, header-described);
2. else PyTorch checkpoints (the training format; shards of one checkpoint together; optimizer,
   scheduler and training-state files never);
3. else GGUF (split files together), the most precise quantisation first, plus any vision
   projector (``mmproj``) file, which holds a different component;
4. else ONNX, the most precise export first.

The other files are still read (metadata, security scan) and their note says which file was used.
``scanner.hub.patterns`` applies the same order to file names before a download, so a Hub scan
does not fetch quantisations it will not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.formats.reading import FormatReading
from scanner.weights.dtypes import gguf_block

FORMAT_ORDER = ("pytorch-zip", "pytorch-legacy", "gguf", "onnx")
_SHARD = re.compile(r"^(?P<stem>.+?)-\d{5}-of-(?P<total>\d{5})(?P<ext>\.[^/]+)$")
NOT_WEIGHTS = re.compile(r"(optimizer|scheduler|scaler|rng_state|training_args|trainer_state)", re.IGNORECASE)
_DTYPE_BITS = {"F64": 64, "F32": 32, "F16": 16, "BF16": 16, "F8_E4M3": 8, "F8_E5M2": 8, "I8": 8, "U8": 8,
               "I8_SCALED": 8, "U8_SCALED": 8}


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The readings whose tensors are fingerprinted, and a note for each file that was read but not used."""

    chosen: tuple[FormatReading, ...]
    notes: dict[str, str]


def bits_per_value(dtype: str) -> float:
    """Stored bits per weight value (GGUF blocks include their scales)."""
    block = gguf_block(dtype)
    if block:
        return block[1] * 8 / block[0]
    return _DTYPE_BITS.get(dtype, 0)


def weight_set_key(path: str) -> str:
    """Files of one sharded weight set share this key (``model-00001-of-00003.gguf`` -> ``model.gguf``)."""
    folder, _, name = path.rpartition("/")
    m = _SHARD.match(name)
    base = f"{m.group('stem')}{m.group('ext')}" if m else name
    return f"{folder}/{base}" if folder else base


def select_weights(readings: Sequence[FormatReading], *, safetensors_used: bool) -> Selection:
    """Choose the weight set to fingerprint among non-safetensors readings."""
    with_tensors = [r for r in readings if r.tensors and not NOT_WEIGHTS.search(r.file)]
    if safetensors_used:
        return Selection(chosen=(), notes={r.file: "not fingerprinted: the safetensors weights were used" for r in with_tensors})
    for fmt in FORMAT_ORDER:
        candidates = [r for r in with_tensors if r.format == fmt]
        if fmt.startswith("pytorch"):
            candidates = [r for r in with_tensors if r.format.startswith("pytorch")]
        if not candidates:
            continue
        extra = [r for r in candidates if fmt == "gguf" and _is_projector(r)]
        main = [r for r in candidates if r not in extra]
        groups: dict[str, list[FormatReading]] = {}
        for r in main:
            groups.setdefault(weight_set_key(r.file), []).append(r)
        best_key = max(groups, key=lambda k: (_precision(groups[k]), _size(groups[k]), _neg(k))) if groups else None
        chosen = tuple(sorted((groups[best_key] if best_key else []) + extra, key=lambda r: r.file))
        used = ", ".join(r.file for r in chosen)
        notes = {r.file: f"not fingerprinted: {used} was used for the weight comparison"
                 for r in with_tensors if r not in chosen}
        return Selection(chosen=chosen, notes=notes)
    return Selection(chosen=(), notes={})


def _is_projector(reading: FormatReading) -> bool:
    return reading.metadata.get("general.architecture") == "clip" or reading.metadata.get("general.type") == "mmproj"


def _precision(group: list[FormatReading]) -> float:
    total = sum(t.numel for r in group for t in r.tensors)
    if not total:
        return 0.0
    return sum(bits_per_value(t.dtype) * t.numel for r in group for t in r.tensors) / total


def _size(group: list[FormatReading]) -> int:
    return sum(t.end - t.start for r in group for t in r.tensors)


def _neg(key: str) -> tuple[int, ...]:
    """Tie-break towards the alphabetically first path (max() picks the largest key)."""
    return tuple(-ord(c) for c in key)
