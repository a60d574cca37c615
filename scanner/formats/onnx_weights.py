"""Which ONNX initialisers are weights, how to decode them, which way round they are, and their names.

An exported graph says more about its weights than their names do:

* **Dequantisation.** An int8 weight is followed by the nodes that turn it back into floats —
  ``DequantizeLinear(q, scale, zero_point)``, ``Cast`` → (``Sub`` zero point) → ``Mul`` scale, or a
  ``MatMulInteger`` with its ``<name>_scale`` sibling. The scale and zero point are folded into the
  weight (``Dequant``), so the engine sees the values the model computes with.
* **Orientation.** ``MatMul(x, W)`` computes ``x @ W``, so ``W`` is stored ``[in, out]``: the
  transpose of a PyTorch ``Linear`` weight. Such weights are flagged ``transposed`` (``Gemm`` with
  ``transB=1`` and weights reached through a ``Transpose`` node are not).
* **Names.** Exporters often name a linear weight ``onnx::MatMul_123`` or ``val_45``, but the
  ``Add`` right after the ``MatMul`` usually adds the layer's bias, which keeps its real name
  (``…attention.self.query.bias``): the weight is then that name with ``.weight``. Failing that, a
  scoped node name (``/encoder/layer.0/attention/self/query/MatMul``) gives the module path.
  Weights whose role the graph does not reveal keep their anonymous names; the lineage engine
  still matches them by shape and content.

Integer initialisers that are not weights (shape vectors, position ids) and tiny scalars are not
returned as tensors; they are only counted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from onnx import TensorProto

from scanner.formats.naming import strip_prefix, wrapper_prefix
from scanner.formats.onnx_file import DTYPES, FLOAT_TYPES, Initializer, Node, OnnxModel
from scanner.parse.safetensors_header import Dequant, HeaderTensor

MIN_WEIGHT_VALUES = 16  # fewer values than this are constants (epsilons, scalars), not weights
MIN_CODE_MATRIX = 4096  # integer matrices this large with no scale are kept as codes
_PASS_THROUGH = ("Cast", "Identity")
_SCOPED_NODE = re.compile(r"^/(?P<path>(?:[^/]+/)+)[^/]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightSummary:
    """Counts behind the file-list note."""

    dequantised: int = 0
    transposed: int = 0
    named_from_graph: int = 0
    anonymous: int = 0
    constants: int = 0
    wrapper: str = ""


def onnx_weights(model: OnnxModel) -> tuple[list[HeaderTensor], WeightSummary, list[tuple[str, str]]]:
    """(weight tensors, summary counts, [(initialiser name, why it was not read)])."""
    by_name = {i.name: i for i in model.initializers}
    consumers: dict[str, list[tuple[Node, int]]] = defaultdict(list)
    for node in model.nodes:
        for index, value in enumerate(node.inputs):
            if value:
                consumers[value].append((node, index))
    unreadable = [(i.name, i.problem) for i in model.initializers if i.problem]
    usable = {name: i for name, i in by_name.items() if not i.problem}

    weights: dict[str, HeaderTensor] = {}  # graph value name -> tensor
    companions: set[str] = set()
    dequantised = 0
    for init in usable.values():
        if init.data_type not in (TensorProto.INT8, TensorProto.UINT8):
            continue
        found = _dequantisation(init, usable, consumers)
        if found is None:
            continue
        value_name, dequant = found
        weights[value_name] = _header(init, value_name, "I8_SCALED" if init.data_type == TensorProto.INT8 else "U8_SCALED",
                                      dequant)
        companions |= {dequant.scale.name} | ({dequant.zero_point.name} if dequant.zero_point else set())
        companions.add(init.name)
        dequantised += 1
    constants = 0
    for init in usable.values():
        if init.name in companions or init.name in weights:
            continue
        count = _numel(init.dims)
        if init.data_type in FLOAT_TYPES and count >= MIN_WEIGHT_VALUES:
            weights[init.name] = _header(init, init.name, DTYPES[init.data_type][0], None)
        elif init.data_type == TensorProto.INT8 and len(init.dims) == 2 and count >= MIN_CODE_MATRIX:
            weights[init.name] = _header(init, init.name, "I8", None)
        elif init.data_type == TensorProto.UINT8 and len(init.dims) == 2 and count >= MIN_CODE_MATRIX:
            weights[init.name] = _header(init, init.name, "U8", None)
        else:
            constants += 1

    transposed = 0
    named = 0
    renamed: dict[str, HeaderTensor] = {}
    taken = set(weights)
    for value_name, tensor in sorted(weights.items()):
        use = _matrix_use(value_name, consumers) if len(tensor.shape) == 2 else None
        if use is not None:
            is_transposed, matmul = use
            if is_transposed:
                tensor = replace(tensor, transposed=True)
                transposed += 1
            if "." not in value_name:
                better = _name_from_graph(matmul, usable, consumers)
                if better and better not in taken:
                    taken.add(better)
                    tensor = replace(tensor, name=better)
                    named += 1
        renamed[value_name] = tensor
    prefix = wrapper_prefix(t.name for t in renamed.values())
    tensors = sorted((replace(t, name=strip_prefix(t.name, prefix)) for t in renamed.values()), key=lambda t: t.name)
    anonymous = sum("." not in t.name for t in tensors)
    summary = WeightSummary(dequantised=dequantised, transposed=transposed, named_from_graph=named,
                            anonymous=anonymous, constants=constants, wrapper=prefix)
    return tensors, summary, unreadable


def _header(init: Initializer, name: str, dtype: str, dequant: Dequant | None) -> HeaderTensor:
    return HeaderTensor(name=name, dtype=dtype, shape=init.dims, file=init.file, start=init.start, end=init.end,
                        dequant=dequant)


def _numel(dims: tuple[int, ...]) -> int:
    count = 1
    for d in dims:
        count *= d
    return count


def _float_constant(name: str, usable: dict[str, Initializer]) -> Initializer | None:
    init = usable.get(name)
    return init if init is not None and init.data_type in FLOAT_TYPES else None


def _integer_constant(name: str, usable: dict[str, Initializer], like: Initializer) -> Initializer | None:
    init = usable.get(name)
    return init if init is not None and init.data_type == like.data_type else None


def _broadcasts(scale: Initializer, codes: Initializer) -> bool:
    """Whether ``scale`` broadcasts over ``codes`` by numpy rules (right-aligned, 1 or equal)."""
    if len(scale.dims) > len(codes.dims):
        return False
    return all(s in (1, c) for s, c in zip(reversed(scale.dims), reversed(codes.dims)))


def _dequantisation(init: Initializer, usable: dict[str, Initializer],
                    consumers: dict[str, list[tuple[Node, int]]]) -> tuple[str, Dequant] | None:
    """(name of the float value the graph computes from these codes, how) or None."""
    for node, index in consumers.get(init.name, ()):
        if node.op_type == "DequantizeLinear" and index == 0 and len(node.inputs) >= 2 and node.outputs:
            if node.ints.get("block_size", 0):
                return None
            scale = _float_constant(node.inputs[1], usable)
            zero = _integer_constant(node.inputs[2], usable, init) if len(node.inputs) > 2 and node.inputs[2] else None
            if scale is None or (len(node.inputs) > 2 and node.inputs[2] and zero is None):
                return None
            axis = None
            if len(scale.dims) == 1 and scale.dims[0] > 1:
                axis = node.ints.get("axis", 1)
                if not -len(init.dims) <= axis < len(init.dims) or init.dims[axis] != scale.dims[0]:
                    return None
            elif not _broadcasts(scale, init):
                return None
            return node.outputs[0], Dequant(scale=_companion(scale), zero_point=_companion(zero) if zero else None, axis=axis)
        if node.op_type == "Cast" and index == 0 and node.outputs:
            return _cast_chain(init, node.outputs[0], usable, consumers)
        if node.op_type == "MatMulInteger" and index == 1:
            return _matmul_integer(init, node, usable)
    return None


def _cast_chain(init: Initializer, cast_out: str, usable: dict[str, Initializer],
                consumers: dict[str, list[tuple[Node, int]]]) -> tuple[str, Dequant] | None:
    """Cast(q) [→ Sub(·, zero_point)] → Mul(·, scale): the hand-written dequantisation exporters emit."""
    value, zero = cast_out, None
    steps = consumers.get(value, ())
    if len(steps) == 1 and steps[0][0].op_type == "Sub" and steps[0][1] == 0 and steps[0][0].outputs:
        sub = steps[0][0]
        zero = usable.get(sub.inputs[1]) if len(sub.inputs) > 1 else None
        if zero is None or not _broadcasts(zero, init):
            return None
        value = sub.outputs[0]
        steps = consumers.get(value, ())
    if len(steps) != 1 or steps[0][0].op_type != "Mul" or not steps[0][0].outputs:
        return None
    mul, index = steps[0]
    other = mul.inputs[1 - index] if len(mul.inputs) == 2 else ""
    scale = _float_constant(other, usable)
    if scale is None or not _broadcasts(scale, init):
        return None
    return mul.outputs[0], Dequant(scale=_companion(scale), zero_point=_companion(zero) if zero else None)


def _matmul_integer(init: Initializer, node: Node, usable: dict[str, Initializer]) -> tuple[str, Dequant] | None:
    """onnxruntime's dynamic quantisation: the weight's scale is a sibling initialiser ``<base>_scale``."""
    base = init.name.removesuffix("_quantized")
    scale = _float_constant(f"{base}_scale", usable)
    if scale is None or not _broadcasts(scale, init):
        return None
    zero = _integer_constant(node.inputs[3], usable, init) if len(node.inputs) > 3 and node.inputs[3] else None
    if zero is not None and not _broadcasts(zero, init):
        return None
    return base, Dequant(scale=_companion(scale), zero_point=_companion(zero) if zero else None)


def _companion(init: Initializer) -> HeaderTensor:
    return HeaderTensor(name=init.name, dtype=DTYPES[init.data_type][0], shape=init.dims, file=init.file,
                        start=init.start, end=init.end)


def _matrix_use(value: str, consumers: dict[str, list[tuple[Node, int]]]) -> tuple[bool, Node] | None:
    """(stored [in, out]?, the MatMul/Gemm node) when the value is a matrix-product weight."""
    flipped = False
    for _ in range(4):  # follow Cast/Identity/Transpose a few steps
        uses = consumers.get(value, ())
        for node, index in uses:
            if node.op_type in ("MatMul", "MatMulInteger") and index == 1:
                return (not flipped), node
            if node.op_type == "Gemm" and index == 1:
                return (node.ints.get("transB", 0) == 0) != flipped, node
            if node.op_type == "Gemm" and index == 0 and node.ints.get("transA", 0) == 0:
                return None
        passing = [(n, i) for n, i in uses if i == 0 and n.outputs and
                   (n.op_type in _PASS_THROUGH or (n.op_type == "Transpose" and n.int_lists.get("perm", (1, 0)) == (1, 0)))]
        if len(passing) != 1:
            return None
        node = passing[0][0]
        flipped ^= node.op_type == "Transpose"
        value = node.outputs[0]
    return None


def _name_from_graph(matmul: Node, usable: dict[str, Initializer],
                     consumers: dict[str, list[tuple[Node, int]]]) -> str | None:
    """A module path for an anonymous matrix-product weight, from its bias or its node's scope."""
    if matmul.op_type == "Gemm" and len(matmul.inputs) > 2 and matmul.inputs[2].endswith(".bias"):
        return matmul.inputs[2].removesuffix(".bias") + ".weight"
    for node, index in consumers.get(matmul.outputs[0] if matmul.outputs else "", ()):
        if node.op_type == "Add" and len(node.inputs) == 2:
            other = node.inputs[1 - index]
            if other in usable and other.endswith(".bias") and "." in other.removesuffix(".bias"):
                return other.removesuffix(".bias") + ".weight"
    m = _SCOPED_NODE.match(matmul.name)
    if m:
        path = [p for p in m.group("path").strip("/").split("/") if p]
        if len(path) >= 2:
            return ".".join(path) + ".weight"
    return None
