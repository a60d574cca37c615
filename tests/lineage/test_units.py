"""Unit checks of the pieces the engine stands on: decoding, sketches, canonical names, storage."""

import json

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save

from scanner.lineage.canonical import meta_to_hf_rows, pieces_for, role_of
from scanner.errors import DataFileError
from scanner.lineage.fingerprint import ModelFingerprint, TensorPrint
from scanner.lineage.match import _effective_rows, _rotations, _row_basis
from scanner.lineage.sketch import K, correlation_matrix, project_rows, projection, row_signatures, sketch_correlation
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


@pytest.mark.parametrize("n", [300, 896, 2048, 4097, 4304, 11008])
def test_projection_is_orthonormal_and_deterministic(n):
    p = projection(n)
    assert p.shape == (n, K)
    assert np.allclose(p.T @ p, np.eye(K), atol=1e-5)
    assert np.array_equal(p, projection.__wrapped__(n))
    short = projection(10)
    assert np.allclose(short @ short.T, np.eye(10), atol=1e-5)


@pytest.mark.parametrize("n", [100, 896, 2048, 4097, 4304, 11008])
def test_bucketed_product_equals_the_projection(n):
    """The fast path (signed bucket sums, then mixing) is the same linear map as the explicit matrix,
    also on a column slice of a wider chunk (a fused tensor's part) and on float64 (a repaired chunk)."""
    rng = np.random.default_rng(n)
    wide = rng.standard_normal((9, n + 5)).astype(np.float32)
    block = wide[:, 5:]
    expected = block.astype(np.float64) @ projection(n).astype(np.float64)
    assert np.allclose(project_rows(block), expected, atol=1e-4)
    assert np.allclose(project_rows(block.astype(np.float64)), expected, atol=1e-4)


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
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"not a fingerprint")
    with pytest.raises(DataFileError, match="bad.safetensors"):
        load_fingerprint(path)


def small_fingerprint() -> ModelFingerprint:
    rng = np.random.default_rng(2)
    matrix = TensorPrint(key="m", name="m", component="text", role="embed", layer=None, expert=None, shape=(100, 96),
                         dtype="BF16", kind="matrix", raw_hash="a", norm_hash="a", mean=0.0, std=1.0, numel=9600)
    vector = TensorPrint(key="v", name="v", component="text", role="norm", layer=None, expert=None, shape=(96,),
                         dtype="BF16", kind="vector", raw_hash="b", norm_hash="b", mean=1.0, std=0.1, numel=96)
    return ModelFingerprint(
        tensors=(matrix, vector), matrices={"m": rng.standard_normal((K, K)).astype(np.float32)},
        vectors={"v": rng.standard_normal(K).astype(np.float32)},
        rows={"m": (np.arange(0, 100, 10, dtype=np.int32), rng.standard_normal((10, K)).astype(np.float32))},
        tokens={"m": (np.sort(rng.integers(0, 2**63, 20, dtype=np.uint64)), rng.standard_normal((20, K)).astype(np.float32))})


def crafted(tmp_path, mutate):
    """A valid fingerprint file, then ``mutate(arrays, header)`` applied to what it stores."""
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(dump_fingerprint(small_fingerprint(), {"entry": "x"}))
    arrays = load_file(str(path))
    with safe_open(str(path), framework="numpy") as fh:
        header = json.loads(fh.metadata()["fromscratch"])
    header = mutate(arrays, header)
    path.write_bytes(save(arrays, metadata={"fromscratch": json.dumps(header)}))
    return path


def _set(arrays, name, value):
    arrays[name] = value


