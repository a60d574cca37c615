"""Splitting, normalisation and comparison on small hand-written configs."""

from __future__ import annotations

import pytest

from scanner.architecture import ArchitectureSignature, Role, compare, normalise_family, signature_of, split_config
from scanner.report.model import ArchitectureRelation

# ------------------------------------------------------------------ split_config


def test_text_config_is_the_text_component_and_vision_inherits_the_model_type() -> None:
    parts = split_config({
        "model_type": "qwen2_5_vl",
        "text_config": {"model_type": "qwen2_5_vl_text", "hidden_size": 8},
        "vision_config": {"depth": 2, "hidden_size": 4},
    })
    assert list(parts) == ["text", "vision"]
    assert parts["text"]["model_type"] == "qwen2_5_vl_text"
    assert parts["vision"]["model_type"] == "qwen2_5_vl"


def test_llm_config_is_the_text_component() -> None:
    parts = split_config({
        "model_type": "internvl_chat",
        "llm_config": {"model_type": "qwen2", "hidden_size": 8, "num_hidden_layers": 2},
        "vision_config": {"model_type": "intern_vit_6b", "hidden_size": 4, "num_hidden_layers": 2},
    })
    assert parts["text"]["model_type"] == "qwen2"
    assert parts["vision"]["model_type"] == "intern_vit_6b"


def test_without_a_text_config_the_top_level_minus_sub_configs_is_the_text_component() -> None:
    parts = split_config({
        "model_type": "qwen2_5_vl", "hidden_size": 8, "num_hidden_layers": 2,
        "vision_config": {"depth": 2, "hidden_size": 4},
    })
    assert parts["text"]["hidden_size"] == 8
    assert "vision_config" not in parts["text"]
    assert parts["vision"]["hidden_size"] == 4


def test_a_whisper_config_splits_into_an_audio_encoder_and_a_text_decoder() -> None:
    parts = split_config({
        "model_type": "whisper", "is_encoder_decoder": True, "d_model": 16, "num_mel_bins": 128,
        "encoder_layers": 4, "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "max_source_positions": 1500,
        "decoder_layers": 3, "decoder_attention_heads": 2, "decoder_ffn_dim": 32, "max_target_positions": 448,
        "vocab_size": 100,
    })
    audio, text = signature_of("audio", parts["audio"]), signature_of("text", parts["text"])
    assert (audio.get("num_layers"), audio.get("intermediate_size"), audio.get("num_mel_bins")) == (4, 64, 128)
    assert (text.get("num_layers"), text.get("intermediate_size"), text.get("vocab_size")) == (3, 32, 100)
    assert audio.get("hidden_size") == text.get("hidden_size") == 16
    assert audio.get("vocab_size") is None and text.get("num_mel_bins") is None


def test_a_vision_tower_exported_alone_is_the_vision_component_whatever_its_model_type() -> None:
    parts = split_config({
        "architectures": ["Qwen2_5_VisionTransformerPretrainedModel"], "model_type": "qwen2_5_vl",
        "depth": 32, "hidden_size": 1280,
    })
    assert list(parts) == ["vision"]
    assert signature_of("vision", parts["vision"]).family == "qwen2_5_vl_vision"


