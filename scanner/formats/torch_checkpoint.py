"""PyTorch checkpoints (``.bin``, ``.pt``, ``.pth``, ``.ckpt``) and plain pickles, read without unpickling.

Two containers exist:

* **zip** (``torch.save`` since 1.6): ``<name>/data.pkl`` describes the objects, each tensor
  storage is a member ``<name>/data/<key>`` stored uncompressed, so a tensor is a byte range of the
  checkpoint file: the member's data offset (from its local file header) plus the tensor's storage
  offset times its element size;
* **legacy** (before 1.6): consecutive pickles (magic number, protocol, system info, the objects,
  the storage keys) followed by each storage as an 8-byte element count and its raw bytes.

``pickle_vm`` replays the pickles symbolically, so the imports are known (and graded by
``pickle_policy``) and tensors are read off ``_rebuild_tensor_v2(storage, offset, size, stride)``
calls that were recorded, never made. Archives are read through ``zipfile``'s central directory
with every size checked before anything is decompressed: a pickle member is read only up to
``MAX_PICKLE_BYTES``, storages are never decompressed, and nested archives are not opened.
"""

from __future__ import annotations

import mmap
import pickletools
import struct
import zipfile
from pathlib import Path
from typing import Any

from scanner.errors import problem
from scanner.formats.pickle_policy import call_risk, risk
from scanner.formats.pickle_vm import PickleTrace, trace_pickle
from scanner.formats.reading import FormatReading, PickleImport
from scanner.formats.torch_tensors import (
    STORAGE_DTYPES,
    find_tensors,
    found_note,
    place_tensors,
    storage_classes,
)
from scanner.parse.safetensors_header import HeaderTensor
from scanner.report.model import FileStatus, Problem, Severity

MAX_PICKLE_BYTES = 256 << 20
MAX_MEMBERS = 100_000
BOMB_RATIO = 100  # uncompressed / compressed size of one member
BOMB_MIN_BYTES = 16 << 20  # ratios only matter for members that would decompress to this much or more
MAX_LEGACY_PICKLES = 8
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
NESTED_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar", ".bz2", ".xz", ".zst", ".pt", ".pth", ".bin", ".ckpt")

# What reading one member of a damaged or hostile archive can raise (bad local header, CRC, unknown
# compression, encryption, truncation).
_MEMBER_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError)
_OPCODE_CODES = frozenset(op.code for op in pickletools.opcodes)  # a pickle of any protocol starts with one


