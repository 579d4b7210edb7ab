"""Validation at national scale: `datainclusion validate` against `frictionless validate`, side by side.

Generates 100,000 structures and 140,000 services in schema v1 with about 1%
invalid values (`bench/schema_files.py`), then runs both command lines on the same
files and schemas (Frictionless through a data package, so the foreign key is
checked too), checks they report the same errors (rows, fields, error types),
and records both times and the ratio in `bench/RESULTS.md` and
`bench/results/validation.json`.

    .venv/bin/python -m bench validation
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import duckdb

from bench.schema_files import generate
from pipeline.quality import cells, engine, readers, tables, twin
from pipeline.quality.compile import quote
from pipeline.quality.rules import RuleContext

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "validation"
RESULTS = HERE / "RESULTS.md"
TARGET = 30.0
STRUCTURES, SERVICES, INVALID_SHARE, SEED = 100_000, 140_000, 0.01, 2026
REFERENCE_DATE = "2026-11-28"
OURS_RUNS = 3


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _files() -> dict[str, Any]:
    """The generated files, made again only when the parameters changed."""
    stamp = WORK / "stamp.json"
    wanted = {"structures": STRUCTURES, "services": SERVICES, "invalid_share": INVALID_SHARE, "seed": SEED,
              "generator": (HERE / "schema_files.py").stat().st_mtime}
    if stamp.exists() and json.loads(stamp.read_text())["params"] == wanted:
        return json.loads(stamp.read_text())["generated"]
    started = time.perf_counter()
    generated = generate(WORK, STRUCTURES, SERVICES, INVALID_SHARE, SEED, date.fromisoformat(REFERENCE_DATE))
    generated["seconds"] = round(time.perf_counter() - started, 1)
    stamp.write_text(json.dumps({"params": wanted, "generated": generated}, indent=2))
    return generated


def _timed(command: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, children) of a command, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=WORK, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, cpu, done.stdout


def _load() -> float:
    return os.getloadavg()[0]


def _best(measure: Callable[[], tuple[float, float]], runs: int = 3) -> tuple[float, float]:
    """The fastest of a few runs: these figures are lower bounds, so noise is taken out by the minimum."""
    return min((measure() for _ in range(runs)), key=lambda m: m[0])


def _start() -> tuple[float, float]:
    """Starting Python and importing the validator (DuckDB included), doing nothing else."""
    wall, cpu, _ = _timed([sys.executable, "-c", "import pipeline.cli, pipeline.quality.producer"])
    return wall, cpu


def _scan(select: Callable[[readers.TableFile], str]) -> tuple[float, float]:
    """Wall and CPU seconds of one aggregate query per file, on the relations the validator reads."""
    con = duckdb.connect()
    cells.register(con)
    started, cpu = time.perf_counter(), time.process_time()
    for number, name in enumerate(("structures.csv", "services.csv")):
        for item in readers.read(con, WORK / name, f"in{number}"):
            con.execute(select(item)).fetchall()
    return time.perf_counter() - started, time.process_time() - cpu


def _read_every_cell(item: readers.TableFile) -> str:
    return f"select {', '.join(f'count({quote(c)})' for c in item.columns.values())} from {item.relation}"


def _read_and_screen(item: readers.TableFile) -> str:
    """The screen's checks of every record (`engine.screen_checks`), keeping nothing but a count."""
    relation = engine.Input(item.table, tables.load(item.table), item.relation, item.columns, item.mode)
    checks = engine.screen_checks(relation, RuleContext(REFERENCE_DATE))
    return f"select count(*) filter (where {engine.certainly_valid_sql(checks)}) from {item.relation}"


def _floors() -> dict[str, dict[str, float]]:
    """What no run of this design can go below: starting, reading every cell, and the screen's checks alone."""
    out = {}
    for label, measure in (("start", _start), ("read_every_cell", lambda: _scan(_read_every_cell)),
                           ("read_and_screen", lambda: _scan(_read_and_screen))):
        wall, cpu = _best(measure)
        out[label] = {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}
    return out


