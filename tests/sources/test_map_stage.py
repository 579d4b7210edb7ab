"""The map stage: sources mapped side by side, as soon as collected; a source whose SQL fails keeps
its previous mapped tables."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from rich.console import Console

from pipeline import sources as source_registry
from pipeline import warehouse
from pipeline.config import Settings
from pipeline.context import RunContext
from pipeline.sources import collect, transform
from pipeline.sources.base import Collected

from tests.conftest import Workspace

BROKEN = "france-travail"


def _context(path: Path, reference_date: date) -> RunContext:
    settings = Settings(warehouse=path, data_dir=path.parent, dist_dir=path.parent / "dist",
                        reference_date=reference_date)
    sources = source_registry.discover()
    ctx = RunContext(settings, warehouse.connect(path), "test-run", sources, path.parent / "build",
                     console=Console(quiet=True))
    ctx.collected = {s.name: Collected(s.name, "sample", "ok") for s in sources}
    return ctx


def _mapped(ctx: RunContext) -> dict[str, tuple]:
    out = {}
    for source in ctx.sources:
        for entity in source.entities:
            table = transform.map_table(source, entity)
            out[table] = ctx.con.execute(f"select count(*), sum(hash(id)) from {table}").fetchall()[0]
    return out


def test_a_failing_source_keeps_its_mapping_and_the_others_are_mapped(sample_run: Workspace, tmp_path: Path,
                                                                       reference_date: date):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_run.warehouse, path)
    ctx = _context(path, reference_date)
    before = _mapped(ctx)
    broken = next(s for s in ctx.sources if s.name == BROKEN)
    raw_tables = [r[0] for r in ctx.con.execute(
        "select table_name from duckdb_tables() where starts_with(table_name, ?)", [f"raw_{broken.slug}__"]).fetchall()]
    assert raw_tables
    for table in raw_tables:  # a raw table without the columns the source's SQL reads
        ctx.con.execute(f"create or replace table {table} as select 1 as unexpected")

    counts = transform.run(ctx)

    assert counts["sources"][BROKEN] == "stale"
    assert [name for name, status in counts["sources"].items() if status != "ok"] == [BROKEN]
    assert list(counts["sources"]) == [s.name for s in ctx.sources]
    assert ctx.collected[BROKEN].status == "stale"
    assert len(ctx.warnings) == 1 and ctx.warnings[0].startswith(f"{BROKEN}: mapping failed (")
    assert "unexpected" in ctx.warnings[0] or "not found" in ctx.warnings[0]
    after = _mapped(ctx)
    assert after == before  # the same inputs map to the same rows; the broken source kept its own
    assert counts["structures"] == sum(v[0] for k, v in after.items() if k.endswith("__structures"))
    ctx.con.close()


def _collect_and_map(root: Path, reference_date: date, early: bool) -> tuple[RunContext, list[str], dict]:
    ctx = _context(root / "warehouse.duckdb", reference_date)
    ctx.collected = {}
    started_during_collect = []
    if early:
        transform.begin(ctx)
        ctx.on_raw_loaded.append(lambda source: started_during_collect.append(source.name))
    collect.run(ctx)
    if early:
        assert set(ctx.mapping.futures) == set(started_during_collect)
    counts = transform.run(ctx)
    return ctx, started_during_collect, counts


def test_sources_are_mapped_as_soon_as_collected_with_the_same_result(tmp_path: Path, reference_date: date):
    early, started, early_counts = _collect_and_map(tmp_path / "early", reference_date, early=True)
    late, _, late_counts = _collect_and_map(tmp_path / "late", reference_date, early=False)
    assert sorted(started) == sorted(s.name for s in early.sources)
    assert early.mapping is None and len(early.on_raw_loaded) == 1  # the stage removed its own hook
    assert early_counts == late_counts
    assert _mapped(early) == _mapped(late)
    assert list(early.collected) == [s.name for s in early.sources]  # collected largest first, reported in order
    early.con.close()
    late.con.close()
