"""Stage `render`: the static website and static JSON API in `<release>/site/`.

Pages are jinja2 templates from `site/templates/`; the builder is split by
job: `records` (DuckDB documents), `entities` (structure pages and record
files), `territories`, `pages` (the small pages), `search` (Pagefind),
`assets`, and `output` (incremental writing with a build manifest).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pipeline import sources as source_registry
from pipeline.context import RunContext
from pipeline.publish.export import ExportedFile
from pipeline.publish.extensions import EXTENSION_FIELDS
from pipeline.sources import archive
from pipeline.sources.base import Source
from pipeline.website import api, assets, config, data, entities, pages, records, search, territories
from pipeline.website.entities import EntityContext
from pipeline.website.output import Output
from pipeline.website.territories import TerritoryContext


@dataclass
class BuildInputs:
    """Everything a site build reads besides the warehouse tables."""

    con: duckdb.DuckDBPyConnection
    release: Path
    reference_date: date
    sources: list[Source]
    files: list[ExportedFile] = field(default_factory=list)
    freshness: dict[str, data.Freshness] = field(default_factory=dict)
    previous: Path | None = None
    site_config: config.SiteConfig = field(default_factory=config.load)
    workers: int | None = None


def freshness(ctx: RunContext, sources: list[Source]) -> dict[str, data.Freshness]:
    """How each source came into the release: this run's collection, else its last good archive."""
    out = {}
    for source in sources:
        collected = ctx.collected.get(source.name)
        found = archive.last_good(ctx.settings.raw_dir, source.name)
        manifest = found.manifest if found else {}
        fetched = sorted(f["fetched_at"] for f in manifest.get("files", []) if f.get("fetched_at"))
        last_fetch = fetched[-1] if fetched else manifest.get("reference_date")
        if collected is not None:
            out[source.name] = data.Freshness(collected.status, collected.origin, last_fetch,
                                              collected.stale_since, collected.error)
        elif found is not None:
            out[source.name] = data.Freshness("kept", manifest.get("origin"), last_fetch)
    return out


def _downloads(files: list[ExportedFile], release: Path) -> list[data.Download]:
    return [data.Download(f.table, f.format, f.path.relative_to(release).as_posix(), f.bytes, f.rows, f.sha256)
            for f in files]


def _example(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Real ids for the API page's curl examples."""
    rows = con.execute(
        "select (select min(id) from pub__structures), (select min(id) from pub__services), "
        "(select min(departement) from site_structure_items), (select min(commune) from site_service_items)"
    ).fetchall()[0]
    structure, service, departement, commune = (r or "" for r in rows)
    return {"structure": api.structure_path(structure) if structure else "",
            "service": api.service_path(service) if service else "",
            "departement": departement, "commune": commune}


def build_site(inputs: BuildInputs) -> dict[str, Any]:
    """Build `<release>/site/` (reusing `<previous>/site/` where nothing changed); returns counts and timings."""
    con, cfg, timings = inputs.con, inputs.site_config, {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 2)
        started = now

    # The records' SQL (DuckDB, without the GIL) runs while the previous manifest is read (Python).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="records") as pool:
        building = pool.submit(records.build, con, cfg.base_url)
        out = Output.open(inputs.release / "site", assets.fingerprint(cfg, inputs.sources), inputs.previous)
        assets.copy(out, cfg)
        building.result()
    lap("records")
    departements = data.departements()
    titles = {s.name: s.title for s in inputs.sources}
    extensions = {t: tuple((f["name"], f.get("title") or f["name"]) for f in EXTENSION_FIELDS[t])
                  for t in ("structures", "services")}
    index = search.start(con, out, int(cfg.search_shard_size))
    try:
        rendered = entities.build(con, out, EntityContext(cfg, titles, departements, extensions["structures"],
                                                          extensions["services"]), inputs.workers, index)
        lap("structures")
        summary = territories.build(con, out, TerritoryContext(cfg, titles, departements))
        lap("territories")
        site_data = data.SiteData(
            reference_date=inputs.reference_date, config=cfg,
            sources=data.source_infos(con, inputs.sources, inputs.freshness),
            downloads=_downloads(inputs.files, inputs.release), totals=data.totals(con),
            changes=data.changes_summary(con), departements=departements, reports=data.reports(inputs.release),
        )
        indexed = index.finish()
        lap("search")
        # After the index: the search page lists the bundles and the stale list `finish` settled.
        small = pages.build(con, out, site_data, summary, _example(con), index.bundles, index.stale_file)
        lap("pages")
    finally:
        index.close()
    files = out.files()
    listed = "\n".join(f"{rel} {sha} {size}" for rel, sha, size in files if rel.startswith(api.API))
    out.unit("api:index", out.unit_key(listed, inputs.reference_date.isoformat()), lambda: [
        (f"{api.API}/index.json", api.dumps(api.index_document(files, inputs.reference_date.isoformat())))])
    out.save(inputs.release)
    lap("index")
    return {"structures_rendered": rendered, "pages": small, "search_indexed": indexed,
            "search_shards": len(index.shards), "search_seconds": round(index.seconds, 1),
            "search_recent": (index.recent.documents - len(index.unchanged)) if index.recent else 0,
            "search_recent_unchanged": len(index.unchanged), "search_stale": len(index.hidden),
            "search_stale_ambiguous": len(index.ambiguous),
            "files_written": out.stats.written, "files_linked": out.stats.linked,
            "bytes": out.stats.bytes, "timings": timings}


def render(ctx: RunContext) -> dict[str, Any]:
    sources = source_registry.discover()
    return build_site(BuildInputs(
        con=ctx.con, release=ctx.build_dir, reference_date=ctx.settings.reference_date, sources=sources,
        files=ctx.files, freshness=freshness(ctx, sources), previous=ctx.settings.dist_dir,
    ))
