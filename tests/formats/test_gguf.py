"""GGUF: metadata, canonical names, dequantisation, lineage of a re-release, and hostile headers."""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import numpy as np
import pytest
import weight_files as W
from pypi_weights import place

from scanner.formats.gguf_file import open_gguf
from scanner.formats.gguf_model import canonical_name, read_gguf_file
from scanner.lineage.engine import fingerprint_reference, run_lineage
from scanner.lineage.match import Reference
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress
from scanner.report.model import FileStatus, WeightRelation
from scanner.walk.walker import walk
from scanner.weights.reader import WeightFiles, row_chunks


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A reference model (safetensors, fingerprinted as a catalog entry) and an unrelated one."""
    root = tmp_path_factory.mktemp("gguf")
    refs = []
    for label, seed in (("original", 1), ("unrelated", 7)):
        listing = walk(W.reference_repo(root / label, W.model(seed)))
        parsed = parse_repo(listing)
        refs.append(Reference(label, fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, None,
                                                           NoProgress())))
    return root, refs


def _lineage(folder: Path, refs):
    listing = walk(folder)
    parsed = parse_repo(listing)
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, refs, None, NoProgress())
    return parsed, {l.catalog_id: l for l in result.lineage["text"]}


@pytest.mark.parametrize("qtype", [gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q4_1])
def test_a_quantised_gguf_release_is_matched_to_its_safetensors_original(synthetic, qtype):
    root, refs = synthetic
    folder = root / f"release-{qtype.name}"
    folder.mkdir()
    W.write_gguf(folder / "model.gguf", W.model(1), qtype)
    parsed, relations = _lineage(folder, refs)
    assert relations["original"].relation in (WeightRelation.DERIVED, WeightRelation.IDENTICAL)
    assert relations["original"].statistics.effect_size > 0.95
    assert "rotary-layout" in relations["original"].statistics.transformations  # llama.cpp's q/k order undone
    assert relations["unrelated"].relation == WeightRelation.INDEPENDENT
    assert parsed.config_source == "model.gguf" and parsed.config.model_type == "llama"


def test_an_unrelated_gguf_is_not_matched(synthetic):
    root, refs = synthetic
    folder = root / "independent"
    folder.mkdir()
    W.write_gguf(folder / "model.gguf", W.model(99), gguf.GGMLQuantizationType.Q8_0)
    _, relations = _lineage(folder, refs)
    assert {r.relation for r in relations.values()} == {WeightRelation.INDEPENDENT}


def test_metadata_becomes_config_tokenizer_licence_and_base_model(tmp_path):
    path = W.write_gguf(tmp_path / "m.gguf", W.model(1), gguf.GGMLQuantizationType.Q8_0, license_id="mit",
                        base_model_repo="acme/base-7b")
    reading = read_gguf_file(path, "m.gguf")
    assert reading.status == FileStatus.READ
    assert reading.config == {
        "model_type": "llama", "hidden_size": 128, "num_hidden_layers": 4, "intermediate_size": 256,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 2048,
        "rms_norm_eps": pytest.approx(1e-6), "vocab_size": 384, "tie_word_embeddings": False}
    assert reading.license == "mit" and reading.base_models == ("acme/base-7b",)
    assert reading.tokenizer.tokenizer is not None and len(reading.tokenizer.tokenizer.keys) == 384
    names = {t.name for t in reading.tensors}
    assert {"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight", "model.layers.3.mlp.down_proj.weight",
            "model.layers.0.self_attn.wq.weight", "model.layers.0.self_attn.v_proj.weight"} <= names


def test_names_map_to_hugging_face_conventions():
    assert canonical_name("blk.2.attn_q.weight", "qwen2") == "model.layers.2.self_attn.q_proj.weight"
    assert canonical_name("blk.2.attn_q.bias", "qwen2") == "model.layers.2.self_attn.q_proj.bias"
    assert canonical_name("blk.2.attn_k.weight", "llama") == "model.layers.2.self_attn.wk.weight"
    assert canonical_name("blk.0.ffn_norm.weight", "gemma2") == "model.layers.0.pre_feedforward_layernorm.weight"
    assert canonical_name("blk.0.ffn_norm.weight", "llama") == "model.layers.0.post_attention_layernorm.weight"
    assert canonical_name("blk.1.ffn_down_exps.weight", "qwen3moe") == "model.layers.1.mlp.down_proj.weight"
    assert canonical_name("output.weight", "llama") == "lm_head.weight"
    assert canonical_name("rope_freqs.weight", "llama") == "model.rope_freqs.weight"
    assert canonical_name("v.blk.0.attn_q.weight", "clip") == "vision_tower.blk.0.attn_q.weight"


def test_real_smollm2_q4_1_is_read_dequantised_and_fingerprinted(smollm_gguf, tmp_path):
    folder = tmp_path / "smollm2"
    place(smollm_gguf, folder, "SmolLM2-135M-Instruct.Q4_1.gguf")
    listing = walk(folder)
    parsed = parse_repo(listing)
    reading = parsed.format_readings[0]
    assert reading.status == FileStatus.READ and len(reading.tensors) == 272
    assert {t.dtype for t in reading.tensors} == {"F32", "GGUF_Q4_1", "GGUF_Q8_0"}
    assert parsed.config.model_type == "llama" and parsed.raw_config["num_key_value_heads"] == 3
    assert reading.license == "apache-2.0"
    assert parsed.embedded_tokenizer is not None and len(parsed.embedded_tokenizer.tokenizer.keys) == 49152
    result = run_lineage(listing.real_paths, parsed.tensors, parsed.config, [], parsed.embedded_tokenizer.tokenizer.keys,
                         NoProgress())
    matrices = [t for t in result.fingerprint.tensors if t.kind == "matrix"]
    assert len(matrices) == 211 and all(t.usable for t in matrices)
    assert not result.problems


def test_dequantised_rows_equal_the_gguf_package_reading(smollm_gguf):
    """Our lazy, row-chunked decoding agrees exactly with the maintained package's own reader."""
    reading = read_gguf_file(smollm_gguf, "m.gguf")
    by_gguf_name = {t.name: t for t in gguf.GGUFReader(smollm_gguf).tensors}
    ours = {t.name: t for t in reading.tensors}
    with WeightFiles({"m.gguf": smollm_gguf}) as files:
        for gguf_name, name in (("blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight"),
                                ("token_embd.weight", "model.embed_tokens.weight"),
                                ("blk.0.attn_q.weight", "model.layers.0.self_attn.wq.weight")):
            expected = gguf.quants.dequantize(by_gguf_name[gguf_name].data, by_gguf_name[gguf_name].tensor_type)
            raw = files.raw(ours[name])
            decoded = np.concatenate([rows.copy() for _, rows, _ in row_chunks(raw, ours[name].dtype, chunk_bytes=1 << 16)])
            np.testing.assert_array_equal(decoded, expected)
            np.testing.assert_array_equal(raw[5:9, 32:96].decode(), expected[5:9, 32:96])


