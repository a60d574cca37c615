"""Safetensors headers: tensor names, dtypes, shapes and byte ranges, without reading tensor data.

``huggingface_hub.parse_local_safetensors_file_metadata`` reads the 8-byte length and the JSON header
(the same code the Hub client uses for remote header reads); this module then checks what that
parser leaves to the caller and what a hostile or damaged file can get wrong: a header that claims
more bytes than the file has, tensor ranges that run past the end or overlap, byte lengths that do
not match dtype x shape, dtypes nobody knows. A tensor that fails a check is dropped with a problem
naming the file and the tensor; the rest of the file is still used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import parse_local_safetensors_file_metadata
from huggingface_hub.errors import SafetensorsParsingError

from scanner.errors import problem
from scanner.parse.textfile import expect_object, read_json
from scanner.report.model import Problem, Severity

# bits per element; sub-byte types pack along the last dimension
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64,
    "I64": 64, "U64": 64, "F64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dequant:
    """How stored integer codes become weights: ``(code - zero_point) * scale``.

    ONNX exports keep the scale (and zero point) of an int8 weight in companion initialisers; the
    reader folds them into the weight so the engine sees one float tensor. ``scale`` and
    ``zero_point`` broadcast against the stored shape (numpy rules, e.g. ``[1, cols]`` per column);
    ``axis`` is set when a 1-D scale runs along that axis of the stored tensor (``DequantizeLinear``).
    """

    scale: HeaderTensor
    zero_point: HeaderTensor | None = None
    axis: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HeaderTensor:
    """One tensor's header entry with absolute byte offsets into its file.

    Formats other than safetensors fill two more fields: ``transposed`` when the stored matrix is
    ``[in, out]`` (an ONNX ``MatMul`` weight) rather than the usual ``[out, in]``, and ``dequant``
    when the stored values are integer codes with a separately stored scale.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    file: str
    start: int
    end: int
    transposed: bool = False
    dequant: Dequant | None = None

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True, slots=True, kw_only=True)
class SafetensorsFile:
    """The usable tensors of one file and the file's free-form ``__metadata__``."""

    file: str
    size: int
    tensors: tuple[HeaderTensor, ...]
    metadata: dict[str, str]


