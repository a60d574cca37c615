"""Each family of transformation is found on the right component; independent models never are."""

import numpy as np
import pytest

from scanner.report.model import WeightRelation
from scanner.synthetic import models as M
from scanner.synthetic import transforms as T

from lineage_lab import SPEC, VISION, closest

REUSED = (WeightRelation.IDENTICAL, WeightRelation.DERIVED)


def text_only(lab):
    return {k: v for k, v in lab.reference.items() if not k.startswith("visual.")}


@pytest.mark.parametrize("name, transform, expected, transformation", [
    ("bf16 cast", lambda t: t, WeightRelation.IDENTICAL, None),
    ("fine-tune 0.99", lambda t: T.finetune(t, 0.99, 1), WeightRelation.DERIVED, None),
    ("fine-tune 0.9", lambda t: T.finetune(t, 0.9, 2), WeightRelation.DERIVED, None),
    ("continued pre-training 0.5", lambda t: T.finetune(t, 0.5, 3), WeightRelation.DERIVED, None),
    ("int8 round trip", T.int8_roundtrip, WeightRelation.DERIVED, None),
    ("LoRA merge", lambda t: T.lora_merge(t, 4, 0.3, 4), WeightRelation.DERIVED, None),
    ("renamed and fused", lambda t: T.meta_names_fused(t, SPEC.heads, SPEC.kv_heads), WeightRelation.IDENTICAL, "fused-split"),
    ("transposed storage", T.transpose_storage, WeightRelation.IDENTICAL, "transpose"),
    ("neuron scaling", lambda t: T.neuron_scaling(t, 5), WeightRelation.DERIVED, None),
    ("neuron and head permutation", lambda t: T.permute_neurons_and_heads(T.finetune(t, 0.99, 6), SPEC.heads, SPEC.kv_heads, 7),
     WeightRelation.DERIVED, "permutation"),
    ("depth up-scaling", lambda t: T.finetune(T.depth_upscale(t, 4, 4), 0.95, 8), WeightRelation.DERIVED, "layer-shift"),
    ("layer pruning", lambda t: T.prune_layers(t, [0, 2, 4]), WeightRelation.IDENTICAL, "layer-shift"),
    ("vocabulary extension", lambda t: T.finetune(T.extend_vocabulary(t, 40, 9), 0.95, 10), WeightRelation.DERIVED, None),
])
def test_text_transformations_are_detected(lab, name, transform, expected, transformation):
    config = M.text_config(SPEC)
    result = lab.lineage(transform(text_only(lab)), config)
    best = closest(result, "text")
    assert best.catalog_id == "reference" and best.catalog_component == "text", name
    assert best.relation == expected, (name, best.reason)
    if transformation:
        assert transformation in best.statistics.transformations, (name, best.statistics.transformations)
    assert best.statistics.p_adjusted < 1e-3 and best.statistics.effect_size >= 0.1


def test_float32_copy_is_identical_by_normalised_hash(lab):
    result = lab.lineage(text_only(lab), M.text_config(SPEC), dtype="F32")
    best = closest(result, "text")
    assert best.relation == WeightRelation.IDENTICAL and best.statistics.exact_matches > 0
    assert "dtype-cast" in best.statistics.transformations


def test_transplanted_vision_encoder_in_an_own_language_model(lab):
    own_text = M.text_model(SPEC, 777)
    vision = {k: v for k, v in lab.reference.items() if k.startswith("visual.")}
    result = lab.lineage({**own_text, **vision})
    assert closest(result, "vision").relation == WeightRelation.IDENTICAL
    assert closest(result, "vision").catalog_id == "reference"
    assert closest(result, "text").relation == WeightRelation.INDEPENDENT
    assert all(w.relation not in REUSED for w in result.lineage["text"])


def test_independent_models_with_the_same_recipe_are_independent(lab):
    """Same architecture, config and recipe (norm gains ~1, same std profile): the naive statistics agree."""
    for seed in (900, 901, 902):
        tensors = {**M.text_model(SPEC, seed), **M.vision_tower(VISION, seed + 1)}
        gains_a = np.concatenate([v for k, v in tensors.items() if k.endswith("layernorm.weight")])
        gains_b = np.concatenate([v for k, v in lab.reference.items() if k.endswith("layernorm.weight")])
        raw_cosine = gains_a @ gains_b / np.linalg.norm(gains_a) / np.linalg.norm(gains_b)
        assert raw_cosine > 0.98  # the statistic that misled people in January 2026
        std_a = [tensors[f"model.layers.{i}.self_attn.q_proj.weight"].std() for i in range(SPEC.layers)]
        std_b = [lab.reference[f"model.layers.{i}.self_attn.q_proj.weight"].std() for i in range(SPEC.layers)]
        assert np.corrcoef(std_a, std_b)[0, 1] > 0.9  # and the per-layer std profile
        result = lab.lineage(tensors)
        for component, relations in result.lineage.items():
            assert all(w.relation == WeightRelation.INDEPENDENT for w in relations), (seed, component)
        assert abs(closest(result, "text").statistics.effect_size) < 0.05
