"""The report as an SPDX 2.3 SBOM (JSON), written and validated with spdx-tools.

What goes in: the scanned model as the described package; each repository file with its SHA-256;
each upstream model, tokenizer or code source the scan found or the card declares, with its licence;
each third-party Python package the repository's code imports, with the licence the package declares
when the scan knows it; ``ExtractedLicensingInfo`` for every
``LicenseRef-`` used; relationships (``DESCRIBES``, ``CONTAINS``, ``DESCENDANT_OF``, ``DEPENDS_ON``);
and the attribution texts upstream licences require, on the upstream package that requires them.

SPDX 2.3 requires a SHA-1 for every *File* element, and a scan records SHA-256 only (SHA-1 is
broken, and hashing multi-gigabyte shards twice is not free). Each repository file is therefore a
*package* of purpose ``FILE`` carrying its SHA-256, contained in the model package. (The SPDX 3
writer has no such restriction and writes real File elements.)

A licence expression spdx-tools cannot accept (a non-SPDX id that is not a ``LicenseRef-``) becomes
``NOASSERTION`` with the original text kept in the licence comment, rather than an invalid SBOM; and
``render_spdx`` validates the whole document before returning it.
"""

from __future__ import annotations

import json
import re

from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    ExtractedLicensingInfo,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
    SpdxNone,
)
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.write_utils import convert

from scanner.errors import OutputError
from scanner.report.model import RepoFile, ScanReport, Upstream
from scanner.reporters.spdx_common import (
    IdMaker,
    LicenseValue,
    attribution_texts,
    created_time,
    creator_comment,
    file_license,
    hub_url,
    license_ref_text,
    license_refs,
    license_value,
    model_comment,
    model_name,
    namespace,
    relationship_note,
    reuses_parts,
    reuses_weights,
    slug,
    upstream_comment,
    upstream_obligations,
)

SPDX_VERSION = "SPDX-2.3"
MODEL_ID = "SPDXRef-Model"


def render_spdx(report: ScanReport) -> str:
    document = spdx_document(report)
    messages = validate_full_spdx_document(document)
    if messages:
        details = "; ".join(m.validation_message for m in messages[:5])
        raise OutputError(f"the SPDX document for {report.target.path} did not validate ({details})")
    return json.dumps(convert(document, None), indent=2, ensure_ascii=False) + "\n"


def spdx_document(report: ScanReport) -> Document:
    """The SPDX 2.3 document for a report (not yet validated: ``render_spdx`` does that)."""
    name = model_name(report)
    packages = [_model_package(report, name)]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, MODEL_ID)]
    ids = IdMaker("SPDXRef-", "-")
    for repo_file in report.target.files:
        package = _file_package(report, repo_file, ids.make("File", repo_file.path))
        packages.append(package)
        relationships.append(Relationship(MODEL_ID, RelationshipType.CONTAINS, package.spdx_id))
    for upstream in report.provenance.upstreams:
        package = _upstream_package(report, upstream, ids.make("Upstream", upstream.catalog_id or upstream.name))
        packages.append(package)
        relationships.append(_upstream_relationship(upstream, package.spdx_id))
    for dependency in report.code.dependencies:
        package = _python_package(report, dependency, ids.make("PyPI", dependency))
        packages.append(package)
        relationships.append(Relationship(MODEL_ID, RelationshipType.DEPENDS_ON, package.spdx_id,
                                          comment="imported or listed by the repository's code"))
    creation = CreationInfo(
        spdx_version=SPDX_VERSION, spdx_id="SPDXRef-DOCUMENT", name=f"{name} (fromscratch scan)",
        document_namespace=namespace(report), creators=[Actor(ActorType.TOOL, f"{report.tool.name}-{report.tool.version}")],
        created=created_time(report.run.started_at).replace(tzinfo=None), creator_comment=creator_comment(report),
        document_comment=f"Verdict: {report.verdict.status.value}. {report.verdict.summary}")
    document = Document(creation_info=creation, packages=packages, relationships=relationships)
    document.extracted_licensing_info = _extracted_licences(report, packages)
    return document


def _declared(value: LicenseValue, *, none_when_missing: bool) -> object:
    if value.expression is not None:
        return value.expression
    return SpdxNone() if value.missing and none_when_missing else SpdxNoAssertion()


def _model_package(report: ScanReport, name: str) -> Package:
    declared = license_value(report.licenses.declared_expression)
    notes = [declared.note] if declared.note else []
    notes.extend(report.licenses.findings)
    hub = hub_url(name) if report.target.path.startswith("hf://") else None
    package = Package(
        spdx_id=MODEL_ID, name=name, download_location=hub or SpdxNoAssertion(), version=report.target.revision,
        files_analyzed=False, license_concluded=SpdxNoAssertion(),
        license_declared=_declared(declared, none_when_missing=not report.licenses.detections),
        license_comment=" ".join(notes) or None, copyright_text=SpdxNoAssertion(), summary="AI model repository",
        description=report.verdict.summary, comment=model_comment(report), primary_package_purpose=PackagePurpose.OTHER,
    )
    if hub:
        revision = f"@{report.target.revision}" if report.target.revision else ""
        package.external_references = [_purl(f"pkg:huggingface/{name}{revision}")]
    return package


