"""National-scale raw archives, in every producer's own format, for `datainclusion run --replay`.

    python -m bench.generate --scale 1 --out DIR --date 2026-11-28 --seed 1
    python -m bench.generate --changed 0.02 --from RUN_ID --out DIR --date 2026-11-29 --seed 2

The first form writes `DIR/raw/<date>/<source>/<run id>/` for every source
(payload files and a `manifest.json` written by `pipeline.sources.archive`,
status ok), so `datainclusion run --data-dir DIR --replay <run id>` rebuilds a
release from it without network. `--scale 1` is the national volume (100,000
structures and 140,000 services across the sources, in proportions close to
the real ones); records are the bundled samples' records varied with places
drawn from the communes reference, with the producers' noise (see
`bench/scale/`). The second form reads the archive of RUN_ID and writes the
next day's: a share of each source's records changed (a quarter removed, a
quarter added, half modified). Same arguments, same bytes (but for the
`fetched_at` times of the manifest).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.sources import archive

from bench.scale import base, data_inclusion, dora, emplois, finess, france_services, france_travail, mediation, soliguide

# In the order places are shared: later sources re-use places of earlier ones (duplicates across sources).
GENERATORS: tuple[type[base.Generator], ...] = (
    dora.Dora, emplois.Emplois, france_travail.FranceTravail, france_services.FranceServices, finess.Finess,
    mediation.Mediation, soliguide.Soliguide, data_inclusion.DataInclusion,
)


@dataclass
class Generated:
    """What was written: the run id to replay, and per source the records of each entity and the bytes."""

    run_id: str
    raw_dir: Path
    reference_date: date
    entities: dict[str, dict[str, int]] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def total(self, entity: str) -> int:
        return sum(counts.get(entity, 0) for counts in self.entities.values())

    def summary(self) -> str:
        lines = [f"run {self.run_id} ({self.reference_date}) in {self.raw_dir}, {self.seconds:.1f} s",
                 f"{'source':<24}{'structures':>11}{'services':>10}{'MB':>8}  changes"]
        for name, counts in self.entities.items():
            change = ", ".join(f"{k} {v}" for k, v in self.changes.get(name, {}).items())
            lines.append(f"{name:<24}{counts.get('structures', 0):>11,}{counts.get('services', 0):>10,}"
                         f"{self.bytes[name] / 1e6:>8.1f}  {change}")
        lines.append(f"{'total':<24}{self.total('structures'):>11,}{self.total('services'):>10,}"
                     f"{sum(self.bytes.values()) / 1e6:>8.1f}")
        return "\n".join(lines)


def run_id_for(reference_date: date, seed: int) -> str:
    """A run id that sorts like the pipeline's (UTC time first) and says it was generated."""
    return f"{reference_date:%Y%m%d}T000000Z-gen{seed:03d}"


def _write(out: Generated, generator: base.Generator, spool: base.Spool, ctx: base.Context) -> None:
    files = generator.files(spool, ctx)
    source = generator.source
    archive.write(out.raw_dir, out.reference_date, source.name, out.run_id, "generated", [f for f, _ in files],
                  {f.name: n for f, n in files}, "ok")
    out.bytes[source.name] = sum(len(f.content) for f, _ in files)


def _count(out: Generated, generator: base.Generator, records: dict[str, list[base.Record]]) -> None:
    counts = out.entities.setdefault(generator.source.name, {"structures": 0, "services": 0})
    for entity, n in generator.entities(records).items():
        counts[entity] += n


def generate(out_dir: Path, reference_date: date, scale: float = 1.0, seed: int = 1,
             invalid_share: float = 0.01) -> Generated:
    """Write a raw archive of every source under `out_dir/raw/` (scale 1 = national volume)."""
    started = time.perf_counter()
    out = Generated(run_id_for(reference_date, seed), out_dir / "raw", reference_date)
    plan = base.Plan(scale, reference_date, seed, invalid_share)
    ctx = base.Context(plan, random.Random(seed))
    generators = [g() for g in GENERATORS]
    spools = {g.source.name: base.Spool(out_dir / ".spool" / g.source.slug) for g in generators}
    try:
        for part in plan.parts():
            ctx.plan, ctx.places = base.Plan(part, reference_date, seed, invalid_share), {}
            for generator in generators:
                records = generator.generate(ctx)
                _count(out, generator, records)
                for stream, rows in records.items():
                    for record in rows:
                        spools[generator.source.name].add(stream, generator.encode(stream, record))
        ctx.plan = plan
        for generator in generators:
            _write(out, generator, spools[generator.source.name], ctx)
    finally:
        for spool in spools.values():
            spool.close()
    out.seconds = time.perf_counter() - started
    return out


def next_day(out_dir: Path, previous_run: str, reference_date: date, changed: float = 0.02, seed: int = 2,
             invalid_share: float = 0.01) -> Generated:
    """The archive of the day after `previous_run`: `changed` of each source's records removed, added or modified."""
    started = time.perf_counter()
    raw_dir = out_dir / "raw"
    out = Generated(run_id_for(reference_date, seed), raw_dir, reference_date)
    ctx = base.Context(base.Plan(1.0, reference_date, seed, invalid_share), random.Random(seed))
    for generator_class in GENERATORS:
        generator = generator_class()
        found = archive.for_run(raw_dir, generator.source.name, previous_run)
        if found is None:
            raise SystemExit(f"no archive of {generator.source.name} for run {previous_run} under {raw_dir}")
        spool = base.Spool(out_dir / ".spool" / generator.source.slug)
        changes = base.Changes()
        try:
            for file in found.files():  # streams in the connector's order: structures before their services
                rows = base.apply_changes(generator, file.stream, generator.read(file), changed, ctx, changes)
                _count(out, generator, {file.stream: rows})
                for record in rows:
                    spool.add(file.stream, generator.encode(file.stream, record))
            _write(out, generator, spool, ctx)
        finally:
            spool.close()
        out.changes[generator.source.name] = changes.done
    out.seconds = time.perf_counter() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="data folder: the archive goes to OUT/raw/")
    parser.add_argument("--date", type=date.fromisoformat, required=True, help="reference date YYYY-MM-DD")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = national volume (default), 10 = stress")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid", type=float, default=0.01,
                        help="share of records (new ones with --from) with an invalid value")
    parser.add_argument("--changed", type=float, help="with --from: share of records changed since that run")
    parser.add_argument("--from", dest="previous", metavar="RUN_ID", help="the archive the next day's derives from")
    args = parser.parse_args(argv)
    if (args.changed is None) != (args.previous is None):
        parser.error("--changed and --from go together")
    if args.previous:
        out = next_day(args.out, args.previous, args.date, args.changed, args.seed, args.invalid)
    else:
        out = generate(args.out, args.date, args.scale, args.seed, args.invalid)
    print(out.summary())
    print(f"replay: datainclusion run --data-dir {args.out} --reference-date {args.date} --replay {out.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
