"""Write one synthetic model (Hugging Face names, [out, in] matrices) as GGUF, ONNX or a PyTorch checkpoint,
the way the real converters and exporters lay them out, so the readers can be checked against the original."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo

SPEC = M.TextSpec(hidden=128, layers=4, heads=4, kv_heads=2, intermediate=256, vocab=384)
HF_TO_GGUF = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
}
MAKE_TORCH = Path(__file__).with_name("make_torch_files.py")


def model(seed: int) -> dict[str, np.ndarray]:
    return M.text_model(SPEC, seed)


def config() -> dict:
    return M.text_config(SPEC, "llama")


def reference_repo(root: Path, tensors: dict[str, np.ndarray]) -> Path:
    return write_repo(root, tensors, config(), dtype="F32")


def llama_cpp_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """The row order llama.cpp's converter gives q/k of Llama models (pairs interleaved per head)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(path: Path, tensors: dict[str, np.ndarray], qtype: gguf.GGMLQuantizationType, *,
               license_id: str = "apache-2.0", base_model_repo: str | None = None) -> Path:
    """A llama-architecture GGUF as llama.cpp writes one: renamed tensors, permuted q/k, quantised matrices."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(SPEC.layers)
    writer.add_context_length(2048)
    writer.add_embedding_length(SPEC.hidden)
    writer.add_feed_forward_length(SPEC.intermediate)
    writer.add_head_count(SPEC.heads)
    writer.add_head_count_kv(SPEC.kv_heads)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_license(license_id)
    if base_model_repo:
        writer.add_base_model_count(1)
        writer.add_base_model_name(0, base_model_repo.split("/")[1])
        writer.add_base_model_organization(0, base_model_repo.split("/")[0])
        writer.add_base_model_repo_url(0, f"https://huggingface.co/{base_model_repo}")
    tokens = [f"<t{i}>" for i in range(SPEC.vocab)]
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * SPEC.vocab)
    writer.add_token_merges(["<t1> <t2>"])
    for name, value in sorted(tensors.items()):
        gguf_name, value = _gguf_tensor(name, value)
        if value.ndim == 2:
            writer.add_tensor(gguf_name, gguf.quants.quantize(value.astype(np.float32), qtype), raw_dtype=qtype)
        else:
            writer.add_tensor(gguf_name, value.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _gguf_tensor(name: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    top = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}
    if name in top:
        return top[name], value
    layer, rest = name.removeprefix("model.layers.").split(".", 1)
    module = rest.removesuffix(".weight")
    if module == "self_attn.q_proj":
        value = llama_cpp_permute(value, SPEC.heads)
    elif module == "self_attn.k_proj":
        value = llama_cpp_permute(value, SPEC.kv_heads)
    return f"blk.{layer}.{HF_TO_GGUF[module]}.weight", value


def write_onnx(path: Path, tensors: dict[str, np.ndarray], *, quantise: str | None = None,
               external: str | None = None) -> Path:
    """An export where every linear weight is an anonymous [in, out] MatMul operand.

    ``quantise``: None (float32), ``"cast-mul"`` (int8 codes, Cast then Mul by a per-column scale) or
    ``"dequantize-linear"`` (uint8 codes with a zero point, per-axis DequantizeLinear). Half of the
    layers get a bias ``Add`` after their MatMul (named like the module), the others a scoped node
    name, and embeddings stay named, as torch.onnx leaves them. ``external`` stores data in that file.
    """
    nodes, inits = [], []
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, SPEC.hidden])
    outputs = []
    for index, (name, value) in enumerate(sorted(tensors.items())):
        if value.ndim != 2 or "embed" in name or name == "lm_head.weight":
            inits.append(numpy_helper.from_array(value.astype(np.float32), name))
            continue
        anon = f"onnx::MatMul_{100 + index}"
        stored = np.ascontiguousarray(value.T.astype(np.float32))  # [in, out]
        weight_value = _quantised(anon, stored, quantise, nodes, inits)
        module = name.removesuffix(".weight")
        layer = int(name.split(".")[2])
        out = f"mm_{index}"
        if layer % 2 == 0:
            nodes.append(helper.make_node("MatMul", ["x", weight_value], [out], name=f"node_MatMul_{index}"))
            bias = f"{module}.bias"
            bias_values = np.random.default_rng(index).normal(0, 0.01, value.shape[0]).astype(np.float32)
            inits.append(numpy_helper.from_array(bias_values, bias))
            nodes.append(helper.make_node("Add", [out, bias], [out + "_b"], name=f"node_Add_{index}"))
            out += "_b"
        else:
            scope = "/" + module.replace(".layers.", "/layers.").replace(".", "/").replace("/layers/", "/layers.")
            nodes.append(helper.make_node("MatMul", ["x", weight_value], [out], name=f"{scope}/MatMul"))
        outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "export", [x], outputs, inits)
    proto = helper.make_model(graph, producer_name="pytorch", producer_version="2.5.0",
                              opset_imports=[helper.make_opsetid("", 17)])
    if external:
        onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external, size_threshold=1024)
    else:
        onnx.save_model(proto, str(path))
    return path


def _quantised(anon: str, stored: np.ndarray, quantise: str | None, nodes: list, inits: list) -> str:
    if quantise is None:
        inits.append(numpy_helper.from_array(stored, anon))
        return anon
    if quantise == "cast-mul":
        scale = np.abs(stored).max(axis=0, keepdims=True) / 127.0
        codes = np.clip(np.round(stored / scale), -127, 127).astype(np.int8)
        inits += [numpy_helper.from_array(codes, anon + "_q"), numpy_helper.from_array(scale.astype(np.float32), anon + "_scale")]
        nodes.append(helper.make_node("Cast", [anon + "_q"], [anon + "_f"], to=TensorProto.FLOAT))
        nodes.append(helper.make_node("Mul", [anon + "_f", anon + "_scale"], [anon]))
        return anon
    low, high = stored.min(axis=0), stored.max(axis=0)
    scale = ((high - low) / 255.0).astype(np.float32)
    zero = np.clip(np.round(-low / scale), 0, 255).astype(np.uint8)
    codes = np.clip(np.round(stored / scale) + zero, 0, 255).astype(np.uint8)
    inits += [numpy_helper.from_array(codes, anon + "_quantized"), numpy_helper.from_array(scale, anon + "_scale"),
              numpy_helper.from_array(zero, anon + "_zero_point")]
    nodes.append(helper.make_node("DequantizeLinear", [anon + "_quantized", anon + "_scale", anon + "_zero_point"],
                                  [anon], axis=1))
    return anon


def write_torch(path: Path, tensors: dict[str, np.ndarray], *, layout: str = "zip", wrap: str | None = None,
                evil_command: str | None = None, transpose: tuple[str, ...] = ()) -> Path:
    """A checkpoint as ``torch.save`` writes it (zip or legacy), made by a helper process that stands in
    for the torch module; ``wrap`` nests the state dict under that key of a training checkpoint,
    ``evil_command`` adds an object whose ``__reduce__`` runs a shell command, ``transpose`` stores
    those tensors as transposed views (column-major storage)."""
    arrays = path.with_suffix(".npz")
    np.savez(arrays, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()})
    options = {"layout": layout, "wrap": wrap, "evil_command": evil_command, "transpose": list(transpose)}
    subprocess.run([sys.executable, str(MAKE_TORCH), str(arrays), str(path), json.dumps(options)], check=True,
                   timeout=120)
    arrays.unlink()
    return path
