"""Release stages (export, package, validate, finalize) and the atomic swap into `dist/`.

A run builds its release in a sibling folder of `dist/`; only when every
stage and check passed is it renamed into place. The previous release is
moved aside first and restored by the next run if a crash happened in
between, so `dist/` is never half-written. Once the new release is in place,
the old one (450,000 files at national scale, 20 s to delete) is removed by a
detached process; the next run removes whatever such a process left.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.context import RunContext
from pipeline.publish import companions, datapackage, dcat, digest, export, validation

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHECKSUMS = "SHA256SUMS"


def build_dir_for(dist: Path, run_id: str) -> Path:
    return dist.parent / f".{dist.name}.build-{run_id}"


def _old_dir(dist: Path, run_id: str) -> Path:
    return dist.parent / f".{dist.name}.old-{run_id}"


def _trash_dir(dist: Path, leftover: Path) -> Path:
    return dist.parent / f".{dist.name}.trash-{leftover.name.rsplit('.', 1)[-1]}"


def recover(dist: Path) -> None:
    """Put back a previous release left aside by a run killed during its swap; drop stale builds.

    A killed run's build holds up to the whole site (4.5 million files at ten times the national
    volume, most of an hour to delete here): stale folders are renamed out of the way at once and
    deleted in the background, as is any trash a killed remover left.
    """
    olds = sorted(dist.parent.glob(f".{dist.name}.old-*"))
    if not dist.exists() and olds:
        olds[-1].rename(dist)
        olds = olds[:-1]
    for leftover in olds + sorted(dist.parent.glob(f".{dist.name}.build-*")):
        leftover.rename(_trash_dir(dist, leftover))
    for trash in sorted(dist.parent.glob(f".{dist.name}.trash-*")):
        remove_in_background(trash)


def swap(build: Path, dist: Path, run_id: str) -> None:
    old = _old_dir(dist, run_id)
    if dist.exists():
        dist.rename(old)
    build.rename(dist)
    if old.exists():
        remove_in_background(old)


def remove_in_background(path: Path) -> None:
    """Delete a folder no one reads any more without making the run wait for it."""
    subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
                      str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)


def discard(build: Path) -> None:
    shutil.rmtree(build, ignore_errors=True)


def begin_export(ctx: RunContext) -> None:
    """Start writing the tables' files (they only read `pub__*`) beside the history stage."""
    ctx.exporting = export.begin(ctx.con, ctx.build_dir, ctx.settings.reference_date)


def abandon_export(ctx: RunContext) -> None:
    """After a failed run: wait for the files being written, before the build folder goes."""
    if ctx.exporting is not None:
        ctx.exporting.close()
        ctx.exporting = None


def export_stage(ctx: RunContext) -> dict[str, object]:
    """Every data file of the release: those `begin_export` started, then the database file."""
    exporting = ctx.exporting or export.begin(ctx.con, ctx.build_dir, ctx.settings.reference_date)
    ctx.exporting = None
    ctx.files = export.finish(ctx.con, exporting)
    return {f"{f.path.name}{'#' + f.sheet if f.sheet else ''}": f.rows for f in ctx.files}


def _coverage(ctx: RunContext) -> tuple | None:
    rows = ctx.con.execute(
        "select min(d), max(d) from (select date_maj as d from pub__structures "
        "union all select date_maj from pub__services)"
    ).fetchall()
    return rows[0] if rows and rows[0][0] is not None else None


def _first_release(ctx: RunContext) -> object:
    rows = ctx.con.execute("select min(reference_date) from hist_next__releases").fetchall()
    return rows[0][0] or ctx.settings.reference_date


def package_stage(ctx: RunContext) -> dict[str, object]:
    """`datapackage.json` and `catalog.jsonld` over every file written so far."""
    ctx.files = ctx.files + [file for file, _ in companions.present(ctx.build_dir)]
    descriptor = datapackage.write(ctx.files, ctx.build_dir, ctx.settings.reference_date, ctx.sources)
    catalog = dcat.build(ctx.files, ctx.build_dir, ctx.settings.public_url, ctx.settings.publisher,
                         _first_release(ctx), ctx.settings.reference_date, _coverage(ctx))
    dcat.write(ctx.build_dir / "catalog.jsonld", catalog)
    return {"resources": len(descriptor["resources"]), "distributions": len(catalog["@graph"][1]["dcat:distribution"])}


def validate_stage(ctx: RunContext) -> dict[str, object]:
    """Frictionless validation of the built package: the published files as they are (the rows of the
    canonical CSVs that the release in `dist/` validated are not read again)."""
    previous = ctx.settings.dist_dir if (ctx.settings.dist_dir / "datapackage.json").is_file() else None
    checked = validation.validate(ctx.build_dir / "datapackage.json", previous)
    errors = checked.report.flatten(["taskName", "rowNumber", "fieldName", "type", "message"])
    ctx.validation_report = checked.report
    return {"valid": checked.report.valid, "errors": len(errors), "first_errors": errors[:10],
            "rows_carried": checked.carried}


def _files_outside_site(directory: Path) -> list[Path]:
    """Every file of the release but `SHA256SUMS` and the site (whose 450,000 files are not even walked)."""
    found = []
    for top in directory.iterdir():
        if top.name == "site" or top.name == CHECKSUMS:
            continue
        found += [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
    return found


def write_checksums(directory: Path) -> int:
    """`SHA256SUMS` (the `sha256sum -c` format) over every file of the release but the site."""
    paths = sorted(_files_outside_site(directory))
    lines = [f"{digest.sha256(p)}  {p.relative_to(directory).as_posix()}\n" for p in paths]
    (directory / CHECKSUMS).write_text("".join(lines), encoding="utf-8")
    return len(lines)


def finalize_stage(ctx: RunContext) -> dict[str, object]:
    """The release's README.md, then SHA256SUMS over everything."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True)
    readme = environment.get_template("README.md.j2").render(
        title=datapackage.TITLE,
        description=datapackage.DESCRIPTION,
        reference_date=ctx.settings.reference_date.isoformat(),
        files=[{"path": f.path.relative_to(ctx.build_dir).as_posix(), "format": f.format.upper(),
                "rows": f.rows, "bytes": f.bytes, "title": datapackage.TITLES.get(f.table, f.table),
                "sheet": f.sheet} for f in ctx.files],
        sources=ctx.sources,
        licence=datapackage.LICENCE,
    )
    (ctx.build_dir / "README.md").write_text(readme, encoding="utf-8")
    return {"checksums": write_checksums(ctx.build_dir)}