def read_pickle_file(path: Path, rel: str) -> FormatReading:
    """Security scan and tensor table of one pickle-based file; never unpickles."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return _unreadable(rel, "pickle", f"cannot be read ({exc.strerror or exc})", "file.unreadable")
    if head.startswith(b"PK"):
        return _read_zip(path, rel)
    if head[:1] and head[:1].decode("latin-1") in _OPCODE_CODES:
        return _read_legacy(path, rel)
    return FormatReading(file=rel, format="pickle", status=FileStatus.LISTED,
                         note="neither a zip archive nor a pickle; not read")


def _unreadable(rel: str, fmt: str, why: str, code: str, problems: list[Problem] | None = None) -> FormatReading:
    return FormatReading(file=rel, format=fmt, status=FileStatus.UNREADABLE, note=why,
                         problems=tuple(problems or ()) + (problem(rel, code, why),))


def _read_zip(path: Path, rel: str) -> FormatReading:
    problems: list[Problem] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return _unreadable(rel, "pytorch-zip", f"is not a readable zip archive ({exc})", "zip.unreadable")
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            return _unreadable(rel, "pytorch-zip", f"holds {len(members)} members, more than {MAX_MEMBERS}; not read",
                               "zip.too-many-members")
        size = path.stat().st_size
        bombs = [m.filename for m in members if _looks_like_bomb(m)]
        declared = sum(m.file_size for m in members)
        if bombs or (declared > 10 * max(size, 1) and declared > 1 << 30):
            shown = ", ".join(bombs[:3]) or f"{declared} bytes declared in a {size}-byte file"
            problems.append(problem(rel, "zip.bomb", f"looks like a zip bomb ({shown}); those members are not decompressed"))
        nested = sorted(m.filename for m in members if m.filename.lower().endswith(NESTED_ARCHIVES))
        if nested:
            problems.append(problem(rel, "zip.nested", f"contains nested archives ({', '.join(nested[:3])}); they are not opened",
                                    Severity.WARNING))
        pickles = sorted((m for m in members if m.filename.endswith(".pkl") and not m.is_dir()), key=lambda m: m.filename)
        if not pickles:
            return FormatReading(file=rel, format="pytorch-zip", status=FileStatus.LISTED,
                                 note="zip archive without a pickle; not a PyTorch checkpoint", problems=tuple(problems))
        imports: list[PickleImport] = []
        main: PickleTrace | None = None
        main_member = next((m for m in pickles if m.filename.endswith("/data.pkl") or m.filename == "data.pkl"), None)
        unchecked: list[str] = []
        for member in pickles:
            data = _member_bytes(archive, member, bombs, rel, problems)
            if data is None:
                unchecked.append(member.filename)
                continue
            trace = trace_pickle(data)
            imports += _graded(trace, rel, member.filename)
            if trace.error:
                problems.append(problem(rel, "pickle.unparsed", f"{member.filename}: {trace.error}", Severity.WARNING))
            if member is main_member:
                main = trace
        byteorder = (_small_member(archive, main_member.filename.rsplit("/", 1)[0] + "/byteorder", rel, problems)
                     if main_member else None)
    problems += _import_problems(imports, rel)
    if unchecked:
        problems.append(problem(rel, "pickle.unchecked", f"pickles {', '.join(unchecked[:3])} could not be checked for imports"))
    tensors: list[HeaderTensor] = []
    note_extra = ""
    if main is not None and main.complete:
        if byteorder == b"big":
            problems.append(problem(rel, "pytorch.big-endian", "stores big-endian tensors, which are not read", Severity.WARNING))
        else:
            prefix = main_member.filename.rsplit("/", 1)[0] + "/" if "/" in main_member.filename else ""
            tensors, note_extra = _zip_tensors(path, rel, members, prefix, main.result, problems)
    return FormatReading(file=rel, format="pytorch-zip", status=FileStatus.READ,
                         note=_note("PyTorch zip checkpoint", tensors, imports, note_extra, unchecked),
                         tensors=tuple(tensors), imports=tuple(imports), problems=tuple(problems))


def _looks_like_bomb(member: zipfile.ZipInfo) -> bool:
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size != member.file_size and member.file_size > BOMB_MIN_BYTES
    return member.file_size >= BOMB_MIN_BYTES and member.file_size > BOMB_RATIO * max(member.compress_size, 1)


def _member_bytes(archive: zipfile.ZipFile, member: zipfile.ZipInfo, bombs: list[str], rel: str,
                  problems: list[Problem]) -> bytes | None:
    if member.filename in bombs:
        return None
    if member.file_size > MAX_PICKLE_BYTES:
        problems.append(problem(rel, "pickle.too-large", f"{member.filename} declares {member.file_size} bytes; not read"))
        return None
    try:
        with archive.open(member) as fh:
            data = fh.read(MAX_PICKLE_BYTES + 1)
    except _MEMBER_ERRORS as exc:
        problems.append(problem(rel, "zip.member-unreadable", f"{member.filename} cannot be read ({exc})"))
        return None
    if len(data) > MAX_PICKLE_BYTES:
        problems.append(problem(rel, "pickle.too-large", f"{member.filename} is larger than {MAX_PICKLE_BYTES} bytes; not read"))
        return None
    return data


def _small_member(archive: zipfile.ZipFile, name: str, rel: str, problems: list[Problem]) -> bytes | None:
    """A tiny member such as ``archive/byteorder``; a damaged one is a problem, not the end of the scan."""
    try:
        member = archive.getinfo(name)
    except KeyError:
        return None
    if member.file_size > 64:
        return None
    try:
        with archive.open(member) as fh:
            return fh.read(64).strip()
    except _MEMBER_ERRORS as exc:
        problems.append(problem(rel, "zip.member-unreadable", f"{name} cannot be read ({exc}); tensors are taken as little-endian",
                                Severity.WARNING))
        return None


def _graded(trace: PickleTrace, rel: str, member: str) -> list[PickleImport]:
    """Imports off the allow-list, and calls of allowed callables with arguments they may not take
    (named with those arguments: ``_codecs.encode('bf', 'rot13')``)."""
    out = []
    for seen in trace.imports:
        level = risk(seen.module, seen.name)
        if level is not None:
            out.append(PickleImport(file=rel, member=member, module=seen.module, name=seen.name, risk=level))
    for call in trace.calls:
        level = call_risk(call.module, call.name, call.args)
        if level is not None:
            shown = ", ".join("…" if a is None else repr(a[:40]) for a in call.args)
            out.append(PickleImport(file=rel, member=member, module=call.module, name=f"{call.name}({shown})", risk=level))
    return list(dict.fromkeys(out))


def _import_problems(imports: list[PickleImport], rel: str) -> list[Problem]:
    dangerous = sorted({i.qualified for i in imports if i.risk == "dangerous"})
    unknown = sorted({i.qualified for i in imports if i.risk == "unknown"})
    out = []
    if dangerous:
        out.append(problem(rel, "pickle.dangerous-import",
                           f"would import {', '.join(dangerous)} when unpickled, which can run code; it was not loaded"))
    if unknown:
        out.append(problem(rel, "pickle.unknown-import",
                           f"would import {', '.join(unknown)} when unpickled (not on the weights-only allow-list)",
                           Severity.WARNING))
    return out


def _zip_tensors(path: Path, rel: str, members: list[zipfile.ZipInfo], prefix: str, result: Any,
                 problems: list[Problem]) -> tuple[list[HeaderTensor], str]:
    found, chosen = find_tensors(result)
    by_name = {m.filename: m for m in members}
    size = path.stat().st_size
    storages: dict[str, tuple[int, int] | str] = {}
    with open(path, "rb") as fh:
        for key in sorted({ref.storage_key for _, ref in found.tensors}):
            member = by_name.get(f"{prefix}data/{key}")
            storages[key] = _storage_range(fh, member, size) if member else "its storage is not in the archive"
    tensors = place_tensors(found, rel, lambda key: storages[key], problems)
    return tensors, found_note(found, chosen)


def _storage_range(fh: Any, member: zipfile.ZipInfo, size: int) -> tuple[int, int] | str:
    """(data start, byte length) of an uncompressed member, from its local file header."""
    if member.compress_type != zipfile.ZIP_STORED:
        return "its storage is compressed"
    fh.seek(member.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return "its storage's local header is damaged"
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = member.header_offset + 30 + name_length + extra_length
    if start + member.file_size > size:
        return "its storage runs past the end of the file"
    return start, member.file_size


def _read_legacy(path: Path, rel: str) -> FormatReading:
    problems: list[Problem] = []
    imports: list[PickleImport] = []
    unchecked: list[str] = []
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            traces: list[PickleTrace] = []
            pos = 0
            while pos < len(buf) and len(traces) < MAX_LEGACY_PICKLES and (pos == 0 or buf[pos:pos + 1] == b"\x80"):
                bound = min(len(buf), pos + MAX_PICKLE_BYTES)
                trace = trace_pickle(buf, pos, bound)
                traces.append(trace)
                imports += _graded(trace, rel, "")
                if not trace.complete and bound < len(buf) and trace.end >= bound:
                    unchecked.append(f"the pickle at byte {pos}")
                    problems.append(problem(rel, "pickle.unchecked", f"the pickle at byte {pos} runs past "
                                            f"{MAX_PICKLE_BYTES} bytes; what follows byte {bound} was not checked for imports"))
                    break
                if not trace.complete:
                    problems.append(problem(rel, "pickle.unparsed", f"pickle at byte {pos}: {trace.error}", Severity.WARNING))
                    break
                pos = trace.end
                if not _is_legacy_torch(traces):
                    break
            problems += _import_problems(imports, rel)
            tensors: list[HeaderTensor] = []
            extra = ""
            if _is_legacy_torch(traces) and len(traces) >= 5 and all(t.complete for t in traces[:5]):
                tensors, extra = _legacy_tensors(buf, rel, traces[3].result, traces[4].result, traces[4].end, problems)
                fmt, label = "pytorch-legacy", "PyTorch legacy checkpoint"
            else:
                fmt, label = "pickle", "pickle"
    except OSError as exc:
        return _unreadable(rel, "pickle", f"cannot be read ({exc.strerror or exc})", "file.unreadable")
    return FormatReading(file=rel, format=fmt, status=FileStatus.READ, note=_note(label, tensors, imports, extra, unchecked),
                         tensors=tuple(tensors), imports=tuple(imports), problems=tuple(problems))


def _is_legacy_torch(traces: list[PickleTrace]) -> bool:
    return bool(traces) and traces[0].complete and traces[0].result == LEGACY_MAGIC


def _legacy_tensors(buf: mmap.mmap, rel: str, result: Any, keys: Any, data_start: int,
                    problems: list[Problem]) -> tuple[list[HeaderTensor], str]:
    """Storages follow the pickles in the order of the key list, each as int64 element count + bytes."""
    found, chosen = find_tensors(result)
    classes = storage_classes(result)
    storages: dict[str, tuple[int, int] | str] = {}
    pos = data_start
    for key in keys if isinstance(keys, list) else []:
        key = str(key)
        if pos + 8 > len(buf):
            storages[key] = "its storage runs past the end of the file"
            break
        count = struct.unpack("<q", buf[pos:pos + 8])[0]
        width = STORAGE_DTYPES.get(classes.get(key, ""), ("", 0))[1]
        if key not in classes or not width:
            storages[key] = "its storage type is not known"
            break  # the element size of this storage is unknown, so the next one cannot be found
        nbytes = count * width
        if count < 0 or pos + 8 + nbytes > len(buf):
            storages[key] = "its storage runs past the end of the file"
            break
        storages[key] = (pos + 8, nbytes)
        pos += 8 + nbytes
    tensors = place_tensors(found, rel, lambda key: storages.get(key, "its storage was not found after the pickles"), problems)
    return tensors, found_note(found, chosen)


def _note(label: str, tensors: list[HeaderTensor], imports: list[PickleImport], extra: str, unchecked: list[str]) -> str:
    parts = [f"{label}: {len(tensors)} weight tensors located without unpickling"]
    if extra:
        parts.append(extra)
    dangerous = sorted({i.qualified for i in imports if i.risk == "dangerous"})
    unknown = sorted({i.qualified for i in imports if i.risk == "unknown"})
    if dangerous:
        parts.append(f"DANGEROUS imports {', '.join(dangerous)} (never executed)")
    if unknown:
        parts.append(f"imports outside the allow-list: {', '.join(unknown)}")
    if not dangerous and not unknown and not unchecked:
        parts.append("imports all on the allow-list")
    if unchecked:
        parts.append(f"{len(unchecked)} pickles could not be checked")
    return "; ".join(parts)
