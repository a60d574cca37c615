"""The model card (README.md): front matter through ``huggingface_hub.ModelCard``, plus the text.

The card is the repository's own claim about itself — its licence, its base model — so it is read as
declared facts to compare with what the scan detects, never as evidence. The front matter is checked
with our safe YAML loader first (no aliases, no duplicate keys), so a hostile card cannot blow up
memory; only then does ``ModelCard`` interpret it the way the Hub does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard

from scanner.errors import DataFileError, problem
from scanner.parse.textfile import read_text_capped
from scanner.report.model import CardFacts, Problem, Severity
from scanner.yamlsafe import load_yaml

MAX_CARD_BYTES = 1 << 20
MAX_CARD_TEXT_CHARS = 200_000
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_OPENING = re.compile(r"\A\s*---[ \t]*\r?\n")


def parse_card(path: Path, rel: str) -> tuple[CardFacts, list[Problem]]:
    """Card facts; a broken front matter still yields the card text and a problem."""
    problems: list[Problem] = []
    read = read_text_capped(path, MAX_CARD_BYTES)
    if read.truncated:
        problems.append(problem(rel, "card.too-large",
                                f"is {read.size} bytes; only the first {MAX_CARD_BYTES} bytes were read", Severity.WARNING))
    content = read.text.removeprefix("\ufeff")  # editors on Windows save a byte-order mark
    match = _FRONT_MATTER.match(content)
    if match is None and _OPENING.match(content):
        problems.append(problem(rel, "card.front-matter", "front matter opens with '---' but has no closing '---' "
                                "line; it was read as card text, and its fields (licence, base model) are ignored"))
    meta: dict[str, Any] = {}
    body = content[match.end():] if match else content
    if match:
        try:
            loaded = load_yaml(match.group(1), rel, line_offset=content[: match.start(1)].count("\n")).data
        except DataFileError as exc:
            problems.append(problem(rel, "card.front-matter", f"{exc} (front matter ignored)"))
            loaded = None
        if loaded is not None and not isinstance(loaded, dict):
            problems.append(problem(rel, "card.front-matter", "front matter ignored: it is not a YAML mapping"))
        elif isinstance(loaded, dict):
            try:
                card = ModelCard(content[: match.end()] + "\n", ignore_metadata_errors=True)
                meta = card.data.to_dict()
            except Exception as exc:  # huggingface_hub raises several unrelated types on odd metadata
                problems.append(problem(rel, "card.front-matter", f"{exc} (front matter ignored)"))
    text = body.strip()
    truncated = read.truncated or len(text) > MAX_CARD_TEXT_CHARS
    facts = CardFacts(
        file=rel,
        license=_first_license(meta, rel, problems),
        license_name=_one_string(meta, "license_name", rel, problems),
        license_link=_one_string(meta, "license_link", rel, problems),
        base_model=_strings(meta, "base_model", rel, problems),
        base_model_relation=_one_string(meta, "base_model_relation", rel, problems),
        datasets=_strings(meta, "datasets", rel, problems),
        language=_strings(meta, "language", rel, problems),
        tags=_strings(meta, "tags", rel, problems),
        text=text[:MAX_CARD_TEXT_CHARS],
        text_truncated=truncated,
    )
    return facts, problems


def _one_string(meta: dict[str, Any], key: str, rel: str, problems: list[Problem]) -> str | None:
    value = meta.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    problems.append(problem(rel, "card.field-type", f"front-matter '{key}' should be a string, found {_describe(value)}",
                            Severity.WARNING))
    return None


def _first_license(meta: dict[str, Any], rel: str, problems: list[Problem]) -> str | None:
    """The card's licence id; of a list of ids, the first (the Hub takes one), with a note naming the rest.

    Dropping the whole list would lose a declaration the card plainly makes.
    """
    value = meta.get("license")
    if not (isinstance(value, list) and len(value) > 1 and all(isinstance(v, str) for v in value)):
        return _one_string(meta, "license", rel, problems)
    problems.append(problem(rel, "card.license-list",
                            f"front-matter 'license' lists several licences ({', '.join(value)}); only "
                            f"{value[0]!r} is compared with the licence files", Severity.INFO))
    return value[0]


def _strings(meta: dict[str, Any], key: str, rel: str, problems: list[Problem]) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(problem(rel, "card.field-type",
                            f"front-matter '{key}' should be a string or a list of strings, found {_describe(value)}",
                            Severity.WARNING))
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {str(value)[:60]!r}"
