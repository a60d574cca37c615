"""``catalog add``: checks before it writes, writes all or nothing, and builds entries from complete copies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gguf
import pytest
import yaml
from hub_repo import COMMIT

from scanner.catalog.store import load_catalogs, verify_catalog
from scanner.cli import main
from scanner.hub import resolve_target
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))

import weight_files as W  # noqa: E402

SPEC = M.TextSpec(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128, vocab=300)


def model(root: Path, seed: int) -> Path:
    return write_repo(root / f"model-{seed}", M.text_model(SPEC, seed), M.text_config(SPEC), card="# A model\n")


def add(source: Path | str, catalog: Path, entry_id: str, *extra: str) -> int:
    return main(["catalog", "add", str(source), "--catalog", str(catalog), "--id", entry_id, "-q", *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_tampered_catalog_is_refused_and_left_as_it_was(tmp_path, capsys):
    catalog = tmp_path / "cat"
    assert add(model(tmp_path, 1), catalog, "first") == 0
    entry = catalog / "entries" / "first.yaml"
    entry.write_text(entry.read_text().replace("organisation: unknown", "organisation: Someone Else"))
    before = snapshot(catalog)
    capsys.readouterr()
    assert add(model(tmp_path, 2), catalog, "second") == 2
    err = capsys.readouterr().err
    assert "first.yaml: checksum mismatch" in err and "nothing was added" in err
    assert snapshot(catalog) == before
    assert any("first.yaml: checksum mismatch" in p for p in verify_catalog(catalog))


def test_a_folder_that_is_not_a_catalog_is_refused(tmp_path, capsys):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert add(model(tmp_path, 1), folder, "first") == 2
    assert "not a fromscratch catalog" in capsys.readouterr().err
    assert snapshot(folder) == {"notes.txt": b"mine"}


@pytest.mark.parametrize("existing", [False, True])
def test_an_invalid_value_writes_nothing(tmp_path, capsys, existing):
    catalog = tmp_path / "cat"
    if existing:
        assert add(model(tmp_path, 1), catalog, "first") == 0
    before = snapshot(catalog) if existing else None
    capsys.readouterr()
    assert add(model(tmp_path, 2), catalog, "second", "--country", "Korea") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'Korea' does not match" in err[0] and "nothing was written" in err[0]
    assert snapshot(catalog) == before if existing else not catalog.exists() or not any(catalog.iterdir())


def test_only_the_manifest_lines_of_the_written_files_change(tmp_path):
    catalog = tmp_path / "cat"
    assert add(model(tmp_path, 1), catalog, "first") == 0
    before = json.loads((catalog / "MANIFEST.json").read_text())["files"]
    assert add(model(tmp_path, 2), catalog, "second") == 0
    after = json.loads((catalog / "MANIFEST.json").read_text())["files"]
    added = {k: v for k, v in after.items() if k not in before}
    assert {k: after[k] for k in before} == before
    assert sorted(added) == ["entries/second.yaml", "weights/second.safetensors"]
    assert verify_catalog(catalog) == []


def test_an_entry_whose_fingerprint_went_missing_can_be_added_again(tmp_path):
    catalog = tmp_path / "cat"
    assert add(model(tmp_path, 1), catalog, "first") == 0
    (catalog / "weights" / "first.safetensors").unlink()
    assert add(model(tmp_path, 1), catalog, "first") == 0
    assert verify_catalog(catalog) == []


def test_a_hub_model_is_added_at_its_pinned_commit(fake_hub, tmp_path, capsys):
    catalog = tmp_path / "cat"
    assert add("hf://acme/tiny", catalog, "tiny", "--organisation", "Acme") == 0
    out = capsys.readouterr().out
    assert "added tiny to" in out and "weights" in out
    entry = yaml.safe_load((catalog / "entries" / "tiny.yaml").read_text())
    assert entry["hf_repo"] == "acme/tiny" and entry["revision"] == COMMIT
    assert entry["sources"][0]["ref"].startswith(f"hf://acme/tiny@{COMMIT} (config.json sha256 ")
    assert entry["declared_base_models"] == ["acme/base"]
    assert entry["weights"]["file"] == "weights/tiny.safetensors" and entry["weights"]["revision"] == COMMIT
    assert verify_catalog(catalog) == []
    assert load_catalogs([catalog], include_bundled=False).entries["tiny"].weights is not None


def test_a_bad_value_is_refused_before_anything_is_downloaded(fake_hub, tmp_path, capsys):
    assert add("hf://acme/tiny", tmp_path / "cat", "tiny", "--release-date", "last spring") == 2
    assert "'last spring'" in capsys.readouterr().err
    assert fake_hub.log == []


def test_a_hub_model_only_partly_in_the_offline_cache_is_not_added(fake_hub, tmp_path, monkeypatch, capsys):
    resolve_target("hf://acme/tiny", weights=False)  # a metadata-only scan cached config and card, no weights
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    catalog = tmp_path / "cat"
    assert add("hf://acme/tiny", catalog, "tiny") == 2
    err = capsys.readouterr().err
    assert "not added" in err and "lacks" in err and "HF_HUB_OFFLINE" in err
    assert not catalog.exists() or not any(catalog.iterdir())


def gguf_model(root: Path, seed: int) -> Path:
    folder = root / f"gguf-{seed}"
    folder.mkdir()
    W.write_gguf(folder / "model.gguf", W.model(seed), gguf.GGMLQuantizationType.Q8_0)
    return folder


def test_gguf_models_get_their_own_weight_digest_and_keep_their_tokenizer(tmp_path):
    catalog = tmp_path / "cat"
    for seed in (1, 2):
        assert add(gguf_model(tmp_path, seed), catalog, f"g{seed}") == 0
    entries = {i: yaml.safe_load((catalog / "entries" / f"g{i}.yaml").read_text()) for i in (1, 2)}
    revisions = {e["weights"]["revision"] for e in entries.values()}
    assert len(revisions) == 2 and "e3b0c44298fc1c14" not in " ".join(revisions)  # not sha256 of nothing
    assert entries[1]["tokenizer"] == "g1" and (catalog / "tokenizers" / "g1.tokfp").is_file()
    assert load_catalogs([catalog], include_bundled=False).tokenizers["g1"].vocab_size == W.SPEC.vocab
