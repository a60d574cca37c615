"""What changed between two versions of a catalog: entries added, removed, and changed field by field."""

from __future__ import annotations

from pathlib import Path

from scanner.catalog.store import load_catalogs, read_catalog_header
from scanner.lineage.storage import load_fingerprint

_FIELDS = ("name", "family", "organisation", "country", "release_date", "hf_repo", "revision", "license_card",
           "license", "declared_base_models", "tokenizer", "weights_revision", "synthetic")


def diff_catalogs(old: Path, new: Path) -> list[str]:
    """Human-readable lines, sorted by entry id; config changes name the keys that changed."""
    old_cat = load_catalogs([old], include_bundled=False)
    new_cat = load_catalogs([new], include_bundled=False)
    lines = [f"catalog {read_catalog_header(old)['version']} -> {read_catalog_header(new)['version']}"]
    lines += [f"! skipped {line}" for line in old_cat.skipped + new_cat.skipped]  # first: they colour the rest
    compared = len(lines)
    for entry_id in sorted(set(old_cat.entries) | set(new_cat.entries)):
        a, b = old_cat.entries.get(entry_id), new_cat.entries.get(entry_id)
        if a is None:
            lines.append(f"+ {entry_id} ({b.name}, {b.organisation})")
            continue
        if b is None:
            lines.append(f"- {entry_id} ({a.name}, {a.organisation})")
            continue
        changes = [f"{f}: {getattr(a, f)!r} -> {getattr(b, f)!r}" for f in _FIELDS if getattr(a, f) != getattr(b, f)]
        keys = sorted(k for k in set(a.config) | set(b.config) if a.config.get(k) != b.config.get(k))
        if keys:
            changes.append("config: " + ", ".join(keys))
        if (a.weights is None) != (b.weights is None):
            changes.append("weight fingerprint " + ("added" if b.weights else "removed"))
        elif a.weights and b.weights and _tensor_hashes(a.weights) != _tensor_hashes(b.weights):
            changes.append("weight fingerprint recomputed with different tensors")
        if changes:
            lines.append(f"~ {entry_id}: " + "; ".join(changes))
    if len(lines) == compared:
        lines.append("no differences")
    return lines


def _tensor_hashes(path: Path) -> list[str]:
    fp, _ = load_fingerprint(path)
    return sorted(t.raw_hash for t in fp.tensors)
