"""Writers for the tokenizer formats the tests derive from real tokenizers (test-only code)."""

from __future__ import annotations

import base64
import json
import shutil
import struct
from pathlib import Path

from scanner.tokenizer import TokenizerFingerprint, fingerprint, load_tokenizer


def fingerprint_of(folder: Path, files: list[str], label: str = "candidate") -> TokenizerFingerprint:
    load = load_tokenizer(folder, files)
    assert load.tokenizer is not None, load.problems
    return fingerprint(load.tokenizer, label=label)


def write_tokenizer_json(folder: Path, data: dict, config_from: Path | None = None) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    files = ["tokenizer.json"]
    if config_from is not None:
        shutil.copy(config_from / "tokenizer_config.json", folder / "tokenizer_config.json")
        files.append("tokenizer_config.json")
    return files


def merge_strings(data: dict) -> list[str]:
    return [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in data["model"]["merges"]]


def write_vocab_and_merges(folder: Path, data: dict, config_from: Path) -> list[str]:
    """GPT-2 style files from a byte-level tokenizer.json; added tokens go via tokenizer_config.json."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(data["model"]["vocab"], ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merge_strings(data)) + "\n", encoding="utf-8")
    shutil.copy(config_from / "tokenizer_config.json", folder / "tokenizer_config.json")
    return ["vocab.json", "merges.txt", "tokenizer_config.json"]


def ids_to_tokens(data: dict) -> list[str]:
    """Token text by id, added tokens included (as a GGUF tokens array lists them)."""
    by_id = {token_id: text for text, token_id in data["model"]["vocab"].items()}
    by_id.update({entry["id"]: entry["content"] for entry in data["added_tokens"]})
    assert sorted(by_id) == list(range(len(by_id)))
    return [by_id[i] for i in range(len(by_id))]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def sentencepiece_bytes(pieces: list[tuple[str, int]], model_type: int = 2) -> bytes:
    """A minimal ModelProto: pieces (text, type) with scores, then a TrainerSpec naming the model type."""
    out = bytearray()
    for index, (text, kind) in enumerate(pieces):
        body = _field(1, text.encode("utf-8")) + bytes([0x15]) + struct.pack("<f", -float(index))
        if kind != 1:
            body += bytes([0x18]) + _varint(kind)
        out += _field(1, body)
    out += _field(2, bytes([0x18]) + _varint(model_type))
    return bytes(out)


def tiktoken_text(keys: list[bytes]) -> str:
    return "".join(f"{base64.b64encode(key).decode('ascii')} {rank}\n" for rank, key in enumerate(keys))
