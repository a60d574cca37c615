"""``catalog add``: turn a local model folder into a catalog entry with its fingerprints.

The entry records the model's published facts as found in the folder (config.json verbatim, the
card's licence and base-model fields) and where they came from; the weight fingerprint and the
tokenizer fingerprint are computed from the files. The manifest is rewritten last, so an
interrupted run leaves a catalog that ``catalog verify`` flags rather than one that silently lies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from scanner import __version__
from scanner.catalog.store import CATALOG_FILE, CatalogEntry, dump_entry, read_entry, write_manifest
from scanner.errors import FromScratchError, ScanInputError
from scanner.hub import is_hub_target, resolve_target
from scanner.lineage.engine import fingerprint_reference
from scanner.lineage.sketch import SKETCH_VERSION
from scanner.lineage.storage import dump_fingerprint
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress, Progress
from scanner.reporters.output import write_atomic
from scanner.tokenizer import fingerprint as tokenizer_fingerprint
from scanner.tokenizer import load_tokenizer, write_fingerprint
from scanner.walk.walker import RepoListing, walk

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryFacts:
    """Facts about the model that the folder cannot tell (who published it, and when)."""

    name: str | None = None
    family: str | None = None
    organisation: str | None = None
    country: str | None = None
    release_date: str | None = None
    hf_repo: str | None = None
    revision: str | None = None
    license: str | None = None
    source: str | None = None  # where the files came from, when the folder path means nothing to others
    synthetic: bool = False


def add_to_catalog(model: str | Path, catalog_dir: Path, entry_id: str, facts: EntryFacts = EntryFacts(), *,
                   progress: Progress | None = None) -> CatalogEntry:
    """Add a local folder, or ``hf://owner/name[@rev]`` (downloaded into the Hub cache, revision pinned)."""
    if not ID_PATTERN.match(entry_id):
        raise FromScratchError(f"catalog id '{entry_id}' must be lower-case letters, digits, '.' and '-'")
    progress = progress or NoProgress()
    if is_hub_target(str(model)):
        resolved = resolve_target(str(model), weights=True, progress=progress)
        listing = walk(resolved.folder, progress=progress, source="hf-hub", revision=resolved.revision)
        facts = replace(facts, source=facts.source or resolved.pinned, hf_repo=facts.hf_repo or resolved.target.repo_id,
                        revision=facts.revision or resolved.revision)
    else:
        listing = walk(model, progress=progress)
    model_dir = listing.target
    parsed = parse_repo(listing)
    if parsed.raw_config is None:
        raise ScanInputError(f"{model_dir}: no readable config.json; a catalog entry needs the published config")
    _ensure_catalog(catalog_dir)
    entry: dict = {
        "format_version": 1,
        "id": entry_id,
        "name": facts.name or entry_id,
        "family": facts.family or entry_id.rsplit("-", 1)[0],
        "organisation": facts.organisation or "unknown",
    }
    if facts.country:
        entry["country"] = facts.country
    if facts.release_date:
        entry["release_date"] = facts.release_date
    entry["hf_repo"] = facts.hf_repo or f"local/{entry_id}"
    if facts.revision or listing.revision:
        revision = facts.revision or listing.revision
        if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
            entry["revision"] = revision
    card = parsed.card
    license_card = {k: v for k, v in (("license", card.license), ("license_name", card.license_name),
                                      ("license_link", card.license_link)) if v} if card else {}
    if license_card:
        entry["license_card"] = license_card
    if facts.license:
        entry["license"] = facts.license
    bases = [b for b in (card.base_model if card else ()) if re.fullmatch(r"[^/\s]+/[^/\s]+", b)]
    if bases:
        entry["declared_base_models"] = sorted(set(bases))
    source = facts.source or (listing.target if listing.source == "local" else f"{listing.target}@{listing.revision}")
    config_sha = next((f.sha256 for f in listing.files if f.path == "config.json"), None)
    entry["sources"] = [{"fact": "config", "ref": f"{source} (config.json sha256 {config_sha})"}]
    entry["config_fidelity"] = "as_published"
    entry["config"] = parsed.raw_config

    tokenizer_id = _add_tokenizer(listing, catalog_dir, entry_id)
    if tokenizer_id:
        entry["tokenizer"] = tokenizer_id
    if parsed.tensors:
        vocab = _vocab(listing)
        fp = fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, vocab, progress)
        weights_rel = f"weights/{entry_id}.safetensors"
        revision = entry.get("revision") or f"sha256 of weight files: {_weights_digest(listing)}"
        (catalog_dir / "weights").mkdir(exist_ok=True)
        write_atomic(catalog_dir / weights_rel, dump_fingerprint(fp, {"entry": entry_id, "revision": revision}))
        entry["weights"] = {"file": weights_rel, "revision": revision,
                            "computed_with": f"fromscratch {__version__}, {SKETCH_VERSION}"}
    if facts.synthetic:
        entry["synthetic"] = True
    path = catalog_dir / "entries" / f"{entry_id}.yaml"
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, dump_entry(entry))
    write_manifest(catalog_dir)
    return read_entry(path, catalog_dir, str(catalog_dir))


def _ensure_catalog(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / CATALOG_FILE
    if not header.exists():
        header.write_text(yaml.safe_dump({"format_version": 1, "name": folder.name, "version": "1",
                                          "description": "A user catalog created by 'fromscratch catalog add'."},
                                         sort_keys=False), encoding="utf-8")


def _add_tokenizer(listing: RepoListing, catalog_dir: Path, entry_id: str) -> str | None:
    load = load_tokenizer(listing.root, [f.path for f in listing.files if listing.has(f.path)])
    if load.tokenizer is None:
        return None
    (catalog_dir / "tokenizers").mkdir(exist_ok=True)
    write_fingerprint(catalog_dir / "tokenizers" / f"{entry_id}.tokfp", tokenizer_fingerprint(load.tokenizer, label=entry_id))
    return entry_id


def _vocab(listing: RepoListing) -> tuple[bytes | None, ...] | None:
    load = load_tokenizer(listing.root, [f.path for f in listing.files if listing.has(f.path)])
    return load.tokenizer.keys if load.tokenizer is not None else None


def _weights_digest(listing: RepoListing) -> str:
    import hashlib

    digest = hashlib.sha256()
    for f in listing.files:
        if f.path.endswith(".safetensors") and f.sha256:
            digest.update(f"{f.path}:{f.sha256}\n".encode())
    return digest.hexdigest()[:16]
