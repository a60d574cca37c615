"""parse_repo over mixed repositories: which copy is fingerprinted, and what the file list says about each file."""

from __future__ import annotations

import gguf
import numpy as np
import weight_files as W

from scanner.formats.selection import bits_per_value, weight_set_key
from scanner.parse.repo import parse_repo
from scanner.report.model import FileStatus
from scanner.synthetic.repo import save_weights
from scanner.walk.walker import walk
from scanner.weights.dtypes import BlockQuantized, ScaledIntegers


def test_safetensors_win_and_other_copies_are_still_read_and_scanned(tmp_path):
    W.reference_repo(tmp_path, W.model(1))
    W.write_torch(tmp_path / "pytorch_model.bin", W.model(1))
    parsed = parse_repo(walk(tmp_path))
    assert {t.file for t in parsed.tensors} == {"model.safetensors"}
    assert parsed.file_status["pytorch_model.bin"] == FileStatus.READ
    assert "not fingerprinted: the safetensors weights were used" in parsed.file_notes["pytorch_model.bin"]
    assert "pytorch_model.bin" in parsed.read_files and parsed.pickle_imports == ()


def test_the_most_precise_gguf_is_fingerprinted_and_its_facts_used(tmp_path):
    W.write_gguf(tmp_path / "m.Q4_1.gguf", W.model(1), gguf.GGMLQuantizationType.Q4_1)
    W.write_gguf(tmp_path / "m.Q8_0.gguf", W.model(1), gguf.GGMLQuantizationType.Q8_0, license_id="mit")
    parsed = parse_repo(walk(tmp_path))
    assert {t.file for t in parsed.tensors} == {"m.Q8_0.gguf"}
    assert "m.Q8_0.gguf was used" in parsed.file_notes["m.Q4_1.gguf"]
    assert parsed.config_source == "m.Q8_0.gguf"
    assert dict(parsed.embedded_licenses) == {"m.Q4_1.gguf": "apache-2.0", "m.Q8_0.gguf": "mit"}
    assert parsed.embedded_tokenizer is not None


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "broken.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(8))
    (tmp_path / "training_args.bin").write_bytes(b"\x80\x02}q\x00.")
    W.write_onnx(tmp_path / "model.onnx", W.model(1))
    parsed = parse_repo(walk(tmp_path))
    assert parsed.file_status["broken.gguf"] == FileStatus.UNREADABLE
    assert "broken.gguf" not in parsed.read_files
    assert {t.file for t in parsed.tensors} == {"model.onnx"}
    assert any(p.file == "broken.gguf" for p in parsed.problems)


def test_remote_headers_count_as_present_shards(tmp_path):
    tensors = {"model.layers.0.mlp.up_proj.weight": np.ones((64, 32), np.float32)}
    save_weights(tmp_path / "remote" / "model-00001-of-00001.safetensors", tensors, "F32")
    from scanner.parse.safetensors_header import read_header

    header, _ = read_header(tmp_path / "remote" / "model-00001-of-00001.safetensors", "model-00001-of-00001.safetensors")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "config.json").write_text('{"model_type": "llama"}')
    (repo / "model.safetensors.index.json").write_text(
        '{"weight_map": {"model.layers.0.mlp.up_proj.weight": "model-00001-of-00001.safetensors"}}')
    without = parse_repo(walk(repo))
    assert any(p.code == "safetensors.missing-shard" for p in without.problems)
    with_headers = parse_repo(walk(repo), remote_headers=[header])
    assert not with_headers.problems
    assert [t.name for t in with_headers.tensors] == ["model.layers.0.mlp.up_proj.weight"]
    assert "model-00001-of-00001.safetensors" in with_headers.read_files


def test_selection_helpers():
    assert bits_per_value("GGUF_Q4_1") == 5.0 and bits_per_value("GGUF_Q8_0") == 8.5 and bits_per_value("BF16") == 16
    assert weight_set_key("q/model-00002-of-00003.gguf") == "q/model.gguf"
    assert weight_set_key("pytorch_model.bin") == "pytorch_model.bin"


def test_encoded_arrays_slice_reshape_and_decode_like_arrays():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((3, 8, 64)).astype(np.float32)
    packed = gguf.quants.quantize(values, gguf.GGMLQuantizationType.Q8_0)
    array = BlockQuantized(packed, "GGUF_Q8_0", values.shape)
    full = gguf.quants.dequantize(packed, gguf.GGMLQuantizationType.Q8_0)
    assert array.shape == (3, 8, 64) and array.ndim == 3 and len(array) == 3
    np.testing.assert_array_equal(array[1].decode(), full[1])
    np.testing.assert_array_equal(array[1][2:5, 16:48].decode(), full[1, 2:5, 16:48])
    np.testing.assert_array_equal(array.reshape(3, -1).decode(), full.reshape(3, -1))
    np.testing.assert_array_equal(array.reshape(-1, 128)[4:6].decode(), full.reshape(-1, 128)[4:6])
    assert not array[0][0:2, 0:8].flags.c_contiguous
    codes = rng.integers(0, 255, (6, 4)).astype(np.uint8)
    scale = rng.random((1, 4)).astype(np.float32)
    zero = np.full((1, 1), 128, np.float32)
    scaled = ScaledIntegers(codes, scale, zero)
    expected = (codes.astype(np.float32) - 128) * scale
    np.testing.assert_array_equal(scaled.decode(), expected)
    np.testing.assert_array_equal(scaled[2:4].decode(), expected[2:4])
    np.testing.assert_array_equal(scaled[1].decode(), expected[1])
    per_row = ScaledIntegers(codes, rng.random((6, 1)).astype(np.float32), None)
    np.testing.assert_array_equal(per_row.reshape(6, 4).decode(), per_row.decode())


def test_an_unexpected_reader_failure_makes_that_file_unreadable_and_the_scan_go_on(tmp_path, monkeypatch):
    def crash(path, rel):
        raise IndexError("index out of range")

    monkeypatch.setattr("scanner.formats.read_gguf_file", crash)
    W.write_gguf(tmp_path / "m.Q8_0.gguf", W.model(1), gguf.GGMLQuantizationType.Q8_0)
    W.write_onnx(tmp_path / "model.onnx", W.model(1))
    parsed = parse_repo(walk(tmp_path))
    assert parsed.file_status["m.Q8_0.gguf"] == FileStatus.UNREADABLE
    assert [(p.file, p.code, p.message) for p in parsed.problems] == [
        ("m.Q8_0.gguf", "format.reader-failed", "m.Q8_0.gguf: could not be read as gguf (IndexError: index out of range)")]
    assert {t.file for t in parsed.tensors} == {"model.onnx"}
