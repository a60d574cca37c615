"""The SPDX 2.3 SBOM: every document the tests write is parsed back and validated with spdx-tools."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from spdx_tools.spdx.model import Document, RelationshipType, SpdxNoAssertion, SpdxNone
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from scanner.errors import OutputError
from scanner.reporters.output import write_atomic
from scanner.reporters.spdx_common import content_digest
from scanner.reporters.spdx_report import render_spdx, spdx_document


def write_and_validate(report, tmp_path: Path, name: str = "model.spdx.json") -> tuple[Document, dict]:
    """Write the SBOM as the CLI does, parse it back, and require a clean spdx-tools validation."""
    path = tmp_path / name
    write_atomic(path, render_spdx(report))
    document = parse_file(str(path))
    messages = validate_full_spdx_document(document)
    assert messages == [], [m.validation_message for m in messages]
    return document, json.loads(path.read_text(encoding="utf-8"))


def _packages(document: Document) -> dict[str, object]:
    return {p.spdx_id: p for p in document.packages}


def test_model_is_the_described_package_and_contains_every_file(vlm, tmp_path):
    document, data = write_and_validate(vlm, tmp_path)
    assert data["spdxVersion"] == "SPDX-2.3"
    describes = [r for r in document.relationships if r.relationship_type == RelationshipType.DESCRIBES]
    assert [(r.spdx_element_id, r.related_spdx_element_id) for r in describes] == [("SPDXRef-DOCUMENT", "SPDXRef-Model")]
    model = _packages(document)["SPDXRef-Model"]
    assert model.name == "seed-vl-think-32b" and str(model.license_declared) == "LicenseRef-seed-vl-license"
    contained = {r.related_spdx_element_id for r in document.relationships
                 if r.spdx_element_id == "SPDXRef-Model" and r.relationship_type == RelationshipType.CONTAINS}
    by_name = {p.name: p for p in document.packages if p.spdx_id in contained}
    assert set(by_name) == {f.path for f in vlm.target.files}
    for repo_file in vlm.target.files:
        checksums = {c.algorithm.name: c.value for c in by_name[repo_file.path].checksums}
        assert checksums == ({"SHA256": repo_file.sha256} if repo_file.sha256 else {})


def test_upstreams_are_packages_with_licences_relationships_and_attributions(vlm, tmp_path):
    document, _ = write_and_validate(vlm, tmp_path)
    packages = _packages(document)
    qwen = packages["SPDXRef-Upstream-qwen2.5-vl-7b-instruct"]
    llama = packages["SPDXRef-Upstream-llama-3.2-90b-vision-instruct"]
    assert str(qwen.license_declared) == "Apache-2.0"
    assert str(llama.license_declared) == "LicenseRef-fromscratch-llama-3.2"
    assert llama.supplier.name == "Meta" and llama.download_location == "https://huggingface.co/meta-llama/Llama-3.2-90B-Vision-Instruct"
    assert llama.attribution_texts == ["Built with Llama"]
    assert "NOT MET" in llama.comment
    assert [ref.locator for ref in llama.external_references] == ["pkg:huggingface/meta-llama/Llama-3.2-90B-Vision-Instruct"]
    kinds = {(r.relationship_type, r.related_spdx_element_id) for r in document.relationships}
    assert (RelationshipType.DESCENDANT_OF, qwen.spdx_id) in kinds
    assert (RelationshipType.DESCENDANT_OF, llama.spdx_id) in kinds
    assert (RelationshipType.DEPENDS_ON, "SPDXRef-PyPI-torch") in kinds
    tokenizer_source = next(p for p in document.packages if p.name.startswith("Seed tokenizer team"))
    assert (RelationshipType.DEPENDS_ON, tokenizer_source.spdx_id) in kinds
    assert isinstance(tokenizer_source.license_declared, SpdxNoAssertion)


def test_every_license_ref_has_extracted_licensing_info(vlm, tmp_path):
    document, data = write_and_validate(vlm, tmp_path)
    used = set()
    for package in data["packages"]:
        used.update(token for token in package.get("licenseDeclared", "").replace("(", " ").replace(")", " ").split()
                    if token.startswith("LicenseRef-"))
    infos = {info.license_id: info for info in document.extracted_licensing_info}
    assert used == set(infos) == {"LicenseRef-seed-vl-license", "LicenseRef-fromscratch-llama-3.2"}
    assert "LICENSE" in infos["LicenseRef-seed-vl-license"].extracted_text
    assert infos["LicenseRef-seed-vl-license"].cross_references == ["https://example.org/seed-vl/LICENSE"]
    assert infos["LicenseRef-fromscratch-llama-3.2"].license_name == "llama-3.2"


def test_expressions_spdx_cannot_accept_become_noassertion_with_a_note(vlm, tmp_path):
    odd = replace(vlm.provenance.upstreams[0], license_expression="llama3.1 OR Apache-2.0")
    broken = replace(vlm, provenance=replace(vlm.provenance, upstreams=(odd,)),
                     licenses=replace(vlm.licenses, declared_expression="MIT AND ("))
    document, _ = write_and_validate(broken, tmp_path)
    packages = _packages(document)
    assert isinstance(packages["SPDXRef-Model"].license_declared, SpdxNoAssertion)
    assert "MIT AND (" in packages["SPDXRef-Model"].license_comment
    upstream = packages["SPDXRef-Upstream-qwen2.5-vl-7b-instruct"]
    assert isinstance(upstream.license_declared, SpdxNoAssertion) and "llama3.1" in upstream.license_comment


def test_sparse_report_gives_a_valid_minimal_sbom(sparse, tmp_path):
    document, data = write_and_validate(sparse, tmp_path)
    model = _packages(document)["SPDXRef-Model"]
    assert isinstance(model.license_declared, SpdxNone), "nothing found means no licence was declared"
    assert data["name"] == "empty-ish (fromscratch scan)"
    assert document.extracted_licensing_info == []


def test_large_report_validates(large, tmp_path):
    document, _ = write_and_validate(large, tmp_path)
    assert len(document.packages) > 300


def test_hub_targets_name_the_model_and_its_download_location(vlm, tmp_path):
    hub = replace(vlm, target=replace(vlm.target, path="hf://example-lab/seed-vl@0123abcd", source="hf-hub",
                                      revision="0123abcd"))
    document, _ = write_and_validate(hub, tmp_path)
    model = _packages(document)["SPDXRef-Model"]
    assert model.name == "example-lab/seed-vl" and model.version == "0123abcd"
    assert model.download_location == "https://huggingface.co/example-lab/seed-vl"
    assert model.external_references[0].locator == "pkg:huggingface/example-lab/seed-vl@0123abcd"


def test_ids_namespace_and_time_come_from_content(vlm):
    document = spdx_document(vlm)
    assert document.creation_info.created.isoformat() == "2026-01-15T09:30:00"
    assert document.creation_info.document_namespace.endswith(content_digest(vlm))
    later = replace(vlm, run=replace(vlm.run, started_at="2026-02-01T00:00:00Z", duration_seconds=1.0))
    assert content_digest(later) == content_digest(vlm)
    changed = replace(vlm, verdict=replace(vlm.verdict, summary="Something else."))
    assert content_digest(changed) != content_digest(vlm)
    ids = [p.spdx_id for p in document.packages]
    assert len(ids) == len(set(ids))


def test_colliding_names_get_distinct_ids(vlm, tmp_path):
    files = (replace(vlm.target.files[0], path="a b.txt"), replace(vlm.target.files[0], path="a-b.txt"))
    document, _ = write_and_validate(replace(vlm, target=replace(vlm.target, files=files)), tmp_path)
    assert {"SPDXRef-File-a-b.txt", "SPDXRef-File-a-b.txt-2"} <= set(_packages(document))


def test_a_bad_run_time_is_a_clear_error(vlm):
    with pytest.raises(OutputError, match="not an ISO 8601 time"):
        render_spdx(replace(vlm, run=replace(vlm.run, started_at="yesterday")))
