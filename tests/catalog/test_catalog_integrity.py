"""A catalog whose manifest, header or fingerprints are broken is skipped with a reason, never a crash."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.catalog.store import load_catalogs, verify_catalog, write_manifest
from scanner.cli import main
from scanner.parse.repo import parse_repo
from scanner.pipeline import repo_tokenizer
from scanner.tokenizer import fingerprint, write_fingerprint
from scanner.tokenizer.catalog import read_catalog_fingerprint
from scanner.walk.walker import walk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INDEPENDENT = EXAMPLES / "independent-lm"


def scan(tmp_path: Path, *catalogs: Path, target: Path = INDEPENDENT) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    args = ["scan", str(target), "--json", str(out), "--no-weights"]
    for folder in catalogs:
        args += ["--catalog", str(folder)]
    code = main(args)
    return code, json.loads(out.read_text()) if out.exists() else {}


BROKEN_MANIFESTS = {
    "missing": None,
    "files-a-list": '{"format_version": 1, "files": []}',
    "not-json": "{",
    "not-an-object": "[]",
    "format-version-2": '{"format_version": 2, "files": {}}',
    "no-format-version": '{"files": {}}',
    "unknown-key": '{"format_version": 1, "files": {}, "signed_by": "me"}',
    "digest-not-hex": '{"format_version": 1, "files": {"catalog.yaml": 5}}',
    "path-outside": '{"format_version": 1, "files": {"../x": "' + "0" * 64 + '"}}',
}


@pytest.mark.parametrize("content", BROKEN_MANIFESTS.values(), ids=BROKEN_MANIFESTS.keys())
def test_a_catalog_without_a_usable_manifest_is_skipped_whole_under_one_message(catalog_copy, tmp_path, content,
                                                                                   capsys):
    manifest = catalog_copy / "MANIFEST.json"
    if content is None:
        manifest.unlink()
    else:
        manifest.write_text(content)
    cat = load_catalogs([catalog_copy])
    mine = [s for s in cat.skipped if s.startswith(str(catalog_copy))]
    assert len(mine) == 1 and "every entry and fingerprint of this catalog skipped" in mine[0]
    assert str(manifest) in mine[0]
    assert all(e.catalog == "bundled" for e in cat.entries.values())
    assert verify_catalog(catalog_copy)[0].startswith(str(manifest))

    code, report = scan(tmp_path, catalog_copy)
    assert code != 2 and any(s == mine[0] for s in report["catalog"]["skipped"])
    for args in (["catalog", "list", "--catalog", str(catalog_copy)],
                 ["catalog", "show", "qwen2.5-7b", "--catalog", str(catalog_copy)],
                 ["catalog", "diff", str(catalog_copy), str(catalog_copy)]):
        assert main(args) == 0, args
    assert "every entry and fingerprint of this catalog skipped" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "message"), [
    ("format_version: 2\nname: x\nversion: 1\n", "unsupported catalog format_version 2"),
    ("name: x\nversion: 1\n", "unsupported catalog format_version None"),
    ("format_version: 1\nname: x\nversion: 1\nsigned: true\n", "unknown key 'signed'"),
    ("format_version: 1\nversion: 1\n", "'name' is required"),
    ("- a list\n", "must be a mapping"),
])
def test_catalog_yaml_has_a_closed_key_set_and_format_version_1(catalog_copy, tmp_path, capsys, text, message):
    (catalog_copy / "catalog.yaml").write_text(text)
    assert main(["scan", str(INDEPENDENT), "--catalog", str(catalog_copy), "-q", "--no-weights"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "catalog.yaml" in err[0] and message in err[0]
    assert message in verify_catalog(catalog_copy)[0]


def test_listed_but_missing_entries_are_reported_as_skipped(catalog_copy):
    (catalog_copy / "entries" / "phi-4.yaml").unlink()
    cat = load_catalogs([catalog_copy], include_bundled=False)
    assert any(s.startswith("phi-4:") and "listed in MANIFEST.json but missing" in s for s in cat.skipped)


def test_a_garbage_tokenizer_fingerprint_fails_verify_and_is_skipped_by_the_scan(catalog_copy, tmp_path, capsys):
    (catalog_copy / "tokenizers" / "llama3.tokfp").write_bytes(b"garbage")
    write_manifest(catalog_copy)  # recorded, so only reading it can tell
    assert any("llama3.tokfp" in p and "not a tokenizer fingerprint" in p for p in verify_catalog(catalog_copy))
    assert main(["catalog", "verify", str(catalog_copy)]) == 1
    cat = load_catalogs([catalog_copy])
    assert any(s.startswith("tokenizer llama3:") for s in cat.skipped)
    assert "llama3" in cat.tokenizers  # the bundled one is still there
    code, report = scan(tmp_path, catalog_copy)
    assert code != 2 and any(s.startswith("tokenizer llama3:") for s in report["catalog"]["skipped"])
    assert "  skipped: tokenizer llama3:" in capsys.readouterr().out


def test_a_relabelled_tokenizer_fingerprint_fails_verify(catalog_copy):
    (catalog_copy / "tokenizers" / "qwen3.tokfp").rename(catalog_copy / "tokenizers" / "mine.tokfp")
    write_manifest(catalog_copy)
    assert any("labelled 'qwen3', but the file name says 'mine'" in p for p in verify_catalog(catalog_copy))


@pytest.fixture(scope="module")
def own_tokenizer():
    listing = walk(INDEPENDENT)
    return fingerprint(repo_tokenizer(listing, parse_repo(listing)).tokenizer, label="own")


def _tokenizer_catalog(tmp_path: Path, fp, *, listed: bool) -> Path:
    folder = tmp_path / "tok-catalog"
    (folder / "tokenizers").mkdir(parents=True)
    (folder / "catalog.yaml").write_text("format_version: 1\nname: tokenizers\nversion: 1\n")
    if not listed:
        write_manifest(folder)  # the fingerprint is added after the manifest was recorded
    write_fingerprint(folder / "tokenizers" / f"{fp.label}.tokfp", fp)
    if listed:
        write_manifest(folder)
    return folder


@pytest.mark.parametrize("listed", [True, False])
def test_the_scan_uses_only_tokenizer_fingerprints_the_manifest_vouches_for(tmp_path, own_tokenizer, listed):
    folder = _tokenizer_catalog(tmp_path, own_tokenizer, listed=listed)
    cat = load_catalogs([folder])
    _, report = scan(tmp_path, folder)
    relations = {t["catalog_id"]: t["relation"] for t in report["tokenizer"]["lineage"]}
    if listed:
        assert relations["own"] == "identical"
    else:
        assert "own" not in cat.tokenizers and "own" not in relations
        assert any(s.startswith("tokenizer own:") and "not listed in MANIFEST.json" in s
                   for s in report["catalog"]["skipped"])


def test_a_user_tokenizer_with_a_bundled_id_is_an_override_and_said_so(tmp_path, own_tokenizer, capsys):
    folder = _tokenizer_catalog(tmp_path, replace(own_tokenizer, label="llama3"), listed=True)
    cat = load_catalogs([folder])
    assert cat.tokenizers["llama3"] == read_catalog_fingerprint(folder / "tokenizers" / "llama3.tokfp")
    assert cat.overridden == (f"tokenizer llama3: fingerprint from {folder} overrides the one from bundled",)
    _, report = scan(tmp_path, folder)
    assert report["catalog"]["overridden"] == list(cat.overridden) and cat.overridden[0] not in report["catalog"]["skipped"]
    out = capsys.readouterr().out
    assert "warning: catalog: 1 overridden" in out and "overridden: tokenizer llama3:" in out
    assert "skipped: tokenizer llama3" not in out
