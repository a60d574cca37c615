"""The canonical hyper-parameters of a component, and the names configs use for each.

Configs name the same quantity differently (``hidden_size``, ``n_embd``, ``d_model``, ``embed_dim``;
``num_hidden_layers``, ``n_layer``, ``depth``, ``encoder_layers``...). A signature stores each
quantity once, under its canonical name, so Llama and GPT-2 style configs can be compared key by
key. The first alias present in a sub-config wins.

Each quantity has a role, because not every difference means a different architecture:

| role | meaning | counts for ``identical`` |
|---|---|---|
| shape | sets the shape or the presence of weight tensors | yes |
| computation | changes the forward computation without changing shapes | yes |
| interface | set by what the component is attached to (a vision merger's output width is the text model's width) | no |
| context | context-length and position-scaling settings that post-training routinely changes | no |

Norm epsilons, dropout, initialisation ranges and token ids are left out: they say nothing about
which architecture a component has.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(str, enum.Enum):
    """Why a hyper-parameter matters; only shape and computation decide ``identical``."""

    SHAPE = "shape"
    COMPUTATION = "computation"
    INTERFACE = "interface"
    CONTEXT = "context"


IDENTITY_ROLES = frozenset({Role.SHAPE, Role.COMPUTATION})


@dataclass(frozen=True, slots=True, kw_only=True)
class HyperParameter:
    """One canonical quantity, the config keys that carry it (first present wins) and its role."""

    name: str
    role: Role
    aliases: tuple[str, ...]
    components: frozenset[str] | None = None

    def applies_to(self, component: str) -> bool:
        """Whether the quantity means anything for this component (None: for every component)."""
        return self.components is None or component in self.components


def _hp(name: str, role: Role, *aliases: str, components: frozenset[str] | None = None) -> HyperParameter:
    return HyperParameter(name=name, role=role, aliases=aliases or (name,), components=components)


# transformers writes generic defaults such as ``tie_word_embeddings: true`` into every sub-config it
# saves, vision towers included; those keys mean something for a language model only.
TEXT_ONLY = frozenset({"text"})


SHAPE, COMPUTATION, INTERFACE, CONTEXT = Role.SHAPE, Role.COMPUTATION, Role.INTERFACE, Role.CONTEXT

HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    # widths, depths, heads
    _hp("hidden_size", SHAPE, "hidden_size", "d_model", "n_embd", "embed_dim", "dim", "hidden_dim", "width"),
    _hp("num_layers", SHAPE, "num_hidden_layers", "num_layers", "n_layer", "n_layers", "depth", "encoder_layers",
        "decoder_layers"),
    _hp("num_attention_heads", SHAPE, "num_attention_heads", "num_heads", "n_head", "n_heads", "attention_heads",
        "encoder_attention_heads", "decoder_attention_heads"),
    _hp("num_key_value_heads", SHAPE, "num_key_value_heads", "num_kv_heads", "n_kv_heads", "n_head_kv",
        "multi_query_group_num"),
    _hp("head_dim", SHAPE, "head_dim", "kv_channels", "attention_head_dim"),
    _hp("intermediate_size", SHAPE, "intermediate_size", "ffn_dim", "ffn_hidden_size", "n_inner", "mlp_dim",
        "encoder_ffn_dim", "decoder_ffn_dim"),
    _hp("intermediate_size_mlp", SHAPE),
    _hp("vocab_size", SHAPE, "vocab_size", "padded_vocab_size", "n_vocab"),
    _hp("type_vocab_size", SHAPE, components=TEXT_ONLY),
    _hp("tie_word_embeddings", SHAPE, components=TEXT_ONLY),
    _hp("attention_bias", SHAPE, "attention_bias", "qkv_bias", "add_qkv_bias", "use_qkv_bias"),
    _hp("mlp_bias", SHAPE),
    _hp("cross_attention_layers", SHAPE, components=TEXT_ONLY),
    # mixture of experts
    _hp("num_experts", SHAPE, "num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts"),
    _hp("num_shared_experts", SHAPE, "n_shared_experts", "num_shared_experts"),
    _hp("moe_intermediate_size", SHAPE, "moe_intermediate_size", "expert_intermediate_size"),
    _hp("shared_expert_intermediate_size", SHAPE),
    _hp("first_k_dense_replace", SHAPE),
    _hp("moe_layer_step", SHAPE, "moe_layer_freq", "decoder_sparse_step", "interleave_moe_layer_step"),
    _hp("mlp_only_layers", SHAPE),
    _hp("num_experts_per_token", COMPUTATION, "num_experts_per_tok", "num_experts_per_token", "experts_per_token",
        "moe_top_k"),
    _hp("scoring_func", COMPUTATION),
    _hp("norm_topk_prob", COMPUTATION),
    _hp("routed_scaling_factor", COMPUTATION),
    _hp("n_group", COMPUTATION),
    _hp("topk_group", COMPUTATION),
    # multi-head latent attention
    _hp("q_lora_rank", SHAPE),
    _hp("kv_lora_rank", SHAPE),
    _hp("qk_nope_head_dim", SHAPE),
    _hp("qk_rope_head_dim", SHAPE),
    _hp("v_head_dim", SHAPE),
    # attention pattern and positions
    _hp("hidden_act", COMPUTATION, "hidden_act", "hidden_activation", "activation_function"),
    _hp("rope_theta", COMPUTATION, "rope_theta", "rotary_emb_base", "rope_base"),
    _hp("partial_rotary_factor", COMPUTATION),
    _hp("sliding_window", COMPUTATION),
    _hp("sliding_window_pattern", COMPUTATION),
    _hp("layer_types", COMPUTATION),
    _hp("attention_chunk_size", COMPUTATION),
    _hp("use_qk_norm", COMPUTATION),
    _hp("query_pre_attn_scalar", COMPUTATION),
    _hp("attn_logit_softcapping", COMPUTATION),
    _hp("final_logit_softcapping", COMPUTATION),
    _hp("position_embedding_type", COMPUTATION),
    _hp("max_position_embeddings", CONTEXT, "max_position_embeddings", "n_positions", "seq_length"),
    _hp("rope_scaling_type", CONTEXT),
    _hp("rope_scaling_factor", CONTEXT),
    _hp("original_max_position_embeddings", CONTEXT),
    _hp("max_window_layers", CONTEXT),
    # vision towers
    _hp("patch_size", SHAPE, "patch_size", "spatial_patch_size"),
    _hp("temporal_patch_size", SHAPE),
    _hp("in_channels", SHAPE, "in_channels", "in_chans", "num_channels"),
    _hp("image_size", SHAPE),
    _hp("spatial_merge_size", SHAPE),
    _hp("num_position_embeddings", SHAPE),
    _hp("projection_dim", SHAPE),
    _hp("num_global_layers", SHAPE),
    _hp("window_size", COMPUTATION),
    _hp("fullatt_block_indexes", COMPUTATION),
    _hp("deepstack_visual_indexes", COMPUTATION),
    _hp("intermediate_layers_indices", COMPUTATION),
    _hp("tokens_per_second", COMPUTATION),
    _hp("out_hidden_size", INTERFACE),
    _hp("vision_output_dim", INTERFACE),
    # audio encoders and encoder-decoder speech models
    _hp("num_mel_bins", SHAPE, "num_mel_bins", "n_mels"),
    _hp("max_source_positions", SHAPE),
    _hp("max_target_positions", SHAPE),
)

BY_NAME: dict[str, HyperParameter] = {hp.name: hp for hp in HYPERPARAMETERS}

# Mixture-of-experts settings: meaningless when a config switches experts off (InternViT ships
# ``use_moe: false`` next to its expert sizes).
MOE_SETTINGS = frozenset({
    "num_experts", "num_shared_experts", "moe_intermediate_size", "shared_expert_intermediate_size",
    "first_k_dense_replace", "moe_layer_step", "mlp_only_layers", "num_experts_per_token", "scoring_func",
    "norm_topk_prob", "routed_scaling_factor", "n_group", "topk_group",
})

# Keys whose meaning a family changes. Qwen2-VL's vision config calls its own width ``embed_dim`` and
# uses ``hidden_size`` for the width of the language model it feeds.
FAMILY_KEY_RENAMES: dict[tuple[str, str], dict[str, str]] = {
    ("vision", "qwen2_vl"): {"embed_dim": "hidden_size", "hidden_size": "out_hidden_size"},
}
