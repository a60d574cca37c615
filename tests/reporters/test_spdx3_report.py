"""SPDX 3.0.1 with the AI profile: encoded by spdx-python-model (which checks the 3.0.1 model's types and
required properties), read back by its deserializer, checked for the links a consumer follows, and
validated against the official SPDX 3.0.1 SHACL shapes (``data/spdx-3.0.1/``, see its README)."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import BNode
from rdflib.namespace import RDF, SH
from spdx_python_model import v3_0_1 as spdx3

from scanner.cli import main
from scanner.report.model import LicenseRefText, VerdictStatus
from scanner.reporters.spdx3_report import render_spdx3

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
NO_ASSERTION_LICENSE = "expandedlicensing_NoAssertionLicense"
NONE_LICENSE = "expandedlicensing_NoneLicense"
"""The named individuals as the 3.0.1 context compacts them."""
SPDX_MODEL = Path(__file__).parent / "data" / "spdx-3.0.1"
TERMS = "https://spdx.org/rdf/3.0.1/terms/"
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
"""rdflib's own JSON-LD parser still builds a ConjunctiveGraph; nothing a caller can change."""


@functools.cache
def _spdx_model() -> tuple[rdflib.Graph, dict]:
    """The 3.0.1 shapes graph (which is also the ontology) and the JSON-LD context, read once per run."""
    shapes = rdflib.Graph().parse(SPDX_MODEL / "spdx-model.ttl", format="turtle")
    context = json.loads((SPDX_MODEL / "spdx-context.jsonld").read_text(encoding="utf-8"))["@context"]
    return shapes, context


def _keys(node: object) -> set[str]:
    """Every key of every JSON object in ``node``, at any depth (the terms a document uses)."""
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def shacl_violations(data: dict) -> list[str]:
    """One sorted line per way the document breaks SPDX 3.0.1; empty when it conforms.

    Checked as the SPDX spec checks its own examples (``pyshacl -s spdx-model.ttl -e spdx-model.ttl``):
    the ontology is mixed into the data so that a shape of ``software_Package`` also applies to an
    ``ai_AIPackage``. The context URL is swapped for the local copy of the same context, so no network
    is needed. JSON-LD silently drops a key its context does not define, where SHACL cannot see it,
    so such keys are reported first.
    """
    shapes, context = _spdx_model()
    assert data["@context"] == CONTEXT
    unknown = sorted(k for k in _keys(data["@graph"]) - set(context) if not k.startswith("@"))
    graph = rdflib.Graph().parse(data=json.dumps({**data, "@context": context}), format="json-ld")
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=shapes, inference="none")
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        parts = [results.value(result, term) for term in (SH.focusNode, SH.resultPath, SH.value, SH.resultMessage)]
        found.append(" | ".join("[blank node]" if isinstance(p, BNode) else str(p).replace(TERMS, "")
                                for p in parts if p is not None))
    assert conforms == (not found)
    return [f"unknown term {k!r} (JSON-LD drops it)" for k in unknown] + sorted(found)


def check_document(path: Path) -> tuple[dict, spdx3.SHACLObjectSet]:
    """Parse a written document with the SPDX 3 bindings, check its internal references and validate it."""
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
    assert shacl_violations(data) == []
    return data, objects


def read_back(report, tmp_path) -> tuple[dict, spdx3.SHACLObjectSet]:
    """Write the report's document and check it (``check_document``)."""
    path = tmp_path / "model.spdx3.json"
    path.write_text(render_spdx3(report), encoding="utf-8")
    return check_document(path)


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


