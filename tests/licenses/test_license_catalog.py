"""The licence catalog data: schema-valid, internally consistent, and every claim checkable against its text."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import jsonschema
import license_expression
import pytest
import yaml

from scanner.errors import DataFileError
from scanner.licenses import all_licenses, get_license
from scanner.licenses.catalog import (
    CATALOG_DIR,
    DATA_DIR,
    SCHEMA_PATH,
    load_catalog,
    reference_text,
)
from scanner.licenses.expressions import check
from scanner.licenses.fingerprint import references
from scanner.licenses.normalize import words

CATALOG_FILES = sorted(CATALOG_DIR.glob("*.yaml"))
MODEL_LICENCES = [
    "llama-2", "llama-3", "llama-3.1", "llama-3.2", "llama-3.3", "llama-4", "gemma",
    "tongyi-qianwen", "tongyi-qianwen-research", "qwen", "qwen-research", "deepseek-1.0", "glm-4",
    "exaone-1.1-nc", "exaone-1.2-nc", "nvidia-open-model", "falcon-2-11b", "bigscience-openrail-m",
    "creativeml-openrail-m", "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
]
# A quoted snippet in a clause: 'text', opened after a space or "(", closed before a space or punctuation.
QUOTED = re.compile(r"(?:(?<=^)|(?<=[\s(]))'(.+?)'(?=$|[\s;,.:)])")


def _scancode_keys() -> set[str]:
    index = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    return {entry["license_key"] for entry in json.loads(index.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_every_entry_validates_against_the_shipped_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


def test_catalog_holds_every_required_model_licence() -> None:
    ids = {info.id for info in all_licenses()}
    assert set(MODEL_LICENCES) <= ids
    assert {"apache-2.0", "mit", "cc-by-nc-4.0", "gpl-3.0", "unlicense"} <= ids


def test_licenseref_follows_the_naming_rule() -> None:
    """LicenseRef-scancode-<key> exactly when license-expression knows the key, else LicenseRef-fromscratch-<id>."""
    known = _scancode_keys()
    for info in all_licenses():
        if info.spdx:
            assert info.licenseref is None, info.id
            continue
        if info.scancode_key in known:
            assert info.licenseref == f"LicenseRef-scancode-{info.scancode_key}", info.id
        else:
            assert info.licenseref == f"LicenseRef-fromscratch-{info.id}", info.id


def test_every_expression_is_valid_for_the_registered_licensing() -> None:
    for info in all_licenses():
        assert check(info.expression).normalized == info.expression, info.id


def test_every_text_file_is_used_documented_and_utf8() -> None:
    used = {p for info in all_licenses() for p in (info.text, *info.variants, *info.companions)}
    on_disk = {f"texts/{p.name}" for p in (DATA_DIR / "texts").glob("*.txt")}
    assert used == on_disk
    sources = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for rel in sorted(on_disk):
        (DATA_DIR / rel).read_bytes().decode("utf-8")
        assert Path(rel).name in sources, rel


def test_card_ids_are_unambiguous_except_where_a_licensor_reuses_one() -> None:
    owners: dict[str, list[str]] = {}
    for info in all_licenses():
        for value in info.hf_ids:
            owners.setdefault(value, []).append(info.id)
    shared = {value: ids for value, ids in owners.items() if len(ids) > 1}
    assert shared == {"exaone": ["exaone-1.1-nc", "exaone-1.2-nc"]}


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def test_every_quoted_clause_snippet_is_in_the_licence_text() -> None:
    """A reviewer must be able to find each quoted clause; this catches misquotes and transcription slips."""
    checked = 0
    for info in all_licenses():
        texts = [words(reference_text(p)).keys for p in (info.text, *info.variants, *info.companions)]
        for group in (info.obligations, info.control):
            for field in fields(group):
                clause = getattr(group, field.name).clause or ""
                for snippet in QUOTED.findall(clause):
                    for part in snippet.split("..."):
                        needle = words(part).keys
                        assert any(_contains(t, needle) for t in texts), f"{info.id}.{field.name}: {part!r}"
                        checked += 1
    assert checked > 300


def test_model_licence_facts_from_the_texts() -> None:
    qwen = get_license("qwen")
    assert qwen.obligations.display_attribution.value == ("Built with Qwen", "Improved using Qwen")
    assert qwen.obligations.mau_threshold.value == 100_000_000
    assert qwen.control.governing_law.value == "CN"
    assert get_license("qwen-research").obligations.non_commercial.value is True
    assert get_license("llama-3.1").obligations.derived_name_prefix.value == "Llama"
    assert get_license("llama-3").obligations.outputs_clause.value == ("no-improving-other-models",)
    assert get_license("llama-3.2").control.territorial_restrictions.value is not None
    assert get_license("gemma").control.remote_restriction.value is True
    assert get_license("gemma").obligations.aup_flow_down.value is True
    assert get_license("glm-4").control.registration_required.value is True
    assert get_license("glm-4").control.revocable.value is True
    assert get_license("exaone-1.2-nc").control.governing_law.value == "KR"
    assert get_license("nvidia-open-model").obligations.notice_text.value == (
        "Licensed by NVIDIA Corporation under the NVIDIA Open Model License"
    )


def test_optional_passages_are_found_in_their_texts() -> None:
    with_optional = {ref.license_id for ref in references() if ref.optional}
    expected = {info.id for info in all_licenses() if info.optional_passages}
    assert with_optional == expected


def test_get_license_names_an_unknown_id() -> None:
    with pytest.raises(KeyError, match="no-such-licence"):
        get_license("no-such-licence")


def test_broken_entries_are_reported_together_with_positions(tmp_path: Path) -> None:
    good = (CATALOG_DIR / "mit.yaml").read_text(encoding="utf-8")
    (tmp_path / "mit.yaml").write_text(good.replace("category: permissive", "category: liberal"), encoding="utf-8")
    (tmp_path / "other.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "dup.yaml").write_text("id: a\nid: b\n", encoding="utf-8")
    (tmp_path / "future.yaml").write_text(good.replace("format_version: 1", "format_version: 2"), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_catalog(tmp_path)
    message = str(caught.value)
    assert "4 problem(s)" in message
    assert f"{tmp_path / 'future.yaml'}:1:17: format_version 2 is not supported" in message
    assert f"{tmp_path / 'mit.yaml'}:9:11: 'liberal' is not one of" in message
    assert "id 'mit' must equal the file name 'other'" in message
    assert "duplicate key 'id'" in message


def test_checking_a_malformed_expression_never_raises():
    for text in ("MIT AND", "OR", "(MIT", "MIT WITH"):
        checked = check(text)
        assert checked.normalized is None and checked.errors, text
    assert check("mit or apache-2.0").normalized == "MIT OR Apache-2.0"
