"""Tensor names from exported or wrapped models, brought back to the conventions components know.

Exporters and training loops wrap a model in objects of their own, and the wrapper's attribute
name ends up in front of every parameter: ``inner.encoder.layer.0…`` from an ONNX export of a
wrapper module, ``module.…`` from DataParallel, ``0.auto_model.…`` from sentence-transformers. The
component table (``scanner.components``) recognises ``encoder.layer.``, not ``inner.encoder.layer.``,
so such a prefix is removed when — and only when — removing it lets more names be recognised.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.components import assign

MAX_WRAPPER_DEPTH = 3


def wrapper_prefix(names: Iterable[str]) -> str:
    """The leading dotted segments shared by every dotted name whose removal lets the most names be
    placed in a component; "" when nothing is gained."""
    dotted = sorted(n for n in names if "." in n)
    if not dotted:
        return ""

    def recognised(prefix: str) -> int:
        return sum(assign(n[len(prefix):], audio_encoder=False)[0] != "other" for n in dotted)

    best, best_score = "", recognised("")
    parts = dotted[0].split(".")
    for depth in range(1, min(MAX_WRAPPER_DEPTH, len(parts) - 1) + 1):
        prefix = ".".join(parts[:depth]) + "."
        if not all(n.startswith(prefix) for n in dotted):
            break
        score = recognised(prefix)
        if score > best_score:
            best, best_score = prefix, score
    return best


def strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix):] if prefix and name.startswith(prefix) else name
