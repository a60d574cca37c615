"""Decide what a repository file is from its name.

The table is deliberately name-based: kinds decide which parser reads a file, and a parser that
gets the wrong content reports a problem rather than guessing. Weight formats are recognised by
extension; pickle-based ones are only ever listed and flagged, never loaded.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from scanner.report.model import FileKind

_EXACT = {
    "config.json": FileKind.CONFIG,
    "generation_config.json": FileKind.GENERATION_CONFIG,
    "preprocessor_config.json": FileKind.PROCESSOR_CONFIG,
    "processor_config.json": FileKind.PROCESSOR_CONFIG,
    "video_preprocessor_config.json": FileKind.PROCESSOR_CONFIG,
    "feature_extractor_config.json": FileKind.PROCESSOR_CONFIG,
    "chat_template.json": FileKind.TOKENIZER_CONFIG,
    "adapter_config.json": FileKind.ADAPTER_CONFIG,
    "tokenizer.json": FileKind.TOKENIZER,
    "tokenizer.model": FileKind.TOKENIZER,
    "vocab.json": FileKind.TOKENIZER,
    "merges.txt": FileKind.TOKENIZER,
    "vocab.txt": FileKind.TOKENIZER,
    "spiece.model": FileKind.TOKENIZER,
    "sentencepiece.bpe.model": FileKind.TOKENIZER,
    "tokenizer_config.json": FileKind.TOKENIZER_CONFIG,
    "special_tokens_map.json": FileKind.TOKENIZER_CONFIG,
    "added_tokens.json": FileKind.TOKENIZER_CONFIG,
    "readme.md": FileKind.MODEL_CARD,
    "model.safetensors.index.json": FileKind.SAFETENSORS_INDEX,
    "requirements.txt": FileKind.DEPENDENCY_MANIFEST,
    "pyproject.toml": FileKind.DEPENDENCY_MANIFEST,
    "setup.py": FileKind.DEPENDENCY_MANIFEST,
    "setup.cfg": FileKind.DEPENDENCY_MANIFEST,
    "environment.yml": FileKind.DEPENDENCY_MANIFEST,
    "environment.yaml": FileKind.DEPENDENCY_MANIFEST,
    "pipfile": FileKind.DEPENDENCY_MANIFEST,
}

_PREFIXES = (
    ("license", FileKind.LICENSE),
    ("licence", FileKind.LICENSE),
    ("copying", FileKind.LICENSE),
    ("notice", FileKind.NOTICE),
    ("use_policy", FileKind.USE_POLICY),
    ("acceptable_use_policy", FileKind.USE_POLICY),
    ("responsible_use", FileKind.USE_POLICY),
)

_SUFFIXES = (
    (".safetensors.index.json", FileKind.SAFETENSORS_INDEX),
    (".safetensors", FileKind.SAFETENSORS),
    (".tiktoken", FileKind.TOKENIZER),
    (".gguf", FileKind.GGUF),
    (".onnx", FileKind.ONNX),
    (".onnx_data", FileKind.ONNX),
    (".bin", FileKind.PICKLE),
    (".pt", FileKind.PICKLE),
    (".pth", FileKind.PICKLE),
    (".pkl", FileKind.PICKLE),
    (".pickle", FileKind.PICKLE),
    (".ckpt", FileKind.PICKLE),
    (".py", FileKind.REMOTE_CODE),
)

# Names like ``license_check.sh`` or ``notice.json`` are code or data about licences, not licence
# texts; any other extension (``LICENSE.md``, ``LICENSE-MODEL``, ``LICENSE.latin1``) still counts.
_NOT_LICENCE_TEXT = frozenset(
    {".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".ipynb", ".sh", ".bat", ".js", ".ts", ".c", ".cc",
     ".cpp", ".h", ".hpp", ".cu", ".rs", ".go", ".java", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico"}
)

_REQUIREMENTS = re.compile(r"requirements[-_.\w]*\.(txt|in)$")


def classify(path: str) -> FileKind:
    """The kind of a repository-relative path.

    A model card is only the top-level README (a README in a sub-folder documents that folder);
    licence-like names match with most extensions (``LICENSE``, ``LICENSE.md``, ``LICENSE-llama.txt``),
    but code and weights are recognised by their suffix first: ``license_check.py`` is code to
    analyse, not a licence text to identify.
    """
    p = PurePosixPath(path)
    name = p.name.lower()
    if name == "readme.md" and len(p.parts) > 1:
        return FileKind.OTHER
    if name in _EXACT:
        return _EXACT[name]
    if _REQUIREMENTS.match(name):
        return FileKind.DEPENDENCY_MANIFEST
    for suffix, kind in _SUFFIXES:
        if name.endswith(suffix):
            return kind
    if p.suffix.lower() not in _NOT_LICENCE_TEXT:
        for prefix, kind in _PREFIXES:
            if name.startswith(prefix):
                return kind
    return FileKind.OTHER
