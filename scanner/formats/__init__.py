"""Weight formats other than safetensors: GGUF, ONNX and pickle-based PyTorch checkpoints.

``read_weight_file`` reads one file into a ``FormatReading`` (tensors as byte ranges the lineage
engine memory-maps, declared facts, pickle security findings, problems, a file-list note);
``select_weights`` picks which of several copies of a model is fingerprinted. The container is
recognised by its first bytes, not its name: a ``.bin`` may be a zip checkpoint, a legacy pickle
or a GGUF. Nothing here imports or runs code from the files it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.errors import problem
from scanner.formats.gguf_file import MAGIC as GGUF_MAGIC
from scanner.formats.gguf_model import read_gguf_file
from scanner.formats.onnx_model import read_onnx_file
from scanner.formats.reading import FormatReading, PickleImport
from scanner.formats.selection import Selection, select_weights
from scanner.formats.torch_checkpoint import read_pickle_file
from scanner.report.model import FileKind, FileStatus

__all__ = ["FormatReading", "PickleImport", "Selection", "read_weight_file", "select_weights"]


def read_weight_file(path: Path, rel: str, kind: FileKind,
                     resolve_external: Callable[[str], tuple[str, int] | None]) -> FormatReading:
    """Read one GGUF, ONNX or pickle-kind file; ``resolve_external`` vets ONNX external-data paths
    (repository-relative path -> (path, size) when the repository lists the file, else None).

    Readers turn the damage they know about into problems. Hostile files find new ways to break a
    parser, so any other exception is caught here too: that one file is unreadable, named in a
    problem, and the scan of the rest goes on.
    """
    try:
        return _read(path, rel, kind, resolve_external)
    except Exception as exc:  # noqa: BLE001 - one hostile file must not stop the scan
        detail = next(iter(str(exc).splitlines()), "") or "no detail"
        why = f"could not be read as {kind.value} ({type(exc).__name__}: {detail})"
        return FormatReading(file=rel, format=kind.value, status=FileStatus.UNREADABLE, note=why,
                             problems=(problem(rel, "format.reader-failed", why),))


def _read(path: Path, rel: str, kind: FileKind,
          resolve_external: Callable[[str], tuple[str, int] | None]) -> FormatReading:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return FormatReading(file=rel, format=kind.value, status=FileStatus.UNREADABLE,
                             note=f"cannot be read ({exc.strerror or exc})")
    if head == GGUF_MAGIC:
        return read_gguf_file(path, rel)
    if kind == FileKind.ONNX:
        if not rel.endswith(".onnx"):
            return FormatReading(file=rel, format="onnx", status=FileStatus.LISTED,
                                 note="ONNX external data; read through the model that refers to it")
        return read_onnx_file(path, rel, resolve_external)
    if kind == FileKind.GGUF:
        return read_gguf_file(path, rel)
    return read_pickle_file(path, rel)
