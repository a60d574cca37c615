"""Unit checks of the pieces the engine stands on: decoding, sketches, canonical names, storage."""

import numpy as np
import pytest

from scanner.lineage.canonical import meta_to_hf_rows, pieces_for, role_of
from scanner.lineage.fingerprint import ModelFingerprint, TensorPrint
from scanner.lineage.sketch import K, projection, sketch_correlation
from scanner.lineage.storage import dump_fingerprint, load_fingerprint
from scanner.parse.safetensors_header import HeaderTensor
from scanner.weights.dtypes import FP8_E4M3, FP8_E5M2, decode, round_to_bf16
from scanner.weights.reader import Scale, row_chunks


def test_fp8_tables_match_the_ocp_definition():
    assert FP8_E4M3[0b0_0111_000] == 1.0 and FP8_E4M3[0b0_1111_110] == 448.0 and np.isnan(FP8_E4M3[0x7F])
    assert FP8_E4M3[0b0_0000_001] == 2.0 ** -9 and FP8_E4M3[0x80 | 0b0_0111_000] == -1.0
    assert FP8_E5M2[0b0_01111_00] == 1.0 and FP8_E5M2[0b0_11110_11] == 57344.0 and np.isinf(FP8_E5M2[0b0_11111_00])


def test_bf16_decode_and_round_trip():
    values = np.array([1.0, -2.5, 3.140625, 1e-3], np.float32)
    bits = round_to_bf16(values)
    assert np.allclose(decode(bits, "BF16"), values, rtol=4e-3)
    assert decode(bits, "BF16")[0] == 1.0 and bits[0] == 0x3F80


def test_block_scales_dequantise_fp8():
    codes = np.full((4, 4), 0b0_0111_000, np.uint8)  # all 1.0
    scale = Scale(values=np.array([[2.0, 3.0], [5.0, 7.0]], np.float32), block=2)
    (_, chunk, _), = list(row_chunks(codes, "F8_E4M3", scale))
    assert chunk.tolist() == [[2, 2, 3, 3], [2, 2, 3, 3], [5, 5, 7, 7], [5, 5, 7, 7]]


def test_projection_is_orthonormal_and_deterministic():
    p = projection(300)
    assert p.shape == (300, K)
    assert np.allclose(p.T @ p, np.eye(K), atol=1e-5)
    assert np.array_equal(p, projection.__wrapped__(300))
    short = projection(10)
    assert np.allclose(short @ short.T, np.eye(10), atol=1e-5)


def test_sketch_correlation_estimates_pearson_and_transposes():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((200, 150))
    v = 0.6 * w + 0.8 * rng.standard_normal((200, 150))
    truth = np.corrcoef(w.ravel(), v.ravel())[0, 1]

    def sketch(m):
        m = m - m.mean()
        return projection(m.shape[0]).T.astype(np.float64) @ m @ projection(m.shape[1]).astype(np.float64)

    assert abs(sketch_correlation(sketch(w), sketch(v)) - truth) < 0.05
    assert np.allclose(sketch(w.T), sketch(w).T, atol=1e-8)


def test_role_names_across_naming_schools():
    assert role_of("self_attn.q_proj.weight") == role_of("attention.wq.weight") == role_of("attn_q.weight") == "attn.q"
    assert role_of("mlp.down_proj.weight") == role_of("feed_forward.w2.weight") == "mlp.down"
    assert role_of("model.embed_tokens.weight") == role_of("tok_embeddings.weight") == "embed"
    assert role_of("attention.self.query.bias") == "attn.q.bias"


def test_meta_rotary_order_is_undone():
    heads, head_dim, cols = 2, 4, 3
    hf = np.arange(heads * head_dim * cols, dtype=np.float32).reshape(heads * head_dim, cols)
    # Meta layout: within each head, rows of the two rotary halves interleaved
    meta = hf.reshape(heads, 2, head_dim // 2, cols).transpose(0, 2, 1, 3).reshape(heads * head_dim, cols)
    order = meta_to_hf_rows(heads * head_dim, heads)
    assert np.array_equal(meta[order], hf)


def test_fused_qkv_split_uses_grouped_query_heads():
    from scanner.parse.config import parse_config

    config = parse_config({"model_type": "phi3", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                           "num_hidden_layers": 1, "vocab_size": 10}, "config.json")
    t = HeaderTensor(name="model.layers.0.self_attn.qkv_proj.weight", dtype="F32", shape=(128, 64), file="m", start=0,
                     end=128 * 64 * 4)
    pieces = pieces_for([t], config, audio_encoder=False)
    assert [(p.role, p.rows) for p in pieces] == [("attn.q", (0, 64)), ("attn.k", (64, 96)), ("attn.v", (96, 128))]


def test_fingerprint_storage_round_trip_is_byte_stable(tmp_path):
    t = TensorPrint(key="k", name="k", component="text", role="attn.q", layer=0, expert=None, shape=(64, 64), dtype="BF16",
                    kind="matrix", raw_hash="a", norm_hash="a", mean=0.0, std=1.0, numel=4096)
    rng = np.random.default_rng(1)
    fp = ModelFingerprint(tensors=(t,), matrices={"k": rng.standard_normal((K, K)).astype(np.float32)},
                          rows={"k": (np.arange(4, dtype=np.int32), rng.standard_normal((4, K)).astype(np.float32))})
    blob = dump_fingerprint(fp, {"entry": "x"})
    assert blob == dump_fingerprint(fp, {"entry": "x"})
    path = tmp_path / "x.safetensors"
    path.write_bytes(blob)
    loaded, source = load_fingerprint(path)
    assert source == {"entry": "x"} and loaded.tensors == (t,)
    assert sketch_correlation(loaded.matrices["k"], fp.matrices["k"]) > 0.99999


def test_corrupt_fingerprint_file_is_a_clear_error(tmp_path):
    from scanner.errors import DataFileError

    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"not a fingerprint")
    with pytest.raises(DataFileError, match="bad.safetensors"):
        load_fingerprint(path)
