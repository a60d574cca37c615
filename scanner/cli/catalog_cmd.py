"""``fromscratch catalog``: add, list, show, verify and diff catalogs of known models."""

from __future__ import annotations

import click


@click.group(epilog="\b\nExamples:\n  fromscratch catalog list\n  fromscratch catalog add ./model --catalog ./my-catalog --id my-model")
def catalog() -> None:
    """Manage catalogs of known open models."""
