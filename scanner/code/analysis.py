"""The code stage: every shipped ``*.py`` file and dependency manifest, analysed without running anything.

It answers three questions for the report's ``code`` section: which third-party packages the code
needs (imports plus manifests) and under which licence each is published (from the reviewed table in
``package_licenses``), whether loading the model runs the repository's own code
(``auto_map`` entry points, i.e. ``trust_remote_code``), and which known public code each file
resembles (code reuse, reported apart from weight reuse).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from scanner.code.known import KnownCodeGroup
from scanner.code.manifests import ManifestFacts, normalise_package, read_manifest
from scanner.code.package_licenses import PackageLicense, bundled_package_licenses
from scanner.code.python_file import MAX_PYTHON_BYTES, PythonFile, analyse_python, read_python
from scanner.code.similarity import CodeMatch, similar_code
from scanner.errors import problem
from scanner.report.model import CodeFacts, CodeFile, FileKind, Problem, Severity
from scanner.walk.walker import RepoListing

MAX_PYTHON_FILES = 1000
MAX_TOTAL_PYTHON_BYTES = 64 << 20
# Import names whose distribution is named differently; anything else is its own (normalised) name.
DISTRIBUTION_OF_IMPORT = {
    "PIL": "pillow",
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "google.protobuf": "protobuf",
    "jwt": "pyjwt",
    "open_clip": "open-clip-torch",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "yaml": "pyyaml",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryPoint:
    """One ``auto_map`` entry: the class a loader imports from code, and where that code lives."""

    source: str  # e.g. "config.json:auto_map.AutoModelForCausalLM"
    reference: str  # as written, e.g. "modeling_x.XForCausalLM" or "org/repo--modeling_x.XForCausalLM"
    repository: str | None  # the other Hub repository the code comes from, when it is not this one
    module_file: str  # the file the loader imports, relative to the repository it comes from


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeAnalysis:
    """The report's code facts plus what later stages need: per-file matches, licence statements."""

    facts: CodeFacts
    files: tuple[PythonFile, ...]
    matches: Mapping[str, tuple[CodeMatch, ...]]
    entry_points: tuple[EntryPoint, ...]
    manifest_licenses: tuple[tuple[str, str], ...]
    problems: tuple[Problem, ...]
    read_files: frozenset[str] = frozenset()  # Python files analysed and manifests read without an error


def entry_points(auto_maps: Mapping[str, Mapping[str, object]]) -> list[EntryPoint]:
    """Parse ``auto_map`` tables (by the file they came from); tokenizer maps may hold [slow, fast] pairs."""
    found = []
    for file, table in sorted(auto_maps.items()):
        for key, value in sorted(table.items()):
            references = value if isinstance(value, list) else [value]
            for reference in references:
                if not isinstance(reference, str) or "." not in reference:
                    continue
                repository, _, local = reference.rpartition("--")
                module = local.rsplit(".", 1)[0]
                found.append(EntryPoint(source=f"{file}:auto_map.{key}", reference=reference, repository=repository or None,
                                        module_file=module.replace(".", "/") + ".py"))
    return found


def _local_modules(paths: Sequence[str]) -> set[str]:
    """Top-level names the repository's own files provide (a module file or a package folder)."""
    names = set()
    for rel in paths:
        parts = PurePosixPath(rel).parts
        names.add(parts[0] if len(parts) > 1 else PurePosixPath(parts[0]).stem)
    return names


def _distribution(import_name: str) -> str:
    """``google.x.y`` imports come from ``google-x-y`` distributions unless mapped (``google.protobuf``)."""
    return DISTRIBUTION_OF_IMPORT.get(import_name, normalise_package(import_name))


def analyse_code(listing: RepoListing, auto_maps: Mapping[str, Mapping[str, object]],
                 known: Sequence[KnownCodeGroup],
                 package_licenses: Mapping[str, PackageLicense] | None = None) -> CodeAnalysis:
    """Analyse the repository's Python files and manifests; never raises for file content.

    ``package_licenses`` is the licence table to look dependencies up in (the bundled one by default).
    """
    problems: list[Problem] = []
    python_paths = [f.path for f in listing.of_kind(FileKind.REMOTE_CODE)]
    if len(python_paths) > MAX_PYTHON_FILES:
        problems.append(problem("", "code.too-many-files", f"{len(python_paths)} Python files; only the first "
                                f"{MAX_PYTHON_FILES} were analysed", Severity.WARNING))
        python_paths = python_paths[:MAX_PYTHON_FILES]
    analysed: list[PythonFile] = []
    sizes = {f.path: f.size for f in listing.files}
    total = 0
    for rel in python_paths:
        size = sizes.get(rel, 0)
        total += size if size <= MAX_PYTHON_BYTES else 0
        if total > MAX_TOTAL_PYTHON_BYTES:
            problems.append(problem(rel, "code.too-much-code", f"the Python files up to this one exceed "
                                    f"{MAX_TOTAL_PYTHON_BYTES} bytes; it and the rest were not analysed", Severity.WARNING))
            break
        text, issue = read_python(listing.path(rel), rel)
        if text is None:
            problems.append(issue)
            continue
        result, issue = analyse_python(text, rel)
        analysed.append(result)
        if issue:
            problems.append(issue)
    manifests = ManifestFacts()
    manifest_files = [entry.path for entry in listing.of_kind(FileKind.DEPENDENCY_MANIFEST)]
    for path in manifest_files:
        read_manifest(listing.path(path), path, manifests)
    problems += manifests.problems
    unread = {p.file for p in manifests.problems if p.severity is Severity.ERROR}

    points = entry_points(auto_maps)
    shipped = {f.path for f in listing.files}
    for point in points:
        if point.repository is None and point.module_file not in shipped:
            problems.append(problem(point.source.split(":", 1)[0], "code.entry-point-missing",
                                    f"auto_map names {point.reference!r}, but the repository does not ship "
                                    f"{point.module_file}", Severity.WARNING))

    local = _local_modules([f.path for f in listing.files if f.path.endswith(".py")])
    stdlib = set(sys.stdlib_module_names)
    dependencies = {_distribution(name) for f in analysed for name in f.imports
                    if name not in stdlib and name.split(".")[0] not in local}
    matches = {f.path: tuple(similar_code(f.fingerprint, known)) for f in analysed}
    code_files = tuple(
        CodeFile(path=f.path, parsed=f.parsed, imports=f.imports, spdx_tags=tuple(value for _, value in f.spdx_tags),
                 similar_to={m.key: m.score for m in matches[f.path]})
        for f in analysed
    )
    needed = sorted(dependencies | manifests.packages)
    table = bundled_package_licenses() if package_licenses is None else package_licenses
    licensed = [table[name] for name in needed if name in table]
    facts = CodeFacts(files=code_files, trust_remote_code=bool(points), dependencies=tuple(needed), pickle_imports=(),
                      dependency_licenses={entry.package: entry.license for entry in licensed},
                      dependency_license_sources={entry.package: entry.provenance for entry in licensed})
    return CodeAnalysis(facts=facts, files=tuple(analysed), matches=matches, entry_points=tuple(points),
                        manifest_licenses=tuple(manifests.licenses), problems=tuple(problems),
                        read_files=frozenset([f.path for f in analysed] + [m for m in manifest_files if m not in unread]))
