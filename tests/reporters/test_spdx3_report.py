"""SPDX 3.0.1 with the AI profile: encoded by spdx-python-model (which checks the 3.0.1 model's types and
required properties), read back by its deserializer, and checked for the links a consumer follows."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from spdx_python_model import v3_0_1 as spdx3

from scanner.report.model import VerdictStatus
from scanner.reporters.spdx3_report import render_spdx3

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
NO_ASSERTION_LICENSE = "expandedlicensing_NoAssertionLicense"
NONE_LICENSE = "expandedlicensing_NoneLicense"
"""The named individuals as the 3.0.1 context compacts them."""


def read_back(report, tmp_path) -> tuple[dict, spdx3.SHACLObjectSet]:
    """Write the document, parse it with the SPDX 3 bindings, and check its internal references."""
    path = tmp_path / "model.spdx3.json"
    path.write_text(render_spdx3(report), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    objects = spdx3.SHACLObjectSet()
    with path.open("rb") as fh:
        spdx3.JSONLDDeserializer().read(fh, objects)
    assert objects.missing_ids == set()
    ids = [e["spdxId"] for e in data["@graph"] if "spdxId" in e]
    assert len(ids) == len(set(ids))
    known = set(ids) | {NO_ASSERTION_LICENSE, NONE_LICENSE}
    for element in data["@graph"]:
        if element["type"] == "Relationship":
            assert element["from"] in known and set(element["to"]) <= known, element
        if "spdxId" in element:
            assert element["creationInfo"] == "_:CreationInfo0"
    document = next(e for e in data["@graph"] if e["type"] == "SpdxDocument")
    assert set(document["element"]) == set(ids) - {document["spdxId"]}
    return data, objects


def _by_type(data: dict, kind: str) -> list[dict]:
    return [e for e in data["@graph"] if e["type"] == kind]


def _relations(data: dict, kind: str) -> list[tuple[str, list[str]]]:
    return [(r["from"], r["to"]) for r in _by_type(data, "Relationship") if r["relationshipType"] == kind]


def test_vlm_document_reads_back_with_the_ai_profile(vlm, tmp_path):
    data, objects = read_back(vlm, tmp_path)
    assert data["@context"] == CONTEXT
    (document,) = _by_type(data, "SpdxDocument")
    assert {"core", "software", "ai"} <= set(document["profileConformance"])
    model = next(e for e in _by_type(data, "ai_AIPackage") if e["spdxId"] == document["rootElement"][0])
    assert model["software_primaryPurpose"] == "model" and model["ai_typeOfModel"] == ["seed_vl"]
    assert model["ai_autonomyType"] == "noAssertion"
    assert "not_from_scratch" in model["ai_informationAboutTraining"]
    assert {(h["key"], h["value"]) for h in model["ai_hyperparameter"]} == {("hidden_size", "5120"),
                                                                           ("num_hidden_layers", "64")}
    assert "ai_standardCompliance" not in model, "a model that failed the policy does not comply with it"
    assert any(isinstance(o, spdx3.ai_AIPackage) for o in objects.objects)


def test_files_upstreams_and_dependencies(vlm, tmp_path):
    data, _ = read_back(vlm, tmp_path)
    files = {f["name"]: f for f in _by_type(data, "software_File")}
    assert set(files) == {f.path for f in vlm.target.files}
    for repo_file in vlm.target.files:
        hashes = files[repo_file.path].get("verifiedUsing", [])
        assert hashes == ([{"type": "Hash", "algorithm": "sha256", "hashValue": repo_file.sha256}]
                          if repo_file.sha256 else [])
    ((model_id, contained),) = _relations(data, "contains")
    assert set(contained) == {f["spdxId"] for f in files.values()}
    upstreams = {p["name"]: p for p in _by_type(data, "ai_AIPackage") if p["spdxId"] != model_id}
    llama = upstreams["meta-llama/Llama-3.2-90B-Vision-Instruct"]
    assert llama["software_attributionText"] == ["Built with Llama"]
    descendants = {target for source, targets in _relations(data, "descendantOf") for target in targets}
    assert descendants == {p["spdxId"] for p in upstreams.values()}
    depends = {target for source, targets in _relations(data, "dependsOn") for target in targets}
    names = {p["spdxId"]: p["name"] for p in _by_type(data, "software_Package")}
    assert {names[t] for t in depends} == {"torch", "transformers", next(n for n in names.values() if n.startswith("Seed"))}


def test_licences_and_custom_licences(vlm, tmp_path):
    data, _ = read_back(vlm, tmp_path)
    expressions = {e["spdxId"]: e for e in _by_type(data, "simplelicensing_LicenseExpression")}
    declared = {source: targets[0] for source, targets in _relations(data, "hasDeclaredLicense")}
    names = {e["spdxId"]: e.get("name") for e in data["@graph"] if "spdxId" in e}
    by_name = {names[source]: target for source, target in declared.items()}
    assert expressions[by_name["Qwen/Qwen2.5-VL-7B-Instruct"]]["simplelicensing_licenseExpression"] == "Apache-2.0"
    assert by_name[next(n for n in by_name if n and n.startswith("Seed"))] == NO_ASSERTION_LICENSE
    custom = {c["spdxId"]: c for c in _by_type(data, "expandedlicensing_CustomLicense")}
    for expression in expressions.values():
        for entry in expression.get("simplelicensing_customIdToUri", []):
            assert entry["key"] in expression["simplelicensing_licenseExpression"]
            assert "not reproduced in this SBOM" in custom[entry["value"]]["simplelicensing_licenseText"]
    assert len(custom) == 2


def test_sparse_report_and_a_model_from_scratch(sparse, tmp_path):
    data, _ = read_back(sparse, tmp_path)
    assert _relations(data, "hasDeclaredLicense")[0][1] == [NONE_LICENSE]
    passed = replace(sparse, verdict=replace(sparse.verdict, status=VerdictStatus.FROM_SCRATCH),
                     policy=replace(sparse.policy, id="kr-sovereign-ai-2026", version="1.0"))
    data, _ = read_back(passed, tmp_path)
    (model,) = _by_type(data, "ai_AIPackage")
    assert model["ai_standardCompliance"] == ["kr-sovereign-ai-2026 1.0"]


def test_large_report_and_hub_target(large, tmp_path):
    data, _ = read_back(large, tmp_path)
    assert len(_by_type(data, "software_File")) == len(large.target.files)
    hub = replace(large, target=replace(large.target, path="hf://org/model@abc", source="hf-hub", revision="abc"))
    data, _ = read_back(hub, tmp_path)
    model = next(e for e in _by_type(data, "ai_AIPackage") if e["name"] == "org/model")
    assert model["software_downloadLocation"] == "https://huggingface.co/org/model"
    assert model["software_packageVersion"] == "abc"
    assert model["externalIdentifier"][0]["identifier"] == "pkg:huggingface/org/model@abc"


def test_the_bindings_refuse_what_3_0_1_forbids():
    """The check the writer relies on: encoding an element that lacks a required property fails."""
    incomplete = spdx3.Tool(_id="https://example.org/tool", name="t", creationInfo=spdx3.CreationInfo(specVersion="3.0.1"))
    with pytest.raises(ValueError, match="required"):
        spdx3.JSONLDSerializer().serialize_data(spdx3.SHACLObjectSet([incomplete]))


def test_upstream_names_that_slug_alike_get_distinct_ids(vlm, tmp_path):
    first = replace(vlm.provenance.upstreams[0], catalog_id=None, name="org/a b")
    second = replace(first, name="org/a-b")
    report = replace(vlm, provenance=replace(vlm.provenance, upstreams=(first, second)),
                     code=replace(vlm.code, dependencies=("a b", "a-b")))
    data, _ = read_back(report, tmp_path)
    names = {e["name"]: e["spdxId"] for e in data["@graph"] if e.get("name") in ("org/a b", "org/a-b", "a b", "a-b")}
    assert names["org/a-b"] == names["org/a b"] + "-2" and names["a-b"] == names["a b"] + "-2"
