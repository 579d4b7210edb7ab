"""`datainclusion run`: every stage in order, one transaction-like release at the end."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline import sources as source_registry
from pipeline import warehouse
from pipeline.config import Settings
from pipeline.context import RunContext
from pipeline.enrich import duplicates, siret
from pipeline.history import record as history
from pipeline.publish import release
from pipeline.quality import check, reports
from pipeline.rgpd import mask as rgpd
from pipeline.sources import archive, collect, transform
from pipeline.sources.base import SourceError
from pipeline.territory import stage as territory_stage
from pipeline.website import build as website

Stage = Callable[[RunContext], Any]

STAGES: list[tuple[str, Stage]] = [
    ("collect", collect.run),
    ("map", transform.run),
    ("territory", territory_stage.run),
    ("siret", siret.run),
    ("duplicates", duplicates.run),
    ("check", check.run),
    ("rgpd", rgpd.run),
    ("history", history.run),
    ("export", release.export_stage),
    ("package", release.package_stage),
    ("validate", release.validate_stage),
    ("reports", reports.run),
    ("render", website.render),
    ("finalize", release.finalize_stage),
]

# Work started with a stage and running beside it; the stage that needs it waits for it.
BESIDE: dict[str, Stage] = {"history": release.begin_export}

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


@dataclass
class RunResult:
    run_id: str
    status: str
    exit_code: int
    counts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _mode(settings: Settings) -> str:
    if settings.replay:
        return "replay"
    if settings.input_path is not None:
        return "input"
    return "live" if settings.live else "sample"


def data_problems(ctx: RunContext, counts: dict[str, Any]) -> list[str]:
    """Reasons to refuse publishing: invalid package, or too many quarantined records."""
    problems = []
    if ctx.guard_flags and not ctx.settings.allow_drop:
        problems.append("freshness guard (use --allow-drop to publish anyway):")
        problems += [f"  {flag}" for flag in ctx.guard_flags]
    validation = counts.get("validate", {})
    if not validation.get("valid", False):
        problems.append(f"the built package is not valid: {validation.get('errors')} Frictionless errors")
        problems += [f"  {task} row {row} field {field}: {kind}: {message}"
                     for task, row, field, kind, message in validation.get("first_errors", [])]
    rows = ctx.con.execute("select sum(mapped), sum(quarantined) from int__accounting").fetchall()[0]
    mapped, quarantined = rows[0] or 0, rows[1] or 0
    share = quarantined / mapped if mapped else 0.0
    if share > ctx.settings.max_quarantine_share:
        problems.append(
            f"{quarantined} of {mapped} mapped records ({share:.0%}) are quarantined, over the threshold "
            f"of {ctx.settings.max_quarantine_share:.0%}"
        )
    return problems


def execute(settings: Settings) -> RunResult:
    """Run every stage; publish into `dist/` only if everything passed."""
    selected = source_registry.select(settings.sources)
    if settings.replay and not archive.run_exists(settings.raw_dir, settings.replay):
        raise SourceError(f"no archive of run {settings.replay} under {settings.raw_dir}")
    release.recover(settings.dist_dir)
    con = warehouse.connect(settings.warehouse)
    run_id = warehouse.new_run_id()
    ctx = RunContext(settings, con, run_id, selected, release.build_dir_for(settings.dist_dir, run_id))
    ctx.build_dir.mkdir(parents=True)
    warehouse.start_run(con, run_id, settings.reference_date, _mode(settings))
    result = RunResult(run_id, "running", EXIT_OK)
    try:
        transform.begin(ctx)  # each source is mapped as soon as it is collected
        for name, stage in STAGES:
            started = time.perf_counter()
            ctx.log(f"[bold]{name}[/bold]")
            if name in BESIDE:
                BESIDE[name](ctx)
            result.counts[name] = stage(ctx)
            result.timings[name] = round(time.perf_counter() - started, 3)
        problems = data_problems(ctx, result.counts)
        if problems:
            result.status, result.exit_code, result.messages = "failed-data", EXIT_DATA, problems
            release.discard(ctx.build_dir)
        else:
            started = time.perf_counter()
            release.swap(ctx.build_dir, settings.dist_dir, run_id)
            history.commit(ctx)
            result.timings["swap"] = round(time.perf_counter() - started, 3)
            result.status = "stale-sources" if any(c.status != "ok" for c in ctx.collected.values()) else "ok"
        result.messages += ctx.warnings
    except BaseException as exc:
        transform.abandon(ctx)
        release.abandon_export(ctx)
        release.discard(ctx.build_dir)
        warehouse.finish_run(con, run_id, "failed", _public(result), f"{type(exc).__name__}: {exc}")
        con.close()
        raise
    warehouse.finish_run(con, run_id, result.status, _public(result), "\n".join(result.messages) or None)
    con.close()
    return result


def _public(result: RunResult) -> dict[str, Any]:
    return {"counts": result.counts, "timings": result.timings}
