"""``catalog add``: turn a local model folder into a catalog entry with its fingerprints.

The entry records the model's published facts as found in the folder (config.json verbatim, the
card's licence and base-model fields) and where they came from; the weight fingerprint and the
tokenizer fingerprint (from the tokenizer files, or the one a GGUF file carries) are computed from
the files.

The order protects the catalog. A catalog that already fails its integrity check is refused before
anything else, so an addition never lends its checksums to earlier tampering. The entry is
validated before any fingerprint is computed or any file written, so a bad value (``--country
Korea``) leaves the catalog as it was. Then the new files and the manifest are written together,
and only the manifest lines of the files written change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from scanner import __version__
from scanner.catalog.store import (
    CATALOG_FILE,
    TOKENIZER_SUFFIX,
    CatalogEntry,
    check_manifest,
    dump_entry,
    parse_entry,
    read_catalog_header,
    write_catalog_files,
)
from scanner.errors import DataFileError, FromScratchError, ScanInputError
from scanner.hub import is_hub_target, resolve_target
from scanner.lineage.engine import fingerprint_reference
from scanner.lineage.sketch import SKETCH_VERSION
from scanner.lineage.storage import dump_fingerprint
from scanner.parse.repo import ParsedRepo, parse_repo
from scanner.pipeline import repo_tokenizer
from scanner.progress import NoProgress, Progress
from scanner.tokenizer import fingerprint as tokenizer_fingerprint
from scanner.tokenizer import fingerprint_to_bytes
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
    rels = _entry_files(entry_id)
    path = catalog_dir / rels["entry"]
    _check_catalog(catalog_dir, set(rels.values()))
    _validated(_given_facts(entry_id, facts) | _NOT_READ_YET, path)  # before a long download
    progress = progress or NoProgress()
    listing, facts = _acquire(model, facts, progress)
    parsed = parse_repo(listing)
    if parsed.raw_config is None:
        raise ScanInputError(f"{listing.target}: no readable config.json; a catalog entry needs the published config")
    entry = _entry(listing, parsed, entry_id, facts)
    files: dict[str, bytes] = {}
    tokenizer = repo_tokenizer(listing, parsed).tokenizer
    if tokenizer is not None:
        entry["tokenizer"] = entry_id
        files[rels["tokenizer"]] = fingerprint_to_bytes(tokenizer_fingerprint(tokenizer, label=entry_id))
    if parsed.tensors:
        revision = entry.get("revision") or f"sha256 of weight files: {_weights_digest(listing, parsed)}"
        entry["weights"] = {"file": rels["weights"], "revision": revision,
                            "computed_with": f"fromscratch {__version__}, {SKETCH_VERSION}"}
    if facts.synthetic:
        entry["synthetic"] = True
    text = _validated(entry, path)
    if parsed.tensors:
        vocab = tokenizer.keys if tokenizer is not None else None
        fp = fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, vocab, progress)
        files[rels["weights"]] = dump_fingerprint(fp, {"entry": entry_id, "revision": revision})
    files[rels["entry"]] = text.encode("utf-8")
    _write(catalog_dir, files)
    return parse_entry(text, path, catalog_dir, str(catalog_dir))


def _validated(entry: dict, path: Path) -> str:
    """The entry's YAML, checked exactly as loading will check it; nothing is written when it fails."""
    text = dump_entry(entry)
    try:
        parse_entry(text, path, path.parent.parent, str(path.parent.parent))
    except DataFileError as exc:
        raise FromScratchError(f"{exc} (the entry was not added; nothing was written)") from None
    return text


def _entry_files(entry_id: str) -> dict[str, str]:
    """The catalog files an entry owns; re-adding an entry replaces them."""
    return {"entry": f"entries/{entry_id}.yaml", "weights": f"weights/{entry_id}.safetensors",
            "tokenizer": f"tokenizers/{entry_id}{TOKENIZER_SUFFIX}"}