def test_the_scan_of_the_bundled_example_is_valid_spdx_3_0_1(tmp_path, monkeypatch):
    """examples/hcx-mini through the real command, as a user writes it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(REPO)
    path = tmp_path / "hcx-mini.spdx3.json"
    assert main(["scan", "examples/hcx-mini", "--spdx3", str(path), "-q"]) == 1
    data, _ = check_document(path)
    model = next(e for e in _by_type(data, "ai_AIPackage") if e["name"] == "hcx-mini")
    assert "not_from_scratch" in model["ai_informationAboutTraining"]
    assert _relations(data, "descendantOf") and _by_type(data, "software_File")


KOREAN_LICENCE = "시드 VL 라이선스\n\n1. 이 모델을 경쟁 모델 학습에 사용할 수 없습니다.\n2. 출처를 밝혀야 합니다.\n"
LLAMA_TEXT = "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\n\n\"Built with Llama\" must be displayed.\n"


def _text(ref: str, text: str, source: str) -> LicenseRefText:
    return LicenseRefText(ref=ref, text=text, source=source, sha256="0" * 64, truncated=False)


def test_upstreams_licence_texts_and_korean_text_are_valid_spdx_3_0_1(vlm, tmp_path):
    """Non-ASCII names become IRIs and literals the shapes accept, and the texts survive unchanged."""
    vision, projector, tokenizer = vlm.provenance.upstreams
    korean_upstream = replace(tokenizer, catalog_id=None, name="사내/시드 토크나이저", organisation="네이버 클라우드")
    korean_file = replace(vlm.target.files[0], path="문서/라이선스 원문.md")
    report = replace(
        vlm,
        target=replace(vlm.target, files=(*vlm.target.files, korean_file)),
        provenance=replace(vlm.provenance, upstreams=(vision, projector, korean_upstream)),
        verdict=replace(vlm.verdict, summary="처음부터 학습한 모델이 아닙니다: 비전 인코더가 Qwen2.5-VL의 것과 같습니다."),
        licenses=replace(vlm.licenses, texts=(
            _text("LicenseRef-fromscratch-llama-3.2", LLAMA_TEXT, "catalog reference text"),
            _text("LicenseRef-seed-vl-license", KOREAN_LICENCE, "LICENSE"))))
    data, _ = read_back(report, tmp_path)
    texts = {c["name"]: c["simplelicensing_licenseText"] for c in _by_type(data, "expandedlicensing_CustomLicense")}
    assert KOREAN_LICENCE in texts.values() and LLAMA_TEXT in texts.values()
    names = {e.get("name") for e in data["@graph"]}
    assert {"사내/시드 토크나이저", "네이버 클라우드", "문서/라이선스 원문.md"} <= names
    (model,) = (e for e in _by_type(data, "ai_AIPackage") if e["spdxId"] in _by_type(data, "SpdxDocument")[0]["rootElement"])
    assert model["description"].startswith("처음부터")


def _set(kind: str, key: str, value: object):
    def edit(graph: list[dict]) -> None:
        next(e for e in graph if e["type"] == kind)[key] = value
    return edit


def _drop(kind: str, key: str):
    def edit(graph: list[dict]) -> None:
        del next(e for e in graph if e["type"] == kind)[key]
    return edit


@pytest.mark.parametrize("edit, expected", [
    (_set("CreationInfo", "created", "2026-01-01T09:00:00+09:00"), "Core/created | 2026-01-01T09:00:00+09:00"),
    (_drop("CreationInfo", "specVersion"), "Core/specVersion"),
    (_drop("Relationship", "from"), "Core/from"),
    (_set("Relationship", "relationshipType", "copiedFrom"), "Core/RelationshipType/copiedFrom"),
    (_set("ai_AIPackage", "software_primaryPurpose", "weights"), "Software/SoftwarePurpose/weights"),
    (_set("software_File", "verifiedUsing", [{"type": "Hash", "algorithm": "sha256"}]), "Core/hashValue"),
    (_set("ai_AIPackage", "ai_autonomyType", "maybe"), "Core/PresenceType/maybe"),
    (_set("ai_AIPackage", "ai_typeOfModell", ["seed_vl"]), "unknown term 'ai_typeOfModell'"),
], ids=["local-time", "no-spec-version", "no-from", "unknown-relationship", "inherited-shape",
        "hash-without-value", "bad-presence", "misspelt-property"])
def test_the_official_shapes_catch_what_3_0_1_forbids(vlm, edit, expected):
    """The validation above can fail: each edit of a valid document breaks one 3.0.1 rule, and is reported.
    'inherited-shape' is a Software/Package rule on an ai_AIPackage, caught only with the ontology mixed in."""
    data = json.loads(render_spdx3(vlm))
    edit(data["@graph"])
    violations = shacl_violations(data)
    assert any(expected in v for v in violations), violations
