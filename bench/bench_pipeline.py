"""End-to-end benchmark: the whole pipeline on a national-scale archive, cold, then on the next day's.

1. `bench.generate` writes the raw archive of every source at the scale asked
   (1 = national: 100,000 structures, 140,000 services), and once the cold
   run has ended the next day's, with 2% of the records changed. Both are
   reused when present (same scale, seed and date: the generator is
   deterministic; `--fresh-archive` makes them again).
2. `datainclusion run --replay` runs every stage on a fresh warehouse and
   release folder (cold), then again on the next day's archive (same
   warehouse and release, as the daily job does). Each run is a subprocess:
   its wall time and the peak memory (PSS) of its process tree are measured from
   outside; per-stage times come from the run's `runs.counts` (`timings`).
3. Figures against the targets go to `bench/results/pipeline.json` (scale 1;
   `pipeline-s10.json` for scale 10…) and a section of `bench/RESULTS.md`.

    .venv/bin/python -m bench pipeline                  # scale 1, as `make bench`
    .venv/bin/python -m bench.bench_pipeline --scale 10 --timeout 1800 --max-rss-gb 14   # stress
      (DATAINCLUSION_BENCH_SCALE=10 also works; a run stopped by --timeout or --max-rss-gb keeps the
      times of the stages it reached, from its log)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from bench import generate, measure
from pipeline.run import STAGES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
REFERENCE_DATE = date(2026, 11, 28)
SITE_STAGES = ("render",)
TARGETS = {"cold_seconds": 300, "before_site_seconds": 90, "next_day_share_of_cold": 0.5, "peak_rss_gb": 4.0}
MACHINE = "2 cores, 24 GB"


def _generate(work: Path, arguments: list[str], log: str) -> dict[str, Any]:
    step = measure.run([sys.executable, "-m", "bench.generate", "--out", str(work / "data"), *arguments],
                       log=work / log)
    if step.exit_code:
        raise SystemExit(f"generation failed:\n{step.output[-2000:]}")
    return {"seconds": round(step.seconds, 1), "peak_rss_gb": round(step.peak_rss_bytes / 2**30, 2),
            "summary": step.output.strip().splitlines()}


def _archives(work: Path, scale: float, seed: int, invalid: float, fresh: bool) -> dict[str, Any]:
    """Generate (or reuse) the day-1 archive; returns the run ids and the generation figures."""
    stamp = work / "archive.json"
    wanted = {"scale": scale, "seed": seed, "invalid": invalid, "date": REFERENCE_DATE.isoformat(), "changed": 0.02}
    if not fresh and stamp.exists():
        previous = json.loads(stamp.read_text())
        if previous.get("params") == wanted:
            return previous
    shutil.rmtree(work / "data", ignore_errors=True)
    day1 = _generate(work, ["--scale", str(scale), "--date", REFERENCE_DATE.isoformat(), "--seed", str(seed),
                            "--invalid", str(invalid)], "generate-1.log")
    result = {"params": wanted, "runs": [generate.run_id_for(REFERENCE_DATE, seed),
                                         generate.run_id_for(REFERENCE_DATE + timedelta(days=1), seed + 1)],
              "generation": [day1]}
    stamp.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _next_archive(work: Path, archives: dict[str, Any]) -> None:
    """Generate (once) the next day's archive from the day-1 archive: 2% of the records changed."""
    if len(archives["generation"]) > 1:
        return
    params = archives["params"]
    archives["generation"].append(_generate(
        work, ["--changed", str(params["changed"]), "--from", archives["runs"][0], "--seed", str(params["seed"] + 1),
               "--invalid", str(params["invalid"]), "--date", (REFERENCE_DATE + timedelta(days=1)).isoformat()],
        "generate-2.log"))
    (work / "archive.json").write_text(json.dumps(archives, indent=1) + "\n")


def _query(con: duckdb.DuckDBPyConnection, sql: str, table: str) -> list[tuple]:
    """Rows of a query, none when its table does not exist (a run stopped before making it)."""
    found = con.execute("select count(*) from duckdb_tables() where table_name = ?", [table]).fetchall()[0][0]
    return con.execute(sql).fetchall() if found else []


def _stage_windows(measured: measure.Measured, order: list[str]) -> dict[str, tuple[float, float]]:
    """(start, end) of each stage in the process's time, from when the run logged each stage's name."""
    starts = {}
    for at, line in measured.lines:
        if line.strip() in order and line.strip() not in starts:
            starts[line.strip()] = at
    names = sorted(starts, key=starts.get)
    return {name: (starts[name], starts[names[i + 1]] if i + 1 < len(names) else measured.seconds)
            for i, name in enumerate(names)}