def _check_catalog(folder: Path, replaced: set[str]) -> None:
    """Refuse a folder that is not a catalog, and a catalog that fails its integrity check.

    Findings about the files this addition replaces do not count: they are about to be rewritten.
    """
    if not (folder / CATALOG_FILE).exists():
        if folder.exists() and any(folder.iterdir()):
            raise FromScratchError(f"{folder}: not a fromscratch catalog (no {CATALOG_FILE}) and not empty; "
                                   f"give a new folder or an existing catalog")
        return
    read_catalog_header(folder)
    bad, _ = check_manifest(folder)
    problems = [message for rel, message in sorted(bad.items()) if rel not in replaced]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FromScratchError(f"{folder}: the catalog fails its integrity check: {problems[0]}{more}; nothing was "
                               f"added. Review it with 'fromscratch catalog verify {folder}'")


def _acquire(model: str | Path, facts: EntryFacts, progress: Progress) -> tuple[RepoListing, EntryFacts]:
    """The model's files; a Hub model only when the download is complete, so the entry lacks nothing."""
    if not is_hub_target(str(model)):
        return walk(model, progress=progress), facts
    resolved = resolve_target(str(model), weights=True, progress=progress)
    if resolved.problems:
        reasons = "; ".join(p.message for p in resolved.problems)
        raise ScanInputError(f"{model}: not added, the download is not complete or not verifiable ({reasons}). "
                             f"Retry online, or add the snapshot folder {resolved.folder} if it is complete")
    listing = walk(resolved.folder, progress=progress, source="hf-hub", revision=resolved.revision)
    return listing, replace(facts, source=facts.source or resolved.pinned,
                            hf_repo=facts.hf_repo or resolved.target.repo_id, revision=facts.revision or resolved.revision)


# What the repository will supply, so the user's facts can be checked before anything is fetched.
_NOT_READ_YET = {"sources": [{"fact": "config", "ref": "not read yet"}], "config_fidelity": "as_published",
                 "config": {"model_type": "not-read-yet"}}


def _given_facts(entry_id: str, facts: EntryFacts) -> dict:
    """The fields the command line sets (or their defaults)."""
    entry: dict = {
        "format_version": 1,
        "id": entry_id,
        "name": facts.name or entry_id,
        "family": facts.family or entry_id.rsplit("-", 1)[0],
        "organisation": facts.organisation or "unknown",
        "hf_repo": facts.hf_repo or f"local/{entry_id}",
    }
    optional = {"country": facts.country, "release_date": facts.release_date, "license": facts.license}
    return entry | {k: v for k, v in optional.items() if v}


def _entry(listing: RepoListing, parsed: ParsedRepo, entry_id: str, facts: EntryFacts) -> dict:
    """The entry's published facts; ``dump_entry`` puts the keys in the schema's order."""
    entry = _given_facts(entry_id, facts)
    revision = facts.revision or listing.revision
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        entry["revision"] = revision
    card = parsed.card
    license_card = {k: v for k, v in (("license", card.license), ("license_name", card.license_name),
                                      ("license_link", card.license_link)) if v} if card else {}
    if license_card:
        entry["license_card"] = license_card
    bases = [b for b in (card.base_model if card else ()) if re.fullmatch(r"[^/\s]+/[^/\s]+", b)]
    if bases:
        entry["declared_base_models"] = sorted(set(bases))
    source = facts.source or (listing.target if listing.source == "local" else f"{listing.target}@{listing.revision}")
    config_sha = next((f.sha256 for f in listing.files if f.path == "config.json"), None)
    entry["sources"] = [{"fact": "config", "ref": f"{source} (config.json sha256 {config_sha})"}]
    entry["config_fidelity"] = "as_published"
    entry["config"] = parsed.raw_config
    return entry


def _write(folder: Path, files: dict[str, bytes]) -> None:
    """The new files and their manifest lines, all or none; a new catalog gets its catalog.yaml too."""
    if not (folder / CATALOG_FILE).exists():
        files = {CATALOG_FILE: yaml.safe_dump({"format_version": 1, "name": folder.name, "version": "1",
                                               "description": "A user catalog created by 'fromscratch catalog add'."},
                                              sort_keys=False).encode("utf-8")} | files
    write_catalog_files(folder, files)


def _weights_digest(listing: RepoListing, parsed: ParsedRepo) -> str:
    """Names the weight files the fingerprint was computed from, whatever their format, by their sha256."""
    used = {t.file for t in parsed.tensors}
    digest = hashlib.sha256()
    for f in listing.files:
        if f.path in used:
            digest.update(f"{f.path}:{f.sha256}\n".encode())
    return digest.hexdigest()[:16]
