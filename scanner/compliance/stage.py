"""The compliance stage: code, licences, upstreams, obligations, control terms and provenance, in one call.

Order matters only where one part reads another: the code analysis finds SPDX tags and manifest
licences (licence sources) and other repositories named in ``auto_map`` (provenance hints); the
upstreams combine declarations with the earlier stages' lineage and the code matches; obligations
and control terms follow from each reused upstream's licence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from scanner.catalog.store import Catalog, bundled_catalog_dir
from scanner.code.analysis import analyse_code
from scanner.code.known import load_known_code
from scanner.compliance.control import control_terms
from scanner.compliance.license_sources import LicenseSources, license_sources
from scanner.compliance.model import ComplianceFacts, Observed
from scanner.compliance.obligations import RepoContext, obligations_for
from scanner.compliance.provenance import undisclosed, unverified
from scanner.compliance.texts import repo_texts
from scanner.compliance.upstreams import CatalogIndex, UpstreamRecord, collect_upstreams, declarations
from scanner.errors import problem
from scanner.licenses import get_license
from scanner.licenses.catalog import reference_text
from scanner.licenses.expressions import catalog_ids
from scanner.parse.repo import ParsedRepo
from scanner.parse.textfile import read_json
from scanner.report.model import CardFacts, LicenseRefText, Problem, ProvenanceFacts, Severity
from scanner.reporters.spdx_common import slug
from scanner.tokenizer.files import MAX_FILE_BYTES as MAX_TOKENIZER_FILE_BYTES
from scanner.walk.walker import RepoListing

HINT_FILES = ("adapter_config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json")
MAX_HINT_JSON_BYTES = 16 << 20
# tokenizer_config.json is read by the tokenizer stage too: the same limit gives one problem, not two
_HINT_LIMITS = {"tokenizer_config.json": MAX_TOKENIZER_FILE_BYTES}
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<[^>]+>|[*_`]")
REPO_LICENSE_REF = "LicenseRef-fromscratch-file-"
"""Prefix of the LicenseRef for a repository's own licence file; bare 'LicenseRef-LICENSE' is a ScanCode alias."""
MAX_LICENSE_TEXT_CHARS = 64 * 1024
"""Cap on each licence text the report carries: every catalog text fits; a 2 MB 'LICENSE' blob does not."""


def code_catalog_dirs(catalog: Catalog) -> list[Path]:
    """The catalog folders whose ``code/`` fingerprints apply, in load order (the bundled one first).

    ``Catalog`` records its folders only in its version labels ('<folder> <version>'); folders that
    hold entries are added from the entries' paths in case a label cannot be read back.
    """
    folders: list[Path] = []
    for version in catalog.versions:
        label = version.rsplit(" ", 1)[0]
        folder = bundled_catalog_dir() if label == "bundled" else Path(label)
        if (folder / "catalog.yaml").is_file() and folder not in folders:
            folders.append(folder)
    for entry in catalog.entries.values():
        folder = entry.file.parent.parent
        if folder not in folders:
            folders.append(folder)
    return folders


def _json_files(listing: RepoListing, parsed: ParsedRepo) -> tuple[dict[str, Any], list[Problem]]:
    """config.json as parsed, plus the other JSON files that can name a base model."""
    files: dict[str, Any] = {"config.json": parsed.raw_config} if parsed.raw_config is not None else {}
    problems = []
    for name in HINT_FILES:
        if listing.has(name):
            data, issue = read_json(listing.path(name), name, limit=_HINT_LIMITS.get(name, MAX_HINT_JSON_BYTES))
            if issue is not None:
                problems.append(issue)
            elif isinstance(data, dict):
                files[name] = data
    return files, problems


def _auto_maps(json_files: dict[str, Any]) -> dict[str, dict[str, object]]:
    return {file: data["auto_map"] for file, data in json_files.items()
            if isinstance(data, dict) and isinstance(data.get("auto_map"), dict)}


def model_names(listing: RepoListing, card: CardFacts | None) -> tuple[tuple[str, str], ...]:
    """Names the model goes by: the card's first heading and the repository's (or folder's) name."""
    names = []
    if card is not None:
        heading = _HEADING.search(card.text)
        if heading:
            title = _MARKUP.sub(lambda m: m.group(1) or "", heading.group(1)).strip()
            if title:
                names.append((title, f"{card.file} title"))
    target = listing.target.removeprefix("hf://").split("@", 1)[0].rstrip("/")
    folder = PurePosixPath(target.replace("\\", "/")).name
    if folder.startswith("models--"):
        folder = folder.rsplit("--", 1)[-1]
    if folder and folder not in {n for n, _ in names}:
        names.append((folder, "repository name"))
    return tuple(names)


