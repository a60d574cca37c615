"""Dependency manifests shipped with a model's code: which packages it needs, and its declared licence.

Read: ``requirements*.txt`` / ``*.in``, ``pyproject.toml`` (PEP 621 and Poetry tables), ``setup.cfg``,
``setup.py`` (its ``setup(...)`` call, through ``ast``, never run), ``environment.yml`` (conda) and
``Pipfile``. Package names are returned in their PEP 503 normal form so that ``Flash_Attn`` and
``flash-attn`` are one dependency. A manifest that cannot be read is a problem, not an error.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from scanner.errors import DataFileError, problem
from scanner.report.model import Problem, Severity
from scanner.yamlsafe import load_yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]

MAX_MANIFEST_BYTES = 1 << 20
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_CONDA_NAME = re.compile(r"^\s*(?:[\w.-]+::)?([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise_package(name: str) -> str:
    """PEP 503 normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(slots=True)
class ManifestFacts:
    """Packages listed, licence statements found (source label -> value as written), problems."""

    packages: set[str] = field(default_factory=set)
    licenses: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _requirement(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-") or "://" in line.split("@", 1)[0]:
        return None
    match = _REQUIREMENT_NAME.match(line)
    return normalise_package(match.group(1)) if match else None


def _requirements(text: str) -> set[str]:
    return {name for line in text.splitlines() if (name := _requirement(line))}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _pyproject(text: str, rel: str, facts: ManifestFacts) -> None:
    if tomllib is None:
        facts.problems.append(problem(rel, "manifest.unsupported", "not read: TOML needs Python 3.11 or later", Severity.INFO))
        return
    data = tomllib.loads(text)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    for requirement in _strings(project.get("dependencies")):
        if name := _requirement(requirement):
            facts.packages.add(name)
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group in optional.values():
            facts.packages.update(n for r in _strings(group) if (n := _requirement(r)))
    license_value = project.get("license")
    if isinstance(license_value, str):
        facts.licenses.append((f"{rel}:project.license", license_value))
    elif isinstance(license_value, dict) and isinstance(license_value.get("text"), str):
        facts.licenses.append((f"{rel}:project.license.text", license_value["text"]))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        for table in ("dependencies", "dev-dependencies"):
            names = poetry.get(table)
            if isinstance(names, dict):
                facts.packages.update(normalise_package(n) for n in names if n.lower() != "python")
        if isinstance(poetry.get("license"), str):
            facts.licenses.append((f"{rel}:tool.poetry.license", poetry["license"]))


def _setup_cfg(text: str, rel: str, facts: ManifestFacts) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text, source=rel)
    if parser.has_option("options", "install_requires"):
        facts.packages |= _requirements(parser.get("options", "install_requires").replace(";", "\n;"))
    if parser.has_option("metadata", "license"):
        facts.licenses.append((f"{rel}:metadata.license", parser.get("metadata", "license").strip()))


def _setup_py(text: str, rel: str, facts: ManifestFacts) -> None:
    tree = ast.parse(text, filename=rel)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg == "install_requires" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                for item in keyword.value.elts:
                    if isinstance(item, ast.Constant) and isinstance(item.value, str) and (n := _requirement(item.value)):
                        facts.packages.add(n)
            elif keyword.arg == "license" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                facts.licenses.append((f"{rel}:setup.license", keyword.value.value))


def _environment(text: str, rel: str, facts: ManifestFacts) -> None:
    data = load_yaml(text, rel, max_bytes=MAX_MANIFEST_BYTES).data
    dependencies = data.get("dependencies", []) if isinstance(data, dict) else []
    for item in dependencies if isinstance(dependencies, list) else []:
        if isinstance(item, str) and (match := _CONDA_NAME.match(item)) and match.group(1).lower() != "python":
            facts.packages.add(normalise_package(match.group(1)))
        elif isinstance(item, dict):
            facts.packages.update(n for r in _strings(item.get("pip")) if (n := _requirement(r)))


def _pipfile(text: str, rel: str, facts: ManifestFacts) -> None:
    if tomllib is None:
        facts.problems.append(problem(rel, "manifest.unsupported", "not read: TOML needs Python 3.11 or later", Severity.INFO))
        return
    data = tomllib.loads(text)
    for table in ("packages", "dev-packages"):
        if isinstance(data.get(table), dict):
            facts.packages.update(normalise_package(n) for n in data[table])


def read_manifest(path: Path, rel: str, facts: ManifestFacts) -> None:
    """Add one manifest's packages and licence statements to ``facts``; failures become problems."""
    name = PurePosixPath(rel).name.lower()
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            facts.problems.append(problem(rel, "manifest.too-large", f"is over {MAX_MANIFEST_BYTES} bytes; not read",
                                          Severity.WARNING))
            return
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        facts.problems.append(problem(rel, "file.unreadable", f"cannot be read ({exc.strerror or exc})"))
        return
    readers = {"pyproject.toml": _pyproject, "setup.cfg": _setup_cfg, "setup.py": _setup_py,
               "environment.yml": _environment, "environment.yaml": _environment, "pipfile": _pipfile}
    reader = readers.get(name)
    try:
        if reader is not None:
            reader(text, rel, facts)
        else:
            facts.packages |= _requirements(text)
    except (ValueError, SyntaxError, RecursionError, configparser.Error, DataFileError) as exc:
        message = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        facts.problems.append(problem(rel, "manifest.invalid", f"could not be read ({message})", Severity.WARNING))
