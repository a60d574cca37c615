"""Licence sources of a repository: identification, the declared licence, findings, and bad input."""

from __future__ import annotations

from scanner.parse.repo import parse_repo
from scanner.walk.walker import walk

from compliance_lab import card, license_text, stage_only, write_files


def _detections(result):
    return {d.source: d for d in result.licenses.detections}


def test_card_apache_over_qwen_research_licence_is_a_finding(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("license: apache-2.0"), "LICENSE": license_text("qwen-research")})
    result = stage_only(repo)
    found = _detections(result)
    assert found["card:license"].license_id == "apache-2.0"
    assert found["LICENSE"].license_id == "qwen-research"
    assert result.licenses.declared_expression == "Apache-2.0"
    assert any(f.startswith("license.card-file-mismatch:") and "qwen-research" in f for f in result.licenses.findings)


def test_without_card_licence_the_licence_files_declare_together(tmp_path):
    repo = write_files(tmp_path, {"README.md": "# A model\n", "LICENSE-CODE": license_text("mit"),
                                  "LICENSE-MODEL": license_text("deepseek-1.0")})
    result = stage_only(repo)
    assert result.licenses.declared_expression == "MIT AND LicenseRef-scancode-deepseek-la-1.0"
    assert any(f.startswith("license.card-missing:") for f in result.licenses.findings)


def test_odd_encodings_and_html_are_identified(tmp_path):
    mit = license_text("mit")
    paragraphs = mit.replace("\n\n", "</p><p>")
    html = f"<html><head><title>x</title></head><body><h1>MIT License</h1><p>{paragraphs}</p></body></html>"
    repo = write_files(tmp_path, {
        "README.md": card("license: mit"),
        "LICENSE": license_text("apache-2.0").encode("utf-16"),
        "LICENSE.latin1": ("Copyright (c) 2024 José Núñez\n\n" + mit).encode("latin-1"),
        "LICENSE.html": html,
    })
    found = _detections(stage_only(repo))
    assert found["LICENSE"].license_id == "apache-2.0"
    assert found["LICENSE.latin1"].license_id == "mit"
    assert found["LICENSE.html"].license_id == "mit"


