"""Which files of a Hub repository a scan downloads, decided from the file listing alone.

Metadata (configs, card, tokenizer, licence and notice files, remote code, dependency manifests,
indexes) is always fetched: it is small and every check reads it. Weights are fetched only in the
full mode, and only one copy of the model, in the order ``scanner.formats.selection`` uses once
files are on disk: safetensors, else PyTorch checkpoints, else the most precise GGUF (by the
quantisation tag in its name) plus any vision projector, else the most precise ONNX export with
its external data. Everything else is listed in the report as not downloaded, with the reason.

Pickle files can run code when loaded, so they are checked even when another copy of the weights
is scanned: every pickle up to ``PICKLE_CHECK_BYTES`` is fetched for that (``checks``; in the
metadata-only mode only those that hold no weights, such as ``training_args.bin``), and the
larger ones are named in ``unchecked`` so the report can say they were not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from scanner.formats.selection import NOT_WEIGHTS, weight_set_key
from scanner.report.model import FileKind
from scanner.walk.kinds import classify

MAX_METADATA_BYTES = 64 << 20
METADATA_KINDS = frozenset({
    FileKind.CONFIG, FileKind.GENERATION_CONFIG, FileKind.PROCESSOR_CONFIG, FileKind.ADAPTER_CONFIG, FileKind.TOKENIZER,
    FileKind.TOKENIZER_CONFIG, FileKind.MODEL_CARD, FileKind.LICENSE, FileKind.NOTICE, FileKind.USE_POLICY,
    FileKind.SAFETENSORS_INDEX, FileKind.REMOTE_CODE, FileKind.DEPENDENCY_MANIFEST,
})
SMALL_TEXT = (".json", ".md", ".txt", ".yaml", ".yml", ".jinja")
SMALL_TEXT_BYTES = 1 << 20
PICKLE_CHECK_BYTES = 64 << 20  # a pickle file up to this size is downloaded to be checked for code
# Quantisation tags in GGUF file names -> approximate bits per weight (for ranking only).
_GGUF_TAGS: tuple[tuple[str, float], ...] = (
    ("f32", 32), ("bf16", 16), ("f16", 16), ("q8", 8.5), ("q6", 6.6), ("q5", 5.5), ("iq4", 4.3), ("q4", 4.5),
    ("iq3", 3.4), ("q3", 3.4), ("tq2", 2.1), ("iq2", 2.3), ("q2", 2.6), ("tq1", 1.7), ("iq1", 1.6),
)
_ONNX_TAGS: tuple[tuple[str, float], ...] = (
    ("q4", 4), ("int4", 4), ("bnb4", 4), ("int8", 8), ("uint8", 8), ("quant", 8), ("q8", 8), ("fp16", 16), ("f16", 16),
)


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    """One file of the repository listing (``sha256`` for LFS files)."""

    path: str
    size: int
    sha256: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadPlan:
    """Files to fetch and, for the others, why they were not."""

    metadata: tuple[str, ...]
    weights: tuple[str, ...]
    checks: tuple[str, ...] = ()  # pickles fetched only to check them for code
    unchecked: tuple[str, ...] = ()  # pickles left on the Hub, so not checked
    not_downloaded: dict[str, str] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.metadata) | set(self.weights) | set(self.checks)))


def plan_download(entries: Sequence[RemoteEntry], *, weights: bool) -> DownloadPlan:
    """Metadata always; one copy of the weights when ``weights``."""
    metadata = sorted(e.path for e in entries if _is_metadata(e))
    chosen = _weight_files(entries) if weights else []
    checks: list[str] = []
    unchecked: list[str] = []
    skipped: dict[str, str] = {}
    for e in entries:
        if e.path in metadata or e.path in chosen:
            continue
        kind = classify(e.path)
        if kind == FileKind.PICKLE and e.size <= PICKLE_CHECK_BYTES and (weights or NOT_WEIGHTS.search(e.path)):
            checks.append(e.path)
            continue
        if not weights and kind in (FileKind.SAFETENSORS, FileKind.GGUF, FileKind.ONNX, FileKind.PICKLE):
            skipped[e.path] = "not downloaded (metadata-only scan)"
        elif kind in (FileKind.SAFETENSORS, FileKind.GGUF, FileKind.ONNX, FileKind.PICKLE):
            skipped[e.path] = "not downloaded: another copy of the weights is scanned"
        else:
            skipped[e.path] = "not downloaded: not read by the scan"
        if kind == FileKind.PICKLE:
            unchecked.append(e.path)
            skipped[e.path] += "; its pickle was not checked for code"
    return DownloadPlan(metadata=tuple(metadata), weights=tuple(sorted(chosen)), checks=tuple(sorted(checks)),
                        unchecked=tuple(sorted(unchecked)), not_downloaded=skipped)


def _is_metadata(entry: RemoteEntry) -> bool:
    if entry.size > MAX_METADATA_BYTES:
        return False
    if classify(entry.path) in METADATA_KINDS:
        return True
    return entry.path.lower().endswith(SMALL_TEXT) and entry.size <= SMALL_TEXT_BYTES


def _weight_files(entries: Sequence[RemoteEntry]) -> list[str]:
    by_kind: dict[FileKind, list[RemoteEntry]] = {}
    for e in entries:
        by_kind.setdefault(classify(e.path), []).append(e)
    if by_kind.get(FileKind.SAFETENSORS):
        return [e.path for e in by_kind[FileKind.SAFETENSORS]]
    pickles = [e for e in by_kind.get(FileKind.PICKLE, []) if not NOT_WEIGHTS.search(e.path)
               and e.path.lower().endswith((".bin", ".pt", ".pth", ".ckpt"))]
    if pickles:
        return [e.path for e in pickles]
    ggufs = by_kind.get(FileKind.GGUF, [])
    if ggufs:
        projectors = [e for e in ggufs if "mmproj" in PurePosixPath(e.path).name.lower()]
        models = [e for e in ggufs if e not in projectors]
        return _best_set(models, _GGUF_TAGS, default_bits=0) + _best_set(projectors, _GGUF_TAGS, default_bits=0)
    onnx = [e for e in by_kind.get(FileKind.ONNX, []) if e.path.endswith(".onnx")]
    if onnx:
        chosen = _best_set(onnx, _ONNX_TAGS, default_bits=32)
        data = [e.path for e in entries for c in chosen
                if e.path != c and (e.path.startswith(c) or (e.path.endswith(".onnx_data")
                                                            and PurePosixPath(e.path).parent == PurePosixPath(c).parent))]
        return chosen + data
    return []


def _best_set(entries: Sequence[RemoteEntry], tags: tuple[tuple[str, float], ...], *, default_bits: float) -> list[str]:
    """The shard set with the most bits per weight by name, then the most bytes, then the first path."""
    groups: dict[str, list[RemoteEntry]] = {}
    for e in entries:
        groups.setdefault(weight_set_key(e.path), []).append(e)
    if not groups:
        return []

    def rank(key: str) -> tuple[float, int, str]:
        return (-_bits(key, tags, default_bits), -sum(e.size for e in groups[key]), key)

    return sorted(e.path for e in groups[min(groups, key=rank)])


def _bits(path: str, tags: tuple[tuple[str, float], ...], default_bits: float) -> float:
    words = re.split(r"[^a-z0-9]+", PurePosixPath(path).name.lower())
    for tag, bits in tags:
        if any(w.startswith(tag) for w in words):
            return bits
    return default_bits
