"""Synthetic models that look trained, for examples, tests and benchmarks.

The weights are not i.i.d. noise, because naive statistics would then look honest by accident.
Every generated model follows the same *recipe*: a spectrum with a few strong directions over a
heavy-tailed bulk, a per-layer standard-deviation profile that rises with depth, and norm gains
near 1 with a shared depth trend. So two independent models agree on exactly the statistics that
misled people in 2025-26 (raw cosine of norm gains about 0.99, std-profile correlation about 1)
while their element-aligned, centred correlation is about 0 — which is what the scanner must see.

Layouts follow real checkpoints: a Llama/Qwen2-style language model (``model.layers.N…``), a
Qwen2.5-VL-style vision tower (``visual.blocks.N.attn.qkv``, ``visual.merger``) and a
Whisper-style audio encoder (``audio_tower.layers.N…``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Tensors = dict[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class TextSpec:
    hidden: int = 64
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    intermediate: int = 128
    vocab: int = 512

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


@dataclass(frozen=True, slots=True)
class VisionSpec:
    hidden: int = 64
    depth: int = 4
    heads: int = 4
    intermediate: int = 128
    patch: int = 14
    temporal_patch: int = 2
    in_chans: int = 3
    out_hidden: int = 64
    merge: int = 2


@dataclass(frozen=True, slots=True)
class AudioSpec:
    d_model: int = 64
    layers: int = 4
    heads: int = 4
    ffn: int = 128
    mel_bins: int = 32


def trained_like(rng: np.random.Generator, shape: tuple[int, int], std: float) -> np.ndarray:
    """A matrix with a decaying low-rank part, heavy-tailed bulk and uneven column scales."""
    rows, cols = shape
    rank = max(1, min(rows, cols) // 8)
    u = rng.standard_normal((rows, rank))
    v = rng.standard_normal((rank, cols))
    spectrum = 1.0 / (1.0 + np.arange(rank))
    low = (u * spectrum) @ v / np.sqrt(rank)
    bulk = rng.standard_t(df=5, size=shape) * np.sqrt(3 / 5)
    column_scale = np.exp(0.3 * rng.standard_normal(cols))
    w = (0.6 * low / (low.std() or 1.0) + 0.8 * bulk) * column_scale
    return (w / w.std() * std).astype(np.float32)


def norm_gain(rng: np.random.Generator, size: int, depth_fraction: float) -> np.ndarray:
    """Gains near 1 with the recipe's depth trend: raw cosine between any two models is about 0.99."""
    return (1.0 + 0.15 * depth_fraction + 0.08 * rng.standard_normal(size)).astype(np.float32)


def _std(layer: int, layers: int, base: float) -> float:
    """The shared recipe: deeper layers have larger weights."""
    return base * (1.0 + 0.8 * layer / max(layers - 1, 1))


def text_model(spec: TextSpec, seed: int, prefix: str = "model.") -> Tensors:
    rng = np.random.default_rng(seed)
    h, kv = spec.hidden, spec.kv_heads * spec.head_dim
    t: Tensors = {f"{prefix}embed_tokens.weight": trained_like(rng, (spec.vocab, h), 0.02)}
    for i in range(spec.layers):
        s = _std(i, spec.layers, 0.02)
        p = f"{prefix}layers.{i}."
        t[p + "self_attn.q_proj.weight"] = trained_like(rng, (h, h), s)
        t[p + "self_attn.k_proj.weight"] = trained_like(rng, (kv, h), s)
        t[p + "self_attn.v_proj.weight"] = trained_like(rng, (kv, h), s)
        t[p + "self_attn.o_proj.weight"] = trained_like(rng, (h, h), s)
        t[p + "mlp.gate_proj.weight"] = trained_like(rng, (spec.intermediate, h), s)
        t[p + "mlp.up_proj.weight"] = trained_like(rng, (spec.intermediate, h), s)
        t[p + "mlp.down_proj.weight"] = trained_like(rng, (h, spec.intermediate), s)
        t[p + "input_layernorm.weight"] = norm_gain(rng, h, i / spec.layers)
        t[p + "post_attention_layernorm.weight"] = norm_gain(rng, h, i / spec.layers)
    t[f"{prefix}norm.weight"] = norm_gain(rng, h, 1.0)
    t["lm_head.weight"] = trained_like(rng, (spec.vocab, h), 0.02)
    return t


