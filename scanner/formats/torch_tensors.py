"""PyTorch tensors in a symbolically replayed pickle: names, storages, shapes and byte ranges.

``pickle_vm`` leaves a tree of plain values and recorded calls. A tensor is a recorded
``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …)`` whose storage is a
persistent id ``("storage", <storage class>, key, location, numel)``; parameters and tensor
subclasses wrap such a call. This module walks the tree (depth- and size-capped) to collect named
tensors — preferring the state dict inside a training checkpoint, following a pickled module's
``_parameters``/``_modules`` — and turns each into a ``HeaderTensor`` once its storage's byte range
in the file is known. Row-major tensors are used as stored; column-major matrices (a saved
transposed view) are flagged ``transposed``; other layouts are counted and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner.errors import problem
from scanner.formats.naming import strip_prefix, wrapper_prefix
from scanner.formats.pickle_vm import Call, Global, PersistentId
from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import Problem, Severity

MAX_DEPTH = 32
MAX_NODES = 2_000_000
MIN_WEIGHT_VALUES = 16
PREFERRED_KEYS = ("state_dict", "model_state_dict", "model", "module", "ema", "params", "weights")

STORAGE_DTYPES = {
    "FloatStorage": ("F32", 4), "DoubleStorage": ("F64", 8), "HalfStorage": ("F16", 2), "BFloat16Storage": ("BF16", 2),
    "LongStorage": ("I64", 8), "IntStorage": ("I32", 4), "ShortStorage": ("I16", 2), "CharStorage": ("I8", 1),
    "ByteStorage": ("U8", 1), "BoolStorage": ("BOOL", 1),
}
TORCH_DTYPES = {
    "float32": "FloatStorage", "float": "FloatStorage", "float64": "DoubleStorage", "double": "DoubleStorage",
    "float16": "HalfStorage", "half": "HalfStorage", "bfloat16": "BFloat16Storage", "int64": "LongStorage",
    "long": "LongStorage", "int32": "IntStorage", "int": "IntStorage", "int16": "ShortStorage", "short": "ShortStorage",
    "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}
WEIGHT_DTYPES = frozenset({"F32", "F64", "F16", "BF16"})
_REBUILD_TENSOR = frozenset({"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3"})
_REBUILD_WRAPPERS = frozenset({"_rebuild_parameter", "_rebuild_parameter_with_state"})


@dataclass(frozen=True, slots=True)
class TensorRef:
    """A tensor as the pickle describes it, before its storage is located."""

    storage_key: str
    storage_class: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


@dataclass(slots=True)
class Found:
    """Tensors found in the object tree, and how many were passed over for each reason."""

    tensors: list[tuple[str, TensorRef]]
    skipped: dict[str, int]

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def storage_classes(result: Any) -> dict[str, str]:
    """Storage key -> storage class for every persistent id in the object tree (legacy files need all of
    them, in order, to step from one storage to the next)."""
    classes: dict[str, str] = {}
    pending, budget = [result], MAX_NODES
    while pending and budget > 0:
        budget -= 1
        obj = pending.pop()
        if isinstance(obj, PersistentId):
            pid = obj.value
            if isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[1], Global):
                classes.setdefault(str(pid[2]), pid[1].name)
        elif isinstance(obj, Call):
            pending += [*obj.args, obj.state, *obj.items.values(), *obj.appended]
        elif isinstance(obj, dict):
            pending += list(obj.values())
        elif isinstance(obj, (list, tuple)):
            pending += list(obj)
    return classes


def find_tensors(result: Any) -> tuple[Found, str]:
    """Named tensor descriptions in the rebuilt object; the state dict inside a training checkpoint is preferred."""
    root, chosen = result, ""
    mapping = _mapping(result)
    if mapping is not None:
        for key in PREFERRED_KEYS:
            value = mapping.get(key)
            if value is not None and _holds_tensor(value):
                root, chosen = value, key
                break
    found = Found(tensors=[], skipped={})
    budget = [MAX_NODES]
    _walk(root, "", 0, found, budget)
    prefix = wrapper_prefix(name for name, _ in found.tensors)
    found.tensors = [(strip_prefix(name, prefix), ref) for name, ref in found.tensors]
    return found, chosen


def _holds_tensor(value: Any) -> bool:
    probe = Found(tensors=[], skipped={})
    _walk(value, "", 0, probe, [10_000])
    return bool(probe.tensors)


def _mapping(obj: Any) -> dict | None:
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, Call) and obj.items:
        return obj.items
    return None


def _walk(obj: Any, name: str, depth: int, found: Found, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        found.skip("object tree too large")
        return
    if depth > MAX_DEPTH:
        found.skip("nested too deeply")
        return
    ref = _tensor_ref(obj, found)
    if ref is not None:
        found.tensors.append((name, ref))
        return
    join = (lambda key: f"{name}.{key}") if name else str
    mapping = _mapping(obj)
    if mapping is not None:
        for key, value in mapping.items():
            if isinstance(key, (str, int)) and not isinstance(key, bool):
                _walk(value, join(key), depth + 1, found, budget)
        return
    if isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            _walk(value, join(index), depth + 1, found, budget)
        return
    if isinstance(obj, Call) and isinstance(obj.state, dict):  # a pickled nn.Module: follow its attributes
        for attribute in ("_parameters", "_buffers"):
            _walk(obj.state.get(attribute), name, depth + 1, found, budget)
        modules = _mapping(obj.state.get("_modules"))
        for key, value in (modules or {}).items():
            if isinstance(key, str):
                _walk(value, join(key), depth + 1, found, budget)


def _tensor_ref(obj: Any, found: Found) -> TensorRef | None:
    if not isinstance(obj, Call) or not isinstance(obj.func, Global):
        return None
    func = obj.func
    if func.module == "torch._utils" and func.name in _REBUILD_WRAPPERS and obj.args:
        return _tensor_ref(obj.args[0], found)
    if func.module == "torch.nn.parameter" and func.name == "Parameter" and obj.args:
        return _tensor_ref(obj.args[0], found)
    if func.module == "torch._tensor" and func.name == "_rebuild_from_type_v2" and len(obj.args) >= 3:
        inner = obj.args[2] if isinstance(obj.args[2], tuple) else ()
        return _tensor_ref(Call(obj.args[0], inner), found)
    if func.module != "torch._utils" or func.name not in _REBUILD_TENSOR:
        if func.module == "torch._utils" and func.name.startswith("_rebuild_"):
            found.skip(f"{func.name} tensors")
        return None
    args = obj.args
    if len(args) < 4 or not isinstance(args[0], PersistentId):
        found.skip("malformed tensors")
        return None
    pid = args[0].value
    if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], Global)):
        found.skip("malformed tensors")
        return None
    if len(pid) >= 6 and pid[5] is not None:  # legacy storage view into a larger storage
        found.skip("storage views")
        return None
    storage_class = pid[1].name
    if func.name == "_rebuild_tensor_v3" and len(args) >= 7 and isinstance(args[6], Global):
        storage_class = TORCH_DTYPES.get(args[6].name, storage_class)
    offset, size, stride = args[1], args[2], args[3]
    if not (_ints(size) and _ints(stride) and isinstance(offset, int) and len(size) == len(stride) and offset >= 0):
        found.skip("malformed tensors")
        return None
    return TensorRef(storage_key=str(pid[2]), storage_class=storage_class, offset=offset, size=tuple(size),
                      stride=tuple(stride))


def _ints(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)


def place_tensors(found: Found, rel: str, locate: Callable[[str], tuple[int, int] | str], problems: list[Problem]) -> list[HeaderTensor]:
    """HeaderTensors for the weight tensors whose bytes could be located; the rest are counted in ``skipped``."""
    out: list[HeaderTensor] = []
    seen: set[str] = set()
    for name, ref in found.tensors:
        dtype, width = STORAGE_DTYPES.get(ref.storage_class, ("", 0))
        numel = 1
        for d in ref.size:
            numel *= d
        if dtype not in WEIGHT_DTYPES or numel < MIN_WEIGHT_VALUES:
            found.skip("constants that are not weights" if dtype else f"{ref.storage_class} tensors")
            continue
        if name in seen or not name:
            found.skip("tensors without a unique name")
            continue
        layout = _layout(ref.size, ref.stride)
        if layout is None:
            found.skip("non-contiguous tensors")
            continue
        located = locate(ref.storage_key)
        if isinstance(located, str):
            problems.append(problem(rel, "pytorch.storage", f"tensor '{name}' not read: {located}", Severity.WARNING))
            continue
        start, nbytes = located
        first = ref.offset * width
        if first + numel * width > nbytes:
            problems.append(problem(rel, "pytorch.storage", f"tensor '{name}' runs past the end of its storage",
                                    Severity.WARNING))
            continue
        shape, transposed = layout
        seen.add(name)
        out.append(HeaderTensor(name=name, dtype=dtype, shape=shape, file=rel, start=start + first,
                                end=start + first + numel * width, transposed=transposed))
    return sorted(out, key=lambda t: t.name)


def _layout(size: tuple[int, ...], stride: tuple[int, ...]) -> tuple[tuple[int, ...], bool] | None:
    """(stored shape, transposed) for row-major tensors and column-major matrices; None otherwise."""
    def row_major(dims: tuple[int, ...], steps: tuple[int, ...]) -> bool:
        expected = 1
        for d, s in zip(reversed(dims), reversed(steps)):
            if d != 1 and s != expected:
                return False
            expected *= d
        return True

    if row_major(size, stride):
        return size, False
    if len(size) == 2 and row_major(size[::-1], stride[::-1]):
        return size[::-1], True
    return None


def found_note(found: Found, chosen: str) -> str:
    parts = [f"tensors taken from '{chosen}'"] if chosen else []
    parts += [f"{n} {why} skipped" for why, n in sorted(found.skipped.items())]
    return "; ".join(parts)
