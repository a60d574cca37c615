"""The parts of an ONNX model the scan needs: initialisers with their byte ranges, nodes, producer.

``protobuf_wire`` walks the file in place; this module knows the ONNX message layout (field numbers
from ``onnx.proto``) and the ``onnx`` package's data-type enumeration. Initialiser data is located,
never copied: inline ``raw_data`` and packed ``float_data``/``double_data`` are byte ranges of the
.onnx file itself; external data is a byte range of another repository file, accepted only when its
path stays inside the repository and names a file that was listed there. Constant nodes holding a
tensor are treated as initialisers (older exporters store weights that way).
"""

from __future__ import annotations

import mmap
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onnx import TensorProto

from scanner.formats.protobuf_wire import (
    FIXED32,
    LENGTH,
    VARINT,
    Field,
    WireError,
    fields,
    packed_varints,
    signed,
    text,
)

# ModelProto / GraphProto / NodeProto / AttributeProto / TensorProto field numbers (onnx.proto)
_MODEL_PRODUCER, _MODEL_PRODUCER_VERSION, _MODEL_GRAPH, _MODEL_OPSET, _MODEL_METADATA = 2, 3, 7, 8, 14
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER = 1, 5, 15
_NODE_INPUT, _NODE_OUTPUT, _NODE_NAME, _NODE_OP, _NODE_ATTRIBUTE, _NODE_DOMAIN = 1, 2, 3, 4, 5, 7
_ATTR_NAME, _ATTR_F, _ATTR_I, _ATTR_S, _ATTR_T, _ATTR_INTS = 1, 2, 3, 4, 5, 8
_T_DIMS, _T_TYPE, _T_SEGMENT, _T_FLOAT, _T_NAME, _T_RAW, _T_DOUBLE, _T_EXTERNAL, _T_LOCATION = 1, 2, 3, 4, 8, 9, 10, 13, 14
_T_VALUE_FIELDS = {5: "int32_data", 6: "string_data", 7: "int64_data", 11: "uint64_data"}
_OPSET_DOMAIN, _OPSET_VERSION = 1, 2
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
MAX_DIMS = 16

# ONNX element types -> the weight reader's dtype strings and their bits per element
DTYPES: dict[int, tuple[str, int]] = {
    TensorProto.FLOAT: ("F32", 32), TensorProto.FLOAT16: ("F16", 16), TensorProto.BFLOAT16: ("BF16", 16),
    TensorProto.DOUBLE: ("F64", 64), TensorProto.INT8: ("I8", 8), TensorProto.UINT8: ("U8", 8),
    TensorProto.INT16: ("I16", 16), TensorProto.INT32: ("I32", 32), TensorProto.INT64: ("I64", 64),
    TensorProto.FLOAT8E4M3FN: ("F8_E4M3", 8), TensorProto.FLOAT8E5M2: ("F8_E5M2", 8), TensorProto.BOOL: ("BOOL", 8),
}
FLOAT_TYPES = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE,
                         TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E5M2})