def _run(work: Path, run_id: str, reference_date: date, label: str, timeout: float | None,
         max_rss_gb: float | None) -> dict[str, Any]:
    """One `datainclusion run --replay`, measured; its stage times and counts from the warehouse (from its
    log when it was stopped at `timeout`)."""
    data, warehouse_path = work / "data", work / "data" / "warehouse.duckdb"
    command = [str(BIN / "datainclusion"), "run", "--data-dir", str(data), "--warehouse", str(warehouse_path),
               "--dist", str(work / "dist"), "--reference-date", reference_date.isoformat(), "--replay", run_id]
    # Each memory sample reads every process's smaps (57 ms at national scale): twice a second, not four times,
    # so that measuring takes about a tenth of a core from the run measured.
    measured = measure.run(command, env=dict(os.environ), log=work / f"run-{label}.log", timeout=timeout, interval=0.5,
                           max_rss=int(max_rss_gb * 2**30) if max_rss_gb else None)
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        status, counts = con.execute("select status, counts from runs order by started_at desc limit 1").fetchall()[0]
        counts = json.loads(counts or "{}")
        accounting = _query(con, "select source, entity, raw, published, quarantined, excluded, balanced "
                                 "from int__accounting order by all", "int__accounting")
        changes = _query(con, 'select "table", kind, count(*) from int__changes group by all order by all',
                         "int__changes") if label == "next-day" else []
    order = [name for name, _ in STAGES] + ["swap"]  # swap: the release moved into dist/, history committed
    windows = _stage_windows(measured, order)
    recorded = counts.get("timings", {})
    if recorded:
        timings = {name: recorded[name] for name in order if name in recorded}
    else:  # stopped: the stages it reached, from its log (the last one unfinished)
        timings = {name: round(end - begin, 1) for name, (begin, end) in windows.items()}
        status = ("stopped after the time limit" if measured.timed_out
                  else f"stopped above {max_rss_gb} GB" if measured.over_memory else status)
    first_site = next((i for i, name in enumerate(order) if name in SITE_STAGES), len(order))
    check = counts.get("counts", {}).get("check", {})
    peaks = {name: round(max((rss for t, rss in measured.samples if begin <= t <= end), default=0) / 2**30, 2)
             for name, (begin, end) in windows.items()}
    return {
        "command": " ".join(command[1:]), "exit_code": measured.exit_code, "status": status,
        "timed_out": measured.timed_out or measured.over_memory,
        "seconds": round(measured.seconds, 1), "peak_rss_gb": round(measured.peak_rss_bytes / 2**30, 2),
        "load": {"before": measured.load_before, "max": measured.load_max, "after": measured.load_after},
        "timings": timings, "peak_rss_gb_by_stage": peaks,
        "peak_parts_gb": {kind: round(size / 2**30, 2) for kind, size in
                          sorted(measured.peak_parts.items(), key=lambda kv: -kv[1])},
        "stages_seconds": round(sum(v for v in timings.values() if v), 1),
        "before_site_seconds": round(sum(timings.get(n) or 0 for n in order[:first_site]), 1),
        "published": {"structures": check.get("structures"), "services": check.get("services")},
        "accounting": [dict(zip(("source", "entity", "raw", "published", "quarantined", "excluded", "balanced"), row))
                       for row in accounting],
        "changes": [{"table": t, "kind": k, "records": n} for t, k, n in changes],
        "tail": measured.output.strip().splitlines()[-12:],
    }


def _outputs(dist: Path) -> dict[str, Any]:
    """Bytes of every released file (the site summed apart)."""
    files = {p.relative_to(dist).as_posix(): p.stat().st_size for p in sorted(dist.rglob("*"))
             if p.is_file() and p.relative_to(dist).parts[0] != "site"}
    site = [p.stat().st_size for p in (dist / "site").rglob("*") if p.is_file()] if (dist / "site").exists() else []
    return {"files": files, "site_bytes": sum(site), "site_files": len(site), "total_bytes": sum(files.values()) + sum(site)}