def _file_package(report: ScanReport, repo_file: RepoFile, spdx_id: str) -> Package:
    declared = license_value(file_license(report, repo_file.path))
    checksums = [Checksum(ChecksumAlgorithm.SHA256, repo_file.sha256)] if repo_file.sha256 else []
    note = f"{repo_file.kind.value} file, {repo_file.size} bytes, {repo_file.status.value}"
    if repo_file.note:
        note += f": {repo_file.note}"
    if not repo_file.sha256:
        note += "; not hashed"
    return Package(spdx_id=spdx_id, name=repo_file.path, file_name=repo_file.path, download_location=SpdxNoAssertion(),
                   files_analyzed=False, checksums=checksums, license_concluded=SpdxNoAssertion(),
                   license_declared=_declared(declared, none_when_missing=False), license_comment=declared.note or None,
                   copyright_text=SpdxNoAssertion(), comment=note,
                   primary_package_purpose=PackagePurpose.FILE)


def _upstream_package(report: ScanReport, upstream: Upstream, spdx_id: str) -> Package:
    declared = license_value(upstream.license_expression)
    obligations = upstream_obligations(report, upstream)
    license_notes = [declared.note] if declared.note else []
    if upstream.license_id:
        license_notes.append(f"fromscratch licence id: {upstream.license_id}.")
    hub = hub_url(upstream.name)
    package = Package(
        spdx_id=spdx_id, name=upstream.name, download_location=hub or SpdxNoAssertion(),
        supplier=Actor(ActorType.ORGANIZATION, upstream.organisation) if upstream.organisation else SpdxNoAssertion(),
        files_analyzed=False, license_concluded=SpdxNoAssertion(),
        license_declared=_declared(declared, none_when_missing=False), license_comment=" ".join(license_notes) or None,
        copyright_text=SpdxNoAssertion(), comment=upstream_comment(upstream, obligations),
        attribution_texts=attribution_texts(obligations), primary_package_purpose=PackagePurpose.OTHER,
    )
    if hub:
        package.external_references = [_purl(f"pkg:huggingface/{upstream.name}")]
    return package


def _upstream_relationship(upstream: Upstream, upstream_id: str) -> Relationship:
    note = relationship_note(upstream)
    if reuses_weights(upstream):
        return Relationship(MODEL_ID, RelationshipType.DESCENDANT_OF, upstream_id, comment=note)
    if reuses_parts(upstream):
        return Relationship(MODEL_ID, RelationshipType.DEPENDS_ON, upstream_id, comment=note)
    return Relationship(MODEL_ID, RelationshipType.OTHER, upstream_id,
                        comment=f"{note}: the same architecture, which is not reuse of weights")


def _python_package(report: ScanReport, name: str, spdx_id: str) -> Package:
    """A dependency; its declared licence is the one the report found for it, else NOASSERTION."""
    normalized = re.sub(r"[-_.]+", "-", name).lower()
    declared = license_value(report.code.dependency_licenses.get(name))
    source = report.code.dependency_license_sources.get(name)
    notes = [note for note in (declared.note, f"Declared licence read from {source}." if source else "") if note]
    return Package(spdx_id=spdx_id, name=name, download_location=SpdxNoAssertion(), files_analyzed=False,
                   license_concluded=SpdxNoAssertion(), license_declared=_declared(declared, none_when_missing=False),
                   license_comment=" ".join(notes) or None, copyright_text=SpdxNoAssertion(),
                   external_references=[_purl(f"pkg:pypi/{normalized}")], primary_package_purpose=PackagePurpose.LIBRARY)


def _extracted_licences(report: ScanReport, packages: list[Package]) -> list[ExtractedLicensingInfo]:
    """One ExtractedLicensingInfo per LicenseRef used, with its text when the report carries it."""
    used: set[str] = set()
    for package in packages:
        if not isinstance(package.license_declared, (SpdxNone, SpdxNoAssertion)):
            used |= license_refs(str(package.license_declared))
    infos = []
    for ref in sorted(used):
        info = license_ref_text(report, ref)
        infos.append(ExtractedLicensingInfo(license_id=ref, extracted_text=info.text, comment=info.comment,
                                            license_name=info.license_id or SpdxNoAssertion(), cross_references=info.links))
    return infos


def _purl(locator: str) -> ExternalPackageRef:
    return ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", locator)
