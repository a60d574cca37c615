"""The licences common Python packages declare, for the dependencies a repository's code needs.

An SBOM that lists torch as a dependency with licence NOASSERTION gives a reviewer nothing to act
on. Asking PyPI during a scan would make the report depend on the network and on the day it ran,
so the tool ships a reviewed table instead (``scanner/data/code/package-licenses.yaml``): per
distribution, the SPDX expression the package declares, where that was read and when. A package
missing from the table keeps NOASSERTION; nothing is guessed from its name.

The table is checked as a whole when loaded: keys in PEP 503 normal form (the form the code stage
gives dependency names), every expression valid SPDX with no ``LicenseRef-`` (an SBOM would then
owe the licence text), a source and a date on every entry. All mistakes are reported together,
each with ``file:line:column``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from license_expression import ExpressionError

from scanner.bundled import data_path
from scanner.code.manifests import normalise_package
from scanner.errors import DataFileError
from scanner.licenses.expressions import licensing, symbols
from scanner.yamlsafe import Located, load_yaml

TABLE_PATH = data_path("code", "package-licenses.yaml")
FORMAT_VERSION = 1
_FIELDS = frozenset({"license", "source", "checked"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageLicense:
    """One distribution's declared licence, with what was read (``source``) and on which day."""

    package: str
    license: str
    source: str
    checked: str

    @property
    def provenance(self) -> str:
        """The sentence a report and an SBOM carry, so a reader can check the licence again."""
        return f"{self.source}; checked {self.checked}"


def _entry(located: Located, package: Any, raw: Any, errors: list[str]) -> PackageLicense | None:
    at = ("packages", str(package))
    if not isinstance(package, str) or normalise_package(package) != package:
        errors.append(f"{located.where(at)}: package {package!r} must be written in its PEP 503 normal form "
                      f"({normalise_package(str(package))!r})")
        return None
    if not isinstance(raw, dict):
        errors.append(f"{located.where(at)}: {package}: expected a mapping with {', '.join(sorted(_FIELDS))}")
        return None
    before = len(errors)
    for key in sorted(set(raw) - _FIELDS, key=str):
        errors.append(f"{located.where((*at, str(key)))}: {package}: unknown key {key!r}")
    for key in sorted(_FIELDS - set(raw)):
        errors.append(f"{located.where(at)}: {package}: missing {key!r}")
    expression, source, checked = raw.get("license"), raw.get("source"), raw.get("checked")
    if "license" in raw:
        _check_expression(located, (*at, "license"), package, expression, errors)
    if "source" in raw and (not isinstance(source, str) or not source.strip()):
        errors.append(f"{located.where((*at, 'source'))}: {package}: 'source' must say where the licence was read")
    if "checked" in raw and not _is_day(checked):
        errors.append(f"{located.where((*at, 'checked'))}: {package}: 'checked' must be a date, YYYY-MM-DD")
    if len(errors) > before:
        return None
    return PackageLicense(package=package, license=expression, source=source.strip(), checked=str(checked))


def _check_expression(located: Located, at: tuple[str, ...], package: str, expression: Any, errors: list[str]) -> None:
    if not isinstance(expression, str) or not expression.strip():
        errors.append(f"{located.where(at)}: {package}: 'license' must be an SPDX expression")
        return
    try:
        parsed = licensing().parse(expression, validate=True, strict=True)
    except ExpressionError as exc:
        errors.append(f"{located.where(at)}: {package}: {expression!r} is not a valid SPDX expression ({exc})")
        return
    if refs := [s for s in symbols(str(parsed)) if s.startswith("LicenseRef-")]:
        errors.append(f"{located.where(at)}: {package}: {', '.join(refs)} is not an SPDX licence id")
    elif str(parsed) != expression:
        errors.append(f"{located.where(at)}: {package}: write the expression as {str(parsed)!r}")


def _is_day(value: Any) -> bool:
    """A YAML date (PyYAML builds one from an unquoted 2026-12-07) or the same as a string."""
    if isinstance(value, datetime.date):
        return not isinstance(value, datetime.datetime)
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def load_package_licenses(path: Path = TABLE_PATH) -> dict[str, PackageLicense]:
    """Read and check the table at ``path``; ``DataFileError`` lists every problem found."""
    try:
        located = load_yaml(path.read_bytes(), str(path))
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    data = located.data
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: expected a mapping with format_version and packages")
    if data.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{located.where(('format_version',))}: format_version {data.get('format_version')!r} "
                            f"is not supported (this version of fromscratch reads {FORMAT_VERSION})")
    errors = [f"{located.where((str(key),))}: unknown key {key!r}"
              for key in data if key not in ("format_version", "packages")]
    packages = data.get("packages")
    if not isinstance(packages, dict):
        raise DataFileError(f"{located.where(('packages',))}: 'packages' must be a mapping of package name to entry")
    table = {}
    for package, raw in packages.items():
        entry = _entry(located, package, raw, errors)
        if entry is not None:
            table[entry.package] = entry
    if errors:
        raise DataFileError(f"{len(errors)} problem(s) in {path}:\n" + "\n".join(errors))
    return table


@cache
def bundled_package_licenses() -> Mapping[str, PackageLicense]:
    """The table shipped with the tool, read once."""
    return MappingProxyType(load_package_licenses())
