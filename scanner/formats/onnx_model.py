"""Read one ONNX model into weight tensors and a file-list note (see ``onnx_file`` and ``onnx_weights``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.errors import problem
from scanner.formats.onnx_file import OnnxFormatError, read_onnx_model
from scanner.formats.onnx_weights import WeightSummary, onnx_weights
from scanner.formats.reading import FormatReading
from scanner.report.model import FileStatus, Severity

SHOWN_PROBLEMS = 5


def read_onnx_file(path: Path, rel: str, resolve_external: Callable[[str], tuple[str, int] | None]) -> FormatReading:
    """Weights of one .onnx file; ``resolve_external`` checks external-data paths against the repository
    (a repository-relative path -> (path, size) when the repository lists it, else None)."""
    try:
        model = read_onnx_model(path, rel, resolve_external)
    except OnnxFormatError as exc:
        return FormatReading(file=rel, format="onnx", status=FileStatus.UNREADABLE, note=str(exc),
                             problems=(problem(rel, "onnx.unreadable", str(exc)),))
    tensors, summary, unreadable = onnx_weights(model)
    problems = [problem(rel, "onnx.initializer-unread", f"initialiser '{name}' {why}",
                        Severity.ERROR if "outside the repository" in why else Severity.WARNING)
                for name, why in unreadable[:SHOWN_PROBLEMS]]
    if len(unreadable) > SHOWN_PROBLEMS:
        problems.append(problem(rel, "onnx.initializer-unread",
                                f"{len(unreadable) - SHOWN_PROBLEMS} more initialisers could not be read", Severity.WARNING))
    if model.sparse_initializers:
        problems.append(problem(rel, "onnx.sparse", f"{model.sparse_initializers} sparse initialisers are not read",
                                Severity.WARNING))
    metadata = {"producer": model.producer, **{f"opset.{k}": str(v) for k, v in sorted(model.opsets.items())},
                **{f"metadata.{k}": v for k, v in sorted(model.metadata.items())}}
    return FormatReading(
        file=rel, format="onnx", status=FileStatus.READ,
        note=_note(model.producer, len(tensors), summary, len(unreadable)),
        tensors=tuple(tensors), metadata=metadata, problems=tuple(problems), companions=model.external_files)


def _note(producer: str, count: int, s: WeightSummary, unread: int) -> str:
    parts = [f"ONNX{f' from {producer}' if producer else ''}: {count} weight tensors read"]
    details = []
    if s.dequantised:
        details.append(f"{s.dequantised} integer weights dequantised with their scales")
    if s.transposed:
        details.append(f"{s.transposed} stored [in, out]")
    if s.named_from_graph:
        details.append(f"{s.named_from_graph} named from the graph")
    if s.anonymous:
        details.append(f"{s.anonymous} anonymous")
    if s.wrapper:
        details.append(f"wrapper prefix '{s.wrapper}' removed")
    if details:
        parts[0] += " (" + ", ".join(details) + ")"
    if s.constants:
        parts.append(f"{s.constants} constants that are not weights skipped")
    if unread:
        parts.append(f"{unread} initialisers could not be read")
    return "; ".join(parts)
