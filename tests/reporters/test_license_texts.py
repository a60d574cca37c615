"""LicenseRef texts: gathered by the scan into ``licenses.texts``, carried by both SBOMs, capped and stable."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from scanner.codec import fact_paths
from scanner.compliance.stage import MAX_LICENSE_TEXT_CHARS
from scanner.errors import FromScratchError
from scanner.licenses.catalog import get_license, reference_text
from scanner.pipeline import ScanOptions, run_scan
from scanner.report.model import Facts, LicenseRefText
from scanner.report.schema import report_schema
from scanner.reporters.json_report import load_report, render_json
from scanner.reporters.spdx3_report import spdx3_data
from scanner.reporters.spdx_report import spdx_document

REPO = Path(__file__).resolve().parents[2]
LLAMA_REF = get_license("llama-3.2").licenseref
OWN_REF = "LicenseRef-fromscratch-file-LICENSE.md"
OWN_TEXT = "HCX Mini Community Licence\n\n" + "".join(f"{i}. You may not use this model to train a rival model.\n"
                                                       for i in range(1500))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """hcx-mini with a card declaring Llama 3.2 and a second, home-made and oversized licence file."""
    repo = tmp_path_factory.mktemp("licence-texts") / "hcx-custom"
    shutil.copytree(REPO / "examples" / "hcx-mini", repo)
    card = repo / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace("license: apache-2.0", "license: llama3.2"), encoding="utf-8")
    (repo / "LICENSE.md").write_text(OWN_TEXT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        return run_scan(str(repo), ScanOptions())


def test_the_scan_carries_catalog_and_repository_texts(scanned):
    texts = {t.ref: t for t in scanned.licenses.texts}
    assert list(texts) == sorted(texts) == sorted([LLAMA_REF, OWN_REF])
    llama = texts[LLAMA_REF]
    assert llama.text == reference_text("texts/llama-3.2.txt") and not llama.truncated
    assert llama.source.startswith("texts/llama-3.2.txt of the fromscratch licence catalog, from meta-llama/")
    own = texts[OWN_REF]
    assert own.source == "LICENSE.md" and own.truncated and len(own.text) == MAX_LICENSE_TEXT_CHARS
    assert own.text == OWN_TEXT[:MAX_LICENSE_TEXT_CHARS] and len(OWN_TEXT) > MAX_LICENSE_TEXT_CHARS
    assert own.sha256 == hashlib.sha256(OWN_TEXT.encode("utf-8")).hexdigest()
    assert next(d for d in scanned.licenses.detections if d.source == "LICENSE.md").expression is None


def test_spdx_2_3_extracted_licensing_info_holds_the_texts(scanned):
    document = spdx_document(scanned)
    assert validate_full_spdx_document(document) == []
    infos = {i.license_id: i for i in document.extracted_licensing_info}
    assert infos[LLAMA_REF].extracted_text == reference_text("texts/llama-3.2.txt")
    assert infos[LLAMA_REF].license_name == "llama-3.2" and "meta-llama/" in infos[LLAMA_REF].comment
    assert infos[OWN_REF].extracted_text == OWN_TEXT[:MAX_LICENSE_TEXT_CHARS]
    assert "Cut at 65,536 characters" in infos[OWN_REF].comment
    files = {p.name: p for p in document.packages if p.spdx_id.startswith("SPDXRef-File-")}
    assert str(files["LICENSE.md"].license_declared) == OWN_REF and str(files["LICENSE"].license_declared) == "Apache-2.0"


def test_spdx_3_custom_licences_hold_the_texts(scanned):
    graph = spdx3_data(scanned)["@graph"]
    custom = {e["spdxId"].rsplit("/", 1)[-1]: e for e in graph if e["type"] == "expandedlicensing_CustomLicense"}
    assert custom[LLAMA_REF]["simplelicensing_licenseText"] == reference_text("texts/llama-3.2.txt")
    assert custom[OWN_REF]["simplelicensing_licenseText"] == OWN_TEXT[:MAX_LICENSE_TEXT_CHARS]


def test_texts_survive_the_json_round_trip(scanned, tmp_path):
    saved = tmp_path / "report.json"
    saved.write_text(render_json(scanned), encoding="utf-8")
    assert load_report(saved).licenses.texts == scanned.licenses.texts
    assert json.loads(saved.read_text(encoding="utf-8"))["licenses"]["texts"][0]["ref"] == OWN_REF


def test_a_1_0_report_without_texts_still_loads_and_2_0_does_not(vlm, tmp_path):
    data = json.loads(render_json(replace(vlm, licenses=replace(vlm.licenses, texts=(
        LicenseRefText(ref="LicenseRef-x", text="x", source="LICENSE", sha256="0" * 64, truncated=False),)))))
    del data["licenses"]["texts"]
    data["schema_version"] = "1.0"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    assert load_report(old).licenses.texts == ()
    data["schema_version"] = "2.0"
    old.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FromScratchError, match="schema_version 2.0 is not supported"):
        load_report(old)


def test_texts_are_in_the_schema_but_not_a_fact_rules_read():
    licence_facts = report_schema()["$defs"]["LicenseFacts"]
    assert "texts" in licence_facts["properties"] and "texts" not in licence_facts["required"]
    assert not [path for path, _, _ in fact_paths(Facts) if path.startswith("licenses.texts")]
