"""What people do to a model they reuse, as functions on a tensor dictionary.

Each function returns a new dictionary and leaves its input alone. They are the positives of the
lineage benchmark and tests: casts, quantisation round trips, fine-tuning of a chosen strength,
LoRA merges, renaming and fusing, transposed storage, function-preserving neuron scaling, neuron
and head permutations, depth up-scaling, layer pruning and vocabulary extension.
"""

from __future__ import annotations

import re

import numpy as np

from scanner.synthetic.models import Tensors

_LAYER = re.compile(r"^(?P<pre>.*?\.layers\.)(?P<n>\d+)(?P<post>\..*)$")


def finetune(t: Tensors, r: float, seed: int) -> Tensors:
    """Add independent noise so every tensor's centred correlation with its original is ``r``."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in t.items():
        centred = w - w.mean()
        sd = float(centred.std()) or 1.0
        noise_sd = sd * np.sqrt(1.0 / r**2 - 1.0)
        out[name] = (w + noise_sd * rng.standard_normal(w.shape)).astype(np.float32)
    return out


def int8_roundtrip(t: Tensors) -> Tensors:
    """Symmetric per-row int8 quantisation and back (what a quantised re-release contains once dequantised)."""
    out = {}
    for name, w in t.items():
        flat = w.reshape(w.shape[0], -1) if w.ndim > 1 else w.reshape(1, -1)
        scale = np.abs(flat).max(axis=1, keepdims=True) / 127.0
        scale[scale == 0] = 1.0
        out[name] = (np.round(flat / scale).clip(-127, 127) * scale).reshape(w.shape).astype(np.float32)
    return out


def lora_merge(t: Tensors, rank: int, strength: float, seed: int) -> Tensors:
    """W + B A on every matrix, with ||BA|| = strength * ||W||."""
    rng = np.random.default_rng(seed)
    out = dict(t)
    for name, w in t.items():
        if w.ndim != 2:
            continue
        delta = rng.standard_normal((w.shape[0], rank)) @ rng.standard_normal((rank, w.shape[1]))
        delta *= strength * np.linalg.norm(w) / np.linalg.norm(delta)
        out[name] = (w + delta).astype(np.float32)
    return out


def meta_names_fused(t: Tensors, heads: int, kv_heads: int) -> Tensors:
    """Rename to another naming school and fuse q/k/v and gate/up, as some re-releases do.

    Uses Hugging Face's fused names (``qkv_proj``, ``gate_up_proj`` as in Phi-3) under a renamed
    wrapper (``transformer.`` instead of ``model.``).
    """
    out: Tensors = {}
    layers = sorted({int(m.group("n")) for n in t if (m := _LAYER.match(n))})
    prefix = next((m.group("pre")[: -len("layers.")] for n in t if (m := _LAYER.match(n))), "model.")
    for i in layers:
        p = f"{prefix}layers.{i}."
        q, k, v = (t[p + f"self_attn.{x}_proj.weight"] for x in "qkv")
        out[f"transformer.blocks.{i}.self_attn.qkv_proj.weight"] = np.concatenate([q, k, v])
        out[f"transformer.blocks.{i}.self_attn.o_proj.weight"] = t[p + "self_attn.o_proj.weight"]
        out[f"transformer.blocks.{i}.mlp.gate_up_proj.weight"] = np.concatenate(
            [t[p + "mlp.gate_proj.weight"], t[p + "mlp.up_proj.weight"]])
        out[f"transformer.blocks.{i}.mlp.down_proj.weight"] = t[p + "mlp.down_proj.weight"]
        out[f"transformer.blocks.{i}.input_layernorm.weight"] = t[p + "input_layernorm.weight"]
        out[f"transformer.blocks.{i}.post_attention_layernorm.weight"] = t[p + "post_attention_layernorm.weight"]
    for name, w in t.items():
        if not _LAYER.match(name):
            out[name.replace(prefix, "transformer.", 1) if name.startswith(prefix) else name] = w
    return out


def transpose_storage(t: Tensors) -> Tensors:
    """Store every matrix transposed (input-major), as GPT-2's Conv1D and ONNX MatMul weights are."""
    return {name: (np.ascontiguousarray(w.T) if w.ndim == 2 else w) for name, w in t.items()}