def _not_run(reason: str) -> dict[str, Any]:
    """The figures of a run that was not made (the cold run did not end)."""
    return {"status": f"not run ({reason})", "exit_code": None, "timed_out": False, "seconds": None,
            "peak_rss_gb": 0.0, "load": {"before": 0.0, "max": 0.0, "after": 0.0}, "timings": {},
            "peak_rss_gb_by_stage": {}, "stages_seconds": None, "before_site_seconds": None,
            "published": {"structures": None, "services": None}, "accounting": [], "changes": [], "tail": []}


def _n(value: Any) -> str:
    return "–" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def verdicts(cold: dict[str, Any], next_day: dict[str, Any], scale: float = 1.0) -> dict[str, dict[str, Any]]:
    """Each target: the figure, the target and whether it is met (a stress scale's one target: it completes)."""
    if scale != 1:
        return {"cold run completes": {"figure": f"{cold['status']}, {cold['seconds']} s, peak {cold['peak_rss_gb']} GB",
                                       "target": "completes", "met": cold["exit_code"] == 0 and not cold["timed_out"]}}
    peak = max(cold["peak_rss_gb"], next_day["peak_rss_gb"])
    share = next_day["seconds"] / cold["seconds"] if cold["seconds"] and next_day["seconds"] else None
    return {
        "cold run (s)": {"figure": cold["seconds"], "target": f"< {TARGETS['cold_seconds']}",
                         "met": not cold["timed_out"] and cold["seconds"] < TARGETS["cold_seconds"]},
        "cold run before the site (s)": {"figure": cold["before_site_seconds"], "target": f"< {TARGETS['before_site_seconds']}",
                                         "met": not cold["timed_out"]
                                         and cold["before_site_seconds"] < TARGETS["before_site_seconds"]},
        "next-day run / cold run": {"figure": round(share, 2) if share else None,
                                    "target": f"< {TARGETS['next_day_share_of_cold']}",
                                    "met": share is not None and share < TARGETS["next_day_share_of_cold"]},
        "peak memory (GB)": {"figure": peak, "target": f"< {TARGETS['peak_rss_gb']}", "met": peak < TARGETS["peak_rss_gb"]},
        "runs published": {"figure": f"{cold['status']} / {next_day['status']}", "target": "ok / ok",
                           "met": cold["exit_code"] == 0 and next_day["exit_code"] == 0},
    }


def report(result: dict[str, Any]) -> list[str]:
    cold, nxt = result["cold"], result["next_day"]
    mark = lambda met: "meets" if met else "**MISSES**"  # noqa: E731
    gen = result["archives"]["generation"]
    lines = [
        "", f"## End-to-end pipeline at scale {result['scale']:g} ({result['date']})", "",
        f"Command: `{result['command']}`. Machine: {MACHINE} (shared: load average {cold['load']['before']:.1f} "
        f"before the cold run, up to {max(cold['load']['max'], nxt['load']['max']):.1f} during the runs, whose own "
        "work counts for up to 2), Python "
        f"{result['python']}, commit `{result['commit']}`.", "",
        f"Archive (`bench/generate.py`, seed {result['seed']}, {result['invalid']:.0%} of records with an invalid value): "
        f"{_raw(result, 'structures'):,} structures and "
        f"{_raw(result, 'services'):,} services in the producers' formats, {result['archive_bytes'] / 1e6:,.0f} MB, "
        f"generated in {gen[0]['seconds']} s (peak {gen[0]['peak_rss_gb']} GB)"
        + (f"; next day's archive in {gen[1]['seconds']} s. " if len(gen) > 1 else ". ") +
        f"Published: {_n(cold['published']['structures'])} structures and {_n(cold['published']['services'])} services "
        f"(cold), {_n(nxt['published']['structures'])} and {_n(nxt['published']['services'])} (next day).", "",
        "| target | figure | target | verdict |", "|---|---|---|---|",
    ]
    lines += [f"| {name} | {v['figure']} | {v['target']} | {mark(v['met'])} |" for name, v in result["verdicts"].items()]
    lines += ["", "| stage | cold (s) | next day (s) | cold peak memory, PSS (GB) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {cold['timings'].get(name, '')} | {nxt['timings'].get(name, '')} | "
              f"{cold['peak_rss_gb_by_stage'].get(name) or ''} |" for name in cold["timings"]]
    lines += [f"| **stages total** | **{cold['stages_seconds']}** | **{nxt['stages_seconds']}** | |",
              f"| before the site | {cold['before_site_seconds']} | {nxt['before_site_seconds']} | |",
              f"| wall time of the process | {cold['seconds']} | {nxt['seconds']} | |",
              f"| peak memory of the process tree, PSS (GB) | {cold['peak_rss_gb']} | {nxt['peak_rss_gb']} | |", ""]
    for label, run in (("cold", cold), ("next-day", nxt)):
        parts = ", ".join(f"{kind} {gb} GB" for kind, gb in run.get("peak_parts_gb", {}).items())
        lines.append(f"At the {label} run's peak: {parts or 'no sample'}.")
    lines.append("")
    out = result["outputs"]
    biggest = sorted(out["files"].items(), key=lambda kv: -kv[1])[:8]
    lines.append(f"Outputs: {out['total_bytes'] / 1e6:,.0f} MB in all; site {out['site_bytes'] / 1e6:,.0f} MB "
                 f"({out['site_files']:,} files); largest files: "
                 + ", ".join(f"`{name}` {size / 1e6:,.1f} MB" for name, size in biggest) + ".")
    kinds = ", ".join(f"{c['table']} {c['kind']} {c['records']:,}" for c in nxt["changes"] if c["kind"] != "unchanged")
    lines += [f"Next-day changes seen by the release diff: {kinds}.", ""]
    return lines


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _raw(result: dict[str, Any], entity: str) -> int:
    """Raw records of an entity: the cold run's accounts, else the generator's total line."""
    if result["cold"]["accounting"]:
        return sum(row["raw"] for row in result["cold"]["accounting"] if row["entity"] == entity)
    total = next(line for line in result["archives"]["generation"][0]["summary"] if line.startswith("total"))
    return int(total.split()[1 if entity == "structures" else 2].replace(",", ""))