class OnnxFormatError(ValueError):
    """The file is not an ONNX model the scanner can index."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Initializer:
    """One stored tensor: where its bytes are (``file``/``start``/``end``), or why they cannot be used (``problem``)."""

    name: str
    data_type: int
    dims: tuple[int, ...]
    file: str = ""
    start: int = 0
    end: int = 0
    problem: str = ""

    @property
    def type_name(self) -> str:
        return TensorProto.DataType.Name(self.data_type) if self.data_type in TensorProto.DataType.values() else str(self.data_type)


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    ints: dict[str, int] = field(default_factory=dict)
    int_lists: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnnxModel:
    producer: str
    opsets: dict[str, int]
    metadata: dict[str, str]
    initializers: tuple[Initializer, ...]
    nodes: tuple[Node, ...]
    sparse_initializers: int
    external_files: tuple[str, ...]


def read_onnx_model(path: Path, rel: str, resolve_external: Callable[[str], tuple[str, int] | None]) -> OnnxModel:
    """Index one .onnx file. ``resolve_external`` maps a repository-relative path to (path, size) when the
    repository lists that file, else None. Raises ``OnnxFormatError`` when the file is not readable as ONNX."""
    try:
        with open(path, "rb") as fh:
            if path.stat().st_size == 0:
                raise OnnxFormatError("is empty")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _model(buf, rel, resolve_external)
    except WireError as exc:
        raise OnnxFormatError(f"is not a readable ONNX protocol buffer ({exc})") from None
    except OSError as exc:
        raise OnnxFormatError(f"cannot be read ({exc.strerror or exc})") from None


def _model(buf: mmap.mmap, rel: str, resolve_external: Callable[[str], tuple[str, int] | None]) -> OnnxModel:
    producer, version = "", ""
    opsets: dict[str, int] = {}
    metadata: dict[str, str] = {}
    graph: Field | None = None
    for f in fields(buf, 0, len(buf)):
        if f.wire_type != LENGTH:
            continue
        if f.number == _MODEL_PRODUCER:
            producer = text(buf, f)
        elif f.number == _MODEL_PRODUCER_VERSION:
            version = text(buf, f)
        elif f.number == _MODEL_GRAPH:
            graph = f
        elif f.number == _MODEL_OPSET:
            domain, opset = "", 0
            for g in fields(buf, f.value, f.end):
                if g.number == _OPSET_DOMAIN and g.wire_type == LENGTH:
                    domain = text(buf, g)
                elif g.number == _OPSET_VERSION and g.wire_type == VARINT:
                    opset = signed(g.value)
            opsets[domain or "ai.onnx"] = opset
        elif f.number == _MODEL_METADATA:
            key, value = _entry(buf, f)
            metadata[key] = value
    if graph is None:
        raise OnnxFormatError("has no graph: not an ONNX model")
    initializers: list[Initializer] = []
    nodes: list[Node] = []
    sparse = 0
    for f in fields(buf, graph.value, graph.end):
        if f.wire_type != LENGTH:
            continue
        if f.number == _GRAPH_INITIALIZER:
            initializers.append(_tensor(buf, f, rel, resolve_external, name=None))
        elif f.number == _GRAPH_NODE:
            node, constant = _node(buf, f, rel, resolve_external)
            nodes.append(node)
            if constant is not None:
                initializers.append(constant)
        elif f.number == _GRAPH_SPARSE_INITIALIZER:
            sparse += 1
    external = tuple(sorted({i.file for i in initializers if i.file and i.file != rel}))
    return OnnxModel(producer=f"{producer} {version}".strip(), opsets=opsets, metadata=metadata,
                     initializers=tuple(initializers), nodes=tuple(nodes), sparse_initializers=sparse,
                     external_files=external)


def _entry(buf: mmap.mmap, f: Field) -> tuple[str, str]:
    key, value = "", ""
    for g in fields(buf, f.value, f.end):
        if g.wire_type == LENGTH and g.number == _ENTRY_KEY:
            key = text(buf, g)
        elif g.wire_type == LENGTH and g.number == _ENTRY_VALUE:
            value = text(buf, g)
    return key, value


def _node(buf: mmap.mmap, f: Field, rel: str, resolve_external: Callable[[str], tuple[str, int] | None]) -> tuple[Node, Initializer | None]:
    inputs: list[str] = []
    outputs: list[str] = []
    name = op_type = domain = ""
    ints: dict[str, int] = {}
    int_lists: dict[str, tuple[int, ...]] = {}
    value: Field | None = None
    for g in fields(buf, f.value, f.end):
        if g.wire_type != LENGTH:
            continue
        if g.number == _NODE_INPUT:
            inputs.append(text(buf, g))
        elif g.number == _NODE_OUTPUT:
            outputs.append(text(buf, g))
        elif g.number == _NODE_NAME:
            name = text(buf, g)
        elif g.number == _NODE_OP:
            op_type = text(buf, g)
        elif g.number == _NODE_DOMAIN:
            domain = text(buf, g)
        elif g.number == _NODE_ATTRIBUTE:
            attr_name, attr_int, attr_ints, attr_tensor = _attribute(buf, g)
            if attr_int is not None:
                ints[attr_name] = attr_int
            if attr_ints is not None:
                int_lists[attr_name] = attr_ints
            if attr_tensor is not None and attr_name == "value":
                value = attr_tensor
    node = Node(name=name, op_type=op_type, domain=domain, inputs=tuple(inputs), outputs=tuple(outputs),
                ints=ints, int_lists=int_lists)
    constant = None
    if op_type == "Constant" and domain in ("", "ai.onnx") and value is not None and outputs:
        constant = _tensor(buf, value, rel, resolve_external, name=outputs[0])
    return node, constant


def _attribute(buf: mmap.mmap, f: Field) -> tuple[str, int | None, tuple[int, ...] | None, Field | None]:
    name = ""
    value_int: int | None = None
    ints: list[int] = []
    saw_ints = False
    tensor: Field | None = None
    for g in fields(buf, f.value, f.end):
        if g.number == _ATTR_NAME and g.wire_type == LENGTH:
            name = text(buf, g)
        elif g.number == _ATTR_I and g.wire_type == VARINT:
            value_int = signed(g.value)
        elif g.number == _ATTR_INTS:
            saw_ints = True
            ints += packed_varints(buf, g) if g.wire_type == LENGTH else [signed(g.value)]
        elif g.number == _ATTR_T and g.wire_type == LENGTH:
            tensor = g
    return name, value_int, (tuple(ints) if saw_ints else None), tensor


def _tensor(buf: mmap.mmap, f: Field, rel: str, resolve_external: Callable[[str], tuple[str, int] | None],
            name: str | None) -> Initializer:
    dims: list[int] = []
    data_type = 0
    stored_name = ""
    raw: Field | None = None
    packed: Field | None = None
    external: dict[str, str] = {}
    location = 0
    other_values: set[str] = set()
    segmented = False
    for g in fields(buf, f.value, f.end):
        if g.number == _T_DIMS:
            dims += packed_varints(buf, g) if g.wire_type == LENGTH else [signed(g.value)]
        elif g.number == _T_TYPE and g.wire_type == VARINT:
            data_type = signed(g.value)
        elif g.number == _T_NAME and g.wire_type == LENGTH:
            stored_name = text(buf, g)
        elif g.number == _T_RAW and g.wire_type == LENGTH:
            raw = g
        elif g.number in (_T_FLOAT, _T_DOUBLE):
            if g.wire_type == LENGTH:
                packed = g
            else:
                other_values.add("unpacked float_data" if g.wire_type == FIXED32 else "unpacked double_data")
        elif g.number == _T_EXTERNAL and g.wire_type == LENGTH:
            key, value = _entry(buf, g)
            external[key] = value
        elif g.number == _T_LOCATION and g.wire_type == VARINT:
            location = g.value
        elif g.number == _T_SEGMENT:
            segmented = True
        elif g.number in _T_VALUE_FIELDS:
            other_values.add(_T_VALUE_FIELDS[g.number])
    tensor_name = name if name is not None else stored_name
    shape = tuple(dims)
    base = {"name": tensor_name, "data_type": data_type, "dims": shape}
    if len(shape) > MAX_DIMS or any(d < 0 for d in shape):
        return Initializer(**base, problem=f"has an invalid shape {list(shape)}")
    if data_type not in DTYPES:
        return Initializer(**base, problem=f"has element type {data_type} ({_type_label(data_type)}), which is not read")
    if segmented:
        return Initializer(**base, problem="is stored in segments, which are not read")
    expected = _nbytes(data_type, shape)
    if location == 1 or external:
        return _external(base, external, expected, rel, resolve_external)
    source = raw if raw is not None else packed
    if source is None:
        detail = f" (values in {', '.join(sorted(other_values))}, not contiguous bytes)" if other_values else ""
        return Initializer(**base, problem=f"has no raw data{detail}")
    if packed is source and not (
            (data_type == TensorProto.FLOAT and packed.number == _T_FLOAT)
            or (data_type == TensorProto.DOUBLE and packed.number == _T_DOUBLE)):
        return Initializer(**base, problem="stores its values in a field that does not match its element type")
    if source.length != expected:
        return Initializer(**base, problem=f"holds {source.length} bytes but {_type_label(data_type)} {list(shape)} needs {expected}")
    return Initializer(**base, file=rel, start=source.value, end=source.end)


def _external(base: dict, entries: dict[str, str], expected: int, rel: str,
              resolve_external: Callable[[str], tuple[str, int] | None]) -> Initializer:
    location = entries.get("location", "")
    folder = posixpath.dirname(rel)
    joined = posixpath.normpath(posixpath.join(folder, location)) if location else ""
    if not location or location.startswith(("/", "\\")) or ":" in location or joined.startswith("..") or "\\" in location:
        return Initializer(**base, problem=f"points to external data '{location}' outside the repository; not read")
    found = resolve_external(joined)
    if found is None:
        return Initializer(**base, problem=f"points to external data '{joined}', which is not in the repository")
    target, size = found
    try:
        offset = int(entries.get("offset", "0") or 0)
        length = int(entries.get("length", str(expected)) or expected)
    except ValueError:
        return Initializer(**base, problem="has a non-numeric external data offset or length")
    if offset < 0 or length != expected:
        return Initializer(**base, problem=f"declares {length} external bytes at offset {offset} but needs {expected}")
    if offset + length > size:
        return Initializer(**base, problem=f"needs bytes {offset}-{offset + length} of '{target}', which has {size}")
    return Initializer(**base, file=target, start=offset, end=offset + length)


def _nbytes(data_type: int, dims: tuple[int, ...]) -> int:
    count = 1
    for d in dims:
        count *= d
    return count * DTYPES[data_type][1] // 8


def _type_label(data_type: int) -> str:
    return TensorProto.DataType.Name(data_type) if data_type in TensorProto.DataType.values() else f"type {data_type}"
