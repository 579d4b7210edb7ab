"""Stage `render`: the static website in `<release>/site/`, rendered by jinja2 from `site/templates/`."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.context import RunContext
from pipeline.paths import SITE_DIR
from pipeline.publish.export import ExportedFile


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(SITE_DIR / "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("o", "ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            return f"{value:.0f} {unit}" if unit == "o" else f"{value:.1f} {unit}".replace(".", ",")
        value /= 1024
    raise AssertionError("unreachable")


def downloads(files: list[ExportedFile], release: Path) -> list[dict[str, Any]]:
    return [
        {
            "table": f.table,
            "format": f.format.upper(),
            "href": "../" + f.path.relative_to(release).as_posix(),
            "size": human_size(f.bytes),
            "rows": f.rows,
            "sha256": f.sha256,
        }
        for f in files
    ]


def render(ctx: RunContext) -> dict[str, int]:
    files: list[ExportedFile] = ctx.files
    release = ctx.build_dir
    site = release / "site"
    site.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SITE_DIR / "static", site / "static", dirs_exist_ok=True)
    accounting = ctx.con.execute(
        "select source, entity, raw, published, quarantined, excluded from int__accounting order by source, entity"
    ).fetchall()
    per_source: dict[str, dict[str, Any]] = {}
    for source, entity, raw, published, quarantined, excluded in accounting:
        per_source.setdefault(source, {"name": source})[entity] = {
            "raw": raw, "published": published, "quarantined": quarantined, "excluded": excluded,
        }
    for source in ctx.sources:
        entry = per_source.setdefault(source.name, {"name": source.name})
        entry["title"] = source.title
        entry["status"] = ctx.collected[source.name].status if source.name in ctx.collected else "absent"
    totals = {t: sum(f.rows for f in files if f.table == t and f.format == "csv") for t in ("structures", "services")}
    page = environment().get_template("index.html").render(
        totals=totals,
        sources=[per_source[name] for name in sorted(per_source)],
        downloads=downloads(files, release),
        reference_date=ctx.settings.reference_date.isoformat(),
        built_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    (site / "index.html").write_text(page, encoding="utf-8")
    return {"pages": 1}
