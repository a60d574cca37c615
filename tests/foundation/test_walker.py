import os
from pathlib import Path

import pytest

from scanner.errors import ScanInputError
from scanner.report.model import FileKind, FileStatus
from scanner.walk.kinds import classify
from scanner.walk.walker import walk

from helpers import tiny_repo


@pytest.mark.parametrize("path, kind", [
    ("config.json", FileKind.CONFIG),
    ("generation_config.json", FileKind.GENERATION_CONFIG),
    ("preprocessor_config.json", FileKind.PROCESSOR_CONFIG),
    ("tokenizer.json", FileKind.TOKENIZER),
    ("tokenizer.model", FileKind.TOKENIZER),
    ("vocab.json", FileKind.TOKENIZER),
    ("merges.txt", FileKind.TOKENIZER),
    ("vocab.txt", FileKind.TOKENIZER),
    ("tokenizer_config.json", FileKind.TOKENIZER_CONFIG),
    ("README.md", FileKind.MODEL_CARD),
    ("docs/README.md", FileKind.OTHER),
    ("LICENSE", FileKind.LICENSE),
    ("LICENSE.md", FileKind.LICENSE),
    ("LICENSE-llama.txt", FileKind.LICENSE),
    ("NOTICE", FileKind.NOTICE),
    ("USE_POLICY.md", FileKind.USE_POLICY),
    ("model-00001-of-00002.safetensors", FileKind.SAFETENSORS),
    ("model.safetensors.index.json", FileKind.SAFETENSORS_INDEX),
    ("modeling_custom.py", FileKind.REMOTE_CODE),
    ("pytorch_model.bin", FileKind.PICKLE),
    ("model.pt", FileKind.PICKLE),
    ("model.pth", FileKind.PICKLE),
    ("data.pkl", FileKind.PICKLE),
    ("model-q4.gguf", FileKind.GGUF),
    ("onnx/model.onnx", FileKind.ONNX),
    ("requirements.txt", FileKind.DEPENDENCY_MANIFEST),
    ("image.png", FileKind.OTHER),
])
def test_classify(path, kind):
    assert classify(path) == kind


def test_walk_lists_every_file_with_hash_and_kind(tmp_path):
    tiny_repo(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("x")
    listing = walk(tmp_path)
    assert [f.path for f in listing.files] == ["README.md", "config.json", "model.safetensors", "sub/notes.txt"]
    notes = listing.files[-1]
    assert notes.size == 1 and notes.sha256 == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert listing.source == "local" and listing.revision is None


def test_walk_missing_and_empty_and_file(tmp_path):
    with pytest.raises(ScanInputError, match="no such folder"):
        walk(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScanInputError, match="empty"):
        walk(empty)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ScanInputError, match="not a folder"):
        walk(tmp_path / "f.txt")


def test_symlink_outside_repo_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    repo = tiny_repo(tmp_path / "repo")
    os.symlink(secret, repo / "LICENSE")
    listing = walk(repo)
    entry = next(f for f in listing.files if f.path == "LICENSE")
    assert entry.status == FileStatus.SKIPPED and entry.sha256 is None
    assert not listing.has("LICENSE")
    assert any(p.code == "walk.link-outside" and p.file == "LICENSE" for p in listing.problems)


def test_symlink_inside_repo_is_followed_and_git_ignored(tmp_path):
    repo = tiny_repo(tmp_path)
    os.symlink(repo / "README.md", repo / "LICENSE")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref")
    listing = walk(repo)
    assert listing.has("LICENSE")
    assert not any(f.path.startswith(".git") for f in listing.files)


def test_hugging_face_cache_layout(tmp_path):
    repo = tmp_path / "models--org--name"
    blobs = repo / "blobs"
    blobs.mkdir(parents=True)
    revision = "a" * 40
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    src = tiny_repo(tmp_path / "src")
    for f in src.iterdir():
        blob = blobs / f.name.replace(".", "_")
        blob.write_bytes(f.read_bytes())
        os.symlink(os.path.relpath(blob, snapshot), snapshot / f.name)
    for target in (repo, snapshot):
        listing = walk(target)
        assert listing.source == "hf-cache" and listing.revision == revision
        assert {f.path for f in listing.files} == {"README.md", "config.json", "model.safetensors"}
        assert all(listing.has(f.path) for f in listing.files)