def vision_tower(spec: VisionSpec, seed: int, prefix: str = "visual.") -> Tensors:
    rng = np.random.default_rng(seed)
    h = spec.hidden
    patch_in = spec.in_chans * spec.temporal_patch * spec.patch * spec.patch
    t: Tensors = {f"{prefix}patch_embed.proj.weight": trained_like(rng, (h, patch_in), 0.02).reshape(
        h, spec.in_chans, spec.temporal_patch, spec.patch, spec.patch)}
    for i in range(spec.depth):
        s = _std(i, spec.depth, 0.03)
        p = f"{prefix}blocks.{i}."
        t[p + "norm1.weight"] = norm_gain(rng, h, i / spec.depth)
        t[p + "norm2.weight"] = norm_gain(rng, h, i / spec.depth)
        t[p + "attn.qkv.weight"] = trained_like(rng, (3 * h, h), s)
        t[p + "attn.qkv.bias"] = (0.01 * rng.standard_normal(3 * h)).astype(np.float32)
        t[p + "attn.proj.weight"] = trained_like(rng, (h, h), s)
        t[p + "attn.proj.bias"] = (0.01 * rng.standard_normal(h)).astype(np.float32)
        t[p + "mlp.gate_proj.weight"] = trained_like(rng, (spec.intermediate, h), s)
        t[p + "mlp.up_proj.weight"] = trained_like(rng, (spec.intermediate, h), s)
        t[p + "mlp.down_proj.weight"] = trained_like(rng, (h, spec.intermediate), s)
    merged = h * spec.merge * spec.merge
    t[f"{prefix}merger.ln_q.weight"] = norm_gain(rng, h, 1.0)
    t[f"{prefix}merger.mlp.0.weight"] = trained_like(rng, (merged, merged), 0.02)
    t[f"{prefix}merger.mlp.2.weight"] = trained_like(rng, (spec.out_hidden, merged), 0.02)
    return t


def audio_encoder(spec: AudioSpec, seed: int, prefix: str = "audio_tower.") -> Tensors:
    rng = np.random.default_rng(seed)
    d = spec.d_model
    t: Tensors = {
        f"{prefix}conv1.weight": trained_like(rng, (d, spec.mel_bins * 3), 0.05).reshape(d, spec.mel_bins, 3),
        f"{prefix}conv2.weight": trained_like(rng, (d, d * 3), 0.05).reshape(d, d, 3),
    }
    for i in range(spec.layers):
        s = _std(i, spec.layers, 0.03)
        p = f"{prefix}layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t[p + f"self_attn.{name}.weight"] = trained_like(rng, (d, d), s)
        t[p + "self_attn_layer_norm.weight"] = norm_gain(rng, d, i / spec.layers)
        t[p + "fc1.weight"] = trained_like(rng, (spec.ffn, d), s)
        t[p + "fc2.weight"] = trained_like(rng, (d, spec.ffn), s)
        t[p + "final_layer_norm.weight"] = norm_gain(rng, d, i / spec.layers)
    t[f"{prefix}layer_norm.weight"] = norm_gain(rng, d, 1.0)
    return t


def text_config(spec: TextSpec, model_type: str = "qwen2") -> dict:
    return {
        "model_type": model_type, "architectures": ["Qwen2ForCausalLM" if model_type == "qwen2" else "LlamaForCausalLM"],
        "hidden_size": spec.hidden, "num_hidden_layers": spec.layers, "num_attention_heads": spec.heads,
        "num_key_value_heads": spec.kv_heads, "intermediate_size": spec.intermediate, "vocab_size": spec.vocab,
        "hidden_act": "silu", "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
    }


def vision_config(spec: VisionSpec) -> dict:
    """A Qwen2.5-VL-style vision section (model_type qwen2_5_vl), scaled down."""
    return {
        "model_type": "qwen2_5_vl", "depth": spec.depth, "hidden_size": spec.hidden, "num_heads": spec.heads,
        "intermediate_size": spec.intermediate, "patch_size": spec.patch, "temporal_patch_size": spec.temporal_patch,
        "in_chans": spec.in_chans, "out_hidden_size": spec.out_hidden, "spatial_merge_size": spec.merge,
        "window_size": 112, "fullatt_block_indexes": [spec.depth - 1], "hidden_act": "silu",
    }


def audio_config(spec: AudioSpec) -> dict:
    return {
        "model_type": "qwen2_audio_encoder", "d_model": spec.d_model, "encoder_layers": spec.layers,
        "encoder_attention_heads": spec.heads, "encoder_ffn_dim": spec.ffn, "num_mel_bins": spec.mel_bins,
    }
