"""What a GGUF file says about its model: canonical tensor names, a config, the tokenizer, licence keys.

llama.cpp's converter renames every tensor (``model.layers.3.self_attn.q_proj.weight`` becomes
``blk.3.attn_q.weight``) and moves config.json into ``{arch}.*`` metadata keys. To compare a GGUF
re-release with its safetensors original, this module maps both back:

* tensor names to Hugging Face names (``NAMES``), so components and roles line up;
* q/k projections of the architectures llama.cpp runs with interleaved ("normal") rotary
  embeddings, whose converter reorders their rows, to Meta-style names (``self_attn.wq``), which
  the lineage engine un-permutes with the head counts below — the same reordering Meta's original
  checkpoints use;
* ``{arch}.*`` keys to config.json keys (``CONFIG_KEYS``), so the pipeline can treat them like a
  config when the repository has none;
* ``tokenizer.ggml.*`` arrays to a tokenizer, and ``general.license`` / ``general.base_model.*``
  to licence and lineage declarations.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from scanner.errors import problem
from scanner.formats.gguf_file import open_gguf
from scanner.formats.reading import FormatReading
from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import FileStatus, Severity
from scanner.tokenizer import GGUF_TOKENIZER_MODELS, TokenizerLoad, tokenizer_from_vocab
from scanner.weights.dtypes import GGUF_BLOCK_DTYPES

# Within-block GGUF names -> Hugging Face names (llama-style decoders; the common case).
NAMES: dict[str, str] = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_qkv": "self_attn.qkv_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
    "ffn_norm": "post_attention_layernorm",
    "post_attention_norm": "post_attention_layernorm",
    "post_ffw_norm": "post_feedforward_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "ffn_gate_inp": "mlp.gate",
    # packed experts [experts, out, in]: the engine unpacks 3-D mlp tensors one expert at a time
    "ffn_gate_exps": "mlp.gate_proj",
    "ffn_up_exps": "mlp.up_proj",
    "ffn_down_exps": "mlp.down_proj",
    "ffn_gate_shexp": "mlp.shared_expert.gate_proj",
    "ffn_up_shexp": "mlp.shared_expert.up_proj",
    "ffn_down_shexp": "mlp.shared_expert.down_proj",
}
# Gemma 2/3 have four norms per block; their ffn_norm is the pre-feed-forward one.
PRE_FFN_NORM_ARCHS = frozenset({"gemma2", "gemma3", "gemma3n"})
TOP_NAMES: dict[str, str] = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
# Architectures llama.cpp runs with interleaved rotary pairs while the Hugging Face model uses the
# half-split layout, so the converter permutes q/k rows (Mistral's own format is already interleaved).
INTERLEAVED_ROTARY_ARCHS = frozenset({
    "llama", "deci", "baichuan", "xverse", "internlm2", "minicpm", "deepseek", "granite", "granitemoe",
    "arcee", "smollm3", "bailingmoe",
})
# llama.cpp architecture -> config.json model_type, where they differ or are worth stating.
MODEL_TYPES: dict[str, str] = {
    "llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen2moe": "qwen2_moe", "qwen3moe": "qwen3_moe",
    "gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3_text", "phi3": "phi3", "phi2": "phi", "gpt2": "gpt2",
    "bert": "bert", "nomic-bert": "nomic_bert", "falcon": "falcon", "starcoder2": "starcoder2",
    "deepseek2": "deepseek_v2", "command-r": "cohere", "olmo": "olmo", "olmo2": "olmo2", "exaone": "exaone",
    "stablelm": "stablelm", "granite": "granite", "granitemoe": "granitemoe", "mistral3": "mistral3",
    "clip": "clip_vision_model",
}
# config.json key <- "{arch}.<key>" metadata key
CONFIG_KEYS: tuple[tuple[str, str], ...] = (
    ("hidden_size", "embedding_length"),
    ("num_hidden_layers", "block_count"),
    ("intermediate_size", "feed_forward_length"),
    ("num_attention_heads", "attention.head_count"),
    ("num_key_value_heads", "attention.head_count_kv"),
    ("head_dim", "attention.key_length"),
    ("max_position_embeddings", "context_length"),
    ("rms_norm_eps", "attention.layer_norm_rms_epsilon"),
    ("layer_norm_eps", "attention.layer_norm_epsilon"),
    ("rope_theta", "rope.freq_base"),
    ("sliding_window", "attention.sliding_window"),
    ("num_local_experts", "expert_count"),
    ("num_experts_per_tok", "expert_used_count"),
    ("vocab_size", "vocab_size"),
)
_BLOCK = re.compile(r"^blk\.(?P<n>\d+)\.(?P<rest>[^.]+)\.(?P<kind>weight|bias)$")
_TOP = re.compile(r"^(?P<base>[^.]+)\.(?P<kind>weight|bias)$")
_HF_URL = re.compile(r"^https?://(?:www\.)?huggingface\.co/(?P<repo>[\w.-]+/[\w.-]+?)/?$")


def read_gguf_file(path: Path, rel: str) -> FormatReading:
    """Read one GGUF file into tensors with canonical names, config, tokenizer and licence keys."""
    parsed, problems = open_gguf(path, rel)
    if parsed is None:
        return FormatReading(file=rel, format="gguf", status=FileStatus.UNREADABLE,
                             note=problems[0].message.removeprefix(f"{rel}: ") if problems else "unreadable",
                             problems=tuple(problems))
    md = parsed.metadata
    arch = md.get("general.architecture") if isinstance(md.get("general.architecture"), str) else None
    tensors = canonical_tensors(parsed.tensors, arch)
    config = config_from_metadata(md, {t.name for t in parsed.tensors})
    tokenizer = tokenizer_from_metadata(md, rel)
    if tokenizer is not None:
        problems += tokenizer.problems
    license_id = _text(md.get("general.license"))
    undecoded = sorted({t.dtype for t in tensors if t.dtype.startswith("GGUF_") and t.dtype not in GGUF_BLOCK_DTYPES})
    if undecoded:
        problems.append(problem(rel, "gguf.not-dequantised",
                                f"holds {', '.join(undecoded)} tensors, which cannot be dequantised; they are hashed only",
                                Severity.WARNING))
    note = _note(parsed.version, arch, tensors, parsed.declared_tensors, tokenizer, undecoded)
    return FormatReading(
        file=rel, format="gguf", status=FileStatus.READ, note=note, tensors=tuple(tensors), config=config,
        tokenizer=tokenizer, license=license_id, base_models=base_models(md), metadata=_general(md),
        problems=tuple(problems))


def canonical_tensors(tensors: tuple[HeaderTensor, ...], arch: str | None) -> list[HeaderTensor]:
    """The tensors under Hugging Face-style names (unknown names keep their GGUF suffix under ``model.``)."""
    return sorted((replace(t, name=canonical_name(t.name, arch)) for t in tensors), key=lambda t: t.name)


def canonical_name(name: str, arch: str | None) -> str:
    """One GGUF tensor name as the Hugging Face checkpoint of the same model would spell it."""
    if arch == "clip":
        if name.startswith("v."):
            return "vision_tower." + name[2:]
        if name.startswith("mm."):
            return "multi_modal_projector." + name[3:]
        return name
    m = _BLOCK.match(name)
    if m:
        rest = m.group("rest")
        if rest == "ffn_norm" and arch in PRE_FFN_NORM_ARCHS:
            mapped = "pre_feedforward_layernorm"
        elif rest in ("attn_q", "attn_k") and arch in INTERLEAVED_ROTARY_ARCHS and m.group("kind") == "weight":
            mapped = "self_attn.wq" if rest == "attn_q" else "self_attn.wk"
        else:
            mapped = NAMES.get(rest, rest)
        return f"model.layers.{m.group('n')}.{mapped}.{m.group('kind')}"
    m = _TOP.match(name)
    if m and m.group("base") in TOP_NAMES:
        return f"{TOP_NAMES[m.group('base')]}.{m.group('kind')}"
    return f"model.{name}"


def config_from_metadata(md: dict[str, Any], tensor_names: set[str]) -> dict[str, Any] | None:
    """A config.json-like dict from ``{arch}.*`` keys; None without ``general.architecture``."""
    arch = md.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        return None
    config: dict[str, Any] = {"model_type": MODEL_TYPES.get(arch, arch)}
    for hf_key, key in CONFIG_KEYS:
        value = _number(md.get(f"{arch}.{key}"))
        if value is not None:
            config[hf_key] = value
    tokens = md.get("tokenizer.ggml.tokens")
    if "vocab_size" not in config and isinstance(tokens, list):
        config["vocab_size"] = len(tokens)
    if "token_embd.weight" in tensor_names and arch != "clip":
        config["tie_word_embeddings"] = "output.weight" not in tensor_names
    return config


def tokenizer_from_metadata(md: dict[str, Any], rel: str) -> TokenizerLoad | None:
    """The tokenizer the GGUF carries, or None when it carries none."""
    tokens = md.get("tokenizer.ggml.tokens")
    model = md.get("tokenizer.ggml.model")
    if tokens is None and model is None:
        return None
    if not isinstance(model, str) or model not in GGUF_TOKENIZER_MODELS:
        known = ", ".join(sorted(GGUF_TOKENIZER_MODELS))
        return TokenizerLoad(status="unreadable", tokenizer=None, problems=(problem(
            rel, "gguf.tokenizer-model", f"tokenizer model {model!r} is not one of {known}; tokenizer not read",
            Severity.WARNING),))
    if not isinstance(tokens, list):
        return TokenizerLoad(status="unreadable", tokenizer=None, problems=(problem(
            rel, "gguf.tokenizer-tokens", "has no readable tokenizer.ggml.tokens array", Severity.WARNING),))
    merges = md.get("tokenizer.ggml.merges")
    types = md.get("tokenizer.ggml.token_type")
    model_type, encoding = GGUF_TOKENIZER_MODELS[model]
    return tokenizer_from_vocab(
        tokens, merges if isinstance(merges, list) else None,
        [int(x) for x in types] if isinstance(types, np.ndarray) else None,
        model_type=model_type, encoding=encoding, file=rel)


def base_models(md: dict[str, Any]) -> tuple[str, ...]:
    """``general.base_model.{i}.*`` as Hub repository ids where a URL gives one, else "organization/name"."""
    count = md.get("general.base_model.count")
    if not isinstance(count, int) or count <= 0:
        return ()
    out: list[str] = []
    for i in range(min(count, 64)):
        url = _text(md.get(f"general.base_model.{i}.repo_url"))
        m = _HF_URL.match(url or "")
        if m:
            out.append(m.group("repo"))
            continue
        name = _text(md.get(f"general.base_model.{i}.name"))
        org = _text(md.get(f"general.base_model.{i}.organization"))
        if name:
            out.append(f"{org}/{name}" if org else name)
    return tuple(dict.fromkeys(out))


def _general(md: dict[str, Any]) -> dict[str, str]:
    """The ``general.*`` text keys worth showing (name, organisation, licence name/link, source)."""
    keep = ("general.name", "general.organization", "general.basename", "general.finetune", "general.size_label",
            "general.license", "general.license.name", "general.license.link", "general.source.url",
            "general.source.huggingface.repository", "general.architecture", "general.type", "general.file_type",
            "general.quantized_by")
    return {k: str(md[k]) for k in keep if k in md and isinstance(md[k], (str, int))}


def _note(version: int, arch: str | None, tensors: list[HeaderTensor], declared: int, tokenizer: TokenizerLoad | None,
          undecoded: list[str]) -> str:
    kinds: dict[str, int] = {}
    for t in tensors:
        kinds[t.dtype.removeprefix("GGUF_")] = kinds.get(t.dtype.removeprefix("GGUF_"), 0) + 1
    parts = [f"GGUF v{version}" + (f" ({arch})" if arch else ""),
             f"{len(tensors)} of {declared} tensors read (" + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")"]
    if undecoded:
        parts.append(f"{', '.join(u.removeprefix('GGUF_') for u in undecoded)} not dequantised")
    if tokenizer is not None and tokenizer.tokenizer is not None:
        parts.append(f"tokenizer of {len(tokenizer.tokenizer.keys)} tokens")
    elif tokenizer is not None:
        parts.append("tokenizer unreadable")
    return "; ".join(parts)


def _number(value: Any) -> int | float | None:
    """A scalar config value; per-layer arrays collapse to their single value, or their maximum when they vary."""
    if isinstance(value, np.ndarray) and value.size and value.dtype.kind in "iuf":
        value = value.max().item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