# hostile and damaged headers ------------------------------------------------------------------------

def _header(tensor_count: int, kv: bytes = b"", kv_count: int = 0, version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensor_count, kv_count) + kv


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _tensor_info(name: str, dims: tuple[int, ...], type_id: int, offset: int) -> bytes:
    return _string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", type_id, offset)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 32)


def test_a_lying_tensor_count_is_reported_and_the_table_is_not_trusted(tmp_path):
    body = _tensor_info("a.weight", (32, 2), 0, 0)
    path = tmp_path / "lie.gguf"
    path.write_bytes(_padded(_header(1000) + body) + np.zeros(64, np.float32).tobytes())
    parsed, problems = open_gguf(path, "lie.gguf")
    assert "gguf.bad-tensor-table" in {p.code for p in problems}
    assert [t.name for t in parsed.tensors] == ["a.weight"]  # the one real descriptor still fits the file exactly
    reading = read_gguf_file(path, "lie.gguf")
    assert reading.status == FileStatus.READ and "1 of 1000 tensors" in reading.note


def test_counts_that_cannot_fit_the_file_are_rejected_without_allocating(tmp_path):
    path = tmp_path / "huge.gguf"
    path.write_bytes(_header(0, kv_count=1 << 60))
    parsed, problems = open_gguf(path, "huge.gguf")
    assert parsed is None and problems[0].code == "gguf.bad-count"
    # an array claiming 2**62 strings
    kv = _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 1 << 62)
    path.write_bytes(_header(0, kv, kv_count=1))
    parsed, problems = open_gguf(path, "huge.gguf")
    assert parsed is None and problems[-1].code == "gguf.bad-metadata"


