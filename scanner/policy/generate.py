"""Write the generated policy files: ``docs/fact-paths.md`` and the rule/policy/waiver/test JSON Schemas.

    python -m scanner.policy.generate           # rewrite them
    python -m scanner.policy.generate --check   # exit 1 if any is out of date (a test runs this)

Both are derived from the report model, so after changing ``scanner/report/model.py`` run this and
commit the result; the tests fail while the committed files and the model disagree.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from scanner.bundled import PACKAGE_DIR, data_path
from scanner.codec import fact_paths
from scanner.policy.factschema import fact_schema
from scanner.policy.schemas import SCHEMAS, schema_text
from scanner.report.model import Facts

FACT_PATHS_DOC = PACKAGE_DIR.parent / "docs" / "fact-paths.md"

HEADER = """\
# Fact paths rules can read

Generated from `scanner/report/model.py` by `python -m scanner.policy.generate`; do not edit by hand.
`policy validate` accepts exactly these paths (and rejects the rest with `file:line:column`).

How to read the table:

- `a[]` is one item of the list `a`: walk it with `exists` / `every` / `count` / `sum`
  (`in: a`, `as: item`, then `item.b`), or flatten nested lists in `in:` (`in: a[].b`).
- `a{}` is one value of the map `a` (keys are names, e.g. statistic names). Walking a map gives
  entries with `.key` and `.value`; `a.some_key` reads one value directly.
- **null?** says whether the value may be null (test it with `is_null`; a null read where a
  value is needed makes the rule's status `error`).
- **range** is known bounds; a threshold outside them is rejected as unreachable.
"""


def fact_paths_markdown() -> str:
    schema = fact_schema()
    lines = [HEADER, "| path | type | null? | range | description |", "| --- | --- | --- | --- | --- |"]
    for path, type_name, description in fact_paths(Facts):
        fact = schema.get(path)
        rng = fact.range if fact is not None else None
        shown = "" if rng is None else f"{_bound(rng[0])} .. {_bound(rng[1])}"
        nullable = "yes" if fact is not None and fact.nullable else ""
        lines.append(f"| `{path}` | {type_name.replace('|', '/')} | {nullable} | {shown} | {_cell(description)} |")
    return "\n".join(lines) + "\n"


def _bound(x: float) -> str:
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else f"{x:g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def generated_files() -> dict[Path, str]:
    files = {data_path("schemas", name): schema_text(name) for name in SCHEMAS}
    files[FACT_PATHS_DOC] = fact_paths_markdown()
    return files


def stale_files() -> list[Path]:
    return [path for path, text in generated_files().items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path} (run python -m scanner.policy.generate)")
        return 1 if stale else 0
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
