"""NaN/Inf, constant and one-element tensors, and shape mismatches: clear notes, no crash, no false claim."""

import numpy as np

from scanner.report.model import WeightRelation
from scanner.synthetic import models as M

from lineage_lab import SPEC, closest


def test_non_finite_constant_and_tiny_tensors_are_excluded_with_a_reason(lab):
    tensors = dict(M.text_model(SPEC, 31))
    nan = tensors["model.layers.0.self_attn.q_proj.weight"].copy()
    nan[3, 4] = np.nan
    tensors["model.layers.0.self_attn.q_proj.weight"] = nan
    inf = tensors["model.layers.1.mlp.up_proj.weight"].copy()
    inf[0, 0] = np.inf
    tensors["model.layers.1.mlp.up_proj.weight"] = inf
    tensors["model.layers.2.self_attn.o_proj.weight"] = np.zeros((SPEC.hidden, SPEC.hidden), np.float32)
    tensors["scalar.weight"] = np.ones((1,), np.float32)
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    notes = {t.name: t.note for t in result.fingerprint.tensors if t.note}
    assert "NaN or Inf" in notes["model.layers.0.self_attn.q_proj.weight"]
    assert "NaN or Inf" in notes["model.layers.1.mlp.up_proj.weight"]
    assert "constant" in notes["model.layers.2.self_attn.o_proj.weight"]
    assert "single element" in notes["scalar.weight"]
    assert {p.code for p in result.problems} == {"weights.unusable"}
    assert closest(result, "text").relation == WeightRelation.INDEPENDENT


def test_a_model_whose_shapes_match_nothing_gets_no_relation(lab):
    odd = M.TextSpec(hidden=80, layers=2, heads=5, kv_heads=5, intermediate=200, vocab=300)
    result = lab.lineage(M.text_model(odd, 5), M.text_config(odd))
    assert result.lineage == {}


def test_a_component_that_cannot_be_measured_is_inconclusive(lab):
    tensors = {k: np.full_like(v, np.nan) for k, v in lab.reference.items() if not k.startswith("visual.")}
    result = lab.lineage(tensors, M.text_config(SPEC), dtype="F32")
    assert all(t.note for t in result.fingerprint.tensors if t.kind == "matrix")
    (only,) = result.lineage["text"]
    assert only.relation == WeightRelation.INCONCLUSIVE and only.statistics is None
    assert "could be measured" in only.reason and "NaN" in only.reason