def neuron_scaling(t: Tensors, seed: int, spread: float = 0.5) -> Tensors:
    """Function-preserving: scale MLP neuron i's up row by a_i and its down column by 1/a_i."""
    rng = np.random.default_rng(seed)
    out = dict(t)
    for name in t:
        if name.endswith("mlp.up_proj.weight"):
            down = name.replace("up_proj", "down_proj")
            a = np.exp(spread * rng.standard_normal(t[name].shape[0])).astype(np.float32)
            out[name] = t[name] * a[:, None]
            out[down] = t[down] / a[None, :]
    return out


def permute_neurons_and_heads(t: Tensors, heads: int, kv_heads: int, seed: int) -> Tensors:
    """Function-preserving: permute MLP neurons (gate/up rows, down columns) and attention heads."""
    rng = np.random.default_rng(seed)
    out = dict(t)
    for name in t:
        if name.endswith("mlp.up_proj.weight"):
            perm = rng.permutation(t[name].shape[0])
            for part in ("gate_proj", "up_proj"):
                key = name.replace("up_proj", part)
                out[key] = t[key][perm]
            down = name.replace("up_proj", "down_proj")
            out[down] = t[down][:, perm]
        if name.endswith("self_attn.q_proj.weight"):
            group = heads // kv_heads
            kv_perm = rng.permutation(kv_heads)
            head_dim = t[name].shape[0] // heads
            q_heads = np.concatenate([np.arange(g * group, (g + 1) * group) for g in kv_perm])
            rows_q = np.concatenate([np.arange(h * head_dim, (h + 1) * head_dim) for h in q_heads])
            rows_kv = np.concatenate([np.arange(g * head_dim, (g + 1) * head_dim) for g in kv_perm])
            out[name] = t[name][rows_q]
            for part in ("k_proj", "v_proj"):
                key = name.replace("q_proj", part)
                out[key] = t[key][rows_kv]
            o = name.replace("q_proj", "o_proj")
            out[o] = t[o][:, rows_q]
    return out


def depth_upscale(t: Tensors, keep_front: int, keep_back: int) -> Tensors:
    """SOLAR-style depth up-scaling: layers [0, keep_front) followed by the last ``keep_back`` layers, renumbered."""
    layers = sorted({int(m.group("n")) for n in t if (m := _LAYER.match(n))})
    order = layers[:keep_front] + layers[len(layers) - keep_back:]
    return _relayer(t, order)


def prune_layers(t: Tensors, keep: list[int]) -> Tensors:
    return _relayer(t, keep)


def _relayer(t: Tensors, order: list[int]) -> Tensors:
    out = {n: w for n, w in t.items() if not _LAYER.match(n)}
    for new, old in enumerate(order):
        for n, w in t.items():
            m = _LAYER.match(n)
            if m and int(m.group("n")) == old:
                out[f"{m.group('pre')}{new}{m.group('post')}"] = w
    return out


def extend_vocabulary(t: Tensors, extra: int, seed: int) -> Tensors:
    """Append ``extra`` new token rows to the embedding and output matrices."""
    rng = np.random.default_rng(seed)
    out = dict(t)
    for name, w in t.items():
        if name.endswith(("embed_tokens.weight", "lm_head.weight")):
            new = (rng.standard_normal((extra, w.shape[1])) * w.std()).astype(np.float32)
            out[name] = np.concatenate([w, new])
    return out


def rename_prefix(t: Tensors, old: str, new: str) -> Tensors:
    return {(new + n[len(old):] if n.startswith(old) else n): w for n, w in t.items()}
