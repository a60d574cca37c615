"""A small reference model in a catalog of references, and a way to run the lineage stage on candidates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scanner.lineage.engine import fingerprint_reference, run_lineage
from scanner.lineage.match import Reference
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo
from scanner.walk.walker import walk

SPEC = M.TextSpec(hidden=96, layers=6, heads=6, kv_heads=2, intermediate=192, vocab=400)
VISION = M.VisionSpec(hidden=64, depth=4, heads=4, intermediate=128, out_hidden=96)


def fingerprint_repo(path: Path):
    listing = walk(path)
    parsed = parse_repo(listing)
    return fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, None, NoProgress())


class Lab:
    """Builds candidate repositories under a temporary folder and runs the lineage stage on them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reference = {**M.text_model(SPEC, 1), **M.vision_tower(VISION, 11)}
        config = M.text_config(SPEC, "qwen2_5_vl")
        config["vision_config"] = M.vision_config(VISION)
        self.config = config
        refs = [Reference("reference", fingerprint_repo(write_repo(root / "reference", self.reference, config)))]
        for seed in (50, 51, 52):
            other = {**M.text_model(SPEC, seed), **M.vision_tower(VISION, seed + 100)}
            refs.append(Reference(f"other-{seed}", fingerprint_repo(write_repo(root / f"other-{seed}", other, config))))
        self.references = refs
        self.n = 0

    def lineage(self, tensors, config=None, dtype="BF16", references=None, vocab=None):
        return self.scan(write_repo(self.fresh(), tensors, config or self.config, dtype=dtype), references, vocab)

    def fresh(self) -> Path:
        self.n += 1
        return self.root / f"candidate-{self.n}"

    def scan(self, path: Path, references=None, vocab=None):
        listing = walk(path)
        parsed = parse_repo(listing)
        return run_lineage(listing.real_paths, parsed.tensors, parsed.config,
                           self.references if references is None else references, vocab, NoProgress())


def write_stored(root: Path, items: dict[str, tuple[str, np.ndarray]], config: dict) -> Path:
    """A repository whose safetensors file holds each array under the given dtype name, bytes as they are
    (FP8 codes, int8 with scales, packed experts: layouts ``write_repo`` does not produce)."""
    root.mkdir(parents=True, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name in sorted(items):
        dtype, array = items[name]
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    (root / "model.safetensors").write_bytes(len(encoded).to_bytes(8, "little") + encoded + b"".join(blobs))
    (root / "config.json").write_text(json.dumps(config))
    return root


def closest(result, component):
    return result.lineage[component][0]
