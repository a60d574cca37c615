"""Storage layouts and dtypes the canonicalisation must undo, on small models: fp16, FP8 with block
scales, int8 with SCB scales, packed MoE experts, GPT-2 Conv1D, token-keyed vocabulary reordering,
sign-flipped copies, and what it must refuse to guess (packed 4-bit without a layout)."""

import numpy as np
import pytest

from scanner.lineage.engine import fingerprint_candidate, fingerprint_reference
from scanner.lineage.match import Reference, compare
from scanner.parse.repo import parse_repo
from scanner.progress import NoProgress
from scanner.report.model import WeightRelation
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo
from scanner.walk.walker import walk
from scanner.weights.dtypes import FP8_E4M3

from lineage_lab import SPEC, closest, fingerprint_repo, write_stored

REUSED = (WeightRelation.IDENTICAL, WeightRelation.DERIVED)


def text_only(lab):
    return {k: v for k, v in lab.reference.items() if not k.startswith("visual.")}


def test_fp16_copy_is_identical(lab):
    best = closest(lab.lineage(text_only(lab), M.text_config(SPEC), dtype="F16"), "text")
    assert best.catalog_id == "reference" and best.relation == WeightRelation.IDENTICAL, best.reason


def test_negated_copy_is_derived_with_a_sign_flip_not_identical(lab):
    negated = {k: (-v if v.ndim == 2 else v) for k, v in text_only(lab).items()}
    best = closest(lab.lineage(negated, M.text_config(SPEC)), "text")
    assert best.catalog_id == "reference" and best.relation == WeightRelation.DERIVED, best.reason
    assert "sign-flip" in best.statistics.transformations and best.statistics.effect_size > 0.99


def to_fp8_codes(values: np.ndarray) -> np.ndarray:
    """Nearest E4M3 code of every value (values already scaled into the format's range)."""
    table = np.where(np.isfinite(FP8_E4M3), FP8_E4M3, np.inf)
    order = np.argsort(table)
    ranked = table[order]
    above = np.clip(np.searchsorted(ranked, values), 1, len(ranked) - 1)
    nearer = np.where(np.abs(ranked[above - 1] - values) <= np.abs(ranked[above] - values), above - 1, above)
    return order[nearer].astype(np.uint8)


