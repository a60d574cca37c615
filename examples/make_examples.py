"""Regenerate the bundled example model repositories (deterministic: same bytes every time).

    python examples/make_examples.py            # rewrite examples/independent-lm and examples/hcx-mini
    python -m scanner.catalog.rebuild demo      # rebuild the catalog entry they are compared with

The examples are small (about 2 MB together) and committed, so a fresh clone can scan them at once.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scanner.synthetic.demo import hcx_mini, independent_lm  # noqa: E402


def main() -> int:
    for name, build in (("independent-lm", independent_lm), ("hcx-mini", hcx_mini)):
        target = HERE / name
        if target.exists():
            shutil.rmtree(target)
        build(target)
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        print(f"wrote {target} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
