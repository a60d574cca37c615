"""The reviewed table of Python package licences, and the licences the code stage gives dependencies."""

from __future__ import annotations

import datetime
import re

import pytest
from license_expression import get_spdx_licensing

from scanner.code.analysis import analyse_code
from scanner.code.manifests import normalise_package
from scanner.code.package_licenses import TABLE_PATH, PackageLicense, bundled_package_licenses, load_package_licenses
from scanner.codec import from_jsonable, to_jsonable
from scanner.errors import DataFileError
from scanner.report.model import CodeFacts
from scanner.reporters.spdx_common import license_value
from scanner.walk.walker import walk


def test_the_bundled_table_loads_and_every_expression_is_valid_spdx():
    table = bundled_package_licenses()
    assert len(table) >= 50
    licensing = get_spdx_licensing()
    for name, entry in table.items():
        assert name == entry.package == normalise_package(name)
        assert licensing.validate(entry.license).errors == [], name
        assert license_value(entry.license).expression is not None, f"{name}: spdx-tools would write NOASSERTION"
        assert "LicenseRef-" not in entry.license
        assert entry.source.strip() and datetime.date.fromisoformat(entry.checked)


def test_the_table_holds_the_packages_model_code_imports_most():
    table = bundled_package_licenses()
    expected = {
        "transformers": "Apache-2.0", "einops": "MIT", "flash-attn": "BSD-3-Clause", "accelerate": "Apache-2.0",
        "safetensors": "Apache-2.0", "sentencepiece": "Apache-2.0", "tiktoken": "MIT", "timm": "Apache-2.0",
        "torchvision": "BSD-3-Clause", "torchaudio": "BSD-2-Clause", "triton": "MIT", "xformers": "BSD-3-Clause",
        "huggingface-hub": "Apache-2.0", "tokenizers": "Apache-2.0", "scipy": "BSD-3-Clause", "pillow": "MIT-CMU",
        "requests": "Apache-2.0", "peft": "Apache-2.0", "bitsandbytes": "MIT", "deepspeed": "Apache-2.0",
        "vllm": "Apache-2.0", "protobuf": "BSD-3-Clause", "regex": "Apache-2.0 AND CNRI-Python",
    }
    assert {name: table[name].license for name in expected} == expected
    # Declared expressions are copied as published, bundled third-party code included.
    assert "BSD-3-Clause" in table["torch"].license.split(" AND ")
    assert table["numpy"].license.startswith("BSD-3-Clause AND ")


def test_every_source_names_a_release_or_a_commit():
    for name, entry in bundled_package_licenses().items():
        assert re.search(r"\d+\.\d+", entry.source) or re.search(r"\b[0-9a-f]{40}\b", entry.source), name


def _table(tmp_path, body: str):
    path = tmp_path / "package-licenses.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_table_with_mistakes_is_refused_with_every_mistake_and_where_it_is(tmp_path):
    path = _table(tmp_path, """format_version: 1
packages:
  Flash_Attn:
    license: BSD-3-Clause
    source: x 1.0
    checked: 2026-12-07
  torch:
    license: BSD-3-Clause AND
    source: torch 2.14.1
    checked: 2026-12-07
  llama-stack:
    license: LicenseRef-fromscratch-qwen
    source: x 1.0
    checked: 2026-12-07
  einops:
    license: MIT
    source: ""
    checked: last week
    note: extra
  numpy: MIT
  pandas:
    license: bsd-3-clause
    source: pandas 3.1.1
    checked: 2026-12-07
  scipy:
    source: scipy 1.17.1
    checked: 2026-12-07
""")
    with pytest.raises(DataFileError) as caught:
        load_package_licenses(path)
    message = str(caught.value)
    assert message.startswith(f"9 problem(s) in {path}:")
    lines = message.splitlines()[1:]
    assert all(line.startswith(f"{path}:") for line in lines)
    for fragment in ("'Flash_Attn' must be written in its PEP 503 normal form ('flash-attn')",
                     "torch: 'BSD-3-Clause AND' is not a valid SPDX expression",
                     "llama-stack: LicenseRef-fromscratch-qwen is not an SPDX licence id",
                     "einops: unknown key 'note'", "einops: 'source' must say where the licence was read",
                     "einops: 'checked' must be a date, YYYY-MM-DD", "numpy: expected a mapping",
                     "pandas: write the expression as 'BSD-3-Clause'",
                     "scipy: missing 'license'"):
        assert any(fragment in line for line in lines), fragment
    assert f"{path}:4:5: package 'Flash_Attn'" in message  # where its entry starts


