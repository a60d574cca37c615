"""``fromscratch policy``: validate, test, explain and scaffold policies and rules."""

from __future__ import annotations

import click


@click.group(epilog="\b\nExamples:\n  fromscratch policy validate policies/kr-sovereign-ai-2026.yaml\n  fromscratch policy test policies/tests")
def policy() -> None:
    """Work with YAML rules and policies."""
