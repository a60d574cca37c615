"""A repository full of broken files still gets its compliance facts, with each failure named."""

from __future__ import annotations

import json

from compliance_lab import card, license_text, stage_only, write_files


def test_broken_code_manifests_and_configs_become_problems(tmp_path):
    repo = write_files(tmp_path, {
        "README.md": card("license: apache-2.0\nbase_model: [Qwen/Qwen3-8B, 7]"),
        "LICENSE": license_text("apache-2.0").encode("utf-16"),
        "config.json": json.dumps({"model_type": "qwen3", "auto_map": ["not", "a", "table"], "_name_or_path": 3}),
        "adapter_config.json": "{not json",
        "tokenizer_config.json": json.dumps({"auto_map": {"AutoTokenizer": [None, 5]}, "name_or_path": ""}),
        "modeling_broken.py": "class X(:\n    import torch\n",
        "modeling_nul.py": b"import os\x00\x00",
        "huge.py": b"#" * (3 << 20),
        "pyproject.toml": "[project\nlicense = 'MIT'",
        "requirements.txt": b"\xff\xfe\x00t\x00o\x00r\x00c\x00h",
    })
    result = stage_only(repo)
    codes = {(p.file, p.code) for p in result.problems}
    assert {("modeling_broken.py", "code.syntax-error"), ("modeling_nul.py", "code.syntax-error"),
            ("huge.py", "code.too-large"), ("pyproject.toml", "manifest.invalid"),
            ("adapter_config.json", "json.invalid")} <= codes
    files = {f.path: f for f in result.code.files}
    assert set(files) == {"modeling_broken.py", "modeling_nul.py"}
    assert not files["modeling_broken.py"].parsed and files["modeling_broken.py"].imports == ("torch",)
    assert not result.code.trust_remote_code
    assert result.licenses.declared_expression == "Apache-2.0" and result.licenses.findings == ()
    assert result.provenance.declared_base_models == ("Qwen/Qwen3-8B",)
    assert result.provenance.config_hints == ()


def test_a_large_tokenizer_config_is_judged_by_one_size_limit(tmp_path, monkeypatch):
    """The tokenizer stage reads tokenizer_config.json under its own cap; the hint search must not call the
    same file too large under a smaller one (two problems, one saying 'not read' about a file that was)."""
    monkeypatch.setattr("scanner.compliance.stage.MAX_HINT_JSON_BYTES", 1000)
    repo = write_files(tmp_path, {"README.md": card("license: mit"),
                                  "tokenizer_config.json": json.dumps({"chat_template": "x" * 2000}),
                                  "adapter_config.json": json.dumps({"note": "y" * 2000})})
    result = stage_only(repo)
    assert [(p.file, p.code) for p in result.problems if p.code == "json.too-large"] == [
        ("adapter_config.json", "json.too-large")]