def test_appended_terms_empty_files_and_a_huge_file_are_findings_not_crashes(tmp_path):
    repo = write_files(tmp_path, {
        "README.md": card("license: apache-2.0"),
        "LICENSE": license_text("apache-2.0") + "\n\nAdditional term: no commercial use without our written permission.\n",
        "LICENSE-EMPTY": "",
        "NOTICE": "",
    })
    (repo / "LICENSE.big").write_bytes(b"lorem ipsum dolor sit amet " * (50 * 1024 * 1024 // 27))
    result = stage_only(repo)
    found = _detections(result)
    assert found["LICENSE"].modified and found["LICENSE"].expression is None
    assert "no commercial use" in found["LICENSE"].note
    findings = "\n".join(result.licenses.findings)
    assert "license.file-modified: LICENSE is apache-2.0 with added or changed terms" in findings
    assert "license.empty: LICENSE-EMPTY: is empty" in findings and "license.empty: NOTICE: is empty" in findings
    assert {p.code for p in result.problems} >= {"license.empty", "license.too-large"}
    assert found["LICENSE.big"].license_id is None
    assert result.licenses.declared_expression == "Apache-2.0"


def test_code_tags_and_manifest_licences_are_sources_but_not_compared_with_the_card(tmp_path):
    repo = write_files(tmp_path, {
        "README.md": card("license: apache-2.0"), "LICENSE": license_text("apache-2.0"),
        "modeling_x.py": "# SPDX-License-Identifier: MIT\nimport torch\n",
        "kernels/op.py": "# SPDX-License-Identifier: Apache 2\n",
        "pyproject.toml": '[project]\nname = "x"\nlicense = "BSD-3-Clause"\ndependencies = ["einops>=0.7"]\n',
        "setup.py": "from setuptools import setup\nsetup(name='x', license='MIT', install_requires=['Flash_Attn'])\n",
    })
    result = stage_only(repo)
    found = _detections(result)
    assert found["modeling_x.py:1"].expression == "MIT" and found["modeling_x.py:1"].method == "spdx-tag"
    assert found["kernels/op.py:1"].expression is None
    assert found["pyproject.toml:project.license"].license_id == "bsd-3-clause"
    assert found["setup.py:setup.license"].license_id == "mit"
    assert any(f.startswith("license.spdx-tag-invalid: kernels/op.py:1") for f in result.licenses.findings)
    assert not any("mismatch" in f for f in result.licenses.findings)
    assert {"einops", "flash-attn", "torch"} <= set(result.code.dependencies)


def test_use_policy_files_are_matched_to_their_licence(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("license: llama3.1"), "LICENSE": license_text("llama-3.1"),
                                  "USE_POLICY.md": license_text("llama-3.1.use-policy")})
    result = stage_only(repo)
    policy = _detections(result)["USE_POLICY.md"]
    assert policy.license_id == "llama-3.1" and policy.expression is None
    assert result.licenses.findings == ()


def test_licence_named_code_is_code_and_environment_yaml_is_a_manifest(tmp_path):
    repo = write_files(tmp_path, {
        "README.md": card("license: mit"), "LICENSE": license_text("mit"),
        "license_check.py": "import requests\n\n\ndef check(path):\n    return requests.get(path)\n",
        "notice_banner.py": "import flash_attn\n",
        "licenses.json": '{"weights": "mit"}',
        "environment.yaml": "name: x\ndependencies:\n  - numpy\n  - pip:\n    - einops\n",
    })
    result = stage_only(repo)
    assert result.licenses.findings == ()
    assert set(_detections(result)) == {"card:license", "LICENSE"}
    assert [f.path for f in result.code.files] == ["license_check.py", "notice_banner.py"]
    assert {"requests", "flash-attn", "numpy", "einops"} <= set(result.code.dependencies)


def test_licence_files_in_sub_folders_cover_bundled_code_not_the_model(tmp_path):
    repo = write_files(tmp_path, {
        "README.md": card("license: apache-2.0"), "LICENSE": license_text("apache-2.0"),
        "third_party/kern/LICENSE": license_text("mit"),
        "third_party/odd/LICENSE": license_text("mit") + "\nNot for use by Example Corp competitors.\n",
    })
    result = stage_only(repo)
    found = _detections(result)
    assert found["third_party/kern/LICENSE"].license_id == "mit"
    assert result.licenses.declared_expression == "Apache-2.0"
    assert not any("mismatch" in f or "files-differ" in f for f in result.licenses.findings), result.licenses.findings
    assert [f.split(" is ")[0] for f in result.licenses.findings] == ["license.file-modified: third_party/odd/LICENSE"]


def test_without_a_card_licence_only_top_level_files_declare(tmp_path):
    repo = write_files(tmp_path, {"README.md": "# A model\n", "LICENSE": license_text("apache-2.0"),
                                  "vendor/LICENSE": license_text("mit")})
    assert stage_only(repo).licenses.declared_expression == "Apache-2.0"


def test_a_card_licence_list_declares_its_first_licence_with_a_note(tmp_path):
    repo = write_files(tmp_path, {"README.md": card("license:\n- apache-2.0\n- mit"), "LICENSE": license_text("apache-2.0")})
    result = stage_only(repo)
    assert _detections(result)["card:license"].license_id == "apache-2.0"
    assert result.licenses.declared_expression == "Apache-2.0" and result.licenses.findings == ()
    notes = [p for p in parse_repo(walk(repo)).problems if p.code == "card.license-list"]
    assert [p.message for p in notes] == [
        "README.md: front-matter 'license' lists several licences (apache-2.0, mit); only 'apache-2.0' is compared "
        "with the licence files"]