@pytest.mark.parametrize(("body", "expected"), [
    ("format_version: 2\npackages: {}\n", "format_version 2 is not supported"),
    ("- a\n", "expected a mapping with format_version and packages"),
    ("format_version: 1\npackages: [torch]\n", "'packages' must be a mapping"),
    ("format_version: 1\npackages: {}\nextra: 1\n", "unknown key 'extra'"),
    ("format_version: 1\npackages:\n  a: &x {}\n  b: *x\n", "YAML aliases"),
])
def test_a_malformed_table_is_one_clear_error(tmp_path, body, expected):
    with pytest.raises(DataFileError, match=re.escape(expected)):
        load_package_licenses(_table(tmp_path, body))


def test_a_date_may_be_quoted(tmp_path):
    path = _table(tmp_path, "format_version: 1\npackages:\n  einops:\n    license: MIT\n"
                            "    source: einops 0.8.2\n    checked: '2026-12-07'\n")
    assert load_package_licenses(path) == {
        "einops": PackageLicense(package="einops", license="MIT", source="einops 0.8.2", checked="2026-12-07")}


def test_the_table_ships_inside_the_package():
    assert TABLE_PATH.is_file() and "scanner" in TABLE_PATH.parts and "data" in TABLE_PATH.parts


def _repo(tmp_path, files):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    return walk(tmp_path)


def test_imported_and_listed_packages_get_their_licences_and_unknown_ones_none(tmp_path):
    listing = _repo(tmp_path, {
        "modeling_x.py": "import torch\nfrom einops import rearrange\nimport mystery_kernels\nimport open_clip\n",
        "requirements.txt": "Flash_Attn>=2.6\n",
    })
    facts = analyse_code(listing, {}, []).facts
    assert facts.dependencies == ("einops", "flash-attn", "mystery-kernels", "open-clip-torch", "torch")
    table = bundled_package_licenses()
    assert facts.dependency_licenses == {name: table[name].license
                                         for name in ("einops", "flash-attn", "open-clip-torch", "torch")}
    assert facts.dependency_licenses["einops"] == "MIT"
    assert "mystery-kernels" not in facts.dependency_licenses
    assert set(facts.dependency_license_sources) == set(facts.dependency_licenses)
    assert facts.dependency_license_sources["einops"] == "einops 0.8.2 on PyPI, License field; checked 2026-12-07"


def test_the_code_stage_reads_the_table_it_is_given(tmp_path):
    listing = _repo(tmp_path / "repo", {"m.py": "import torch\nimport inhouse_ops\n"})
    table = {"inhouse-ops": PackageLicense(package="inhouse-ops", license="MIT", source="inhouse-ops 1.0", checked="2026-01-01")}
    facts = analyse_code(listing, {}, [], table).facts
    assert facts.dependency_licenses == {"inhouse-ops": "MIT"}
    assert facts.dependency_license_sources == {"inhouse-ops": "inhouse-ops 1.0; checked 2026-01-01"}


def test_a_report_written_before_dependency_licences_still_loads():
    old = {"files": [], "trust_remote_code": False, "dependencies": ["torch"], "pickle_imports": []}
    facts = from_jsonable(CodeFacts, old)
    assert facts.dependency_licenses == {} and facts.dependency_license_sources == {}
    new = to_jsonable(CodeFacts(files=(), trust_remote_code=False, dependencies=("torch",), pickle_imports=(),
                                dependency_licenses={"torch": "BSD-3-Clause"}, dependency_license_sources={"torch": "s"}))
    assert from_jsonable(CodeFacts, new).dependency_licenses == {"torch": "BSD-3-Clause"}


def test_google_namespace_imports_are_told_apart(tmp_path):
    """``google`` is a namespace many distributions share: only ``google.protobuf`` is protobuf."""
    listing = _repo(tmp_path, {
        "modeling_x.py": "from google.protobuf import descriptor\nimport google.genai as genai\n"
                         "from google.cloud.storage import Client\nimport google\n",
        "broken.py": "def f(:\nfrom google.auth import default\n",
    })
    facts = analyse_code(listing, {}, []).facts
    assert facts.dependencies == ("google", "google-auth", "google-cloud-storage", "google-genai", "protobuf")
    assert facts.dependency_licenses["protobuf"] == bundled_package_licenses()["protobuf"].license
    assert "google-genai" not in facts.dependency_licenses