def test_tensors_past_the_end_unknown_types_and_overlaps_are_dropped(tmp_path):
    infos = (_tensor_info("ok.weight", (32, 2), 0, 0) + _tensor_info("past.weight", (32, 1000), 0, 256)
             + _tensor_info("odd.weight", (32, 2), 999, 512) + _tensor_info("overlap.weight", (32, 2), 0, 128)
             + _tensor_info("blocky.weight", (30, 2), 8, 1024))
    path = tmp_path / "bad.gguf"
    path.write_bytes(_padded(_header(5) + infos) + bytes(2048))
    parsed, problems = open_gguf(path, "bad.gguf")
    assert [t.name for t in parsed.tensors] == ["ok.weight"]
    assert {"gguf.tensor-past-end", "gguf.unknown-type", "gguf.overlap", "gguf.bad-shape"} <= {p.code for p in problems}


@pytest.mark.parametrize("content, code", [
    (b"GGUF" + struct.pack("<I", 3 << 24) + bytes(32), "gguf.unsupported-version"),
    (b"GGML" + bytes(40), "gguf.bad-magic"),
    (b"GGUF\x03", "gguf.truncated"),
])
def test_unreadable_files_are_problems_not_crashes(tmp_path, content, code):
    path = tmp_path / "x.gguf"
    path.write_bytes(content)
    reading = read_gguf_file(path, "x.gguf")
    assert reading.status == FileStatus.UNREADABLE and reading.problems[0].code == code


def test_an_understated_tensor_count_is_not_misread(tmp_path):
    a = np.arange(64, dtype=np.float32)
    b = np.full(64, 7.0, np.float32)
    table = _tensor_info("a.weight", (32, 2), 0, 0) + _tensor_info("b.weight", (32, 2), 0, 256)
    path = tmp_path / "under.gguf"
    path.write_bytes(_padded(_header(1) + table) + a.tobytes() + b.tobytes())  # declares 1 tensor, describes 2
    parsed, problems = open_gguf(path, "under.gguf")
    assert parsed.tensors == ()
    assert [p.code for p in problems] == ["gguf.bad-tensor-table"] and "understates" in problems[0].message
    honest = tmp_path / "honest.gguf"
    honest.write_bytes(_padded(_header(2) + table) + a.tobytes() + b.tobytes())
    parsed, problems = open_gguf(honest, "honest.gguf")
    assert [t.name for t in parsed.tensors] == ["a.weight", "b.weight"] and problems == []


def test_data_no_descriptor_accounts_for_is_a_warning(tmp_path):
    path = tmp_path / "extra.gguf"
    path.write_bytes(_padded(_header(1) + _tensor_info("a.weight", (32, 2), 0, 64)) + bytes(64 + 256 + 512))
    parsed, problems = open_gguf(path, "extra.gguf")
    assert [t.name for t in parsed.tensors] == ["a.weight"]
    assert [(p.code, p.severity.value) for p in problems] == [("gguf.unaccounted-bytes", "warning")] * 2
    assert "has 64 bytes before its first tensor" in problems[0].message
    assert "has 512 bytes after its last tensor" in problems[1].message
