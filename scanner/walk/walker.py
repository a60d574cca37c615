"""List every file of a model repository with its size, SHA-256 and kind.

Two layouts are understood:

* a plain folder (a git clone, a ``local_dir`` download, a folder about to be published);
* the Hugging Face cache (``models--org--name/snapshots/<revision>/…`` whose files are symlinks
  into ``models--org--name/blobs/``). Given either the snapshot folder or the ``models--…`` folder,
  the walker reads the snapshot and lets its links reach the repository's own ``blobs``.

A symlink is followed only when it resolves inside the repository (for the cache layout, inside
``models--…``); anything else is listed as skipped with a problem, so a crafted repository cannot
make the scanner read ``/etc/passwd`` or a user's private files. ``.git`` folders are not part of a
model release and are ignored.
"""

from __future__ import annotations

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ScanInputError, problem
from scanner.progress import NoProgress, Progress
from scanner.report.model import FileKind, FileStatus, Problem, RepoFile, Severity
from scanner.walk.kinds import classify

MAX_FILES = 100_000
_HASH_CHUNK = 8 << 20
_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoListing:
    """The walked repository: its files, where to read each, and what could not be listed."""

    target: str
    source: str
    revision: str | None
    root: Path
    files: tuple[RepoFile, ...]
    real_paths: dict[str, Path]
    problems: tuple[Problem, ...]

    def of_kind(self, *kinds: FileKind) -> list[RepoFile]:
        """Readable files of the given kinds, in path order."""
        return [f for f in self.files if f.kind in kinds and f.path in self.real_paths]

    def path(self, rel: str) -> Path:
        """Where to read a listed file; only files that passed the containment check are here."""
        return self.real_paths[rel]

    def has(self, rel: str) -> bool:
        return rel in self.real_paths


def walk(target: str | os.PathLike[str], *, progress: Progress | None = None, source: str | None = None,
         revision: str | None = None, allow_empty: bool = False) -> RepoListing:
    """Walk a local folder (plain or Hugging Face cache layout).

    Raises ``ScanInputError`` when there is nothing to scan: a missing path, a file instead of a
    folder, or a folder without files (unless ``allow_empty``: a Hub snapshot whose files were
    all left on the Hub in metadata-only mode).
    """
    progress = progress or NoProgress()
    if not os.fspath(target):
        raise ScanInputError("no folder given: name the model repository's folder")
    given = Path(target)
    if not given.exists():
        raise ScanInputError(f"{given}: no such folder")
    if not given.is_dir():
        raise ScanInputError(f"{given}: not a folder (give the model repository's folder)")
    root, boundary, cache_revision = _resolve_layout(given)
    listed, problems = _list(root, boundary)
    if not listed and not allow_empty:
        raise ScanInputError(f"{given}: the folder is empty: no files to scan")
    records: list[RepoFile] = []
    real_paths: dict[str, Path] = {}
    readable = [(rel, real, size) for rel, real, size, skip_note in listed if not skip_note]
    digests = _hash_all(readable, progress)
    for rel, real, size, skip_note in listed:
        kind = classify(rel)
        if skip_note:
            records.append(RepoFile(path=rel, size=size, sha256=None, kind=kind, status=FileStatus.SKIPPED, note=skip_note))
            continue
        digest = digests[rel]
        if isinstance(digest, OSError):
            problems.append(problem(rel, "file.unreadable", f"cannot be read ({digest.strerror or digest})"))
            records.append(RepoFile(path=rel, size=size, sha256=None, kind=kind, status=FileStatus.UNREADABLE,
                                    note=str(digest.strerror or digest)))
            continue
        records.append(RepoFile(path=rel, size=size, sha256=digest, kind=kind, status=FileStatus.LISTED))
        real_paths[rel] = real
    return RepoListing(
        target=str(target),
        source=source or ("hf-cache" if boundary != root else "local"),
        revision=revision or cache_revision,
        root=root,
        files=tuple(records),
        real_paths=real_paths,
        problems=tuple(problems),
    )


def _resolve_layout(given: Path) -> tuple[Path, Path, str | None]:
    """(folder to list, boundary links must stay inside, snapshot revision) for plain and cache layouts."""
    real = given.resolve()
    if (real / "snapshots").is_dir() and real.name.startswith(("models--", "datasets--", "spaces--")):
        snapshot = _cache_snapshot(real)
        return snapshot, real, snapshot.name
    if real.parent.name == "snapshots" and real.parent.parent.name.startswith(("models--", "datasets--", "spaces--")):
        return real, real.parent.parent, real.name
    return real, real, None