def read_header(path: Path, rel: str) -> tuple[SafetensorsFile | None, list[Problem]]:
    """Parse and validate one safetensors header."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [problem(rel, "file.unreadable", f"cannot be read ({exc.strerror})")]
    if size < 8:
        return None, [problem(rel, "safetensors.truncated", f"is truncated: {size} bytes, fewer than the 8-byte header length")]
    with open(path, "rb") as fh:
        declared = int.from_bytes(fh.read(8), "little")
    if declared > size - 8:
        return None, [problem(rel, "safetensors.header-past-end",
                              f"header claims {declared} bytes but the file has only {size - 8} after the length field")]
    try:
        parsed = parse_local_safetensors_file_metadata(path)
    except SafetensorsParsingError as exc:
        return None, [problem(rel, "safetensors.bad-header", f"unreadable safetensors header: {_first_line(exc)}")]
    except json.JSONDecodeError as exc:
        return None, [problem(rel, "safetensors.bad-header", f"unreadable safetensors header: not valid JSON ({exc.msg})")]
    except OSError as exc:
        return None, [problem(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})")]
    except (ValueError, TypeError, KeyError, AttributeError):  # the client assumes the header's layout
        return None, [problem(rel, "safetensors.bad-header", "unreadable safetensors header: not a JSON object of "
                              "tensor entries, each with 'dtype', 'shape' and 'data_offsets'")]
    return _checked_file(parsed, rel, size, 8 + declared)


def remote_header(parsed: Any, rel: str, size: int) -> tuple[SafetensorsFile, list[Problem]]:
    """Validate a header read over HTTP (``HfApi.parse_safetensors_file_metadata``) without the file.

    The Hub client does not return the header's length, so the data section is placed at the end
    of the file (``size`` from the repository listing): safetensors files hold nothing after their
    last tensor. Offsets are then absolute, as for a local file, and checked the same way.
    """
    ends = [info.data_offsets[1] for info in parsed.tensors.values()
            if isinstance(getattr(info, "data_offsets", None), (list, tuple)) and len(info.data_offsets) == 2
            and isinstance(info.data_offsets[1], int)]
    data_size = max(ends, default=0)
    if size - data_size < 8:
        return SafetensorsFile(file=rel, size=size, tensors=(), metadata={}), [
            problem(rel, "safetensors.tensor-past-end",
                    f"tensors need {data_size} bytes of data but the file has only {size} bytes")]
    return _checked_file(parsed, rel, size, size - data_size)


def _checked_file(parsed: Any, rel: str, size: int, data_start: int) -> tuple[SafetensorsFile, list[Problem]]:
    data_size = size - data_start
    problems: list[Problem] = []
    candidates: list[HeaderTensor] = []
    for name in sorted(parsed.tensors):
        info = parsed.tensors[name]
        checked = _check_tensor(name, info, rel, data_start, data_size, problems)
        if checked:
            candidates.append(checked)
    tensors = _drop_overlaps(candidates, rel, problems)
    if parsed.metadata is not None and not isinstance(parsed.metadata, dict):
        problems.append(problem(rel, "safetensors.bad-metadata", "'__metadata__' is not an object of strings; ignored",
                                Severity.WARNING))
    metadata = {str(k): str(v) for k, v in parsed.metadata.items()} if isinstance(parsed.metadata, dict) else {}
    return SafetensorsFile(file=rel, size=size, tensors=tuple(tensors), metadata=metadata), problems


def _check_tensor(name: str, info: Any, rel: str, data_start: int, data_size: int,
                  problems: list[Problem]) -> HeaderTensor | None:
    dtype = str(info.dtype)
    shape = tuple(info.shape) if isinstance(info.shape, (list, tuple)) else None
    offsets = tuple(info.data_offsets) if isinstance(info.data_offsets, (list, tuple)) else None
    if shape is None or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        problems.append(problem(rel, "safetensors.bad-shape", f"tensor '{name}' has an invalid shape {info.shape!r}"))
        return None
    if offsets is None or len(offsets) != 2 or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
        problems.append(problem(rel, "safetensors.bad-offsets", f"tensor '{name}' has invalid data_offsets {info.data_offsets!r}"))
        return None
    begin, end = offsets
    if not 0 <= begin <= end:
        problems.append(problem(rel, "safetensors.bad-offsets", f"tensor '{name}' has data_offsets {list(offsets)} out of order"))
        return None
    if end > data_size:
        problems.append(problem(rel, "safetensors.tensor-past-end",
                                f"tensor '{name}' ends at byte {end} of the data section but the file holds only {data_size}"))
        return None
    if dtype not in DTYPE_BITS:
        problems.append(problem(rel, "safetensors.unknown-dtype", f"tensor '{name}' has unknown dtype '{dtype}'", Severity.WARNING))
        return None
    expected = math.ceil(math.prod(shape) * DTYPE_BITS[dtype] / 8)
    if end - begin != expected:
        problems.append(problem(rel, "safetensors.size-mismatch",
                                f"tensor '{name}' spans {end - begin} bytes but {dtype} {list(shape)} needs {expected}"))
        return None
    return HeaderTensor(name=name, dtype=dtype, shape=shape, file=rel, start=data_start + begin, end=data_start + end)


def _drop_overlaps(tensors: list[HeaderTensor], rel: str, problems: list[Problem]) -> list[HeaderTensor]:
    """Keep tensors whose byte ranges do not overlap an earlier one; overlapping data cannot be trusted."""
    kept: list[HeaderTensor] = []
    last_end = -1
    last_name = ""
    for t in sorted(tensors, key=lambda t: (t.start, t.end, t.name)):
        if t.start < last_end and t.end > t.start:
            problems.append(problem(rel, "safetensors.overlap", f"tensor '{t.name}' overlaps tensor '{last_name}'; dropped"))
            continue
        kept.append(t)
        if t.end > last_end:
            last_end, last_name = t.end, t.name
    return sorted(kept, key=lambda t: t.name)


def read_index(path: Path, rel: str) -> tuple[dict[str, str], list[Problem]]:
    """``weight_map`` of a ``*.safetensors.index.json`` (tensor name -> shard file name)."""
    data, issue = read_json(path, rel)
    if issue:
        return {}, [issue]
    obj, issue = expect_object(data, rel)
    if issue:
        return {}, [issue]
    weight_map = obj.get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()):
        return {}, [problem(rel, "safetensors.bad-index", "has no 'weight_map' object of tensor name -> shard file")]
    return dict(weight_map), []


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
