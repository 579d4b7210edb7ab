"""`make bench`: run every benchmark module `bench/bench_*.py` (each has a `main()`), in name order.

Each benchmark measures at the scale its issue names and appends its figures to
`bench/RESULTS.md` and `bench/results/<name>.json`. `python -m bench NAME` runs one.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names or m in names]
    if not chosen:
        print(f"no benchmark matches {names or 'bench/bench_*.py'}; known: {', '.join(modules) or 'none'}")
        return 2
    for name in chosen:
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
