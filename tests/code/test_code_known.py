"""Known-code fingerprint files: format, integrity, the bundled set, and (where the sources are here) real code."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scanner.catalog.store import bundled_catalog_dir, write_manifest
from scanner.code.known import KnownCodeFile, KnownCodeGroup, dump_group, load_known_code, parse_group, write_code_group
from scanner.code.rebuild import DEFAULT_CACHE, SourceUnavailable, read_sources, rebuild
from scanner.code.similarity import MIN_SHARED, similar_code
from scanner.code.winnow import fingerprint
from scanner.errors import DataFileError
from scanner.licenses.expressions import catalog_ids

from code_samples import MOE, reworked

CODE_DIR = bundled_catalog_dir() / "code"
MIRROR = Path("/work/.mirror")


def _group(name="g") -> KnownCodeGroup:
    return KnownCodeGroup(group=name, name="G", project="o/r", origin="github:o/r@abc", license="MIT", organisation="O",
                          country="KR", copyright_holder="O Corp",
                          files=(KnownCodeFile(path="a.py", sha256="00", fingerprint=fingerprint(MOE)),))


def test_group_files_round_trip_byte_for_byte():
    text = dump_group(_group())
    assert parse_group(text, "x") == _group()
    assert dump_group(parse_group(text, "x")) == text


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format_version=9), "format_version 9 is not supported"),
    (lambda d: d.update(scheme="other"), "fingerprints made with 'other'"),
    (lambda d: d["files"][0].update(hashes="***"), "unreadable 'hashes'"),
    (lambda d: d["files"][0].update(tokens="many"), "expected int in 'tokens'"),
    (lambda d: d.update(group="Bad Name"), "must be lower-case"),
])
def test_malformed_group_files_name_the_mistake(change, message):
    data = json.loads(dump_group(_group()))
    change(data)
    with pytest.raises(DataFileError, match=message):
        parse_group(json.dumps(data), "x")


def test_user_catalog_code_is_loaded_and_tampering_skips_it(tmp_path):
    (tmp_path / "catalog.yaml").write_text("format_version: 1\nname: mine\nversion: '1'\n")
    write_code_group(tmp_path, _group("mine"))
    groups, problems = load_known_code([tmp_path])
    assert [g.group for g in groups] == ["mine"] and problems == []
    path = tmp_path / "code" / "mine.codefp"
    path.write_text(path.read_text().replace('"O Corp"', '"Someone Else"'))
    groups, problems = load_known_code([tmp_path])
    assert groups == [] and "checksum mismatch" in problems[0].message
    (tmp_path / "code" / "broken.codefp").write_text("{")
    write_manifest(tmp_path)
    groups, problems = load_known_code([tmp_path])
    assert [g.group for g in groups] == ["mine"] and "invalid JSON" in problems[0].message


def test_bundled_code_fingerprints_match_their_sources_file():
    groups, problems = load_known_code([bundled_catalog_dir()])
    assert problems == []
    specs = {s["group"]: s for s in read_sources(CODE_DIR)}
    assert {g.group for g in groups} == set(specs)
    for group in groups:
        spec = specs[group.group]
        assert sorted(f.path for f in group.files) == sorted(spec["paths"])
        assert group.license == spec["license"] and catalog_ids(group.license)[0], group.group
        assert ("github" in spec["source"] and group.origin.endswith(spec["source"]["commit"])) or \
            group.origin.startswith(f"pypi:{spec['source']['pypi']}=={spec['source']['version']}")
        assert all(len(f.fingerprint.hashes) >= MIN_SHARED for f in group.files), group.group  # each can match
    assert "MIT" == next(g for g in groups if g.group == "deepseek-v3-inference").license


def test_independently_written_moe_code_resembles_no_bundled_code():
    groups, _ = load_known_code([bundled_catalog_dir()])
    assert similar_code(fingerprint(MOE), groups) == []


def _sources_available() -> bool:
    for spec in read_sources(CODE_DIR):
        source = spec["source"]
        if "github" in source:
            base = MIRROR / source["github"].replace("/", "+") / "repo"
            if not base.is_dir() or subprocess.run(["git", f"--git-dir={base}", "cat-file", "-e", source["commit"]],
                                                   capture_output=True).returncode:
                return False
        elif not list(DEFAULT_CACHE.glob(f"{source['pypi']}-{source['version']}-*.whl")):
            return False
    return True


@pytest.mark.skipif(not _sources_available(), reason="the pinned code sources are not on this machine")
def test_rebuild_reproduces_the_shipped_files_byte_for_byte():
    try:
        built = rebuild(CODE_DIR, {}, MIRROR, DEFAULT_CACHE)
    except SourceUnavailable as exc:
        pytest.skip(str(exc))
    for name, text in built.items():
        assert (CODE_DIR / name).read_text(encoding="utf-8") == text, name


@pytest.mark.skipif(not (MIRROR / "deepseek-ai+DeepSeek-V3" / "repo").is_dir(), reason="DeepSeek-V3 sources not here")
def test_real_deepseek_inference_code_is_recognised_after_renaming():
    spec = next(s for s in read_sources(CODE_DIR) if s["group"] == "deepseek-v3-inference")
    git_dir = MIRROR / "deepseek-ai+DeepSeek-V3" / "repo"
    source = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{spec['source']['commit']}:inference/model.py"],
                            capture_output=True, text=True, check=True).stdout
    groups, _ = load_known_code([bundled_catalog_dir()])
    matches = similar_code(fingerprint(reworked(source)), groups)
    assert matches[0].key == "deepseek-v3-inference:inference/model.py" and matches[0].score > 0.9
    assert not any(m.group.project == "huggingface/transformers" for m in matches)