def _archive_bytes(raw_dir: Path, run_id: str) -> int:
    return sum(entry["bytes"] for manifest in raw_dir.glob(f"*/*/{run_id}/manifest.json")
               for entry in json.loads(manifest.read_text())["files"])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("DATAINCLUSION_BENCH_SCALE", "1")))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid", type=float, default=0.01, help="share of records with an invalid value")
    parser.add_argument("--fresh-archive", action="store_true", help="regenerate the archives even if present")
    parser.add_argument("--timeout", type=float, help="stop a run after this many seconds (its stages so far are kept)")
    parser.add_argument("--max-rss-gb", type=float, help="stop a run whose processes hold more memory than this")
    parser.add_argument("--cold-only", action="store_true", help="skip the next-day run (for stress scales)")
    args = parser.parse_args(argv or [])
    work = HERE / "work" / f"pipeline-s{args.scale:g}"
    work.mkdir(parents=True, exist_ok=True)
    archives = _archives(work, args.scale, args.seed, args.invalid, args.fresh_archive)
    for stale in (work / "dist", work / "data" / "warehouse.duckdb", work / "data" / "warehouse.duckdb.wal"):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    first, second = archives["runs"]
    cold = _run(work, first, REFERENCE_DATE, "cold", args.timeout, args.max_rss_gb)
    if cold["timed_out"]:
        next_day = _not_run("the cold run was stopped")
    elif args.cold_only:
        next_day = _not_run("--cold-only")
    else:
        _next_archive(work, archives)
        next_day = _run(work, second, REFERENCE_DATE + timedelta(days=1), "next-day", args.timeout, args.max_rss_gb)
    suffix = ("" if args.scale == 1 else f" --scale {args.scale:g}") + ("" if args.invalid == 0.01 else f" --invalid {args.invalid:g}")
    suffix += " --cold-only" if args.cold_only else ""
    result = {
        "date": date.today().isoformat(), "scale": args.scale, "seed": args.seed, "invalid": args.invalid, "machine": MACHINE,
        "python": platform.python_version(), "commit": _commit(),
        "command": ".venv/bin/python -m bench pipeline" if not suffix else f".venv/bin/python -m bench.bench_pipeline{suffix}",
        "targets": TARGETS, "archives": archives, "archive_bytes": _archive_bytes(work / "data" / "raw", first),
        "cold": cold, "next_day": next_day, "outputs": _outputs(work / "dist"),
    }
    result["verdicts"] = verdicts(cold, next_day, args.scale)
    (HERE / "results").mkdir(exist_ok=True)
    name = "pipeline" if args.scale == 1 else f"pipeline-s{args.scale:g}"
    (HERE / "results" / f"{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    lines = report(result)
    results = HERE / "RESULTS.md"
    existing = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    results.write_text(existing.rstrip("\n") + "\n" + "\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
