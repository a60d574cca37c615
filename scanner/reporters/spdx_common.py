"""What the SPDX 2.3 and SPDX 3.0.1 writers share: names, content-derived ids, licences, obligations.

Nothing random or clock-based goes into an SBOM: the document namespace is a digest of the report
without its ``run`` block, and the creation time is ``run.started_at`` (which ``SOURCE_DATE_EPOCH``
fixes), so the same report always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from license_expression import ExpressionError, LicenseExpression
from spdx_tools.common.spdx_licensing import spdx_licensing

from scanner.codec import to_jsonable
from scanner.errors import OutputError
from scanner.report.model import Obligation, ScanReport, Upstream

NAMESPACE_BASE = "https://spdx.org/spdxdocs/fromscratch"
ATTRIBUTION_KINDS = frozenset({"notice_text", "display_attribution"})
"""Obligation kinds whose requirement is a text to reproduce (an SPDX attribution text)."""

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_LICENSE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")
_LICENSE_REF_TOKEN = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_MAX_SLUG = 80


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseValue:
    """A licence as an SPDX expression, or None (NOASSERTION/NONE) with a note saying why."""

    expression: LicenseExpression | None
    missing: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseRefInfo:
    """What both SPDX versions write for a ``LicenseRef-``: text, name, links and where the text came from."""

    text: str
    license_id: str | None
    links: list[str]
    comment: str | None


def license_value(expression: str | None) -> LicenseValue:
    """Accept an expression only if every symbol is an SPDX id or a ``LicenseRef-``; else say why not."""
    if not expression:
        return LicenseValue(expression=None, missing=True)
    try:
        info = spdx_licensing.validate(expression)
        parsed = spdx_licensing.parse(expression)
    except ExpressionError as exc:
        return LicenseValue(expression=None, note=f"Declared as '{expression}', not a licence expression ({exc}).")
    bad = [symbol for symbol in info.invalid_symbols if not _LICENSE_REF.match(symbol)]
    if bad or parsed is None:
        return LicenseValue(expression=None, note=f"Declared as '{expression}', which is not an SPDX expression "
                                                  f"(unknown: {', '.join(bad) or 'empty'}).")
    return LicenseValue(expression=parsed)


def license_refs(expression: str | None) -> set[str]:
    return set(_LICENSE_REF_TOKEN.findall(expression or ""))


def license_ref_text(report: ScanReport, ref: str) -> LicenseRefInfo:
    """Everything an SBOM says about a ``LicenseRef-``: its text from the report when the scan knows it
    (a catalog reference text or the repository's own licence file), else a sentence saying where the
    text is; the fromscratch licence id when known; and links to it."""
    detections = [d for d in report.licenses.detections if ref in license_refs(d.expression)]
    upstreams = [u for u in report.provenance.upstreams if ref in license_refs(u.license_expression)]
    ids = sorted({d.license_id for d in detections if d.license_id} | {u.license_id for u in upstreams if u.license_id})
    card = report.card
    declared_by_card = ref in license_refs(report.licenses.declared_expression)
    links = [card.license_link] if (card and declared_by_card and card.license_link
                                    and card.license_link.startswith(("http://", "https://"))) else []
    known = next((t for t in report.licenses.texts if t.ref == ref), None)
    if known is not None:
        cut = f" Cut at {len(known.text):,} characters; the SHA-256 is of the whole text." if known.truncated else ""
        return LicenseRefInfo(text=known.text, license_id=ids[0] if ids else None, links=links,
                              comment=f"Text from {known.source} (SHA-256 {known.sha256}).{cut}")
    where = []
    if detections:
        where.append("found in this repository at " + ", ".join(d.source for d in detections))
    if upstreams:
        where.append("the licence of " + ", ".join(u.name for u in upstreams) + ", whose repositories carry the full text")
    text = (f"The text of {ref} is not known to fromscratch and is not reproduced in this SBOM; it was identified"
            + (f" as '{', '.join(ids)}'" if ids else "") + ": " + ("; ".join(where) or "no source recorded") + ".")
    return LicenseRefInfo(text=text, license_id=ids[0] if ids else None, links=links, comment=None)


def file_license(report: ScanReport, path: str) -> str | None:
    """The licence a repository file states: what it was identified as, or the LicenseRef of its own text."""
    identified = next((d.expression for d in report.licenses.detections if d.source == path and d.expression), None)
    return identified or next((t.ref for t in report.licenses.texts if t.source == path), None)


def model_name(report: ScanReport) -> str:
    """The model's name: the Hub id for hf:// targets, else the folder name."""
    path = report.target.path
    if path.startswith("hf://"):
        return path[len("hf://"):].split("@", 1)[0]
    return path.rstrip("/").rsplit("/", 1)[-1] or path


def content_digest(report: ScanReport) -> str:
    """A digest of everything but the run block: the same scan result gives the same namespace."""
    data = to_jsonable(report)
    data.pop("run", None)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def namespace(report: ScanReport) -> str:
    return f"{NAMESPACE_BASE}/{slug(model_name(report))}-{content_digest(report)}"


def created_time(started_at: str) -> datetime:
    """``run.started_at`` as an aware UTC time, whole seconds (what both SPDX versions write)."""
    try:
        stamp = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        raise OutputError(f"run.started_at is not an ISO 8601 time: {started_at!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).replace(microsecond=0)


class IdMaker:
    """Element ids from names, unique in order of use: names that slug alike ('org/a b', 'org/a-b') get -2, -3...

    ``IdMaker("SPDXRef-", "-")`` makes SPDX 2.3 ids ('SPDXRef-Upstream-org-a-b'); an SPDX 3 document
    passes its namespace and "/" to make IRIs.
    """

    def __init__(self, prefix: str, separator: str) -> None:
        self._prefix, self._separator = prefix, separator
        self._used: set[str] = set()

    def make(self, kind: str, name: str) -> str:
        base = f"{self._prefix}{kind}{self._separator}{slug(name)}"
        candidate, n = base, 2
        while candidate in self._used:
            candidate, n = f"{base}-{n}", n + 1
        self._used.add(candidate)
        return candidate


def hub_url(name: str) -> str | None:
    return f"https://huggingface.co/{name}" if _HUB_ID.match(name) else None


def slug(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:_MAX_SLUG] or "x"


def upstream_obligations(report: ScanReport, upstream: Upstream) -> list[Obligation]:
    return [o for o in report.obligations if o.upstream in (upstream.catalog_id, upstream.name)]


def attribution_texts(obligations: list[Obligation]) -> list[str]:
    return sorted({o.requirement for o in obligations if o.kind in ATTRIBUTION_KINDS and o.requirement})


def upstream_comment(upstream: Upstream, obligations: list[Obligation]) -> str:
    lines = [(f"Reused: {', '.join(upstream.what) or 'unspecified'}; declared by the card: "
             f"{'yes' if upstream.declared else 'no'}; detected by the scan: {'yes' if upstream.detected else 'no'}.")]
    if upstream.catalog_id:
        lines.append(f"fromscratch catalog id: {upstream.catalog_id}.")
    if upstream.country:
        lines.append(f"Publisher country: {upstream.country}.")
    for o in obligations:
        state = {True: "met", False: "NOT MET", None: "not checkable automatically"}[o.satisfied]
        lines.append(f"Obligation ({o.license_id} {o.clause}, {o.kind}): {o.requirement} [{state}; {o.evidence}].")
    return " ".join(lines)


def reuses_weights(upstream: Upstream) -> bool:
    """Weights reused (or reuse of unspecified parts) make the model a descendant of the upstream."""
    return not upstream.what or any(item.startswith("weights:") for item in upstream.what)


def reuses_parts(upstream: Upstream) -> bool:
    """A tokenizer or code reused is a dependency; an architecture alone is neither."""
    return any(item in ("tokenizer", "code") for item in upstream.what)


def relationship_note(upstream: Upstream) -> str:
    source = "detected" if upstream.detected else "declared by the card, not confirmed by the scan"
    return f"{', '.join(upstream.what) or 'unspecified'} ({source})"


def model_comment(report: ScanReport) -> str:
    prov = report.provenance
    comment = [f"fromscratch verdict: {report.verdict.status.value}."]
    if prov.undisclosed:
        comment.append("Reuse the card does not declare: " + "; ".join(prov.undisclosed) + ".")
    if prov.unverified:
        comment.append("Declared bases the scan could not confirm: " + "; ".join(prov.unverified) + ".")
    return " ".join(comment)


def creator_comment(report: ScanReport) -> str:
    return (f"Generated from a fromscratch scan report. Policy {report.policy.id} {report.policy.version} "
            f"(sha256 {report.policy.checksum or 'none'}); catalog {report.catalog.version or 'none'} "
            f"(sha256 {report.catalog.checksum or 'none'}).")
