"""Territory pages and shards: one unit per département and per commune.

A département has a page (filters and map, driven by its JSON shards) and
`api/v1/departements/{code}/structures.json` / `services.json`, paginated. A
commune has `api/v1/communes/{code}/services.json` and, when structures are
there, a static page listing them. A unit's key is the md5 of its items, so
only the territories whose records changed are written again.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
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


def _items(con: duckdb.DuckDBPyConnection, column: str, codes: list[str]) -> dict[str, dict[str, list[str]]]:
    """Code -> {"structures": [item json…], "services": […]} for the given territories, ordered by id."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"structures": [], "services": []})
    con.register("site_codes", pa.table({"code": pa.array(codes, pa.string())}))
    try:
        for kind, table in (("structures", "site_structure_items"), ("services", "site_service_items")):
            rows = con.execute(f"select {column}, item from {table} where {column} in (select code from site_codes) "
                               f"order by {column}, id").fetchall()
            for code, item in rows:
                out[code][kind].append(item)
    finally:
        con.unregister("site_codes")
    return out


def _options(items: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    counts = Counter(v for item in items for v in item.get(key) or [])
    return sorted(counts.items())


def _communes(structures: list[dict[str, Any]], services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    per: dict[str, dict[str, Any]] = {}
    for item in structures:
        entry = per.setdefault(item["code_insee"], {"code": item["code_insee"], "nom": item["commune"], "structures": 0, "services": 0})
        entry["structures"] += 1
    for item in services:
        if item["code_insee"] in per:
            per[item["code_insee"]]["services"] += 1
    return sorted(per.values(), key=lambda c: (c["nom"] or "", c["code"]))


def departement_files(code: str, items: dict[str, list[str]], ctx: TerritoryContext) -> list[tuple[str, str]]:
    structures = [json.loads(i) for i in items["structures"]]
    services = [json.loads(i) for i in items["services"]]
    folder = f"{api.API}/departements/{code}"
    base = ctx.site.base_url
    files = list(api.paginate(folder, "structures", items["structures"], base))
    files += api.paginate(folder, "services", items["services"], base)
    page = f"territoires/{code}/index.html"
    html = templates.render(
        "territoires/departement.html", page, site=ctx.site, section="territoires/index.html",
        code=code, nom=ctx.departements.get(code, code), structures=len(structures), services=len(services),
        communes=_communes(structures, services),
        thematiques=_options(services, "thematiques"), publics=_options(services, "publics"),
        sources=sorted(Counter(i["source"] for i in structures).items()),
        source_titles=ctx.source_titles,
    )
    return [(page, html)] + files


def commune_files(code: str, departement: str, items: dict[str, list[str]], ctx: TerritoryContext) -> list[tuple[str, str]]:
    files = list(api.paginate(f"{api.API}/communes/{code}", "services", items["services"], ctx.site.base_url))
    if not items["structures"]:
        return files
    structures = [json.loads(i) for i in items["structures"]]
    by_structure: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in map(json.loads, items["services"]):
        by_structure[item["structure_id"]].append(item)
    page = f"territoires/{departement}/{code}.html"
    html = templates.render(
        "territoires/commune.html", page, site=ctx.site, section="territoires/index.html",
        code=code, nom=structures[0]["commune"], departement=departement,
        departement_nom=ctx.departements.get(departement, departement),
        structures=structures, services=by_structure, source_titles=ctx.source_titles,
        points=[[s["latitude"], s["longitude"], s["nom"], templates.root_of(page) + templates.structure_page(s["id"])]
                for s in structures if s["latitude"] is not None and s["longitude"] is not None],
    )
    return [(page, html)] + files


def _departement_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        "select distinct commune, departement from site_structure_items where commune is not null "
        "union select distinct commune, departement from site_service_items where commune is not null"
    ).fetchall()
    return dict(rows)


def build(con: duckdb.DuckDBPyConnection, out: Output, ctx: TerritoryContext) -> dict[str, Any]:
    """Write every département's and commune's unit; returns the départements' summary for the index."""
    dep_keys = _keys(con, "departement")
    todo = [code for code, key in dep_keys.items()
            if not out.reuse(f"departement:{code}", out.unit_key(key, ctx.departements.get(code, "")))]
    for code, items in _items(con, "departement", todo).items():
        out.write(f"departement:{code}", out.unit_key(dep_keys[code], ctx.departements.get(code, "")),
                  departement_files(code, items, ctx))
    commune_keys = _keys(con, "commune")
    departement_of = _departement_of(con)
    todo = [code for code, key in commune_keys.items() if not out.reuse(f"commune:{code}", out.unit_key(key))]
    for code, items in _items(con, "commune", todo).items():
        out.write(f"commune:{code}", out.unit_key(commune_keys[code]),
                  commune_files(code, departement_of[code], items, ctx))
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
