"""Find and read a repository's tokenizer, whatever format it ships in.

A repository can carry the same tokenizer several times (Llama 3 ships ``tokenizer.json`` and
``original/tokenizer.model``) or several tokenizers (a diffusion pipeline's ``tokenizer/`` and
``tokenizer_2/``). The one read is in the shallowest folder that has a tokenizer file (ties by
name), which is the one the model's own loading code uses. Within that folder the formats are tried
from the most complete to the least, and a file that fails is reported while the next is tried:

1. ``tokenizer.json`` (vocabulary, merges, added tokens in one file);
2. ``vocab.json`` + ``merges.txt`` (GPT-2 style; ``vocab.json`` alone is a word-level vocabulary);
3. ``tokenizer.model`` / ``spiece.model`` / ``sentencepiece.bpe.model`` (SentencePiece, or a tiktoken
   rank file under that name), then ``*.tiktoken``;
4. ``vocab.txt`` (WordPiece).

``tokenizer_config.json``, ``special_tokens_map.json`` and ``added_tokens.json`` from the same folder
add the added and special tokens the vocabulary files do not carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path, PurePosixPath

from scanner.errors import problem
from scanner.report.model import Problem, Severity
from scanner.tokenizer.config_tokens import CONFIG_FILES, apply_config_tokens, read_config_tokens
from scanner.tokenizer.files import UnreadableFile, read_bytes
from scanner.tokenizer.gpt2_files import read_vocab_and_merges
from scanner.tokenizer.hf_json import read_tokenizer_json
from scanner.tokenizer.model import TokenizerLoad
from scanner.tokenizer.sentencepiece_model import read_sentencepiece
from scanner.tokenizer.tiktoken_file import looks_like_tiktoken, read_tiktoken
from scanner.tokenizer.vocab import VocabBuilder, build
from scanner.tokenizer.wordpiece import read_vocab_txt

_MODEL_FILES = ("tokenizer.model", "spiece.model", "sentencepiece.bpe.model")
_TOKENIZER_NAMES = frozenset({"tokenizer.json", "vocab.json", "vocab.txt", *_MODEL_FILES})

Attempt = tuple[bool, Callable[[], VocabBuilder]]


def load_tokenizer(root: Path, files: Sequence[str]) -> TokenizerLoad:
    """Read the repository's tokenizer from ``files`` (repository-relative POSIX paths under ``root``).

    Never raises for bad input: unreadable files come back as problems, each naming its file.
    """
    folders: dict[str, list[str]] = {}
    for rel in files:
        path = PurePosixPath(rel)
        folders.setdefault(str(path.parent), []).append(path.name)
    candidates = sorted(
        (folder for folder, names in folders.items() if any(_is_tokenizer_file(n) for n in names)),
        key=lambda folder: (0 if folder == "." else len(PurePosixPath(folder).parts), folder),
    )
    if not candidates:
        return TokenizerLoad(status="absent", tokenizer=None, problems=())
    folder = candidates[0]
    names = set(folders[folder])
    failures: list[Problem] = []
    for authoritative, read in _attempts(root, folder, names):
        try:
            builder = read()
            config = read_config_tokens(root, [_join(folder, n) for n in CONFIG_FILES if n in names])
            notes = apply_config_tokens(builder, config, authoritative_vocab=authoritative)
            tokenizer = build(builder)
        except UnreadableFile as exc:
            failures.append(exc.problem)
            continue
        fallback = [problem(p.file, p.code, p.message, Severity.WARNING) for p in failures]
        return TokenizerLoad(status="present", tokenizer=tokenizer, problems=(*fallback, *config.problems, *notes))
    return TokenizerLoad(status="unreadable", tokenizer=None, problems=tuple(failures))


def _is_tokenizer_file(name: str) -> bool:
    return name in _TOKENIZER_NAMES or name.endswith(".tiktoken")


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def _attempts(root: Path, folder: str, names: set[str]) -> list[Attempt]:
    """The readers to try, best format first; the flag says whether the format lists its own added tokens."""
    attempts: list[Attempt] = []
    if "tokenizer.json" in names:
        attempts.append((True, partial(read_tokenizer_json, root, _join(folder, "tokenizer.json"))))
    if "vocab.json" in names:
        merges = _join(folder, "merges.txt") if "merges.txt" in names else None
        attempts.append((False, partial(read_vocab_and_merges, root, _join(folder, "vocab.json"), merges)))
    model_files = [n for n in _MODEL_FILES if n in names] + sorted(n for n in names if n.endswith(".tiktoken"))
    attempts.extend((False, partial(_read_model_file, root, _join(folder, name))) for name in model_files)
    if "vocab.txt" in names:
        attempts.append((False, partial(read_vocab_txt, root, _join(folder, "vocab.txt"))))
    return attempts


def _read_model_file(root: Path, rel: str) -> VocabBuilder:
    data = read_bytes(root, rel)
    return read_tiktoken(data, rel) if looks_like_tiktoken(data) else read_sentencepiece(data, rel)
