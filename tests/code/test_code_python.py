"""Shipped Python files and manifests: imports, entry points, dependencies, and files that do not parse."""

from __future__ import annotations

import json

from scanner.code.analysis import analyse_code, entry_points
from scanner.code.manifests import ManifestFacts, read_manifest
from scanner.code.python_file import MAX_PYTHON_BYTES, analyse_python, read_python
from scanner.walk.walker import walk


def test_imports_are_top_level_names_including_dynamic_ones():
    source = ("import os, numpy as np\nfrom torch.nn import functional\nfrom . import sibling\nfrom .pkg import x\n"
              "def f():\n    import einops\n    importlib.import_module('flash_attn.ops')\n    __import__('PIL.Image')\n")
    result, issue = analyse_python(source, "m.py")
    assert issue is None and result.parsed
    assert result.imports == ("PIL", "einops", "flash_attn", "numpy", "os", "torch")


def test_syntax_errors_null_bytes_and_deep_nesting_are_problems_with_imports_still_read():
    cases = {
        "broken.py": ("def f(:\n  pass\nimport torch\nfrom transformers.models import llama\n", {"torch", "transformers"}),
        "nul.py": ("import os\x00\n", {"os"}),
        "deep.py": ("import math\nx = " + "(" * 400 + ")" * 400 + "\n", {"math"}),
    }
    for name, (source, imports) in cases.items():
        result, issue = analyse_python(source, name)
        assert not result.parsed and set(result.imports) == imports, name
        assert issue is not None and issue.code in ("code.syntax-error", "code.unparsable") and issue.file == name


def _repo(tmp_path, files):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return walk(tmp_path)


def test_dependencies_leave_out_the_standard_library_and_the_repositorys_own_modules(tmp_path):
    listing = _repo(tmp_path, {
        "modeling_x.py": "import json, torch, yaml\nimport configuration_x\nfrom kernels.op import f\nfrom sklearn import svm\n",
        "configuration_x.py": "from transformers import PretrainedConfig\n",
        "kernels/op.py": "import triton\n",
        "big.py": b"x = 1\n" * (MAX_PYTHON_BYTES // 6 + 1),
        "requirements-inference.txt": ("Flash_Attn==2.6.3 ; platform_system == 'Linux'\n-r other.txt\n"
                                       "git+https://x/y.git\naccelerate[torch]>=1.0  # c\n"),
        "environment.yml": "dependencies:\n  - python=3.11\n  - conda-forge::numpy=2\n  - pip:\n    - tiktoken\n",
        "Pipfile": "[packages]\nsentencepiece = '*'\n",
        "setup.cfg": "[options]\ninstall_requires =\n    protobuf>=4\n    regex\n[metadata]\nlicense = Apache-2.0\n",
    })
    analysis = analyse_code(listing, {}, [])
    assert analysis.facts.dependencies == ("accelerate", "flash-attn", "numpy", "protobuf", "pyyaml", "regex",
                                           "scikit-learn", "sentencepiece", "tiktoken", "torch", "transformers", "triton")
    assert [f.path for f in analysis.facts.files] == ["configuration_x.py", "kernels/op.py", "modeling_x.py"]
    assert [p.code for p in analysis.problems] == ["code.too-large"]
    assert ("setup.cfg:metadata.license", "Apache-2.0") in analysis.manifest_licenses
    assert not analysis.facts.trust_remote_code


def test_auto_map_entry_points_local_remote_and_missing(tmp_path):
    listing = _repo(tmp_path, {"modeling_x.py": "import torch\n"})
    maps = {"config.json": {"AutoModel": "modeling_x.XModel", "AutoConfig": "configuration_x.XConfig",
                            "AutoModelForCausalLM": "org/base--modeling_base.BaseForCausalLM"},
            "tokenizer_config.json": {"AutoTokenizer": ["tokenization_x.XTokenizer", None]}}
    points = {p.source: p for p in entry_points(maps)}
    assert points["config.json:auto_map.AutoModelForCausalLM"].repository == "org/base"
    assert points["config.json:auto_map.AutoModelForCausalLM"].module_file == "modeling_base.py"
    analysis = analyse_code(listing, maps, [])
    assert analysis.facts.trust_remote_code
    missing = sorted(p.message for p in analysis.problems if p.code == "code.entry-point-missing")
    assert len(missing) == 2 and "configuration_x.py" in missing[0] and "tokenization_x.py" in missing[1]


def test_unreadable_manifests_are_problems(tmp_path):
    facts = ManifestFacts()
    for name, text in {"pyproject.toml": "[project\n", "setup.py": "setup(", "environment.yml": "a: *alias\n",
                       "setup.cfg": "[options\n"}.items():
        (tmp_path / name).write_text(text)
        read_manifest(tmp_path / name, name, facts)
    assert sorted(p.file for p in facts.problems) == ["environment.yml", "pyproject.toml", "setup.cfg", "setup.py"]
    assert all(p.code == "manifest.invalid" for p in facts.problems)
    assert json.dumps(sorted(facts.packages)) == "[]"


def test_a_byte_order_mark_with_a_bad_encoding_cookie_is_not_a_syntax_error(tmp_path):
    for cookie in (b"bogus", b"latin-1"):
        path = tmp_path / "m.py"
        path.write_bytes(b"\xef\xbb\xbf# -*- coding: " + cookie + b" -*-\nimport torch\n")
        text, issue = read_python(path, "m.py")
        assert issue is None and not text.startswith("\ufeff")
        result, issue = analyse_python(text, "m.py")
        assert issue is None and result.parsed and result.imports == ("torch",)
