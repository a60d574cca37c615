"""What reading one weight file of a non-safetensors format produced, in one value the pipeline can use.

Every reader (GGUF, ONNX, PyTorch pickle) returns a ``FormatReading``: the tensors as
``HeaderTensor`` byte ranges the lineage engine can memory-map, whatever the file declares about
the model (a config-like dict, a tokenizer, licence and base-model keys), security findings for
pickles, the problems met, and one line for the report's file list saying what could and could
not be read. Readers never raise for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import FileStatus, Problem
from scanner.tokenizer import TokenizerLoad


@dataclass(frozen=True, slots=True, kw_only=True)
class PickleImport:
    """A global a pickle would import when loaded: where, what, and how dangerous it is."""

    file: str
    member: str  # the pickle inside the container ("archive/data.pkl"), "" for a bare pickle
    module: str
    name: str
    risk: str  # "dangerous" (runs code: os.system, eval ...) or "unknown" (not on the allow-list)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatReading:
    """One file's reading. ``status`` is ``read`` when its tensors (or, for a pickle, its opcodes) were read."""

    file: str
    format: str  # "gguf", "onnx", "pytorch-zip", "pytorch-legacy", "pickle"
    status: FileStatus
    note: str
    tensors: tuple[HeaderTensor, ...] = ()
    config: dict[str, Any] | None = None
    tokenizer: TokenizerLoad | None = None
    license: str | None = None
    base_models: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    imports: tuple[PickleImport, ...] = ()
    problems: tuple[Problem, ...] = ()
    companions: tuple[str, ...] = ()  # other repository files this one's tensors live in (ONNX external data)

