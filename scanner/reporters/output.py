"""Writing report files: all of them or none, never a partial file, and never replacing a special file.

A file is written to a temporary file beside its destination and renamed into place, so a failed
write leaves the previous file as it was. Several files are all staged before any is renamed, so
one unwritable path leaves every other output untouched. A symlink is written through to its target
(the link stays a link), and a path that exists but is not a regular file (a FIFO, a terminal,
``/dev/stdout``) is written to directly: renaming over it would replace the special file itself.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import OutputError


@dataclass(frozen=True, slots=True)
class _Destination:
    """Where the bytes for a user-given ``path`` really go, and whether a rename may put them there."""

    path: Path
    real: Path
    special: bool


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file: complete, or not at all."""
    write_all([(path, content)])


def write_all(files: Iterable[tuple[Path, str | bytes]]) -> None:
    """Write every file or none: stage them all, then rename them into place, then fill special files."""
    planned = [(_destination(path), _bytes(content)) for path, content in files]
    _refuse_duplicates([dest for dest, _ in planned])
    staged: list[tuple[Path, _Destination]] = []
    try:
        for dest, data in planned:
            if not dest.special:
                staged.append((_stage(dest, data), dest))
        for tmp, dest in staged:
            _rename(tmp, dest)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    for dest, data in planned:
        if dest.special:
            _write_directly(dest, data)


def check_writable(paths: Iterable[Path]) -> None:
    """Fail now, not after a long scan, if a path cannot be written (each folder is probed with a temp file)."""
    destinations = [_destination(path) for path in paths]
    _refuse_duplicates(destinations)
    for dest in destinations:
        if not dest.special:
            _stage(dest, b"").unlink()
        elif not os.access(dest.path, os.W_OK):
            raise OutputError(f"{dest.path}: cannot write (permission denied)")


def _destination(path: Path) -> _Destination:
    try:
        info = os.stat(path)  # follows symlinks: what matters is the file they lead to
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: cannot write (is a directory)")
    special = info is not None and not stat.S_ISREG(info.st_mode)
    return _Destination(path=path, real=path if special else Path(os.path.realpath(path)), special=special)


def _refuse_duplicates(destinations: list[_Destination]) -> None:
    seen: set[Path] = set()
    for dest in destinations:
        if dest.real in seen:
            raise OutputError(f"{dest.path}: given for more than one report; each format needs its own file")
        seen.add(dest.real)


def _stage(dest: _Destination, data: bytes) -> Path:
    """Write ``data`` to a new temporary file in the destination's folder, with the final file's mode."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.real.name}.", suffix=".tmp", dir=dest.real.parent)
    except OSError as exc:
        raise OutputError(f"{dest.path}: cannot write ({exc.strerror or exc})") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _mode_for(dest.real))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{dest.path}: cannot write ({exc.strerror or exc})") from None
    return tmp


def _rename(tmp: Path, dest: _Destination) -> None:
    try:
        os.replace(tmp, dest.real)
    except OSError as exc:
        raise OutputError(f"{dest.path}: cannot write ({exc.strerror or exc})") from None


def _write_directly(dest: _Destination, data: bytes) -> None:
    try:
        with open(dest.path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise OutputError(f"{dest.path}: cannot write ({exc.strerror or exc})") from None


def _mode_for(real: Path) -> int:
    """Keep a replaced file's permissions; give a new file what ``open()`` would (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content
