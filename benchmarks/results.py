"""``benchmarks/RESULTS.md`` holds the latest results of every benchmark, one ``## `` section each.

Each benchmark replaces only its own section (found by its heading line), so running one never
erases another's figures, and the file keeps its order.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
PREAMBLE = ("# Benchmark results\n\nRun by hand on the development machine (2 cores); each section names the command "
            "that reproduces it. Ratios are measured within one run.\n")


def write_section(text: str, path: Path = RESULTS) -> None:
    """Put ``text`` (starting with its ``## `` heading) in place of the section with the same heading."""
    heading = text.splitlines()[0]
    if not heading.startswith("## "):
        raise ValueError(f"a results section starts with a '## ' heading, not {heading!r}")
    old = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    section = text.rstrip("\n") + "\n"
    if start is None:
        new = old.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(new, encoding="utf-8")
