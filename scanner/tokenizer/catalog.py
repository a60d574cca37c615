"""The shipped catalog of tokenizer fingerprints (``scanner/data/catalog/tokenizers/*.tokfp``) and
extra catalog folders with the same layout.

A fingerprint's file name (without ``.tokfp``) is its tokenizer id and must equal the label inside
the file, so a renamed or copied file cannot pass for another tokenizer.
"""

from __future__ import annotations

from pathlib import Path

from scanner.bundled import data_path
from scanner.errors import DataFileError
from scanner.tokenizer.fingerprint import TokenizerFingerprint
from scanner.tokenizer.fingerprint_file import FILE_SUFFIX, fingerprint_from_bytes, fingerprint_to_bytes

MAX_FINGERPRINT_BYTES = 32 << 20


def bundled_tokenizer_dir() -> Path:
    """Where the shipped fingerprints live."""
    return data_path("catalog", "tokenizers")


def read_fingerprint(path: Path) -> TokenizerFingerprint:
    """Read and validate one ``.tokfp`` file; raises ``DataFileError`` naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FINGERPRINT_BYTES:
            raise DataFileError(f"{path}: {size} bytes is over the {MAX_FINGERPRINT_BYTES}-byte limit for fingerprints")
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return fingerprint_from_bytes(data, str(path))


def write_fingerprint(path: Path, fp: TokenizerFingerprint) -> None:
    """Write one fingerprint (the bytes depend only on the fingerprint)."""
    path.write_bytes(fingerprint_to_bytes(fp))


def load_tokenizer_catalog(folder: Path | None = None) -> dict[str, TokenizerFingerprint]:
    """Every fingerprint in ``folder`` (default: the shipped catalog), by tokenizer id, sorted by id."""
    folder = bundled_tokenizer_dir() if folder is None else folder
    catalog: dict[str, TokenizerFingerprint] = {}
    for path in sorted(folder.glob(f"*{FILE_SUFFIX}")):
        catalog[path.stem] = read_catalog_fingerprint(path)
    return catalog


def read_catalog_fingerprint(path: Path) -> TokenizerFingerprint:
    """One catalog ``<id>.tokfp``: its label must be its file name, so a copy cannot pass for another."""
    fp = read_fingerprint(path)
    if fp.label != path.stem:
        raise DataFileError(f"{path}: labelled {fp.label!r}, but the file name says {path.stem!r}")
    return fp