def test_a_vision_only_model_type_is_the_vision_component() -> None:
    parts = split_config({"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 27})
    assert list(parts) == ["vision"]


def test_a_whole_model_class_is_not_mistaken_for_a_vision_tower() -> None:
    parts = split_config({"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava",
                          "hidden_size": 8, "vocab_size": 10})
    assert "text" in parts and "vision" not in parts


def test_nested_rope_parameters_survive_the_split() -> None:
    parts = split_config({"model_type": "x_vlm", "text_config": {
        "model_type": "x", "hidden_size": 8, "rope_parameters": {"rope_type": "default", "rope_theta": 1e6}}})
    assert signature_of("text", parts["text"]).get("rope_theta") == 1000000


def test_split_results_are_read_only() -> None:
    parts = split_config({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 2})
    with pytest.raises(TypeError):
        parts["text"]["hidden_size"] = 9  # type: ignore[index]


# ------------------------------------------------------------------ signature_of


@pytest.mark.parametrize("key", ["hidden_size", "n_embd", "d_model", "embed_dim"])
def test_width_aliases_become_hidden_size(key: str) -> None:
    assert signature_of("text", {"model_type": "x", key: 768}).get("hidden_size") == 768


@pytest.mark.parametrize("key", ["num_hidden_layers", "n_layer", "depth", "encoder_layers", "num_layers"])
def test_depth_aliases_become_num_layers(key: str) -> None:
    assert signature_of("text", {"model_type": "x", key: 12}).get("num_layers") == 12


def test_heads_and_kv_heads_aliases() -> None:
    signature = signature_of("text", {"model_type": "chatglm", "n_head": 32, "multi_query_group_num": 2,
                                      "kv_channels": 128, "ffn_hidden_size": 13696, "padded_vocab_size": 151552})
    assert (signature.get("num_attention_heads"), signature.get("num_key_value_heads"), signature.get("head_dim"),
            signature.get("intermediate_size"), signature.get("vocab_size")) == (32, 2, 128, 13696, 151552)


def test_the_first_alias_present_wins() -> None:
    assert signature_of("text", {"model_type": "x", "hidden_size": 4, "d_model": 8}).get("hidden_size") == 4


def test_moe_and_mla_settings_are_canonical() -> None:
    signature = signature_of("text", {
        "model_type": "deepseek_v3", "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
        "moe_intermediate_size": 2048, "q_lora_rank": 1536, "kv_lora_rank": 512, "first_k_dense_replace": 3,
    })
    assert dict(signature.hyperparameters) == {
        "num_experts": 256, "num_shared_experts": 1, "num_experts_per_token": 8, "moe_intermediate_size": 2048,
        "q_lora_rank": 1536, "kv_lora_rank": 512, "first_k_dense_replace": 3,
    }


def test_integral_floats_become_ints_and_lists_become_tuples() -> None:
    signature = signature_of("vision", {"model_type": "qwen2_5_vl", "rope_theta": 1000000.0,
                                        "fullatt_block_indexes": [7, 15, 23, 31]})
    assert signature.get("rope_theta") == 1000000 and isinstance(signature.get("rope_theta"), int)
    assert signature.get("fullatt_block_indexes") == (7, 15, 23, 31)


def test_a_switched_off_sliding_window_is_not_a_sliding_window() -> None:
    off = signature_of("text", {"model_type": "qwen2", "sliding_window": 131072, "use_sliding_window": False})
    on = signature_of("text", {"model_type": "mistral", "sliding_window": 4096})
    assert off.get("sliding_window") is None
    assert on.get("sliding_window") == 4096


def test_switched_off_experts_are_not_experts() -> None:
    """InternViT's config carries expert sizes next to ``use_moe: false``."""
    vit = {"model_type": "intern_vit_6b", "hidden_size": 1024, "num_experts": 8, "moe_intermediate_size": 768}
    assert signature_of("vision", {**vit, "use_moe": False}).get("num_experts") is None
    assert signature_of("vision", {**vit, "use_moe": False}).get("moe_intermediate_size") is None
    assert signature_of("vision", {**vit, "use_moe": False}).get("hidden_size") == 1024
    assert signature_of("vision", vit).get("num_experts") == 8


def test_glm_rope_ratio_is_a_multiple_of_the_default_rotary_base() -> None:
    assert signature_of("text", {"model_type": "chatglm", "rope_ratio": 500}).get("rope_theta") == 5000000
    assert signature_of("text", {"model_type": "x", "rope_ratio": 2, "rope_theta": 7.0}).get("rope_theta") == 7


def test_rope_settings_are_read_from_rope_scaling_and_rope_parameters() -> None:
    legacy = signature_of("text", {"model_type": "llama", "rope_theta": 500000.0,
                                   "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
                                                    "original_max_position_embeddings": 8192}})
    v5 = signature_of("text", {"model_type": "llama", "rope_parameters": {"rope_type": "default",
                                                                          "rope_theta": 500000.0}})
    assert (legacy.get("rope_theta"), legacy.get("rope_scaling_type"), legacy.get("rope_scaling_factor"),
            legacy.get("original_max_position_embeddings")) == (500000, "llama3", 8, 8192)
    assert v5.get("rope_theta") == 500000 and v5.get("rope_scaling_type") is None


def test_qwen2_vl_vision_width_is_embed_dim_and_its_hidden_size_is_the_merger_output() -> None:
    signature = signature_of("vision", {"model_type": "qwen2_vl", "embed_dim": 1280, "hidden_size": 3584})
    assert (signature.get("hidden_size"), signature.get("out_hidden_size")) == (1280, 3584)


def test_language_model_keys_are_ignored_in_a_vision_tower() -> None:
    signature = signature_of("vision", {"model_type": "qwen2_5_vl", "tie_word_embeddings": True, "depth": 2})
    assert signature.get("tie_word_embeddings") is None


def test_settings_that_say_nothing_about_the_architecture_are_left_out() -> None:
    signature = signature_of("text", {"model_type": "llama", "rms_norm_eps": 1e-5, "initializer_range": 0.02,
                                      "bos_token_id": 1, "torch_dtype": "bfloat16", "hidden_size": 8})
    assert dict(signature.hyperparameters) == {"hidden_size": 8}


def test_hyperparameters_are_sorted_and_json_ready() -> None:
    signature = signature_of("vision", {"model_type": "qwen2_5_vl", "window_size": 112, "depth": 32,
                                        "fullatt_block_indexes": [7]})
    names = [name for name, _ in signature.hyperparameters]
    assert names == sorted(names)
    assert signature.as_dict()["hyperparameters"]["fullatt_block_indexes"] == [7]


# ------------------------------------------------------------------ families


@pytest.mark.parametrize(("component", "model_type", "family"), [
    ("vision", "qwen2_5_vl", "qwen2_5_vl_vision"),
    ("vision", "qwen2_5_vl_vision", "qwen2_5_vl_vision"),
    ("vision", "siglip_vision_model", "siglip_vision"),
    ("text", "qwen2_5_vl", "qwen2_5_vl"),
    ("text", "qwen2_5_vl_text", "qwen2_5_vl"),
    ("text", "Gemma3-Text", "gemma3"),
    ("text", "llama", "llama"),
    ("text", None, "unknown"),
])
def test_family_normalisation(component: str, model_type: str | None, family: str) -> None:
    assert normalise_family(component, model_type) == family


def test_aliases_do_not_join_different_implementations() -> None:
    assert normalise_family("text", "mistral") != normalise_family("text", "llama")
    assert normalise_family("text", "qwen2_5_vl") != normalise_family("text", "qwen2")


# ------------------------------------------------------------------ compare


def _sig(component: str = "text", family: str = "llama", **values: object) -> ArchitectureSignature:
    return signature_of(component, {"model_type": family, **values})


def test_equal_shapes_in_one_family_are_identical() -> None:
    result = compare(_sig(hidden_size=8, num_hidden_layers=2), _sig(hidden_size=8, num_hidden_layers=2))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert [a.name for a in result.agreeing] == ["hidden_size", "num_layers"]


def test_a_shape_difference_in_one_family_is_same_family_with_both_values() -> None:
    result = compare(_sig(hidden_size=8, num_hidden_layers=2), _sig(hidden_size=16, num_hidden_layers=2))
    assert result.relation is ArchitectureRelation.SAME_FAMILY
    [difference] = result.differing
    assert (difference.name, difference.candidate, difference.reference, difference.role) == (
        "hidden_size", 8, 16, Role.SHAPE)


def test_a_computation_difference_breaks_identity() -> None:
    result = compare(_sig(hidden_size=8, rope_theta=10000), _sig(hidden_size=8, rope_theta=500000))
    assert result.relation is ArchitectureRelation.SAME_FAMILY


def test_context_and_interface_differences_do_not_break_identity() -> None:
    ours = _sig("vision", "qwen2_5_vl", depth=32, out_hidden_size=5120, max_position_embeddings=100)
    theirs = _sig("vision", "qwen2_5_vl", depth=32, out_hidden_size=3584, max_position_embeddings=200)
    result = compare(ours, theirs)
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert {d.name: d.role for d in result.differing} == {
        "out_hidden_size": Role.INTERFACE, "max_position_embeddings": Role.CONTEXT}


def test_different_families_are_different_even_with_equal_shapes() -> None:
    result = compare(_sig(family="llama", hidden_size=8), _sig(family="mistral", hidden_size=8))
    assert result.relation is ArchitectureRelation.DIFFERENT
    assert result.hyperparameters_match


def test_a_setting_declared_on_one_side_only_is_unknown_not_different() -> None:
    result = compare(_sig(hidden_size=8, head_dim=4), _sig(hidden_size=8, vocab_size=10))
    assert result.relation is ArchitectureRelation.IDENTICAL
    assert (result.only_in_candidate, result.only_in_reference) == (("head_dim",), ("vocab_size",))


def test_nothing_in_common_is_not_identical() -> None:
    result = compare(_sig(hidden_size=8), _sig(vocab_size=10))
    assert result.relation is ArchitectureRelation.SAME_FAMILY
    assert not result.hyperparameters_match


def test_signatures_of_different_components_are_not_compared() -> None:
    with pytest.raises(ValueError, match="vision"):
        compare(_sig("text", hidden_size=8), _sig("vision", hidden_size=8))


def test_a_comparison_converts_to_the_reports_lineage_record() -> None:
    result = compare(_sig(hidden_size=8, vocab_size=10), _sig(hidden_size=8, vocab_size=20))
    lineage = result.as_lineage(catalog_id="llama-x")
    assert (lineage.component, lineage.catalog_id, lineage.catalog_component, lineage.relation) == (
        "text", "llama-x", "text", ArchitectureRelation.SAME_FAMILY)
    assert lineage.agreeing == ("hidden_size",)
    assert lineage.differing == {"vocab_size": "10 vs 20"}