def run() -> dict[str, Any]:
    generated = _files()
    ours_cmd = [_bin("datainclusion"), "validate", "--json", "--reference-date", REFERENCE_DATE,
                "structures.csv", "services.csv"]
    theirs_cmd = [_bin("frictionless"), "validate", "--json", "--limit-errors", "100000000", "datapackage.json"]
    load_before = _load()
    ours = [_timed(ours_cmd) for _ in range(OURS_RUNS)]
    theirs_wall, theirs_cpu, theirs_out = _timed(theirs_cmd)
    ours.append(_timed(ours_cmd))  # once more after, so load changes hit both sides
    floors = _floors()
    load_after = _load()
    ours_wall = statistics.median(w for w, _, _ in ours)
    ours_cpu = statistics.median(c for _, c, _ in ours)
    ours_twins = twin.from_producer_report(json.loads(ours[0][2]))
    theirs_list = twin.from_frictionless(json.loads(theirs_out))
    theirs_twins = set(theirs_list)
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"2 cores, 24 GB ({platform.machine()}, Python {platform.python_version()})",
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "files": {k: generated[k] for k in ("structures", "services")},
        "bytes": {p.name: p.stat().st_size for p in sorted(WORK.glob("*.csv"))},
        "broken_values": sum(generated["broken"].values()),
        "ours": {"wall_seconds": round(ours_wall, 2), "cpu_seconds": round(ours_cpu, 2),
                 "runs_wall": [round(w, 2) for w, _, _ in ours]},
        "frictionless": {"wall_seconds": round(theirs_wall, 2), "cpu_seconds": round(theirs_cpu, 2)},
        "floors": floors,
        "ratio_wall": round(theirs_wall / ours_wall, 1),
        "ratio_cpu": round(theirs_cpu / ours_cpu, 1),
        "same_errors": ours_twins == theirs_twins and len(theirs_list) == len(theirs_twins),
        "errors": len(theirs_list),
        "errors_by_type": dict(sorted(Counter(t[3] for t in theirs_list).items())),
        "only_ours": len(ours_twins - theirs_twins),
        "only_frictionless": len(theirs_twins - ours_twins),
    }


def markdown(result: dict[str, Any]) -> str:
    verdict = "meets" if result["ratio_wall"] >= TARGET else "misses"
    floors = result["floors"]
    budget = result["frictionless"]["wall_seconds"] / TARGET
    floor = floors["start"]["wall_seconds"] + floors["read_and_screen"]["wall_seconds"]
    kinds = ", ".join(f"{k} {v}" for k, v in result["errors_by_type"].items())
    return f"""
## Validation: `datainclusion validate` vs `frictionless validate` ({result['date']})

- Command: `.venv/bin/python -m bench validation`
- Machine: {result['machine']}; load average {result['load_average'][0]} before, {result['load_average'][1]} after
  (the machine is shared: the ratio matters more than the times).
- Files: {result['files']['structures']:,} structures, {result['files']['services']:,} services in schema v1
  ({', '.join(f'{k} {v / 1e6:.0f} MB' for k, v in result['bytes'].items())}), {result['broken_values']} values broken
  on purpose (about 1% of the records), generated by `bench/schema_files.py`.
- Same errors: **{'yes' if result['same_errors'] else 'NO'}**: {result['errors']:,} Frictionless errors ({kinds});
  {result['only_ours']} reported only by us, {result['only_frictionless']} only by Frictionless (rows, fields,
  error types and constraints compared).

| | wall time | CPU time |
|---|---|---|
| `frictionless validate datapackage.json` (1 run) | {result['frictionless']['wall_seconds']} s | {result['frictionless']['cpu_seconds']} s |
| `datainclusion validate structures.csv services.csv` (median of {len(result['ours']['runs_wall'])} runs: {', '.join(str(w) for w in result['ours']['runs_wall'])} s) | {result['ours']['wall_seconds']} s | {result['ours']['cpu_seconds']} s |
| **ratio** (target ≥ {TARGET:.0f}×: {verdict}) | **{result['ratio_wall']}×** | {result['ratio_cpu']}× |
| for scale (fastest of 3): starting the command, Python and imports only | {floors['start']['wall_seconds']} s | {floors['start']['cpu_seconds']} s |
| for scale (fastest of 3): DuckDB reading every cell of both files, in-process | {floors['read_every_cell']['wall_seconds']} s | {floors['read_every_cell']['cpu_seconds']} s |
| for scale (fastest of 3): reading every cell and evaluating the screen's checks, keeping nothing | {floors['read_and_screen']['wall_seconds']} s | {floors['read_and_screen']['cpu_seconds']} s |

The {TARGET:.0f}× target leaves {budget:.2f} s (Frictionless' time / {TARGET:.0f}). Starting the command and
the screen's checks alone take {floor:.2f} s of it, before any error is explained, any cross-record rule
(primary key, foreign key) is run or the report is written.
"""


def main() -> None:
    result = run()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "validation.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(markdown(result))
    print(markdown(result))
    if not result["same_errors"]:
        raise SystemExit("the validators disagree: see bench/results/validation.json")


if __name__ == "__main__":
    main()
