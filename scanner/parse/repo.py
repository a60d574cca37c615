"""Run every parser over a walked repository and gather the typed results.

Each parser reads only the files of its kind and returns problems instead of raising, so one bad
file never hides the rest of the repository.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import problem
from scanner.parse.card import parse_card
from scanner.parse.config import parse_config
from scanner.parse.safetensors_header import HeaderTensor, SafetensorsFile, read_header, read_index
from scanner.parse.textfile import expect_object, read_json
from scanner.report.model import CardFacts, ConfigFacts, FileKind, Problem, Severity
from scanner.walk.walker import RepoListing


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedRepo:
    """What the parsers found: declared facts and weight headers."""

    config: ConfigFacts | None
    raw_config: dict | None
    card: CardFacts | None
    weight_files: tuple[SafetensorsFile, ...]
    read_files: frozenset[str]
    problems: tuple[Problem, ...]

    @property
    def tensors(self) -> list[HeaderTensor]:
        return [t for f in self.weight_files for t in f.tensors]


def parse_repo(listing: RepoListing) -> ParsedRepo:
    problems: list[Problem] = []
    read: set[str] = set()

    config, raw_config = None, None
    if listing.has("config.json"):
        read.add("config.json")
        data, issue = read_json(listing.path("config.json"), "config.json")
        obj, issue = (None, issue) if issue else expect_object(data, "config.json")
        if issue:
            problems.append(issue)
        else:
            raw_config = obj
            config = parse_config(obj, "config.json")

    card = None
    cards = listing.of_kind(FileKind.MODEL_CARD)
    if cards:
        rel = cards[0].path
        read.add(rel)
        card, card_problems = parse_card(listing.path(rel), rel)
        problems += card_problems

    weight_files, weight_problems, weight_read = _read_safetensors(listing)
    problems += weight_problems
    read |= weight_read
    return ParsedRepo(
        config=config,
        raw_config=raw_config,
        card=card,
        weight_files=tuple(weight_files),
        read_files=frozenset(read),
        problems=tuple(problems),
    )


def _read_safetensors(listing: RepoListing) -> tuple[list[SafetensorsFile], list[Problem], set[str]]:
    problems: list[Problem] = []
    read: set[str] = set()
    files: list[SafetensorsFile] = []
    for entry in listing.of_kind(FileKind.SAFETENSORS):
        header, issues = read_header(listing.path(entry.path), entry.path)
        problems += issues
        if header:
            files.append(header)
            read.add(entry.path)
    held = {(f.file, t.name) for f in files for t in f.tensors}
    for index in listing.of_kind(FileKind.SAFETENSORS_INDEX):
        read.add(index.path)
        weight_map, issues = read_index(listing.path(index.path), index.path)
        problems += issues
        folder = index.path.rsplit("/", 1)[0] + "/" if "/" in index.path else ""
        missing_shards = sorted({folder + shard for shard in weight_map.values()} - {f.path for f in listing.files})
        for shard in missing_shards:
            problems.append(problem(index.path, "safetensors.missing-shard", f"lists shard '{shard}' which is not in the repository"))
        unreadable = {f.path for f in listing.files if f.path not in listing.real_paths} | set(missing_shards)
        absent = sorted(name for name, shard in weight_map.items()
                        if folder + shard not in unreadable and (folder + shard, name) not in held)
        if absent:
            shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
            problems.append(problem(index.path, "safetensors.index-mismatch",
                                    f"lists {len(absent)} tensor(s) its shards do not hold: {shown}", Severity.WARNING))
    return files, problems, read

