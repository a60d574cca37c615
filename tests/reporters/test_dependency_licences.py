"""Both SBOMs declare each Python dependency's licence when the scan knows it, and NOASSERTION when not."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from spdx_tools.spdx.model import SpdxNoAssertion
from test_spdx3_report import NO_ASSERTION_LICENSE, read_back
from test_spdx_report import write_and_validate

from scanner.cli import main
from scanner.codec import from_jsonable
from scanner.report.model import ScanReport
from scanner.reporters.html_report import render_html

TORCH = "Apache-2.0 AND Apache-2.0 WITH LLVM-exception AND BSD-2-Clause AND BSD-3-Clause AND BSL-1.0 AND MIT"
SOURCES = {"torch": "torch 2.14.1 on PyPI, License-Expression; checked 2026-12-07",
           "einops": "einops 0.8.2 on PyPI, License field; checked 2026-12-07"}
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def _with_dependencies(report):
    code = replace(report.code, dependencies=("einops", "mystery-kernels", "torch"),
                   dependency_licenses={"einops": "MIT", "torch": TORCH}, dependency_license_sources=SOURCES)
    return replace(report, code=code)


def test_spdx_2_3_packages_carry_the_declared_licence_and_its_source(vlm, tmp_path):
    document, _ = write_and_validate(_with_dependencies(vlm), tmp_path)
    packages = {p.name: p for p in document.packages if p.spdx_id.startswith("SPDXRef-PyPI-")}
    assert set(packages) == {"einops", "mystery-kernels", "torch"}
    assert str(packages["einops"].license_declared) == "MIT"
    assert str(packages["torch"].license_declared) == TORCH
    assert isinstance(packages["mystery-kernels"].license_declared, SpdxNoAssertion)
    assert packages["einops"].license_comment == f"Declared licence read from {SOURCES['einops']}."
    assert packages["mystery-kernels"].license_comment is None
    assert all(isinstance(p.license_concluded, SpdxNoAssertion) for p in packages.values())


def test_spdx_2_3_keeps_a_licence_it_cannot_write_in_the_comment(vlm, tmp_path):
    report = _with_dependencies(vlm)
    report = replace(report, code=replace(report.code, dependency_licenses={"einops": "MIT License"}))
    document, _ = write_and_validate(report, tmp_path)
    einops = next(p for p in document.packages if p.name == "einops")
    assert isinstance(einops.license_declared, SpdxNoAssertion)
    assert "Declared as 'MIT License'" in einops.license_comment


def test_spdx_3_packages_have_a_declared_licence_relationship(vlm, tmp_path):
    data, _ = read_back(_with_dependencies(vlm), tmp_path)
    elements = {e["spdxId"]: e for e in data["@graph"] if "spdxId" in e}
    declared = {r["from"]: r["to"] for r in data["@graph"]
                if r["type"] == "Relationship" and r["relationshipType"] == "hasDeclaredLicense"}
    packages = {e["name"]: e for e in elements.values()
                if e["type"] == "software_Package" and "/pypi/" in e["spdxId"]}

    def licence(name: str) -> str:
        (target,) = declared[packages[name]["spdxId"]]
        return elements[target]["simplelicensing_licenseExpression"] if target in elements else target

    assert licence("einops") == "MIT" and licence("torch") == TORCH
    assert licence("mystery-kernels") == NO_ASSERTION_LICENSE
    assert packages["torch"]["comment"] == f"Declared licence read from {SOURCES['torch']}."
    assert "comment" not in packages["mystery-kernels"]


def test_a_scan_puts_the_licences_of_what_the_code_imports_into_both_sboms(tmp_path, monkeypatch):
    """A repository whose remote code imports torch, einops and a package nobody knows, through the CLI."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "config.json").write_text(json.dumps({"model_type": "x", "auto_map": {
        "AutoModelForCausalLM": "modeling_x.XForCausalLM"}}), encoding="utf-8")
    (repo / "modeling_x.py").write_text("import torch\nfrom einops import rearrange\nimport mystery_kernels\n",
                                        encoding="utf-8")
    paths = {kind: tmp_path / f"out.{kind}.json" for kind in ("json", "spdx", "spdx3")}
    main(["scan", str(repo), "-q", *(arg for kind, path in paths.items() for arg in (f"--{kind}", str(path)))])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    code = report["code"]
    assert code["dependencies"] == ["einops", "mystery-kernels", "torch"]
    assert code["dependency_licenses"]["einops"] == "MIT" and "mystery-kernels" not in code["dependency_licenses"]
    assert "BSD-3-Clause" in code["dependency_licenses"]["torch"]
    spdx = json.loads(paths["spdx"].read_text(encoding="utf-8"))
    declared = {p["name"]: p["licenseDeclared"] for p in spdx["packages"] if p["SPDXID"].startswith("SPDXRef-PyPI-")}
    assert declared == {"einops": "MIT", "mystery-kernels": "NOASSERTION", "torch": code["dependency_licenses"]["torch"]}
    data, _ = read_back(from_jsonable(ScanReport, report), tmp_path)
    assert paths["spdx3"].read_text(encoding="utf-8") == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    expressions = {e["simplelicensing_licenseExpression"] for e in data["@graph"]
                   if e["type"] == "simplelicensing_LicenseExpression"}
    assert {"MIT", code["dependency_licenses"]["torch"]} <= expressions


def test_the_html_report_names_each_dependency_with_its_licence(vlm):
    html = render_html(_with_dependencies(vlm))
    assert 'einops <span class="muted">(MIT)</span>' in html
    assert 'mystery-kernels <span class="muted">(licence unknown)</span>' in html
