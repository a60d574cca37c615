"""The shipped fingerprints are exactly what the pinned packages give, and the rebuild reproduces them."""

from __future__ import annotations

import shutil

import pytest

from scanner.tokenizer.catalog import bundled_tokenizer_dir
from scanner.tokenizer.fingerprint_file import fingerprint_to_bytes
from scanner.tokenizer.rebuild import SOURCES_FILE, main


@pytest.mark.parametrize("tokenizer_id", ["qwen3", "llama3", "llama3_1", "llama2", "gemma3", "deepseek_v3", "gptoss"])
def test_shipped_fingerprint_equals_a_fresh_build(real_fps, tokenizer_id):
    shipped_bytes = (bundled_tokenizer_dir() / f"{tokenizer_id}.tokfp").read_bytes()
    assert fingerprint_to_bytes(real_fps[tokenizer_id]) == shipped_bytes


def test_the_rebuild_command_writes_and_checks_byte_identical_files(tarballs, tmp_path, capsys):
    from conftest import npm_cache_dir

    shutil.copy(bundled_tokenizer_dir() / SOURCES_FILE, tmp_path / SOURCES_FILE)
    assert main(["--out", str(tmp_path), "--cache", str(npm_cache_dir()), "--only", "llama2"]) == 0
    assert (tmp_path / "llama2.tokfp").read_bytes() == (bundled_tokenizer_dir() / "llama2.tokfp").read_bytes()
    assert main(["--out", str(tmp_path), "--cache", str(npm_cache_dir()), "--only", "llama2", "--check"]) == 0
    (tmp_path / "llama2.tokfp").write_bytes(b"stale")
    assert main(["--out", str(tmp_path), "--cache", str(npm_cache_dir()), "--only", "llama2", "--check"]) == 1
    assert "llama2: DIFFERS" in capsys.readouterr().out


def test_the_rebuild_command_reports_bad_arguments(tmp_path, capsys):
    shutil.copy(bundled_tokenizer_dir() / SOURCES_FILE, tmp_path / SOURCES_FILE)
    assert main(["--out", str(tmp_path), "--only", "mistral"]) == 2
    assert "no such tokenizer id in sources.json: mistral" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "nowhere")]) == 2
