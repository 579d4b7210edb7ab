"""Stages `export` and `validate`, and the atomic swap of a built release into `dist/`.

A run builds its release in a sibling folder of `dist/`; only when every
stage and check passed is it renamed into place. The previous release is
moved aside first and removed last, and restored by the next run if a crash
happened in between, so `dist/` is never half-written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from frictionless import Package, system

from pipeline.context import RunContext
from pipeline.publish import datapackage, export


def build_dir_for(dist: Path, run_id: str) -> Path:
    return dist.parent / f".{dist.name}.build-{run_id}"


def _old_dir(dist: Path, run_id: str) -> Path:
    return dist.parent / f".{dist.name}.old-{run_id}"


def recover(dist: Path) -> None:
    """Put back a previous release left aside by a run killed during its swap; drop stale builds."""
    olds = sorted(dist.parent.glob(f".{dist.name}.old-*"))
    if not dist.exists() and olds:
        olds[-1].rename(dist)
        olds = olds[:-1]
    for leftover in olds + sorted(dist.parent.glob(f".{dist.name}.build-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def swap(build: Path, dist: Path, run_id: str) -> None:
    old = _old_dir(dist, run_id)
    if dist.exists():
        dist.rename(old)
    build.rename(dist)
    if old.exists():
        shutil.rmtree(old)


def discard(build: Path) -> None:
    shutil.rmtree(build, ignore_errors=True)


def export_stage(ctx: RunContext) -> dict[str, object]:
    files = export.write_all(ctx.con, ctx.build_dir)
    datapackage.write(files, ctx.build_dir, ctx.settings.reference_date, ctx.sources)
    ctx.files = files
    return {f"{f.table}.{f.format}": f.bytes for f in files}


def validate_stage(ctx: RunContext) -> dict[str, object]:
    """Frictionless validation of the built package: the published files as they are."""
    with system.use_context(trusted=True):
        report = Package(str(ctx.build_dir / "datapackage.json")).validate()
    errors = report.flatten(["taskName", "rowNumber", "fieldName", "type", "message"])
    ctx.validation_report = report
    return {"valid": report.valid, "errors": len(errors), "first_errors": errors[:10]}
