"""The report as SPDX 3.0.1 JSON-LD with the AI profile, written with spdx-python-model.

The same content as the SPDX 2.3 SBOM, in SPDX 3 terms: the model is an ``ai_AIPackage`` (the root
element) whose ``ai_informationAboutTraining`` carries the verdict; each repository file is a
``software_File`` with its SHA-256 (SPDX 3 does not demand SHA-1); upstream models are
``ai_AIPackage``s the model ``descendantOf``; tokenizer or code sources and Python packages are
``software_Package``s it ``dependsOn`` (a Python package with the licence it declares when the scan
knows it, else no assertion); licences are ``hasDeclaredLicense`` relationships to licence
expressions, with a ``CustomLicense`` for every ``LicenseRef-``; attribution texts sit on the upstream
that requires them.

AI-profile fields are filled only from facts the scan has: ``typeOfModel`` (config ``model_type``),
``hyperparameter`` (the language model's config), ``autonomyType`` (no assertion),
``standardCompliance`` (the policy, only when the verdict is "from scratch"). Domain, limitations and
energy are not in a scan report and are left out rather than guessed.

spdx-python-model is generated from the SPDX 3.0.1 SHACL model and checks types, enumerations and
required properties when the document is encoded, so a document it writes is structurally 3.0.1.
Element ids are IRIs under the same content-derived namespace as the SPDX 2.3 document.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from spdx_python_model import v3_0_1 as spdx3

from scanner.report.model import RepoFile, ScanReport, Upstream, VerdictStatus
from scanner.reporters.spdx_common import (
    IdMaker,
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
    upstream_comment,
    upstream_obligations,
)

NO_ASSERTION_LICENSE = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"
NONE_LICENSE = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoneLicense"
PROFILES = ("core", "software", "ai", "simpleLicensing", "expandedLicensing")


def render_spdx3(report: ScanReport) -> str:
    return json.dumps(spdx3_data(report), indent=2, ensure_ascii=False) + "\n"


def spdx3_data(report: ScanReport) -> dict[str, Any]:
    """The JSON-LD document as Python data (encoding checks the 3.0.1 model's constraints)."""
    return spdx3.JSONLDSerializer().serialize_data(spdx3.SHACLObjectSet(_Builder(report).elements()))


class _Builder:
    """Collects the elements of one document; ids are IRIs made from names, in a fixed order."""

    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.base = namespace(report) + "/"
        self.creation = spdx3.CreationInfo(specVersion="3.0.1", created=created_time(report.run.started_at),
                                           comment=creator_comment(report))
        self.items: list[Any] = []
        self.licences: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.organisations: dict[str, Any] = {}
        self.relationship_count = 0
        self.ids = IdMaker(self.base, "/")

    def add(self, element: Any) -> Any:
        self.items.append(element)
        return element

    def iri(self, kind: str, name: str) -> str:
        return f"{self.base}{kind}/{quote(name, safe='-._~')}"

    def elements(self) -> list[Any]:
        report = self.report
        agent = self.add(spdx3.SoftwareAgent(_id=self.iri("agent", report.tool.name), name=report.tool.name,
                                             creationInfo=self.creation))
        tool = self.add(spdx3.Tool(_id=self.iri("tool", f"{report.tool.name}-{report.tool.version}"),
                                   name=f"{report.tool.name} {report.tool.version}", creationInfo=self.creation))
        self.creation.createdBy.append(agent)
        self.creation.createdUsing.append(tool)
        model = self.add(self._model())
        files = [self.add(self._file(f)) for f in report.target.files]
        if files:
            self.relate(model, "contains", files)
        for upstream in report.provenance.upstreams:
            package = self.add(self._upstream(upstream))
            kind = "descendantOf" if reuses_weights(upstream) else "dependsOn" if reuses_parts(upstream) else "other"
            self.relate(model, kind, [package], comment=relationship_note(upstream))
        dependencies = [self.add(self._python_package(name)) for name in report.code.dependencies]
        if dependencies:
            self.relate(model, "dependsOn", dependencies, comment="imported or listed by the repository's code")
        document = spdx3.SpdxDocument(_id=self.iri("document", model_name(report)), creationInfo=self.creation,
                                      name=f"{model_name(report)} (fromscratch scan)",
                                      comment=f"Verdict: {report.verdict.status.value}. {report.verdict.summary}")
        document.rootElement.append(model)
        document.element.extend(self.items)
        document.profileConformance.extend(getattr(spdx3.ProfileIdentifierType, p) for p in PROFILES)
        return [document, *self.items]

    def relate(self, source: Any, kind: str, targets: list[Any], *, comment: str | None = None) -> None:
        self.relationship_count += 1
        relationship = spdx3.Relationship(_id=self.iri("relationship", str(self.relationship_count)),
                                          creationInfo=self.creation, from_=source,
                                          relationshipType=getattr(spdx3.RelationshipType, kind), to=targets)
        if comment:
            relationship.comment = comment
        self.add(relationship)

    def declare_licence(self, element: Any, expression: str | None, *, none_when_missing: bool) -> str:
        """Relate ``element`` to its declared licence; return a note when the expression was not usable."""
        value = license_value(expression)
        if value.expression is None:
            target = NONE_LICENSE if value.missing and none_when_missing else NO_ASSERTION_LICENSE
            self.relate(element, "hasDeclaredLicense", [target])
            return value.note
        text = str(value.expression)
        if text not in self.licences:
            licence = spdx3.simplelicensing_LicenseExpression(
                _id=self.iri("license", text), creationInfo=self.creation, simplelicensing_licenseExpression=text)
            for ref in sorted(license_refs(text)):
                licence.simplelicensing_customIdToUri.append(
                    spdx3.DictionaryEntry(key=ref, value=self._custom_licence(ref)._id))
            self.licences[text] = self.add(licence)
        self.relate(element, "hasDeclaredLicense", [self.licences[text]])
        return ""

    def _custom_licence(self, ref: str) -> Any:
        if ref not in self.custom:
            info = license_ref_text(self.report, ref)
            custom = spdx3.expandedlicensing_CustomLicense(
                _id=self.iri("licenseref", ref), creationInfo=self.creation, name=info.license_id or ref,
                simplelicensing_licenseText=info.text)
            if info.comment:
                custom.comment = info.comment
            custom.expandedlicensing_seeAlso.extend(info.links)
            self.custom[ref] = self.add(custom)
        return self.custom[ref]

    def _model(self) -> Any:
        report = self.report
        name = model_name(report)
        model = spdx3.ai_AIPackage(
            _id=self.iri("model", name), name=name, creationInfo=self.creation, comment=model_comment(report),
            description=report.verdict.summary, software_primaryPurpose=spdx3.software_SoftwarePurpose.model,
            ai_autonomyType=spdx3.PresenceType.noAssertion,
            ai_informationAboutTraining=(f"fromscratch verdict under policy {report.policy.id} {report.policy.version}: "
                                         f"{report.verdict.status.value}. {report.verdict.summary}"))
        if report.target.revision:
            model.software_packageVersion = report.target.revision
        if report.target.path.startswith("hf://") and hub_url(name):
            model.software_downloadLocation = hub_url(name)
            revision = f"@{report.target.revision}" if report.target.revision else ""
            model.externalIdentifier.append(_purl(f"pkg:huggingface/{name}{revision}"))
        if report.config and report.config.model_type:
            model.ai_typeOfModel.append(report.config.model_type)
        for key, value in self._hyperparameters():
            model.ai_hyperparameter.append(spdx3.DictionaryEntry(key=key, value=value))
        if report.verdict.status == VerdictStatus.FROM_SCRATCH:
            model.ai_standardCompliance.append(f"{report.policy.id} {report.policy.version}")
        notes = [self.declare_licence(model, report.licenses.declared_expression,
                                      none_when_missing=not report.licenses.detections)]
        notes.extend(report.licenses.findings)
        if any(notes):
            model.comment = f"{model.comment} Licence: {' '.join(n for n in notes if n)}"
        return model

    def _hyperparameters(self) -> list[tuple[str, str]]:
        """The language model's scalar config values (the part the AI profile calls hyperparameters)."""
        config = self.report.config
        if config is None:
            return []
        section = next((s for s in config.sections if s.component == "text"), None)
        if section is None:
            return []
        return [(key, json.dumps(value, ensure_ascii=False)) for key, value in sorted(section.hyperparameters.items())
                if isinstance(value, (str, int, float, bool))]

    def _file(self, repo_file: RepoFile) -> Any:
        element = spdx3.software_File(_id=self.iri("file", repo_file.path), name=repo_file.path,
                                      creationInfo=self.creation, software_fileKind=spdx3.software_FileKindType.file,
                                      comment=f"{repo_file.kind.value} file, {repo_file.size} bytes, "
                                              f"{repo_file.status.value}" + (f": {repo_file.note}" if repo_file.note else ""))
        if repo_file.sha256:
            element.verifiedUsing.append(spdx3.Hash(algorithm=spdx3.HashAlgorithm.sha256, hashValue=repo_file.sha256))
        stated = file_license(self.report, repo_file.path)
        if stated:
            note = self.declare_licence(element, stated, none_when_missing=False)
            if note:
                element.comment = f"{element.comment}. Licence: {note}"
        return element

    def _upstream(self, upstream: Upstream) -> Any:
        obligations = upstream_obligations(self.report, upstream)
        kind = spdx3.ai_AIPackage if reuses_weights(upstream) else spdx3.software_Package
        package = kind(_id=self.ids.make("upstream", upstream.catalog_id or upstream.name), name=upstream.name,
                       creationInfo=self.creation, comment=upstream_comment(upstream, obligations))
        package.software_attributionText.extend(attribution_texts(obligations))
        hub = hub_url(upstream.name)
        if hub:
            package.software_downloadLocation = hub
            package.externalIdentifier.append(_purl(f"pkg:huggingface/{upstream.name}"))
        if upstream.organisation:
            package.suppliedBy = self._organisation(upstream.organisation)
        note = self.declare_licence(package, upstream.license_expression, none_when_missing=False)
        if note:
            package.comment = f"{package.comment} Licence: {note}"
        return package

    def _organisation(self, name: str) -> Any:
        if name not in self.organisations:
            self.organisations[name] = self.add(spdx3.Organization(_id=self.iri("organization", name), name=name,
                                                                   creationInfo=self.creation))
        return self.organisations[name]

    def _python_package(self, name: str) -> Any:
        package = spdx3.software_Package(_id=self.ids.make("pypi", name), name=name, creationInfo=self.creation,
                                         software_primaryPurpose=spdx3.software_SoftwarePurpose.library)
        package.externalIdentifier.append(_purl(f"pkg:pypi/{name.lower().replace('_', '-')}"))
        code = self.report.code
        source = code.dependency_license_sources.get(name)
        notes = [self.declare_licence(package, code.dependency_licenses.get(name), none_when_missing=False),
                 f"Declared licence read from {source}." if source else ""]
        if any(notes):
            package.comment = " ".join(note for note in notes if note)
        return package


def _purl(locator: str) -> Any:
    return spdx3.ExternalIdentifier(externalIdentifierType=spdx3.ExternalIdentifierType.packageUrl,
                                    identifier=locator)
