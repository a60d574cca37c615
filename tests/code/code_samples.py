"""Sample code for the code tests: an MoE decoder written for them, and a way to rework a copy."""

from __future__ import annotations

import re
from pathlib import Path

MOE = (Path(__file__).parent / "data" / "moe_inference.py").read_text(encoding="utf-8")


def reworked(source: str) -> str:
    """Comments dropped, every class and function renamed, indentation doubled."""
    names = re.findall(r"^\s*(?:class|def)\s+(\w+)", source, re.MULTILINE)
    text = re.sub(r"#[^\n]*", "", source).replace("    ", "        ")
    for name in names:
        text = re.sub(rf"\b{name}\b", f"Renamed{name.title().replace('_', '')}", text)
    return text
