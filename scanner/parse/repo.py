"""Run every parser over a walked repository and gather the typed results.

Each parser reads only the files of its kind and returns problems instead of raising, so one bad
file never hides the rest of the repository. Weight files of other formats (GGUF, ONNX, PyTorch
pickles) are read by ``scanner.formats``; when the repository has no safetensors weights, one of
them is chosen for the lineage engine (``ParsedRepo.tensors``), and a GGUF's embedded config,
tokenizer and licence keys stand in for the files such a repository lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scanner.errors import problem
from scanner.formats import (
    FormatReading,
    PickleImport,
    read_weight_file,
    select_weights,
)
from scanner.parse.card import parse_card
from scanner.parse.config import parse_config
from scanner.parse.safetensors_header import (
    HeaderTensor,
    SafetensorsFile,
    read_header,
    read_index,
)
from scanner.parse.textfile import expect_object, read_json
from scanner.report.model import (
    CardFacts,
    ConfigFacts,
    FileKind,
    FileStatus,
    Problem,
    RepoFile,
    Severity,
)
from scanner.tokenizer import TokenizerLoad
from scanner.walk.walker import RepoListing

OTHER_WEIGHT_KINDS = (FileKind.GGUF, FileKind.ONNX, FileKind.PICKLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedRepo:
    """What the parsers found: declared facts, weight headers, and how each weight file was read.

    ``weight_files`` are safetensors headers (local, or read over HTTP for a metadata-only Hub
    scan); ``format_readings`` are the GGUF/ONNX/pickle files; ``tensors`` is the one weight set
    the lineage engine should fingerprint. ``file_status``/``file_notes`` override the file list's
    status and note for files these parsers read (or failed to read).
    """

    config: ConfigFacts | None
    raw_config: dict | None
    card: CardFacts | None
    weight_files: tuple[SafetensorsFile, ...]
    read_files: frozenset[str]
    problems: tuple[Problem, ...]
    format_readings: tuple[FormatReading, ...] = ()
    lineage_readings: tuple[FormatReading, ...] = ()
    file_status: dict[str, FileStatus] = field(default_factory=dict)
    file_notes: dict[str, str] = field(default_factory=dict)
    config_source: str | None = None

    @property
    def tensors(self) -> list[HeaderTensor]:
        """The weight set to fingerprint: safetensors when present, else the chosen other-format files."""
        held = [t for f in self.weight_files for t in f.tensors]
        if held:
            return held
        return [t for r in self.lineage_readings for t in r.tensors]

    @property
    def embedded_tokenizer(self) -> TokenizerLoad | None:
        """A tokenizer carried inside a weight file (GGUF), for repositories without tokenizer files."""
        for reading in (*self.lineage_readings, *self.format_readings):
            if reading.tokenizer is not None and reading.tokenizer.tokenizer is not None:
                return reading.tokenizer
        return None

    @property
    def embedded_licenses(self) -> tuple[tuple[str, str], ...]:
        """(file, licence identifier) declared inside weight files (GGUF ``general.license``)."""
        return tuple((r.file, r.license) for r in self.format_readings if r.license)

    @property
    def embedded_base_models(self) -> tuple[str, ...]:
        """Base models declared inside weight files (GGUF ``general.base_model.*``)."""
        return tuple(dict.fromkeys(m for r in self.format_readings for m in r.base_models))

    @property
    def pickle_imports(self) -> tuple[PickleImport, ...]:
        """Globals outside the weights-only allow-list that pickles would import (never executed)."""
        return tuple(i for r in self.format_readings for i in r.imports)


def parse_repo(listing: RepoListing, remote_headers: Sequence[SafetensorsFile] = (),
               remote_files: Sequence[RepoFile] = ()) -> ParsedRepo:
    """Parse a walked repository. ``remote_headers`` are safetensors headers read over HTTP for files
    that were not downloaded (``scanner.hub`` metadata-only mode); they count as present weight files.
    ``remote_files`` are the source's files that are not on disk (``scanner.hub.not_downloaded_files``),
    so a shard that exists but could not be fetched or read is not called missing."""
    problems: list[Problem] = []
    read: set[str] = set()

    config, raw_config, config_source = None, None, None
    if listing.has("config.json"):
        read.add("config.json")
        data, issue = read_json(listing.path("config.json"), "config.json")
        obj, issue = (None, issue) if issue else expect_object(data, "config.json")
        if issue:
            problems.append(issue)
        else:
            raw_config = obj
            config = parse_config(obj, "config.json")
            config_source = "config.json"

    card = None
    cards = listing.of_kind(FileKind.MODEL_CARD)
    if cards:
        rel = cards[0].path
        read.add(rel)
        card, card_problems = parse_card(listing.path(rel), rel)
        problems += card_problems

    weight_files, weight_problems, weight_read = _read_safetensors(listing, remote_headers, remote_files)
    problems += weight_problems
    read |= weight_read

    readings = _read_other_formats(listing)
    selection = select_weights(readings, safetensors_used=any(f.tensors for f in weight_files))
    status: dict[str, FileStatus] = {}
    notes: dict[str, str] = {}
    for reading in readings:
        problems += reading.problems
        status[reading.file] = reading.status
        notes[reading.file] = reading.note + (f"; {selection.notes[reading.file]}" if reading.file in selection.notes else "")
        if reading.status == FileStatus.READ:
            read.add(reading.file)
    for reading in readings:
        for companion in reading.companions if reading.status == FileStatus.READ else ():
            status[companion] = FileStatus.READ
            notes[companion] = f"external data of {reading.file}"
            read.add(companion)
    if raw_config is None:
        embedded = next((r for r in (*selection.chosen, *readings) if r.config), None)
        if embedded is not None:
            raw_config = embedded.config
            config = parse_config(embedded.config, embedded.file)
            config_source = embedded.file
    return ParsedRepo(
        config=config,
        raw_config=raw_config,
        card=card,
        weight_files=tuple(weight_files),
        read_files=frozenset(read),
        problems=tuple(problems),
        format_readings=tuple(readings),
        lineage_readings=selection.chosen,
        file_status=status,
        file_notes=notes,
        config_source=config_source,
    )


def _read_other_formats(listing: RepoListing) -> list[FormatReading]:
    sizes = {f.path: f.size for f in listing.files if f.path in listing.real_paths}

    def resolve_external(rel: str) -> tuple[str, int] | None:
        return (rel, sizes[rel]) if rel in sizes else None

    return [read_weight_file(listing.path(entry.path), entry.path, entry.kind, resolve_external)
            for entry in listing.of_kind(*OTHER_WEIGHT_KINDS)]


def _read_safetensors(listing: RepoListing, remote_headers: Sequence[SafetensorsFile],
                      remote_files: Sequence[RepoFile]) -> tuple[list[SafetensorsFile], list[Problem], set[str]]:
    problems: list[Problem] = []
    read: set[str] = set()
    files: list[SafetensorsFile] = []
    for entry in listing.of_kind(FileKind.SAFETENSORS):
        header, issues = read_header(listing.path(entry.path), entry.path)
        problems += issues
        if header:
            files.append(header)
            read.add(entry.path)
    local = {f.file for f in files}
    for header in remote_headers:
        if header.file not in local:
            files.append(header)
            read.add(header.file)
    present = {f.path for f in listing.files} | {f.file for f in remote_headers}
    unread = {f.path: f.note for f in remote_files if f.path not in present}  # on the Hub, header not read
    held = {(f.file, t.name) for f in files for t in f.tensors}
    for index in listing.of_kind(FileKind.SAFETENSORS_INDEX):
        read.add(index.path)
        weight_map, issues = read_index(listing.path(index.path), index.path)
        problems += issues
        folder = index.path.rsplit("/", 1)[0] + "/" if "/" in index.path else ""
        missing_shards = sorted({folder + shard for shard in weight_map.values()} - present)
        for shard in missing_shards:
            if shard in unread:
                problems.append(problem(index.path, "safetensors.shard-unread",
                                        f"lists shard '{shard}', whose header could not be read ({unread[shard]})",
                                        Severity.WARNING))
            else:
                problems.append(problem(index.path, "safetensors.missing-shard",
                                        f"lists shard '{shard}' which is not in the repository"))
        unreadable = ({f.path for f in listing.files if f.path not in listing.real_paths} - {f.file for f in remote_headers}
                      | set(missing_shards))
        absent = sorted(name for name, shard in weight_map.items()
                        if folder + shard not in unreadable and (folder + shard, name) not in held)
        if absent:
            shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
            problems.append(problem(index.path, "safetensors.index-mismatch",
                                    f"lists {len(absent)} tensor(s) its shards do not hold: {shown}", Severity.WARNING))
    return sorted(files, key=lambda f: f.file), problems, read