@pytest.mark.parametrize("mutate, message", [
    (lambda a, h: [], "header is a JSON list, not an object"),
    (lambda a, h: {**h, "source": []}, "'source' is not an object"),
    (lambda a, h: {**h, "matrix_keys": "m"}, "'matrix_keys' is not a list"),
    (lambda a, h: {**h, "matrix_keys": ["v"]}, "'matrix_keys' names 'v', which is not a matrix"),
    (lambda a, h: _set(a, "rows.0.values", a["rows.0.values"][:, :5].copy()) or h,
     r"array 'rows.0.values' has shape \[10, 5\], expected \[10, 32\]"),
    (lambda a, h: _set(a, "rows.0.values", a["rows.0.values"][:7].copy()) or h,
     r"array 'rows.0.values' has shape \[7, 32\], expected \[10, 32\]"),
    (lambda a, h: _set(a, "rows.0.index", a["rows.0.index"] + 95) or h, "holds row numbers outside 'm'"),
    (lambda a, h: _set(a, "matrices", np.full_like(a["matrices"], np.nan)) or h, "array 'matrices' holds NaN or Inf"),
    (lambda a, h: _set(a, "tokens.0.values", np.full_like(a["tokens.0.values"], np.inf)) or h,
     "array 'tokens.0.values' holds NaN or Inf"),
    (lambda a, h: _set(a, "tokens.0.hashes", a["tokens.0.hashes"][::-1].copy()) or h, "not sorted unique uint64"),
    (lambda a, h: _set(a, "tokens.0.hashes", a["tokens.0.hashes"].astype(np.int64)) or h, "not sorted unique uint64"),
    (lambda a, h: _set(a, "tokens.0.hashes", np.stack([a["tokens.0.hashes"]] * 2)) or h, "'tokens.0.hashes' has shape"),
    (lambda a, h: _set(a, "extra", np.zeros(3, np.float16)) or h, "array 'extra' is not described by the header"),
    (lambda a, h: a.pop("vectors") is None or h, "array 'vectors' is missing"),
    (lambda a, h: {**h, "tensors": [{**h["tensors"][0], "shape": [96]}, h["tensors"][1]]}, "impossible shape"),
    (lambda a, h: {**h, "tensors": [{**h["tensors"][0], "shape": "abc"}, h["tensors"][1]]}, "shape"),
    (lambda a, h: {**h, "tensors": [h["tensors"][0]] * 2}, "duplicate tensor keys"),
])
def test_crafted_fingerprint_files_are_refused_with_the_file_named(tmp_path, mutate, message):
    path = crafted(tmp_path, mutate)
    with pytest.raises(DataFileError, match=message) as caught:
        load_fingerprint(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_an_unmodified_crafted_file_still_loads(tmp_path):
    loaded, source = load_fingerprint(crafted(tmp_path, lambda a, h: h))
    assert source == {"entry": "x"} and set(loaded.rows) == set(loaded.tokens) == {"m"}


def test_row_signatures_drop_zero_and_constant_rows_and_the_mean_direction():
    rng = np.random.default_rng(3)
    rows = rng.standard_normal((6, 256)).astype(np.float32)
    rows[1] = 0.0
    rows[4] = 0.37
    rows[5] += 2.0  # a shifted mean alone must not make rows alike
    values = rows @ projection(256)
    kept, signatures = row_signatures(values - 0.01 * projection(256).sum(axis=0), 256)  # globally centred
    assert kept.tolist() == [True, False, True, True, False, True]
    ones = projection(256).sum(axis=0)
    assert np.allclose(signatures @ ones, 0.0, atol=1e-4)
    shifted = row_signatures((rows[5] - 2.0)[None] @ projection(256), 256)[1]
    assert sketch_correlation(signatures[-1], shifted[0]) > 0.9999


def test_row_null_counts_effective_rows():
    """Best of m isotropic directions: the effective count is m; for directions in a 4-dim subspace far fewer."""
    rng = np.random.default_rng(4)

    def chance(cand):
        probes = rng.standard_normal((400, K - 1))
        return np.median(np.abs(correlation_matrix(probes, cand)).max(axis=1))

    assert 200 < _effective_rows(chance(rng.standard_normal((300, K - 1)))) < 450
    assert _effective_rows(chance(rng.standard_normal((300, 4)) @ rng.standard_normal((4, K - 1)))) < 20


def test_row_basis_and_rotations_are_orthonormal():
    basis = _row_basis(256)
    assert np.allclose(basis.T @ basis, np.eye(K - 1), atol=1e-5)
    assert np.allclose(projection(256).sum(axis=0) @ basis, 0.0, atol=1e-4)
    for q in _rotations():
        assert np.allclose(q.T @ q, np.eye(K - 1), atol=1e-5) and not np.allclose(q, np.eye(K - 1), atol=0.1)