def _cache_snapshot(repo: Path) -> Path:
    ref = repo / "refs" / "main"
    if ref.is_file():
        revision = ref.read_text(encoding="utf-8", errors="replace").strip()
        snapshot = repo / "snapshots" / revision
        if snapshot.is_dir() and snapshot.resolve().is_relative_to(repo):
            return snapshot
    snapshots = sorted(p for p in (repo / "snapshots").iterdir() if p.is_dir())
    if len(snapshots) == 1:
        return snapshots[0]
    if not snapshots:
        raise ScanInputError(f"{repo}: Hugging Face cache folder without snapshots: nothing to scan")
    raise ScanInputError(
        f"{repo}: several cached snapshots and no refs/main; scan one of {repo / 'snapshots'}/<revision>"
    )


def _list(root: Path, boundary: Path) -> tuple[list[tuple[str, Path, int, str]], list[Problem]]:
    """(relative path, real path, size, skip note) for every file, sorted; links checked against the boundary."""
    found: list[tuple[str, Path, int, str]] = []
    problems: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name in _IGNORED_DIRS:
                continue
            sub = here / name
            if sub.is_symlink():
                rel = sub.relative_to(root).as_posix()
                found.append((rel, sub, 0, "directory link not followed"))
                problems.append(problem(rel, "walk.directory-link", "is a link to a folder; not followed", Severity.WARNING))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            given = path.relative_to(root).as_posix()
            rel = _printable(given)
            entry, issue = _inspect(path, rel, boundary)
            found.append(entry)
            if issue:
                problems.append(issue)
            if rel != given:
                problems.append(problem(rel, "walk.non-utf8-name", "has a name that is not valid UTF-8; shown with "
                                        "\\x escapes", Severity.WARNING))
        if len(found) > MAX_FILES:
            problems.append(problem("", "walk.too-many-files", f"more than {MAX_FILES} files; the rest were not listed"))
            break
    found.sort(key=lambda item: item[0])
    return found, problems


def _printable(rel: str) -> str:
    """A path as reports can write it: bytes that are not UTF-8 (kept by the OS as surrogates) become ``\\xNN``.

    The file is still read from its real path; only the name shown changes.
    """
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _inspect(path: Path, rel: str, boundary: Path) -> tuple[tuple[str, Path, int, str], Problem | None]:
    try:
        st = path.lstat()
    except OSError as exc:
        return (rel, path, 0, f"cannot stat: {exc.strerror}"), problem(rel, "file.unreadable", f"cannot be read ({exc.strerror})")
    if stat.S_ISLNK(st.st_mode):
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return (rel, path, 0, "broken link"), problem(rel, "walk.broken-link", "is a link to a missing file", Severity.WARNING)
        if not real.is_relative_to(boundary):
            return (rel, path, 0, "link points outside the repository"), problem(
                rel, "walk.link-outside", f"is a link that points outside the repository ({real}); not followed"
            )
        if not real.is_file():
            return (rel, path, 0, "link to a non-file"), problem(rel, "walk.link-not-file", "is a link to something that is not a file", Severity.WARNING)
        return (rel, real, real.stat().st_size, ""), None
    if not stat.S_ISREG(st.st_mode):
        return (rel, path, 0, "not a regular file"), problem(rel, "walk.special-file", "is not a regular file; skipped", Severity.WARNING)
    return (rel, path, st.st_size, ""), None


def _hash_all(files: list[tuple[str, Path, int]], progress: Progress) -> dict[str, str | OSError]:
    """SHA-256 of every file, two files at a time (hashlib releases the GIL, so both cores hash)."""
    total = sum(size for _, _, size in files)
    show = total >= 64 << 20
    if show:
        progress.begin("hashing files", total)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = pool.map(lambda item: _sha256(item[1], progress if show else None), files)
            return {rel: digest for (rel, _, _), digest in zip(files, results)}
    finally:
        if show:
            progress.end()


def _sha256(path: Path, progress: Progress | None) -> str | OSError:
    digest = hashlib.sha256()
    try:
        with open(path, "rb", buffering=0) as fh:
            buf = bytearray(_HASH_CHUNK)
            view = memoryview(buf)
            while n := fh.readinto(buf):
                digest.update(view[:n])
                if progress is not None:
                    progress.advance(n)
    except OSError as exc:
        return exc
    return digest.hexdigest()
