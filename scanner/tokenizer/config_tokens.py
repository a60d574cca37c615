"""Added and special tokens declared beside the vocabulary: ``tokenizer_config.json``,
``special_tokens_map.json`` and ``added_tokens.json``.

These files are auxiliary: a defect in one is a warning and that file is ignored, while the
tokenizer itself is still read. A token is written either as a string or as an ``AddedToken``
object with a ``content`` field; both forms occur in published repositories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import problem
from scanner.report.model import Problem, Severity
from scanner.tokenizer.files import UnreadableFile, check_id, expect, read_json_file
from scanner.tokenizer.model import TokenKind
from scanner.tokenizer.vocab import VocabBuilder

CONFIG_FILES = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
_NAMED_SPECIALS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
_LISTED_SPECIALS = ("additional_special_tokens", "extra_special_tokens")


@dataclass(slots=True)
class ConfigTokens:
    """Tokens the configuration files declare, and which of those files were used."""

    added: dict[int, tuple[str, bool]] = field(default_factory=dict)
    """id -> (content, special)."""
    special_texts: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_config_tokens(root: Path, rels: list[str]) -> ConfigTokens:
    """Read whichever of ``CONFIG_FILES`` are given; defects become warnings."""
    found = ConfigTokens()
    for rel in rels:
        name = rel.rsplit("/", 1)[-1]
        try:
            data = read_json_file(root, rel)
            expect(isinstance(data, dict), rel, f"expected a JSON object, found {type(data).__name__}")
            added, special_texts = (_added_tokens_json if name == "added_tokens.json" else _config_json)(data, rel)
        except UnreadableFile as exc:
            found.problems.append(
                problem(rel, exc.problem.code, exc.problem.message + "; its added and special tokens are ignored", Severity.WARNING)
            )
            continue
        found.added.update(added)
        found.special_texts |= special_texts
        found.files.append(rel)
    return found


def _config_json(data: dict[str, Any], rel: str) -> tuple[dict[int, tuple[str, bool]], set[str]]:
    added: dict[int, tuple[str, bool]] = {}
    decoder = data.get("added_tokens_decoder", {})
    expect(isinstance(decoder, dict), rel, "added_tokens_decoder is not an object")
    for key, entry in decoder.items():
        where = f"added_tokens_decoder[{key[:20]!r}]"
        expect(key.isascii() and key.isdigit() and len(key) < 10, rel, f"{where}: the key is not a token id")
        expect(isinstance(entry, dict) and isinstance(entry.get("content"), str), rel, f"{where} has no string 'content'")
        special = entry.get("special", False)
        expect(isinstance(special, bool), rel, f"{where}.special is not true or false")
        added[check_id(int(key), rel, where)] = (entry["content"], special)
    texts: set[str] = set()
    for key in _NAMED_SPECIALS:
        if data.get(key) is not None:
            texts.add(_token_text(data[key], rel, key))
    for key in _LISTED_SPECIALS:
        listed = data.get(key)
        if listed is None:
            continue
        expect(isinstance(listed, (list, dict)), rel, f"{key} is neither a list nor an object")
        values = listed.values() if isinstance(listed, dict) else listed
        texts.update(_token_text(value, rel, key) for value in values)
    return added, texts


def _added_tokens_json(data: dict[str, Any], rel: str) -> tuple[dict[int, tuple[str, bool]], set[str]]:
    return {check_id(token_id, rel, repr(text[:40])): (text, False) for text, token_id in data.items()}, set()


def _token_text(value: Any, rel: str, key: str) -> str:
    if isinstance(value, dict):
        value = value.get("content")
    expect(isinstance(value, str), rel, f"{key} is neither a string nor an object with a string 'content'")
    return value


def apply_config_tokens(builder: VocabBuilder, config: ConfigTokens, *, authoritative_vocab: bool) -> list[Problem]:
    """Merge configuration tokens into a reader's vocabulary.

    ``tokenizer.json`` already lists its added tokens (``authoritative_vocab``): there the
    configuration only fills free ids, and a disagreement is reported rather than applied. For the
    other formats the configuration is the only source of added tokens and wins, as it does at runtime.
    """
    problems: list[Problem] = []
    for token_id, (content, special) in sorted(config.added.items()):
        current = builder.entries.get(token_id)
        if authoritative_vocab and current is not None:
            if current[0] != content:
                problems.append(problem(
                    builder.files[0], "tokenizer.config-conflict",
                    f"id {token_id} is {str(current[0])[:40]!r} but the tokenizer config says {content[:40]!r}; "
                    f"the former is used", Severity.INFO,
                ))
            elif special and current[1] is TokenKind.NORMAL:
                builder.special_ids.add(token_id)
            continue
        builder.add_token(token_id, content, special=special)
    if config.special_texts:
        for token_id, (text, _kind) in builder.entries.items():
            if text in config.special_texts:
                builder.special_ids.add(token_id)
    builder.files.extend(config.files)
    return problems
