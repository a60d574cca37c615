"""Every bad input of the foundation issue: a clear message naming the file, the rest still scanned, no crash."""

import json
import os
from pathlib import Path

from scanner.cli import main

from helpers import raw_safetensors, tiny_repo


def _scan(repo: Path, tmp_path: Path, capsys) -> tuple[int, dict, str]:
    out = tmp_path / "out.json"
    code = main(["scan", str(repo), "--json", str(out), "--no-color"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    data = json.loads(out.read_text()) if out.exists() else {}
    return code, data, captured.out + captured.err


def _problem(data: dict, code: str) -> dict:
    return next(p for p in data["problems"] if p["code"] == code)


def test_empty_folder(tmp_path, capsys):
    (tmp_path / "repo").mkdir()
    code, _, text = _scan(tmp_path / "repo", tmp_path, capsys)
    assert code == 2 and "the folder is empty" in text


def test_empty_target_is_a_usage_error_not_the_current_folder(tmp_path, capsys):
    code = main(["scan", "", "--json", str(tmp_path / "out.json")])
    text = capsys.readouterr().err
    assert code == 2 and "no folder given" in text and not (tmp_path / "out.json").exists()


def test_truncated_safetensors(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    (repo / "broken.safetensors").write_bytes(b"\x10\x00")
    code, data, _ = _scan(repo, tmp_path, capsys)
    problem = _problem(data, "safetensors.truncated")
    assert problem["file"] == "broken.safetensors" and "broken.safetensors" in problem["message"]
    assert any(t["file"] == "model.safetensors" for t in data["tensors"])


def test_header_claims_more_bytes_than_the_file_has(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    raw_safetensors(repo / "liar.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8,
                    declared_length=10**9)
    _, data, _ = _scan(repo, tmp_path, capsys)
    assert "claims 1000000000 bytes" in _problem(data, "safetensors.header-past-end")["message"]


def test_tensor_past_end_overlap_unknown_dtype_and_size_mismatch(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    raw_safetensors(repo / "odd.safetensors", {
        "ok": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "overlapping": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
        "strange": {"dtype": "Q3_K", "shape": [2], "data_offsets": [12, 16]},
        "wrong_size": {"dtype": "F16", "shape": [4], "data_offsets": [16, 20]},
        "past_end": {"dtype": "F32", "shape": [100], "data_offsets": [20, 420]},
    }, b"\0" * 24)
    _, data, _ = _scan(repo, tmp_path, capsys)
    assert "'overlapping' overlaps tensor 'ok'" in _problem(data, "safetensors.overlap")["message"]
    assert "unknown dtype 'Q3_K'" in _problem(data, "safetensors.unknown-dtype")["message"]
    assert "needs 8" in _problem(data, "safetensors.size-mismatch")["message"]
    assert "past_end" in _problem(data, "safetensors.tensor-past-end")["message"]
    assert [t["name"] for t in data["tensors"] if t["file"] == "odd.safetensors"] == ["ok"]


def test_invalid_json_config(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    (repo / "config.json").write_text('{"model_type": "llama",\n  "hidden_size": }', encoding="utf-8")
    code, data, _ = _scan(repo, tmp_path, capsys)
    problem = _problem(data, "json.invalid")
    assert problem["file"] == "config.json" and "line 2" in problem["message"]
    assert data["config"] is None and data["tensors"] and code in (0, 1, 3)


def test_broken_card_front_matter(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo", card="---\nlicense: [apache-2.0\n---\n# Card text survives\n")
    _, data, _ = _scan(repo, tmp_path, capsys)
    problem = _problem(data, "card.front-matter")
    assert problem["message"].startswith("README.md:") and "YAML syntax error" in problem["message"]
    assert data["card"]["text"] == "# Card text survives"


def test_symlink_outside_repo(tmp_path, capsys):
    (tmp_path / "secret").write_text("token=hunter2")
    repo = tiny_repo(tmp_path / "repo")
    os.symlink(tmp_path / "secret", repo / "NOTICE")
    _, data, text = _scan(repo, tmp_path, capsys)
    assert "outside the repository" in _problem(data, "walk.link-outside")["message"]
    assert "hunter2" not in json.dumps(data) + text


def test_one_gigabyte_readme_is_capped(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo", card=None)
    with open(repo / "README.md", "wb") as fh:
        fh.write(b"---\nlicense: mit\n---\n# Huge\n")
        fh.truncate(1 << 30)  # sparse: 1 GB without writing 1 GB
    _, data, _ = _scan(repo, tmp_path, capsys)
    assert "only the first" in _problem(data, "card.too-large")["message"]
    assert data["card"]["license"] == "mit" and data["card"]["text_truncated"] is True


def test_header_that_is_not_an_object_of_tensors_and_metadata_that_is_not_an_object(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    raw_safetensors(repo / "meta.safetensors", {"__metadata__": [1], "a": {"dtype": "F32", "shape": [2],
                                                                           "data_offsets": [0, 8]}}, b"\0" * 8)
    raw_safetensors(repo / "list.safetensors", [1, 2], b"")
    raw_safetensors(repo / "entry.safetensors", {"a": [1]}, b"")
    code, data, _ = _scan(repo, tmp_path, capsys)
    assert code in (0, 3) and data
    assert "'__metadata__' is not an object" in _problem(data, "safetensors.bad-metadata")["message"]
    assert any(t["file"] == "meta.safetensors" for t in data["tensors"])
    bad = {p["file"]: p["message"] for p in data["problems"] if p["code"] == "safetensors.bad-header"}
    for name in ("list.safetensors", "entry.safetensors"):
        assert "not a JSON object of tensor entries" in bad[name] and "attribute" not in bad[name]


def test_file_name_that_is_not_utf8_is_reported_and_still_read(tmp_path, capsys):
    repo = tiny_repo(tmp_path / "repo")
    raw_safetensors(Path(os.fsdecode(bytes(repo) + b"/\xff\xfe.safetensors")),
                    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0\0\x80?\0\0\0@")
    code, data, _ = _scan(repo, tmp_path, capsys)
    assert code in (0, 3)
    assert _problem(data, "walk.non-utf8-name")["file"] == "\\xff\\xfe.safetensors"
    assert any(t["file"] == "\\xff\\xfe.safetensors" for t in data["tensors"])
