"""The SKT-style case: own weights, inference code resembling a published model's -> code reuse, not weight reuse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scanner.catalog.add import EntryFacts, add_to_catalog
from scanner.code.known import KnownCodeFile, KnownCodeGroup, write_code_group
from scanner.code.winnow import fingerprint
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo

from compliance_lab import MOE_SOURCE, SPEC, card, disguise, license_text, own_tokenizer, scan


CODE_KEY = "deepseek-like-inference:inference/model.py"


@pytest.fixture(scope="module")
def code_lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("code-lab")
    reference = write_repo(root / "deepseek-like-model", M.text_model(SPEC, 41), M.text_config(SPEC, "deepseek_v3"),
                           card=card("license: other\nlicense_name: deepseek"))
    catalog_dir = root / "catalog"
    add_to_catalog(reference, catalog_dir, "deepseek-like",
                   EntryFacts(license="LicenseRef-scancode-deepseek-la-1.0", organisation="DeepSeek", country="CN"))
    source = MOE_SOURCE.read_bytes()
    group = KnownCodeGroup(
        group="deepseek-like-inference", name="DeepSeek-like inference code", project="example/deepseek-like",
        origin="github:example/deepseek-like@0000000000000000000000000000000000000000", license="MIT",
        organisation="DeepSeek", country="CN", copyright_holder="DeepSeek", notice_in_license_file=True,
        files=(KnownCodeFile(path="inference/model.py", sha256=hashlib.sha256(source).hexdigest(),
                             fingerprint=fingerprint(source.decode())),))
    write_code_group(catalog_dir, group)
    return root, catalog_dir


def _own_model(root, name, files):
    return write_repo(root / name, M.text_model(SPEC, 42), M.text_config(SPEC, "deepseek_v3"),
                      card=card("license: apache-2.0", "# A.X Mini\n\nTrained from scratch by our team.\n"),
                      license_text=license_text("apache-2.0"),
                      extra_files={"tokenizer.json": own_tokenizer(), "requirements.txt": "torch>=2.4\nsafetensors\n", **files})


def test_inference_code_resembling_known_code_is_code_reuse_not_weight_reuse(code_lab):
    root, catalog_dir = code_lab
    repo = _own_model(root, "ax-mini", {"inference/model.py": disguise(MOE_SOURCE.read_text())})
    result, facts = scan(repo, catalog_dir)

    weights = [lineage for c in facts.components for lineage in c.lineage if lineage.catalog_id == "deepseek-like"]
    assert weights and all(lineage.relation.value == "independent" for lineage in weights)
    code_file = next(f for f in result.code.files if f.path == "inference/model.py")
    assert code_file.parsed and code_file.similar_to[CODE_KEY] >= 0.9
    assert {"torch", "safetensors"} <= set(result.code.dependencies)

    reused = [u for u in result.provenance.upstreams if any(w.startswith(("weights:", "tokenizer")) for w in u.what)]
    assert reused == []
    code_upstream = next(u for u in result.provenance.upstreams if "code" in u.what)
    assert code_upstream.what == ("code",)
    assert (code_upstream.name, code_upstream.license_id, code_upstream.organisation, code_upstream.country) == \
        ("example/deepseek-like (code)", "mit", "DeepSeek", "CN")
    assert result.provenance.undisclosed == ()

    rows = {r.kind: r for r in result.obligations if r.upstream == "example/deepseek-like (code)"}
    assert rows["copy_of_agreement"].satisfied is False
    assert rows["retain_notices"].satisfied is False
    assert "DeepSeek" in rows["retain_notices"].evidence
    assert not [c for c in result.control if c.upstream == "example/deepseek-like (code)"]


def test_code_reuse_with_notice_and_licence_kept_meets_the_mit_duties(code_lab):
    root, catalog_dir = code_lab
    header = "# Copyright (c) 2025 DeepSeek\n# SPDX-License-Identifier: MIT\n"
    repo = _own_model(root, "ax-mini-attributed", {"inference/model.py": header + MOE_SOURCE.read_text(),
                                                    "LICENSE-CODE": license_text("mit")})
    result, _ = scan(repo, catalog_dir)

    rows = {r.kind: r for r in result.obligations if r.upstream == "example/deepseek-like (code)"}
    assert rows["copy_of_agreement"].satisfied is True
    assert rows["retain_notices"].satisfied is True
    assert "inference/model.py" in rows["retain_notices"].evidence
    assert any(d.source == "inference/model.py:2" and d.expression == "MIT" for d in result.licenses.detections)
    assert result.licenses.declared_expression == "Apache-2.0"


def test_independently_written_code_is_not_reported(code_lab):
    root, catalog_dir = code_lab
    repo = _own_model(root, "ax-mini-own-code", {"inference/model.py": Path(M.__file__).read_text()})
    result, _ = scan(repo, catalog_dir)
    assert all(not f.similar_to for f in result.code.files)
    assert not any("code" in u.what for u in result.provenance.upstreams)


def test_a_copied_file_must_keep_the_notice_its_original_carries(tmp_path_factory):
    root = tmp_path_factory.mktemp("headered-lab")
    catalog_dir = root / "catalog"
    add_to_catalog(write_repo(root / "some-model", M.text_model(SPEC, 43), M.text_config(SPEC), card=card("license: mit")),
                   catalog_dir, "some-model")
    original = "# Copyright 2024 Example Labs. All rights reserved.\n" + MOE_SOURCE.read_text()
    write_code_group(catalog_dir, KnownCodeGroup(
        group="example-labs", name="Example Labs models", project="example/labs", origin="test", license="Apache-2.0",
        organisation="Example Labs", country="US", copyright_holder="Example Labs",
        files=(KnownCodeFile(path="modeling.py", sha256="0", fingerprint=fingerprint(original),
                             carries_notice=True),)))
    dropped = _own_model(root, "dropped", {"modeling_ax.py": disguise(original)})
    kept = _own_model(root, "kept", {"modeling_ax.py": original.replace("# Copyright", "# Portions copyright")})
    rows = {}
    for name, repo in (("dropped", dropped), ("kept", kept)):
        result, _ = scan(repo, catalog_dir)
        rows[name] = next(r for r in result.obligations if r.upstream == "example/labs (code)" and r.kind == "retain_notices")
    assert rows["dropped"].satisfied is False and "modeling_ax.py dropped the copyright notice" in rows["dropped"].evidence
    assert rows["kept"].satisfied is True
