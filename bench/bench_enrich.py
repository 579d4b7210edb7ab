"""Benchmark of the enrichment: linkage precision and recall on labelled pairs, and speed at 100,000 structures.

Quality: `bench.enrich_data.benchmark(seed=2)` (real sample structures, their
perturbed copies, same-building decoys and real neighbours; the model was
trained without labels on seed 1) is linked with the shipped model; each
labelled pair is predicted a match when its probability reaches the threshold.
Speed: `national(100_000)` structures, linkage records + prediction + clusters.
Appends a section to `bench/RESULTS.md` and writes `bench/results/enrich.json`.
"""

from __future__ import annotations

import json
import platform
import time
from datetime import date
from pathlib import Path

import pyarrow as pa

from bench import enrich_data
from pipeline import warehouse
from pipeline.enrich import duplicates, linkage
from pipeline.sources import transform

HERE = Path(__file__).resolve().parent
TARGETS = {"precision": 0.95, "recall": 0.90, "seconds_100k": 120}


def _load(con, table: str, records: list[dict[str, str]]) -> None:
    arrow = pa.Table.from_pylist([{c: (r.get(c) or None) for c in enrich_data.COLUMNS} for r in records])
    con.register("bench_input", arrow)
    con.execute(f"create or replace table {table} as select * from pub_template__structures where false")
    con.execute(
        f"insert into {table} by name select source, id, nom, adresse, complement_adresse, code_postal, code_insee, "
        "commune, try_cast(latitude as double) as latitude, try_cast(longitude as double) as longitude, siret, "
        "telephone, courriel, site_web from bench_input"
    )
    con.unregister("bench_input")


def quality(con) -> dict[str, float]:
    bench = enrich_data.benchmark(seed=2)
    _load(con, "bench_structures", bench.records)
    linkage.records(con, "bench_structures", "bench_records")
    linkage.predict(con, ["bench_records"], "bench_pairs", threshold=0.01)
    scores = {tuple(sorted(p[:2])): p[2] for p in
              con.execute("select left_id, right_id, match_probability from bench_pairs").fetchall()}
    per_threshold = {}
    for threshold in (0.3, 0.5, 0.7, 0.9):
        tp = fp = fn = 0
        for a, b, is_match, _ in bench.pairs:
            predicted = scores.get(tuple(sorted((a, b))), 0.0) >= threshold
            tp += predicted and is_match
            fp += predicted and not is_match
            fn += is_match and not predicted
        per_threshold[threshold] = {"precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4),
                                    "tp": tp, "fp": fp, "fn": fn}
    kinds: dict[str, int] = {}
    for *_, kind in bench.pairs:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"pairs": len(bench.pairs), "records": len(bench.records), "kinds": kinds, "per_threshold": per_threshold,
            **per_threshold[linkage.THRESHOLD]}


def speed(con, n: int = 100_000) -> dict[str, float]:
    _load(con, "int__structures", enrich_data.national(n, seed=7))
    started = time.perf_counter()
    clusters = duplicates.link(con)
    seconds = time.perf_counter() - started
    pairs = con.execute("select count(*) from int__duplicate_pairs").fetchall()[0][0]
    return {"structures": n, "seconds": round(seconds, 1), "pairs": pairs, "clusters": clusters}


def main() -> None:
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    path = work / "enrich.duckdb"
    path.unlink(missing_ok=True)
    con = warehouse.connect(str(path))
    transform.create_templates(con)
    q = quality(con)
    s = speed(con)
    con.close()
    result = {"date": date.today().isoformat(), "threshold": linkage.THRESHOLD, "quality": q, "speed": s,
              "targets": TARGETS, "python": platform.python_version()}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "enrich.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    ok = lambda good: "meets" if good else "MISSES"  # noqa: E731
    lines = [
        "", f"## Enrichment: linkage quality and speed ({result['date']})", "",
        "Command: `.venv/bin/python -m bench enrich`. Machine: 2 cores, 24 GB (shared with other work).", "",
        f"- Labelled pairs: {q['pairs']} ({', '.join(f'{k} {v}' for k, v in sorted(q['kinds'].items()))}) "
        f"over {q['records']} records built from the real samples (`bench/enrich_data.py`, seed 2; model trained "
        "without labels on seed 1).",
        f"- Threshold {linkage.THRESHOLD}: precision **{q['precision']}** (target >= {TARGETS['precision']}, "
        f"{ok(q['precision'] >= TARGETS['precision'])}), recall **{q['recall']}** (target >= {TARGETS['recall']}, "
        f"{ok(q['recall'] >= TARGETS['recall'])}); tp {q['tp']}, fp {q['fp']}, fn {q['fn']}.",
        "- Other thresholds: " + "; ".join(f"{t}: P {v['precision']} R {v['recall']}" for t, v in q["per_threshold"].items()),
        f"- Linking {s['structures']:,} structures (records, blocking, scoring, clusters): **{s['seconds']} s** "
        f"(target < {TARGETS['seconds_100k']} s, {ok(s['seconds'] < TARGETS['seconds_100k'])}); "
        f"{s['pairs']} pairs, {s['clusters']} clusters.", "",
    ]
    results = HERE / "RESULTS.md"
    existing = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    results.write_text(existing.rstrip("\n") + "\n" + "\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
