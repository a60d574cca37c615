"""``fromscratch catalog``: add, list, show, verify and diff catalogs of known models."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from scanner.catalog.add import EntryFacts, add_to_catalog
from scanner.catalog.diff import diff_catalogs
from scanner.catalog.store import bundled_catalog_dir, load_catalogs, verify_catalog, write_manifest
from scanner.cli.exit_codes import ExitCode
from scanner.cli.progress_bar import progress_for_stderr
from scanner.errors import FromScratchError

_DIR = click.Path(file_okay=False, path_type=Path)


@click.group(epilog="\b\nExamples:\n  fromscratch catalog list\n  fromscratch catalog show qwen2.5-vl-7b-instruct\n"
                    "  fromscratch catalog add ./model --catalog ./my-catalog --id my-model\n"
                    "  fromscratch catalog verify ./my-catalog")
def catalog() -> None:
    """Manage catalogs of known open models."""


@catalog.command(epilog="\b\nExamples:\n  fromscratch catalog add ./my-base-model --catalog ./our-catalog --id our-base-1\n"
                        "  fromscratch catalog add ./vendor-model --catalog ./cat --id vendor-7b --organisation Vendor --country US\n"
                        "  fromscratch catalog add hf://org/model@main --catalog ./cat --id org-model")
@click.argument("model")
@click.option("--catalog", "catalog_dir", required=True, type=_DIR, help="Catalog folder (created if missing).")
@click.option("--id", "entry_id", required=True, help="Entry id: lower-case letters, digits, '.' and '-'.")
@click.option("--name", help="Display name (default: the id).")
@click.option("--family", help="Family grouping, e.g. qwen2.5.")
@click.option("--organisation", help="Publisher.")
@click.option("--country", help="Publisher's country, ISO 3166-1 alpha-2 (e.g. KR).")
@click.option("--release-date", help="Release date, YYYY-MM-DD.")
@click.option("--hf-repo", help="Hub repository (owner/name) the model is published as.")
@click.option("--license", "license_expr", help="Licence as an SPDX expression (LicenseRef-... allowed).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def add(model: str, catalog_dir: Path, entry_id: str, name: str | None, family: str | None,
        organisation: str | None, country: str | None, release_date: str | None, hf_repo: str | None,
        license_expr: str | None, quiet: bool) -> int:
    """Add MODEL (a folder, or hf://owner/name[@revision]) to a catalog, with its weight and tokenizer fingerprints."""
    facts = EntryFacts(name=name, family=family, organisation=organisation, country=country, release_date=release_date,
                       hf_repo=hf_repo, license=license_expr)
    entry = add_to_catalog(model, catalog_dir, entry_id, facts, progress=progress_for_stderr(quiet))
    what = ["config"] + (["weights"] if entry.weights else []) + (["tokenizer"] if entry.tokenizer else [])
    click.echo(f"added {entry.id} to {catalog_dir} ({', '.join(what)})")
    return ExitCode.PASSED


@catalog.command(name="list", epilog="\b\nExamples:\n  fromscratch catalog list\n  fromscratch catalog list --catalog ./my-catalog --json")
@click.option("--catalog", "extra", multiple=True, type=_DIR, help="Extra catalog folder (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_entries(extra: tuple[Path, ...], as_json: bool) -> int:
    """List catalog entries: who published them, their licence, and which carry weight fingerprints."""
    cat = load_catalogs(extra)
    for kind, lines in (("skipped", cat.skipped + cat.warnings), ("overridden", cat.overridden)):
        for line in lines:
            click.echo(f"warning: {kind}: {line}", err=True)
    if as_json:
        rows = [{"id": e.id, "name": e.name, "organisation": e.organisation, "country": e.country,
                 "license": e.license, "weights": e.weights is not None, "tokenizer": e.tokenizer,
                 "synthetic": e.synthetic, "catalog": e.catalog, "source": e.sources[0]["ref"]}
                for e in cat.entries.values()]
        click.echo(json.dumps(rows, indent=2))
        return ExitCode.PASSED
    table = Table(title=f"{len(cat.entries)} entries ({', '.join(cat.versions)}); "
                        f"{len(cat.with_weights)} with weight fingerprints", title_justify="left")
    for column in ("id", "organisation", "country", "licence", "weights", "tokenizer", "config source"):
        table.add_column(column, overflow="fold")
    for e in cat.entries.values():
        table.add_row(e.id + (" (synthetic)" if e.synthetic else ""), e.organisation, e.country or "-",
                      e.license or e.license_card.get("license_name") or e.license_card.get("license") or "-",
                      "yes" if e.weights else "no", e.tokenizer or "-", e.sources[0]["ref"])
    Console(file=sys.stdout, width=200 if not sys.stdout.isatty() else None).print(table)
    return ExitCode.PASSED


@catalog.command(epilog="\b\nExample:\n  fromscratch catalog show qwen2.5-vl-7b-instruct")
@click.argument("entry_id")
@click.option("--catalog", "extra", multiple=True, type=_DIR, help="Extra catalog folder (repeatable).")
def show(entry_id: str, extra: tuple[Path, ...]) -> int:
    """Show one entry's facts, sources and fingerprints."""
    cat = load_catalogs(extra)
    if entry_id not in cat.entries:
        why = next((s for s in cat.skipped if s.startswith(f"{entry_id}: ")), None)
        raise FromScratchError(f"catalog entry skipped: {why}" if why else
                               f"no catalog entry '{entry_id}' (see 'fromscratch catalog list')")
    click.echo(cat.entries[entry_id].file.read_text(encoding="utf-8"), nl=False)
    e = cat.entries[entry_id]
    click.echo(f"# weight fingerprint: {e.weights if e.weights else 'none'}")
    return ExitCode.PASSED


@catalog.command(epilog="\b\nExamples:\n  fromscratch catalog verify\n  fromscratch catalog verify ./my-catalog\n"
                        "  fromscratch catalog verify ./my-catalog --update")
@click.argument("folder", required=False, type=_DIR)
@click.option("--update", is_flag=True, help="After review, record the current checksums in MANIFEST.json.")
def verify(folder: Path | None, update: bool) -> int:
    """Check a catalog (default: the bundled one) for tampering, corruption and invalid entries."""
    folder = folder or bundled_catalog_dir()
    if update:
        write_manifest(folder)
    problems = verify_catalog(folder)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        click.echo(f"{folder}: {len(problems)} problem(s)", err=True)
        return ExitCode.FAILED
    click.echo(f"{folder}: ok")
    return ExitCode.PASSED


@catalog.command(epilog="\b\nExample:\n  fromscratch catalog diff ./catalog-2026.10 ./catalog-2026.11")
@click.argument("old", type=_DIR)
@click.argument("new", type=_DIR)
def diff(old: Path, new: Path) -> int:
    """Show entries added, removed and changed between two catalog versions."""
    for line in diff_catalogs(old, new):
        click.echo(line)
    return ExitCode.PASSED
