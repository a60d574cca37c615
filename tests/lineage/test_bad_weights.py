"""NaN/Inf, constant, empty and one-element tensors, huge values, zero rows and shape mismatches: clear
notes, no crash, no false claim, and no easy evasion."""

import warnings

import numpy as np

from scanner.report.model import WeightRelation
from scanner.synthetic import models as M

from lineage_lab import SPEC, closest, fingerprint_repo
from scanner.lineage.match import Reference
from scanner.synthetic.repo import write_repo

REUSED = (WeightRelation.IDENTICAL, WeightRelation.DERIVED)


def text_only(lab):
    return {k: v for k, v in lab.reference.items() if not k.startswith("visual.")}


def test_unusable_tensors_are_excluded_with_a_reason(lab):
    tensors = dict(M.text_model(SPEC, 31))
    inf = tensors["model.layers.1.mlp.up_proj.weight"].copy()
    inf[:4] = np.inf  # 2% of the elements
    tensors["model.layers.1.mlp.up_proj.weight"] = inf
    tensors["model.layers.2.self_attn.o_proj.weight"] = np.zeros((SPEC.hidden, SPEC.hidden), np.float32)
    tensors["model.layers.3.self_attn.o_proj.weight"] = np.full((SPEC.hidden, SPEC.hidden), 0.37, np.float32)
    tensors["scalar.weight"] = np.ones((1,), np.float32)
    tensors["empty.weight"] = np.zeros((0, 96), np.float32)
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    notes = {t.name: t.note for t in result.fingerprint.tensors if t.note}
    assert notes["model.layers.1.mlp.up_proj.weight"] == (
        "contains 384 NaN or Inf values (2.08% of 18432); excluded from the evidence")
    assert "constant" in notes["model.layers.2.self_attn.o_proj.weight"]
    assert "constant" in notes["model.layers.3.self_attn.o_proj.weight"]  # a float32 sum of squares misses it
    assert "single element" in notes["scalar.weight"]
    assert notes["empty.weight"] == "is empty; nothing to compare"
    assert {p.code for p in result.problems} == {"weights.unusable"}
    assert closest(result, "text").relation == WeightRelation.INDEPENDENT


def test_a_few_non_finite_values_are_replaced_not_an_evasion(lab):
    """A verbatim copy with one NaN per matrix is still the reference's weights."""
    tensors = {k: v.copy() for k, v in text_only(lab).items()}
    for v in tensors.values():
        if v.ndim == 2:
            v[0, 0] = np.nan
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    q = next(t for t in result.fingerprint.tensors if t.name == "model.layers.0.self_attn.q_proj.weight")
    assert q.usable and q.nonfinite == 1
    repaired = [p.message for p in result.problems if p.code == "weights.repaired"]
    assert any("'model.layers.0.self_attn.q_proj.weight' has 1 NaN or Inf value(s) (0.011%)" in m for m in repaired)
    best = closest(result, "text")
    assert best.catalog_id == "reference" and best.relation in REUSED, best.reason
    assert best.statistics.effect_size > 0.99


def test_huge_finite_values_are_measured_without_warnings(lab):
    tensors = {k: (v * 1e19).astype(np.float32) if v.ndim == 2 else v for k, v in text_only(lab).items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    assert not [t.note for t in result.fingerprint.tensors if t.kind == "matrix" and t.note]
    assert closest(result, "text").relation in REUSED and closest(result, "text").catalog_id == "reference"


def with_constants(seed, value):
    tensors = M.text_model(SPEC, seed)
    for i in range(SPEC.layers):
        for part in ("self_attn.o_proj", "mlp.down_proj", "mlp.up_proj"):
            key = f"model.layers.{i}.{part}.weight"
            tensors[key] = np.full_like(tensors[key], value)
    return tensors


def test_constant_matrices_of_independent_models_are_no_evidence(lab, tmp_path):
    config = M.text_config(SPEC)
    refs = [Reference("constants", fingerprint_repo(write_repo(tmp_path / "ref", with_constants(1, 0.37), config, dtype="F32")))]
    for value in (0.37, 0.38, 1.3):
        result = lab.lineage(with_constants(3, value), config, dtype="F32", references=refs)
        assert all(w.relation == WeightRelation.INDEPENDENT for w in result.lineage["text"]), (value, result.lineage["text"])


def with_zero_rows(seed, fraction):
    tensors = M.text_model(SPEC, seed)
    rng = np.random.default_rng(seed + 1000)
    for i in range(SPEC.layers):
        for part in ("mlp.up_proj", "mlp.gate_proj"):
            key = f"model.layers.{i}.{part}.weight"
            w = tensors[key].copy()
            w[rng.random(w.shape[0]) < fraction] = 0.0
            tensors[key] = w
    return tensors


def test_shared_zero_rows_of_independent_models_are_no_evidence(lab, tmp_path):
    """Pruned (zeroed) neurons look alike in every model; the row test must not call that reuse."""
    config = M.text_config(SPEC)
    for dtype in ("BF16", "F32"):
        refs = [Reference("pruned", fingerprint_repo(write_repo(tmp_path / dtype, with_zero_rows(1, 0.05), config, dtype=dtype)))]
        result = lab.lineage(with_zero_rows(2, 0.05), config, dtype=dtype, references=refs)
        assert all(w.relation == WeightRelation.INDEPENDENT for w in result.lineage["text"]), result.lineage["text"]


def test_a_component_that_cannot_be_measured_is_inconclusive(lab):
    tensors = {k: np.full_like(v, np.nan) for k, v in text_only(lab).items()}
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    assert all(t.note for t in result.fingerprint.tensors if t.kind == "matrix")
    (only,) = result.lineage["text"]
    assert only.relation == WeightRelation.INCONCLUSIVE and only.statistics is None
    assert only.reason.startswith("none of its 44 weight matrices could be measured") and "NaN" in only.reason


def test_one_measurable_matrix_is_not_enough_to_call_a_model_original(lab):
    tensors = {k: (np.full_like(v, np.nan) if v.ndim == 2 else v) for k, v in text_only(lab).items()}
    key = "model.layers.0.self_attn.q_proj.weight"
    tensors[key] = M.text_model(SPEC, 99)[key]
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    (only,) = result.lineage["text"]
    assert only.relation == WeightRelation.INCONCLUSIVE
    assert only.reason.startswith("only 1 of its 44 weight matrices could be measured")


def test_mostly_unmeasurable_component_keeps_the_reuse_it_shows(lab):
    tensors = {k: v.copy() for k, v in text_only(lab).items()}
    for i in range(1, SPEC.layers):
        for key in [k for k in tensors if k.startswith(f"model.layers.{i}.") and tensors[k].ndim == 2]:
            tensors[key] = np.full_like(tensors[key], np.nan)
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    relations = [w.relation for w in result.lineage["text"]]
    assert relations[-1] == WeightRelation.INCONCLUSIVE and WeightRelation.INDEPENDENT not in relations
    assert result.lineage["text"][0].catalog_id == "reference" and relations[0] in REUSED


def test_a_model_whose_shapes_match_nothing_gets_no_relation(lab):
    odd = M.TextSpec(hidden=80, layers=2, heads=5, kv_heads=5, intermediate=200, vocab=300)
    result = lab.lineage(M.text_model(odd, 5), M.text_config(odd))
    assert result.lineage == {}