def _why_no_license(record: UpstreamRecord) -> str:
    if record.license_expression:
        return f"the licence of {record.name} ({record.license_expression}) is not in the licence catalog"
    if record.entries:
        return f"the catalog records no licence for {record.name}"
    return f"{record.name} is not in the catalog, so its licence is unknown"


def license_texts(sources: LicenseSources, upstream_expressions: Iterable[str | None]) -> tuple[LicenseRefText, ...]:
    """The text of every LicenseRef the report names, for the SBOM writers, which read only the report.

    A catalog licence SPDX does not list carries its bundled reference text. A ``LICENSE`` file that is
    no known licence, or a known one with changed terms, is a licence of its own: it gets
    ``LicenseRef-fromscratch-file-<file>`` with the file's text. (The ref is not put into the
    detections: their null expression is what rules read as "unidentified".)
    """
    facts = sources.facts
    texts: dict[str, LicenseRefText] = {}
    expressions = [d.expression for d in facts.detections] + [facts.declared_expression, *upstream_expressions]
    for expression in dict.fromkeys(e for e in expressions if e):
        for license_id in catalog_ids(expression)[0]:
            info = get_license(license_id)
            if info.licenseref and info.licenseref not in texts:
                origin = f"{info.text} of the fromscratch licence catalog, from {info.source.ref}"
                texts[info.licenseref] = _license_text(info.licenseref, reference_text(info.text), origin)
    for identification in sources.license_files:
        text = sources.texts.get(identification.source, "")
        if identification.expression is None and text.strip():
            ref, n = f"{REPO_LICENSE_REF}{slug(identification.source)}", 2
            while ref in texts:
                ref, n = f"{REPO_LICENSE_REF}{slug(identification.source)}-{n}", n + 1
            texts[ref] = _license_text(ref, text, identification.source)
    return tuple(texts[ref] for ref in sorted(texts))


def _license_text(ref: str, text: str, source: str) -> LicenseRefText:
    return LicenseRefText(ref=ref, text=text[:MAX_LICENSE_TEXT_CHARS], source=source,
                          sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                          truncated=len(text) > MAX_LICENSE_TEXT_CHARS)


def compliance_facts(listing: RepoListing, parsed: ParsedRepo, observed: Observed, catalog: Catalog) -> ComplianceFacts:
    """Licences, obligations, control terms, provenance and code of a walked and parsed repository."""
    problems: list[Problem] = []
    json_files, json_problems = _json_files(listing, parsed)
    problems += [p for p in json_problems if p not in parsed.problems]
    known, known_problems = load_known_code(code_catalog_dirs(catalog))
    problems += known_problems
    code = analyse_code(listing, _auto_maps(json_files), known)
    problems += code.problems
    licenses = license_sources(listing, parsed.card, code, parsed.embedded_licenses)
    problems += licenses.problems

    declared = declarations(parsed.card, json_files, code, parsed.embedded_base_models)
    records = collect_upstreams(catalog, declared, observed.components, observed.tokenizer, observed.architecture, code)
    notices_that_are_licences = frozenset(d.source for d in licenses.notices if d.license_id)
    context = RepoContext(texts=repo_texts(listing, parsed.card, licenses.texts, notices_that_are_licences), licenses=licenses,
                          names=model_names(listing, parsed.card), code_headers={f.path: f.header for f in code.files})
    obligations, control = [], []
    for record in records:
        if not record.reused:
            continue
        if not record.license_ids:
            problems.append(problem("", "compliance.upstream-license-unknown",
                                    f"{_why_no_license(record)}; its obligations were not checked", Severity.INFO))
        for license_id in record.license_ids:
            info = get_license(license_id)
            obligations += obligations_for(record, info, context)
            control += control_terms(record, info)

    card = parsed.card
    adapter = "adapter_config.json" in json_files or (card is not None and card.base_model_relation == "adapter")
    provenance = ProvenanceFacts(
        declared_base_models=card.base_model if card else (),
        declared_relation=card.base_model_relation if card else None,
        config_hints=tuple(f"{d.source}={d.value}" for d in declared if not d.claim),
        upstreams=tuple(r.report() for r in records),
        undisclosed=tuple(undisclosed(records, CatalogIndex(catalog))),
        unverified=tuple(unverified(declared, records, catalog, observed.components, observed.architecture, adapter,
                                    card.base_model_relation if card else None)),
    )
    texts = license_texts(licenses, (u.license_expression for u in provenance.upstreams))
    return ComplianceFacts(licenses=replace(licenses.facts, texts=texts), obligations=tuple(obligations),
                           control=tuple(control), provenance=provenance, code=code.facts,
                           problems=tuple(sorted(set(problems), key=lambda p: (p.file, p.code, p.message))),
                           read_files=frozenset(licenses.texts) | code.read_files)