def test_fp8_with_block_scales_is_dequantised(lab):
    block = 32
    items = {}
    for name, w in text_only(lab).items():
        if w.ndim != 2:
            items[name] = ("F32", w)
            continue
        blocks = -(-np.asarray(w.shape) // block)
        scale = np.zeros(blocks, np.float32)
        codes = np.zeros(w.shape, np.uint8)
        for i in range(blocks[0]):
            for j in range(blocks[1]):
                part = w[i * block:(i + 1) * block, j * block:(j + 1) * block]
                scale[i, j] = np.abs(part).max() / 448.0
                codes[i * block:(i + 1) * block, j * block:(j + 1) * block] = to_fp8_codes(part / scale[i, j])
        items[name] = ("F8_E4M3", codes)
        items[name + "_scale_inv"] = ("F32", scale)
    result = lab.scan(write_stored(lab.fresh(), items, M.text_config(SPEC)))
    assert not [t.note for t in result.fingerprint.tensors if t.kind == "matrix" and t.note]
    best = closest(result, "text")
    assert best.catalog_id == "reference" and best.relation == WeightRelation.DERIVED, best.reason
    assert best.statistics.effect_size > 0.95  # unscaled FP8 codes would correlate far less


def test_int8_with_scb_row_scales_is_dequantised(lab):
    items = {}
    for name, w in text_only(lab).items():
        if w.ndim != 2:
            items[name] = ("F32", w)
            continue
        scb = np.abs(w).max(axis=1).astype(np.float32)
        items[name] = ("I8", np.round(w / scb[:, None] * 127).astype(np.int8))
        items[name.removesuffix(".weight") + ".SCB"] = ("F32", scb)
    result = lab.scan(write_stored(lab.fresh(), items, M.text_config(SPEC)))
    best = closest(result, "text")
    assert best.catalog_id == "reference" and best.relation == WeightRelation.DERIVED, best.reason
    assert best.statistics.effect_size > 0.99


def test_packed_four_bit_values_are_reported_not_guessed(lab):
    items = {name: (("U8", np.zeros((w.shape[0], w.shape[1] // 2), np.uint8)) if w.ndim == 2 else ("F32", w))
             for name, w in text_only(lab).items()}
    result = lab.scan(write_stored(lab.fresh(), items, M.text_config(SPEC)))
    messages = [p.message for p in result.problems if p.code == "weights.unusable"]
    assert any("'model.layers.0.mlp.up_proj.weight' U8 values are packed or quantised in a layout the header "
               "does not describe; not dequantised" in m for m in messages)
    (only,) = result.lineage["text"]
    assert only.relation == WeightRelation.INCONCLUSIVE and "not dequantised" in only.reason


def test_packed_moe_experts_are_unpacked(lab, tmp_path):
    rng = np.random.default_rng(4)
    experts = {f"model.layers.{i}.mlp.experts.{e}.{part}.weight": M.trained_like(rng, shape, 0.02)
               for i in range(4) for e in range(4)
               for part, shape in (("gate_proj", (192, 96)), ("up_proj", (192, 96)), ("down_proj", (96, 192)))}
    config = {"model_type": "qwen2_moe", "hidden_size": 96, "num_attention_heads": 6, "num_hidden_layers": 4,
              "intermediate_size": 192, "vocab_size": 400}
    refs = [Reference("experts", fingerprint_repo(write_repo(tmp_path / "ref", experts, config)))]
    packed = {f"model.layers.{i}.mlp.experts.{part}": (
        "F32", np.stack([experts[f"model.layers.{i}.mlp.experts.{e}.{part}.weight"] for e in range(4)]))
        for i in range(4) for part in ("gate_proj", "up_proj", "down_proj")}
    result = lab.scan(write_stored(lab.fresh(), packed, config), references=refs)
    best = closest(result, "text")
    assert best.catalog_id == "experts" and best.relation == WeightRelation.IDENTICAL, best.reason
    assert "expert-unpacking" in best.statistics.transformations


def test_gpt2_conv1d_storage_is_recognised_by_model_type(lab, tmp_path):
    spec = M.TextSpec(hidden=96, layers=6, heads=6, kv_heads=6, intermediate=192, vocab=400)
    original = M.text_model(spec, 3)
    refs = [Reference("mha", fingerprint_repo(write_repo(tmp_path / "ref", original, M.text_config(spec))))]
    items = {"transformer.wte.weight": ("F32", original["model.embed_tokens.weight"])}
    for i in range(spec.layers):
        layer = f"model.layers.{i}."
        qkv = np.concatenate([original[layer + f"self_attn.{x}_proj.weight"] for x in "qkv"])
        stored = {"attn.c_attn": qkv, "attn.c_proj": original[layer + "self_attn.o_proj.weight"],
                  "mlp.c_fc": original[layer + "mlp.up_proj.weight"], "mlp.c_proj": original[layer + "mlp.down_proj.weight"]}
        for name, w in stored.items():  # Conv1D keeps (in, out)
            items[f"transformer.h.{i}.{name}.weight"] = ("F32", np.ascontiguousarray(w.T))
    config = {"model_type": "gpt2", "n_embd": 96, "n_head": 6, "n_layer": 6, "vocab_size": 400, "n_inner": 192}
    result = lab.scan(write_stored(lab.fresh(), items, config), references=refs)
    best = closest(result, "text")
    assert best.catalog_id == "mha" and best.relation == WeightRelation.IDENTICAL, best.reason
    assert {"transpose", "fused-split"} <= set(best.statistics.transformations)


def vocabulary(size: int) -> list[bytes]:
    return [f"tok{i:04d}".encode() for i in range(size)]


def embedding_evidence(path, refs, vocab):
    listing = walk(path)
    parsed = parse_repo(listing)
    fp, _ = fingerprint_candidate(listing.real_paths, parsed.tensors, parsed.config, vocab, NoProgress())
    table = compare(fp, refs)
    (g,) = [g for component, g in table.pairs() if component == "text"]
    return next(e for e in table.group_result("text", g).tensors if e.key == "model.embed_tokens.weight")


def test_reordered_vocabulary_is_matched_by_token(lab, tmp_path):
    config = M.text_config(SPEC)
    reference = text_only(lab)
    words = vocabulary(SPEC.vocab)
    listing = walk(write_repo(tmp_path / "ref", reference, config))
    parsed = parse_repo(listing)
    refs = [Reference("vocab", fingerprint_reference(listing.real_paths, parsed.tensors, parsed.config, words, NoProgress()))]
    order = np.random.default_rng(5).permutation(SPEC.vocab)
    shuffled = dict(reference, **{"model.embed_tokens.weight": reference["model.embed_tokens.weight"][order]})
    path = write_repo(tmp_path / "shuffled", shuffled, config)
    by_token = embedding_evidence(path, refs, [words[i] for i in order])
    assert by_token.search_view == "vocabulary-alignment" and by_token.r_search > 0.99 and by_token.p_search < 1e-20
    by_position = embedding_evidence(path, refs, None)
    assert abs(by_position.r_search) < 0.2  # without the vocabulary the shuffled rows look unrelated


@pytest.mark.parametrize("cols, expected", [(48, False), (64, True)])
def test_row_sketches_need_at_least_2k_columns(lab, tmp_path, cols, expected):
    """A row sketch of a row shorter than 2K values could be solved back for the row's weights."""
    rng = np.random.default_rng(6)
    tensors = {f"model.layers.{i}.mlp.up_proj.weight": M.trained_like(rng, (256, cols), 0.02) for i in range(2)}
    config = {"model_type": "qwen2", "hidden_size": cols, "num_attention_heads": 4, "num_hidden_layers": 2,
              "intermediate_size": 256, "vocab_size": 100}
    fp = fingerprint_repo(write_repo(tmp_path / "narrow", tensors, config))
    assert set(fp.matrices) == set(tensors)
    assert bool(fp.rows) is expected
