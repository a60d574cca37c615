"""Where the data that ships with the tool lives: catalog, licences, schemas, rules and policies.

Catalog, licence and schema files sit inside the package (``scanner/data``). Rules and policies sit
at the top of the repository, where policy authors look for them, and the wheel copies them into
``scanner/_bundled``; a source checkout (or an editable install) reads them where they are.
"""

from __future__ import annotations

from pathlib import Path

from scanner.errors import FromScratchError

PACKAGE_DIR = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """A file or folder under ``scanner/data``."""
    return PACKAGE_DIR.joinpath("data", *parts)


def bundled_dir(name: str) -> Path:
    """The bundled ``rules`` or ``policies`` folder, installed or in a source checkout."""
    for candidate in (PACKAGE_DIR / "_bundled" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FromScratchError(f"the bundled '{name}' folder is missing from this installation of fromscratch")
