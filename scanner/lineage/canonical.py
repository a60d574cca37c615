"""Canonical tensor pieces: the same weights get the same name, orientation and split on both sides.

Before two checkpoints can be compared element by element, storage conventions must be undone:

* wrappers (``model.``, ``language_model.``, ``llm.``, ``visual.`` …) — removed with the component
  prefix (``scanner.components``);
* naming schools (Hugging Face ``self_attn.q_proj``, Meta ``attention.wq``, GGUF ``attn_q``,
  BERT ``attention.self.query`` …) — mapped to one role vocabulary (``ROLE_PATTERNS``);
* fused tensors (``qkv_proj``, ``c_attn``, ``W_pack``, ``in_proj_weight``, ``gate_up_proj``) —
  split into their parts, using the config's head counts when grouped-query attention makes the
  parts unequal;
* transposed storage (GPT-2 ``Conv1D``; expert tensors stored input-major) — flagged so the
  sketch is taken of the canonical orientation;
* Meta's rotary row order for q/k — undone with the same per-head permutation the official
  conversion applies, so Meta-format and HF-format copies of one model line up;
* packed MoE experts (``[experts, out, in]``) — unpacked into one piece per expert;
* FP8 block scales and int8 scales — attached so values are dequantised before sketching.

A piece that cannot be decoded carries the reason (``skip``), which the report shows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from scanner.components import assign
from scanner.lineage.sketch import K
from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import ConfigFacts
from scanner.weights.dtypes import FLOAT_DTYPES

# (role, pattern over the within-layer suffix without .weight/.bias); first match wins.
ROLE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("attn.qkv", r"(self_attn|attn|attention|self_attention|mixer)\.(qkv_proj|qkv|c_attn|query_key_value|W_pack|Wqkv|in_proj)|attn_qkv"),
    ("attn.q", r"(self_attn|attn|attention|self_attention|attention\.self)\.(q_proj|wq|q|query)|attn_q"),
    ("attn.k", r"(self_attn|attn|attention|self_attention|attention\.self)\.(k_proj|wk|k|key)|attn_k"),
    ("attn.v", r"(self_attn|attn|attention|self_attention|attention\.self)\.(v_proj|wv|v|value)|attn_v"),
    ("attn.o", r"(self_attn|attn|attention|self_attention)\.(o_proj|wo|out_proj|proj|c_proj|dense|output\.dense)|attn_output"),
    ("mlp.gate_up", r"(mlp|feed_forward|ffn)\.(gate_up_proj|w13|gate_up)"),
    ("mlp.gate", r"(mlp|feed_forward|ffn|block_sparse_moe)\.(gate_proj|w1)|ffn_gate"),
    ("mlp.up", r"(mlp|feed_forward|ffn)\.(up_proj|w3|fc1|c_fc|dense_h_to_4h|fc_in)|intermediate\.dense|ffn_up"),
    ("mlp.down", r"(mlp|feed_forward|ffn)\.(down_proj|w2|fc2|c_proj|dense_4h_to_h|fc_out)|output\.dense|ffn_down"),
    ("mlp.router", r"(mlp|block_sparse_moe|feed_forward)\.(gate|router)(\.weight)?$|ffn_gate_inp"),
    ("norm.attn", r"input_layernorm|attention_norm|attn_norm|ln_1|layer_norm1|norm1|attention\.output\.LayerNorm|self_attn_layer_norm"),
    ("norm.mlp", r"post_attention_layernorm|ffn_norm|ln_2|layer_norm2|norm2|output\.LayerNorm|final_layer_norm"),
)
TOP_ROLES: tuple[tuple[str, str], ...] = (
    ("embed", r"(embed_tokens|tok_embeddings|wte|word_embeddings|embeddings\.word_embeddings|token_embd|embedding)$"),
    ("lm_head", r"(lm_head|output|embed_out)$"),
    ("norm.final", r"(norm|ln_f|final_layernorm|final_norm|output_norm)$"),
)
_COMPILED = tuple((role, re.compile(rf"^(?:{pat})$")) for role, pat in ROLE_PATTERNS)
_TOP = tuple((role, re.compile(rf"^(?:{pat})$")) for role, pat in TOP_ROLES)
_LAYER = re.compile(r"(?:^|\.)(?:layers|layer|blocks|block|h|blk|resblocks)\.(?P<n>\d+)\.(?P<rest>.+)$")
_EXPERT = re.compile(r"^(?P<head>.*?\.experts)\.(?P<e>\d+)\.(?P<tail>.+)$")
_SUFFIX = re.compile(r"\.(weight|bias)$")
CONV1D_MODEL_TYPES = frozenset({"gpt2", "gpt_bigcode", "starcoder2_conv1d"})
SCALE_SUFFIXES = ("_scale_inv", ".weight_scale", ".SCB", ".weight_scale_2", ".input_scale")
MIN_SKETCH_DIM = 8  # and the longer side at least 2K, so a sketch can never be inverted back to the weights
MAX_VECTOR = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Piece:
    """One comparable 1-D or 2-D part of a stored tensor, in canonical form."""

    key: str
    source: HeaderTensor
    component: str
    role: str
    layer: int | None
    expert: int | None = None
    rows: tuple[int, int] | None = None  # row range of the (canonical-orientation) 2-D view
    transpose: bool = False
    row_order: np.ndarray | None = field(default=None, compare=False)  # canonical row i = stored row row_order[i]
    shape: tuple[int, ...]
    scale: HeaderTensor | None = None
    skip: str | None = None
    transformations: tuple[str, ...] = ()

    @property
    def canonical(self) -> str:
        where = f"layers.{self.layer}." if self.layer is not None else ""
        expert = f"experts.{self.expert}." if self.expert is not None else ""
        return f"{self.component}:{where}{expert}{self.role}"

    @property
    def kind(self) -> str:
        """'matrix' (sketched as evidence), 'vector' (context only) or 'small' (hashed only)."""
        if len(self.shape) == 2 and min(self.shape) >= MIN_SKETCH_DIM and max(self.shape) >= 2 * K:
            return "matrix"
        if len(self.shape) == 1 and 16 <= self.shape[0] <= MAX_VECTOR:
            return "vector"
        return "small"


@dataclass(frozen=True, slots=True)
class Heads:
    """Attention geometry from the config, used to split fused qkv and to undo rotary row orders."""

    heads: int | None
    kv_heads: int | None
    head_dim: int | None
    hidden: int | None
    intermediate: int | None


def heads_of(config: ConfigFacts | None, component: str) -> Heads:
    section = next((s for s in config.sections if s.component == component), None) if config else None
    h = section.hyperparameters if section else {}

    def first(*keys: str) -> int | None:
        for key in keys:
            value = h.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None

    heads = first("num_attention_heads", "num_heads", "n_head", "encoder_attention_heads")
    hidden = first("hidden_size", "n_embd", "d_model", "embed_dim")
    head_dim = first("head_dim") or (hidden // heads if hidden and heads and hidden % heads == 0 else None)
    return Heads(heads=heads, kv_heads=first("num_key_value_heads", "num_kv_heads", "n_head_kv") or heads,
                 head_dim=head_dim, hidden=hidden,
                 intermediate=first("intermediate_size", "ffn_hidden_size", "n_inner", "encoder_ffn_dim"))


def role_of(suffix: str) -> str:
    """Canonical role of a name suffix; tried on ever shorter dotted tails, so wrappers do not matter.

    Unknown suffixes keep their own name (with numbers masked), which still pairs equal names.
    """
    bare = _SUFFIX.sub("", suffix)
    tag = ".bias" if suffix.endswith(".bias") else ""
    parts = bare.split(".")
    for start in range(len(parts)):
        tail = ".".join(parts[start:])
        for role, pattern in _COMPILED + _TOP:
            if pattern.match(tail):
                return role + tag
    return re.sub(r"\.\d+\.", ".#.", suffix)


def is_scale(name: str) -> bool:
    return name.endswith(SCALE_SUFFIXES)


def pieces_for(tensors: list[HeaderTensor], config: ConfigFacts | None, *, audio_encoder: bool) -> list[Piece]:
    """Canonical pieces of every tensor, in a stable order."""
    by_name = {t.name: t for t in tensors}
    model_type = config.model_type if config else None
    out: list[Piece] = []
    for t in sorted(tensors, key=lambda t: (t.file, t.name)):
        if is_scale(t.name):
            continue
        component, _ = assign(t.name, audio_encoder=audio_encoder)
        layer, suffix = _split_layer(t.name)
        expert = None
        m = _EXPERT.match(suffix)
        if m:
            expert, suffix = int(m.group("e")), f"{m.group('head')[: -len('.experts')]}.{m.group('tail')}"
        role = role_of(suffix)
        scale = _scale_for(t, by_name)
        base = dict(source=t, component=component, role=role, layer=layer, scale=scale, skip=_undecodable(t, scale))
        heads = heads_of(config, component)
        out.extend(_expand(t, base, expert, heads, model_type))
    return out


def _split_layer(name: str) -> tuple[int | None, str]:
    """(layer index, within-layer suffix) from the first ``layers.N.``-style segment, else (None, name)."""
    m = _LAYER.search(name)
    if not m:
        return None, name
    return int(m.group("n")), m.group("rest")


def _undecodable(t: HeaderTensor, scale: HeaderTensor | None) -> str | None:
    if t.dtype in FLOAT_DTYPES or t.dtype == "I8":
        return None
    if t.dtype == "U8" and scale is not None:
        return None
    return f"{t.dtype} values are packed or quantised in a layout the header does not describe; not dequantised"


def _scale_for(t: HeaderTensor, by_name: dict[str, HeaderTensor]) -> HeaderTensor | None:
    base = t.name[: -len(".weight")] if t.name.endswith(".weight") else t.name
    for candidate in (t.name + "_scale_inv", base + ".weight_scale", base + ".SCB"):
        if candidate in by_name and candidate != t.name:
            return by_name[candidate]
    return None


def _expand(t: HeaderTensor, base: dict, expert: int | None, heads: Heads, model_type: str | None) -> list[Piece]:
    """Split fused and packed tensors; mark transposed storage and Meta rotary order."""
    key = t.name
    role = base["role"]
    if len(t.shape) == 3 and role.startswith("mlp."):
        pieces = []
        for e in range(t.shape[0]):
            a, b = t.shape[1], t.shape[2]
            transpose = heads.hidden is not None and (
                (role != "mlp.down" and a == heads.hidden and b != heads.hidden)
                or (role == "mlp.down" and b == heads.hidden and a != heads.hidden))
            shape = (b, a) if transpose else (a, b)
            one = dict(base, expert=e)
            pieces += _split_fused(f"{key}#e{e}", one, shape, transpose, heads,
                                   ("expert-unpacking",) + (("transpose",) if transpose else ()))
        return pieces
    if len(t.shape) <= 1 or 0 in t.shape:
        return _split_fused(key, dict(base, expert=expert), t.shape, False, heads, ())
    if len(t.shape) > 2:  # convolution kernels (patch embeddings): output channels x everything else
        return [Piece(key=key, expert=expert, shape=(t.shape[0], math.prod(t.shape[1:])), **base)]
    transpose = t.transposed or (model_type in CONV1D_MODEL_TYPES and t.name.split(".")[-2] in ("c_attn", "c_proj", "c_fc"))
    shape = (t.shape[1], t.shape[0]) if transpose else t.shape
    notes = ("transpose",) if transpose else ()
    if role in ("attn.q", "attn.k") and _meta_named(t.name) and heads.heads:
        n = heads.heads if role == "attn.q" else (heads.kv_heads or heads.heads)
        order = meta_to_hf_rows(shape[0], n)
        if order is not None:
            return [Piece(key=key, expert=expert, shape=shape, transpose=transpose, row_order=order,
                          transformations=notes + ("rotary-layout",), **base)]
    return _split_fused(key, dict(base, expert=expert), shape, transpose, heads, notes)


def _split_fused(key: str, base: dict, shape: tuple[int, ...], transpose: bool, heads: Heads,
                 notes: tuple[str, ...]) -> list[Piece]:
    role = base["role"]
    if not shape:
        return [Piece(key=key, shape=shape, transpose=transpose, transformations=notes, **base)]
    rows = shape[0]
    parts: list[tuple[str, int]] = []
    if role in ("attn.qkv", "attn.qkv.bias"):
        q = (heads.heads or 0) * (heads.head_dim or 0)
        kv = (heads.kv_heads or 0) * (heads.head_dim or 0)
        if q and q + 2 * kv == rows:
            parts = [("attn.q", q), ("attn.k", kv), ("attn.v", kv)]
        elif rows % 3 == 0:
            parts = [("attn.q", rows // 3), ("attn.k", rows // 3), ("attn.v", rows // 3)]
    elif role in ("mlp.gate_up", "mlp.gate_up.bias") and rows % 2 == 0:
        parts = [("mlp.gate", rows // 2), ("mlp.up", rows // 2)]
    if not parts:
        return [Piece(key=key, shape=shape, transpose=transpose, transformations=notes, **base)]
    suffix = ".bias" if role.endswith(".bias") else ""
    pieces, start = [], 0
    for part, n in parts:
        piece_shape = (n, shape[1]) if len(shape) == 2 else (n,)
        pieces.append(Piece(key=f"{key}#{part}", shape=piece_shape, transpose=transpose, rows=(start, start + n),
                            transformations=notes + ("fused-split",), **dict(base, role=part + suffix)))
        start += n
    return pieces


def _meta_named(name: str) -> bool:
    return ".wq." in f".{name}" or ".wk." in f".{name}"


def meta_to_hf_rows(rows: int, n_heads: int) -> np.ndarray | None:
    """Row order that turns Meta's interleaved rotary layout into Hugging Face's half-split layout.

    Within each head Meta stores rotary pairs as adjacent rows (0,1),(2,3)…; the HF conversion
    moves the first members of the pairs to the first half of the head. Returns ``None`` when the
    rows do not divide into heads of even size.
    """
    if n_heads <= 0 or rows % n_heads or (rows // n_heads) % 2:
        return None
    half = rows // n_heads // 2
    return np.arange(rows).reshape(n_heads, half, 2).transpose(0, 2, 1).reshape(rows)


def rotary_alternatives(rows: int, head_dims: tuple[int, ...]) -> list[tuple[str, np.ndarray]]:
    """Row orders to try on q/k tensors whose layout is unknown (a converted or obfuscated copy)."""
    out = []
    for hd in head_dims:
        if hd and rows % hd == 0 and hd % 2 == 0:
            order = meta_to_hf_rows(rows, rows // hd)
            if order is not None:
                out.append((f"rotary-layout(head_dim={hd})", order))
                out.append((f"rotary-layout-inverse(head_dim={hd})", np.argsort(order)))
    return out
