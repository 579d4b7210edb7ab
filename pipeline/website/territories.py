"""Territory pages and shards: one unit per département and per commune.

A département has a page (filters and map, driven by its JSON shards) and
`api/v1/departements/{code}/structures.json` / `services.json`, paginated. A
commune has `api/v1/communes/{code}/services.json` and, when structures are
there, a static page listing them. A unit's key is the md5 of its items, so
only the territories whose records changed are written again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.website import api, templates
from pipeline.website.config import SiteConfig
from pipeline.website.output import Output


@dataclass(frozen=True)
class TerritoryContext:
    site: SiteConfig
    source_titles: dict[str, str]
    departements: dict[str, str]


def _keys(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, str]:
    """Territory code -> md5 of its structure and service items."""
    rows = con.execute(
        f"""
        with s as (select {column} as code, md5(string_agg(item, chr(10) order by id)) as k
                   from site_structure_items where {column} is not null group by all),
             v as (select {column} as code, md5(string_agg(item, chr(10) order by id)) as k
                   from site_service_items where {column} is not null group by all)
        select code, coalesce(s.k, '') || ':' || coalesce(v.k, '') from s full outer join v using (code) order by code
        """
    ).fetchall()
    return dict(rows)


def _grouped(con: duckdb.DuckDBPyConnection, sql: str, codes: list[str]) -> dict[str, list[tuple]]:
    """Rows of `sql` (first column: territory code, filtered on `site_codes`) grouped by code."""
    out: dict[str, list[tuple]] = defaultdict(list)
    con.register("site_codes", pa.table({"code": pa.array(codes, pa.string())}))
    try:
        for code, *rest in con.execute(sql).fetchall():
            out[code].append(tuple(rest))
    finally:
        con.unregister("site_codes")
    return out


def _items(con: duckdb.DuckDBPyConnection, column: str, table: str, codes: list[str]) -> dict[str, list[str]]:
    rows = _grouped(con, f"select {column}, item from {table} where {column} in (select code from site_codes) "
                         f"order by {column}, id", codes)
    return {code: [r[0] for r in items] for code, items in rows.items()}


def departement_pages(con: duckdb.DuckDBPyConnection, codes: list[str], ctx: TerritoryContext) -> dict[str, list[tuple[str, str]]]:
    """The files of the given départements: page and paginated shards."""
    structures = _items(con, "departement", "site_structure_items", codes)
    services = _items(con, "departement", "site_service_items", codes)
    communes = _grouped(con, """
        select i.departement, i.commune, c.nom, count(*) from site_structure_items as i
        join site_communes as c on c.code_insee = i.commune
        where i.departement in (select code from site_codes) group by all order by 1, 3, 2""", codes)
    options = {name: _grouped(con, f"""
        select departement, value, count(*) from (
            select departement, unnest({name}) as value from site_service_items
            where departement in (select code from site_codes)) group by all order by all""", codes)
        for name in ("thematiques", "publics")}
    sources = _grouped(con, """select departement, source, count(*) from site_structure_items
        where departement in (select code from site_codes) group by all order by all""", codes)
    out = {}
    for code in codes:
        folder, base = f"{api.API}/departements/{code}", ctx.site.base_url
        s_items, v_items = structures.get(code, []), services.get(code, [])
        page = f"territoires/{code}/index.html"
        html = templates.render(
            "territoires/departement.html", page, site=ctx.site, section="territoires/index.html",
            code=code, nom=ctx.departements.get(code, code), structures=len(s_items), services=len(v_items),
            communes=communes.get(code, []), thematiques=options["thematiques"].get(code, []),
            publics=options["publics"].get(code, []), sources=sources.get(code, []), source_titles=ctx.source_titles,
        )
        out[code] = [(page, html), *api.paginate(folder, "structures", s_items, base),
                     *api.paginate(folder, "services", v_items, base)]
    return out


def commune_pages(con: duckdb.DuckDBPyConnection, codes: list[str], ctx: TerritoryContext) -> dict[str, list[tuple[str, str]]]:
    """The files of the given communes: services shard, and a page when structures are there."""
    services = _items(con, "commune", "site_service_items", codes)
    structures = _grouped(con, """
        select i.commune, i.departement, c.nom, i.id, i.nom, i.source, i.code_postal, i.latitude, i.longitude
        from site_structure_items as i join site_communes as c on c.code_insee = i.commune
        where i.commune in (select code from site_codes) order by i.commune, i.id""", codes)
    names = _grouped(con, """select commune, structure_id, id, nom from site_service_items
        where commune in (select code from site_codes) order by commune, structure_id, id""", codes)
    out = {}
    for code in codes:
        files = list(api.paginate(f"{api.API}/communes/{code}", "services", services.get(code, []), ctx.site.base_url))
        rows = structures.get(code, [])
        if rows:
            departement, nom = rows[0][0], rows[0][1]
            page = f"territoires/{departement}/{code}.html"
            by_structure: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for structure_id, service_id, service_nom in names.get(code, []):
                by_structure[structure_id].append((service_id, service_nom))
            points = [[round(lat, 6), round(lon, 6), s_nom, templates.root_of(page) + templates.structure_page(s_id)]
                      for _, _, s_id, s_nom, _, _, lat, lon in rows if lat is not None and lon is not None]
            files.insert(0, (page, templates.render(
                "territoires/commune.html", page, site=ctx.site, section="territoires/index.html",
                code=code, nom=nom, departement=departement,
                departement_nom=ctx.departements.get(departement, departement),
                structures=[{"id": r[2], "nom": r[3], "source": r[4], "code_postal": r[5]} for r in rows],
                services=by_structure, source_titles=ctx.source_titles, points=points,
            )))
        out[code] = files
    return out


def _build_units(out: Output, kind: str, keys: dict[str, str], extra: dict[str, str], render) -> None:
    unit_keys = {code: out.unit_key(key, extra.get(code, "")) for code, key in keys.items()}
    todo = [unit.removeprefix(f"{kind}:")
            for unit in out.reuse_unchanged({f"{kind}:{code}": key for code, key in unit_keys.items()})]
    for start in range(0, len(todo), 2000):
        chunk = todo[start:start + 2000]
        for code, files in render(chunk).items():
            out.write(f"{kind}:{code}", unit_keys[code], files)


def build(con: duckdb.DuckDBPyConnection, out: Output, ctx: TerritoryContext) -> list[dict[str, Any]]:
    """Write every département's and commune's unit; returns the départements' summary for the index."""
    _build_units(out, "departement", _keys(con, "departement"), ctx.departements,
                 lambda codes: departement_pages(con, codes, ctx))
    _build_units(out, "commune", _keys(con, "commune"), {},
                 lambda codes: commune_pages(con, codes, ctx))
    return summary(con, ctx)


def summary(con: duckdb.DuckDBPyConnection, ctx: TerritoryContext) -> list[dict[str, Any]]:
    rows = con.execute(
        """
        with s as (select departement as code, count(*) as n from site_structure_items where departement is not null group by all),
             v as (select departement as code, count(*) as n from site_service_items where departement is not null group by all)
        select code, coalesce(s.n, 0), coalesce(v.n, 0) from s full outer join v using (code) order by code
        """
    ).fetchall()
    base = ctx.site.base_url
    return [
        {"code": code, "nom": ctx.departements.get(code, code), "structures": n_s, "services": n_v,
         "page": f"{base}territoires/{code}/index.html",
         "structures_api": f"{base}{api.API}/departements/{code}/structures.json",
         "services_api": f"{base}{api.API}/departements/{code}/services.json"}
        for code, n_s, n_v in rows
    ]
