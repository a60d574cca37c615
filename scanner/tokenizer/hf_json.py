"""Hugging Face ``tokenizer.json``: model vocabulary, merges and added tokens.

The file says how ordinary tokens are spelled only indirectly: a ``ByteLevel`` pre-tokenizer or
decoder means GPT-2 byte stand-ins; a ``Metaspace`` step, a ``▁`` replacement or ``byte_fallback``
means SentencePiece spelling; anything else is plain text. Added tokens are written literally and
take precedence over a model-vocabulary entry with the same id, as they do when the tokenizer runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.tokenizer.canonical import METASPACE
from scanner.tokenizer.files import MAX_MERGES, MAX_TOKEN_IDS, check_id, expect, read_json_file
from scanner.tokenizer.model import TokenEncoding, TokenKind
from scanner.tokenizer.vocab import VocabBuilder, split_merge

_BYTE_PIECE_PREFIX = "<0x"
_MAX_DEPTH = 32


def read_tokenizer_json(root: Path, rel: str) -> VocabBuilder:
    """Read one ``tokenizer.json``; raises ``UnreadableFile`` naming ``rel`` on any defect."""
    data = read_json_file(root, rel)
    expect(isinstance(data, dict), rel, f"expected a JSON object, found {type(data).__name__}")
    model = data.get("model")
    expect(isinstance(model, dict), rel, "has no 'model' object")
    model_type = model.get("type", _infer_model_type(model))
    expect(model_type in ("BPE", "WordPiece", "Unigram", "WordLevel"), rel, f"model type {str(model_type)[:40]!r} is not supported")
    encoding = _encoding(data, model)
    builder = VocabBuilder(model_type=model_type, source_format="tokenizer.json", encoding=encoding, files=[rel])
    if model_type == "Unigram":
        _unigram_vocab(builder, model, rel)
    else:
        _mapped_vocab(builder, model, rel, byte_fallback=model.get("byte_fallback") is True)
    if model_type == "BPE":
        merges = model.get("merges", [])
        expect(isinstance(merges, list), rel, "model.merges is not a list")
        expect(len(merges) <= MAX_MERGES, rel, f"{len(merges)} merges is over the {MAX_MERGES}-merge limit")
        builder.merges = [split_merge(m, rel, f"model.merges[{rank}]") for rank, m in enumerate(merges)]
    added = data.get("added_tokens", [])
    expect(isinstance(added, list), rel, "added_tokens is not a list")
    for index, entry in enumerate(added):
        where = f"added_tokens[{index}]"
        expect(isinstance(entry, dict), rel, f"{where} is not an object")
        content = entry.get("content")
        expect(isinstance(content, str), rel, f"{where}.content is not a string")
        special = entry.get("special", False)
        expect(isinstance(special, bool), rel, f"{where}.special is not true or false")
        builder.add_token(check_id(entry.get("id"), rel, where), content, special=special)
    return builder


def _infer_model_type(model: dict[str, Any]) -> str:
    """Old files omit ``type``; the fields tell the model apart the way the library itself does."""
    if "merges" in model:
        return "BPE"
    if isinstance(model.get("vocab"), list):
        return "Unigram"
    if "max_input_chars_per_word" in model:
        return "WordPiece"
    return "WordLevel"


def _encoding(data: dict[str, Any], model: dict[str, Any]) -> TokenEncoding:
    steps = [data.get("pre_tokenizer"), data.get("decoder")]
    if _mentions(steps, lambda node: node.get("type") == "ByteLevel"):
        return TokenEncoding.BYTE_LEVEL
    metaspace = _mentions([*steps, data.get("normalizer")], _is_metaspace_step)
    if metaspace or model.get("byte_fallback") is True:
        return TokenEncoding.METASPACE
    return TokenEncoding.PLAIN


def _is_metaspace_step(node: dict[str, Any]) -> bool:
    if node.get("type") == "Metaspace":
        return True
    pattern = node.get("pattern")
    replaced = pattern.get("String") if isinstance(pattern, dict) else None
    return node.get("type") == "Replace" and METASPACE in (node.get("content"), replaced)


def _mentions(nodes: list[Any], test: Any, depth: int = 0) -> bool:
    """Whether any object in these (possibly nested ``Sequence``) steps passes ``test``."""
    if depth > _MAX_DEPTH:
        return False
    for node in nodes:
        if isinstance(node, dict):
            if test(node) or _mentions(list(node.values()), test, depth + 1):
                return True
        elif isinstance(node, list) and _mentions(node, test, depth + 1):
            return True
    return False


def _mapped_vocab(builder: VocabBuilder, model: dict[str, Any], rel: str, *, byte_fallback: bool) -> None:
    vocab = model.get("vocab")
    expect(isinstance(vocab, dict), rel, f"model.vocab is {type(vocab).__name__}, expected an object of token -> id")
    expect(len(vocab) <= MAX_TOKEN_IDS, rel, f"{len(vocab)} tokens is over the {MAX_TOKEN_IDS}-token limit")
    for text, token_id in vocab.items():
        token_id = check_id(token_id, rel, f"model.vocab[{text[:40]!r}]")
        expect(token_id not in builder.entries, rel, f"model.vocab gives id {token_id} to two tokens")
        kind = TokenKind.BYTE if byte_fallback and text.startswith(_BYTE_PIECE_PREFIX) else TokenKind.NORMAL
        builder.entries[token_id] = (text, kind)


def _unigram_vocab(builder: VocabBuilder, model: dict[str, Any], rel: str) -> None:
    vocab = model.get("vocab")
    expect(isinstance(vocab, list), rel, f"model.vocab is {type(vocab).__name__}, expected a list of [token, score]")
    expect(len(vocab) <= MAX_TOKEN_IDS, rel, f"{len(vocab)} tokens is over the {MAX_TOKEN_IDS}-token limit")
    byte_fallback = model.get("byte_fallback") is True
    for token_id, entry in enumerate(vocab):
        expect(
            isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str),
            rel, f"model.vocab[{token_id}] is not a [token, score] pair",
        )
        text = entry[0]
        kind = TokenKind.BYTE if byte_fallback and text.startswith(_BYTE_PIECE_PREFIX) else TokenKind.NORMAL
        builder.entries[token_id] = (text, kind)
    unk_id = model.get("unk_id")
    if unk_id is not None:
        unk_id = check_id(unk_id, rel, "model.unk_id")
        if unk_id in builder.entries:
            builder.entries[unk_id] = (builder.entries[unk_id][0], TokenKind.UNKNOWN)
            builder.special_ids.add(unk_id)
