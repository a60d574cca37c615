"""Small builders shared by the policy tests: partial facts, rule files and policies in a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from scanner.policy.testing import facts_from_partial
from scanner.report.model import Facts
from scanner.yamlsafe import Located

REPO = Path(__file__).resolve().parents[2]


def facts(**partial: Any) -> Facts:
    """Facts with everything not given left at its empty default (as in policy test cases)."""
    return facts_from_partial(partial, Located(partial, {(): (1, 1)}, "<test>"), ())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def rule_yaml(rule_id: str, condition: str, *, severity: str = "error", message: str = "finding",
              extra: str = "", category: str = "technical") -> str:
    """One rule file; ``condition`` and ``extra`` are YAML indented for a rule's body (6 spaces)."""
    return (
        "format_version: 1\n"
        "rules:\n"
        f"  - id: {rule_id}\n"
        f"    category: {category}\n"
        f"    severity: {severity}\n"
        "    title: A test rule\n"
        f"    condition:\n{textwrap.indent(textwrap.dedent(condition).strip(), '      ')}\n"
        f"    message: \"{message}\"\n"
        "    how_to_fix: fix it\n"
        "    references: [test]\n"
        + (textwrap.indent(textwrap.dedent(extra).strip(), "    ") + "\n" if extra else "")
    )


def policy_yaml(policy_id: str, rules: list[str], *, rule_dirs: tuple[str, ...] = (".",), extra: str = "") -> str:
    listed = "\n".join(f"  - id: {r}" for r in rules)
    dirs = ", ".join(f'"{d}"' for d in rule_dirs)
    return (
        "format_version: 1\n"
        f"id: {policy_id}\n"
        'version: "1"\n'
        "title: A test policy\n"
        f"rule_dirs: [{dirs}]\n"
        f"rules:\n{listed}\n"
        "verdict:\n"
        "  first_match:\n"
        "    - when: {status: fail, severity: error}\n"
        "      then: not_from_scratch\n"
        "    - when: {status: [fail, error]}\n"
        "      then: needs_review\n"
        "  otherwise: from_scratch\n"
        + extra
    )
