"""The small pages: home, dictionary, référentiels, sources, changes, territories index, search, API.

They are few and cheap, so they are rendered on every build (their key is
their own content); the API's small files (sources, référentiels,
départements) are written here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from pipeline.publish.extensions import EXTENSION_FIELDS
from pipeline.website import api, changes, dictionary, templates
from pipeline.website.data import SiteData
from pipeline.website.output import Output

Files = Iterator[tuple[str, str]]
CHART_BINS = 10


def _page(template: str, path: str, data: SiteData, **context: Any) -> tuple[str, str]:
    return path, templates.render(template, path, site=data.config, data=data, **context)


def home(data: SiteData) -> Files:
    yield _page("index.html", "index.html", data, section="index.html")


def dictionary_pages(con: duckdb.DuckDBPyConnection, data: SiteData) -> Files:
    refs = dictionary.referentiels()
    usage = {t: {f.name for f in dictionary.fields(t) if f.referentiel} for t in dictionary.TABLES}
    yield _page("dictionnaire/index.html", "dictionnaire/index.html", data, section="dictionnaire/index.html",
                tables={t: dictionary.fields(t) for t in dictionary.TABLES}, referentiels=refs)
    sources = [s.name for s in data.sources]
    for table in dictionary.TABLES:
        yield _page("dictionnaire/table.html", f"dictionnaire/{table}.html", data,
                    section="dictionnaire/index.html", table=table, fields=dictionary.fields(table),
                    extensions=[f["name"] for f in EXTENSION_FIELDS[table]],
                    rates=dictionary.fill_rates(con, table), sources=sources, referentiels=refs)
    for name, rows in refs.items():
        used_by = [(t, f) for t in dictionary.TABLES for f in sorted(usage[t])
                   if dict((x.name, x.referentiel) for x in dictionary.fields(t))[f] == name]
        yield _page("dictionnaire/referentiel.html", f"dictionnaire/referentiels/{name}.html", data,
                    section="dictionnaire/index.html", name=name, rows=rows, used_by=used_by)


def source_pages(con: duckdb.DuckDBPyConnection, data: SiteData) -> Files:
    yield _page("sources/index.html", "sources/index.html", data, section="sources/index.html")
    for source in data.sources:
        yield _page("sources/source.html", f"sources/{source.name}.html", data, section="sources/index.html",
                    source=source, bins=CHART_BINS)


def change_pages(con: duckdb.DuckDBPyConnection, data: SiteData) -> Files:
    yield _page("changements/index.html", "changements/index.html", data, section="changements/index.html",
                kinds=changes.KINDS, kind_labels=changes.KIND_LABELS)
    for source in data.sources:
        yield _page("changements/source.html", f"changements/{source.name}.html", data,
                    section="changements/index.html", source=source, diff=changes.per_source(con, source.name),
                    kinds=changes.KINDS, kind_labels=changes.KIND_LABELS, limit=changes.LIST_LIMIT)


def other_pages(data: SiteData, departements: list[dict[str, Any]], example: dict[str, str],
                search_bundles: list[str], search_stale: str | None) -> Files:
    yield _page("territoires/index.html", "territoires/index.html", data, section="territoires/index.html",
                departements=departements)
    yield _page("recherche.html", "recherche/index.html", data, section="recherche/index.html",
                departements=departements, thematiques=dictionary.referentiels()["thematiques"], bundles=search_bundles,
                stale=search_stale)
    yield _page("api.html", "api/index.html", data, section="api/index.html", example=example,
                page_size=api.PAGE_SIZE)


def api_files(data: SiteData, departements: list[dict[str, Any]]) -> Files:
    base = data.config.base_url
    yield f"{api.API}/sources.json", api.dumps([
        {"name": s.name, "title": s.title, "producer": s.producer, "licence": s.licence, "homepage": s.homepage,
         "protocol": s.protocol, "status": s.freshness.status, "origin": s.freshness.origin,
         "last_fetch": s.freshness.last_fetch, "last_changed": s.last_changed,
         "counts": s.counts, "page": f"{base}sources/{s.name}.html"}
        for s in data.sources
    ])
    for name, rows in dictionary.referentiels().items():
        yield f"{api.API}/referentiels/{name}.json", api.dumps(
            {"name": name, "values": [{"value": r["value"], "label": r["label"],
                                       "description": r["description"] or None} for r in rows]})
    yield f"{api.API}/departements.json", api.dumps(departements)


def build(con: duckdb.DuckDBPyConnection, out: Output, data: SiteData,
          departements: list[dict[str, Any]], example: dict[str, str], search_bundles: list[str],
          search_stale: str | None = None) -> int:
    """Render every small page and API file; returns how many files."""
    files = [*home(data), *dictionary_pages(con, data), *source_pages(con, data), *change_pages(con, data),
             *other_pages(data, departements, example, search_bundles, search_stale), *api_files(data, departements)]
    for rel, content in files:
        out.unit(f"page:{rel}", out.unit_key(content), lambda rel=rel, content=content: [(rel, content)])
    return len(files)
