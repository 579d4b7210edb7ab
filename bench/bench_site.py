"""Site benchmark: build the static site and JSON API at national scale, then again with nothing changed.

A synthetic warehouse holds 100,000 structures and 140,000 services in schema
v1 (plus the publisher's declared columns), placed in real communes drawn by
population from `ref__communes`, with French-like text of realistic lengths,
history, accounting and errors. Targets (issue 9): a full build under 180 s,
an unchanged rebuild under 30 s, a published site under GitHub Pages' 1 GB.
Run with `.venv/bin/python -m bench site`; figures are appended to
`bench/RESULTS.md` and written to `bench/results/site.json`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pipeline import warehouse
from pipeline.publish.extensions import published_schema
from pipeline.sources.base import Source
from pipeline.sources.transform import load_referentiels
from pipeline.territory import reference
from pipeline.website.build import BuildInputs, build_site
from pipeline.website.config import SiteConfig
from pipeline.website.data import Freshness

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "site"
STRUCTURES, SERVICES = 100_000, 140_000
TARGET_FULL, TARGET_UNCHANGED, TARGET_BYTES = 180.0, 30.0, 1_000_000_000
REFERENCE_DATE = date(2026, 11, 28)
SOURCES = {"dora": 0.15, "emplois-de-linclusion": 0.25, "soliguide": 0.2, "mediation-numerique": 0.15,
           "france-travail": 0.05, "france-services": 0.05, "finess": 0.1, "data-inclusion": 0.05}
WORDS = ("accompagnement emploi insertion logement numérique santé famille formation jeunes association "
         "centre social mission locale aide alimentaire budget mobilité permis atelier accueil écoute "
         "orientation démarches administratives droits retraite handicap parentalité épicerie solidaire "
         "vestiaire transport bénévoles permanence rendez-vous gratuit public adultes seniors femmes "
         "quartier commune département France Travail chantier entreprise professionnel projet parcours "
         "compétences français ateliers informatique ordinateur internet dossier CAF RSA hébergement urgence "
         "soins addictions psychologue conseillère référent suivi individuel collectif lundi vendredi matin").split()
TYPES = {"string": "varchar", "date": "date", "number": "double", "integer": "bigint", "boolean": "boolean",
         "array": "varchar[]"}


class BenchSource(Source):
    """A stand-in for a source folder (only the metadata the site shows)."""

    def __init__(self, name: str) -> None:
        self.name, self.title, self.producer = name, name.replace("-", " ").title(), "Producteur de " + name
        self.licence, self.homepage, self.protocol = "etalab-2.0", f"https://{name}.example.org", "API JSON"


def _text(expr_len: str) -> str:
    """SQL: French-like text of about `expr_len` characters from the word list (random, seeded)."""
    words = "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in WORDS) + "]"
    per_word = sum(len(w) + 1 for w in WORDS) / len(WORDS)
    return (f"array_to_string(list_transform(range(greatest(1, ({expr_len}) / {per_word:.2f})::bigint), "
            f"lambda i: {words}[1 + floor(random() * {len(WORDS)})::int]), ' ')")


def _title(expr_len: str) -> str:
    # A lambda, not a scalar subquery: DuckDB evaluates an uncorrelated subquery once for all rows.
    return f"list_transform([{_text(expr_len)}], lambda t: upper(left(t, 1)) || substr(t, 2))[1]"


def _defaults(table: str) -> dict[str, str]:
    """SQL expression per published column not set explicitly (NULL of the right type)."""
    return {f["name"]: f"null::{TYPES.get(f['type'], 'varchar')}" for f in published_schema(table)["fields"]}


def make_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = warehouse.connect(path)
    reference.load(con)
    load_referentiels(con)
    con.execute("select setseed(0.42)")
    weights = " ".join(f"when r < {sum(list(SOURCES.values())[:i + 1])} then '{n}'" for i, n in enumerate(SOURCES))
    con.execute("""
        create or replace temp table bench_communes as
        select code_insee, nom, codes_postaux, latitude, longitude,
               sum(population) over (order by code_insee) - population as low
        from ref__communes where type = 'commune-actuelle' and population > 0 and latitude is not null
    """)
    total = con.execute("select sum(population) from ref__communes where type = 'commune-actuelle' "
                        "and population > 0 and latitude is not null").fetchall()[0][0]
    thematiques = [r[0] for r in con.execute("select value from ref__thematiques order by value").fetchall()]
    publics = [r[0] for r in con.execute("select value from ref__publics where value <> 'tous-publics' order by value").fetchall()]
    structure = _defaults("structures") | {
        "source": "source", "id": "source || '--' || uuid()::varchar", "nom": _title("30 + random() * 40"),
        "date_maj": "date '2020-01-01' + (random() * 2000)::int",
        "description": f"case when random() < 0.55 then null else {_text('60 + random() * 500')} end",
        "lien_source": "'https://' || source || '.example.org/structures/' || n",
        "siret": "case when random() < 0.6 then lpad((random() * 99999999999999)::bigint::varchar, 14, '0') end",
        "commune": "commune_nom", "code_postal": "split_part(codes_postaux, '|', 1)", "code_insee": "commune_code",
        "adresse": "(1 + n % 150)::varchar || ' rue ' || " + _text("12"),
        "longitude": "clon + (random() - 0.5) * 0.02", "latitude": "clat + (random() - 0.5) * 0.02",
        "telephone": "case when random() < 0.6 then '0' || (100000000 + n % 899999999)::varchar end",
        "courriel": "case when random() < 0.5 then 'contact' || n || '@example.org' end",
        "site_web": "case when random() < 0.4 then 'https://www.example.org/' || n end",
        "horaires_accueil": "case when random() < 0.3 then 'Mo-Fr 09:00-12:00,14:00-17:00' end",
    }
    con.execute(f"""
        create or replace table pub__structures as
        with draws as (
            select n, random() * {total} as at,
                   list_transform([random()], lambda r: case {weights} else 'dora' end)[1] as source
            from range({STRUCTURES}) as t(n)
        ),
        placed as (select d.*, c.nom as commune_nom, c.codes_postaux, c.code_insee as commune_code, c.latitude as clat,
                          c.longitude as clon from draws as d asof join bench_communes as c on d.at >= c.low)
        select {", ".join(f"{expr} as {name}" for name, expr in structure.items())}
        from placed order by id
    """)
    them = "[" + ", ".join(f"'{t}'" for t in thematiques) + "]"
    pubs = "[" + ", ".join(f"'{p}'" for p in publics) + "]"
    service = _defaults("services") | {
        "source": "s.source", "structure_id": "s.id", "id": "s.source || '--' || uuid()::varchar",
        "nom": _title("20 + random() * 50"),
        # A quarter of the services have a producer's rich description (DORA-like), the others a
        # short or generated one (the samples of Soliguide, médiation numérique and others have none).
        "description": f"case when random() < 0.25 then {_text('200 + random() * 700')} else {_text('30 + random() * 120')} end",
        "lien_source": "'https://' || s.source || '.example.org/services/' || n",
        "date_maj": "date '2020-01-01' + (random() * 2000)::int",
        "type": "['accompagnement', 'atelier', 'formation', 'information', 'aide-materielle'][1 + floor(random() * 5)::int]",
        "thematiques": f"list_distinct(list_transform(range(1 + floor(random() * 3)::int), lambda i: {them}[1 + floor(random() * {len(thematiques)})::int]))",
        "frais": "case when random() < 0.8 then 'gratuit' else 'payant' end",
        "publics": f"list_distinct(list_transform(range(1 + floor(random() * 2)::int), lambda i: {pubs}[1 + floor(random() * {len(publics)})::int]))",
        "conditions_acces": f"case when random() < 0.2 then {_text('40 + random() * 200')} end",
        "commune": "s.commune", "code_postal": "s.code_postal", "code_insee": "s.code_insee", "adresse": "s.adresse",
        "longitude": "s.longitude", "latitude": "s.latitude", "telephone": "s.telephone", "courriel": "s.courriel",
        "modes_accueil": "['en-presentiel']", "zone_eligibilite": "[s.code_insee]",
        "modes_mobilisation": "['se-presenter', 'telephoner']", "mobilisable_par": "['usagers', 'professionnels']",
    }
    con.execute(f"""
        create or replace table pub__services as
        with picks as (
            select n, (floor(random() * {STRUCTURES}))::bigint as k from range({SERVICES}) as t(n)
        ),
        numbered as (select *, row_number() over (order by id) - 1 as k from pub__structures)
        select {", ".join(f"{expr} as {name}" for name, expr in service.items())}
        from picks as p join numbered as s using (k) order by id
    """)
    _side_tables(con)
    return con


def _side_tables(con: duckdb.DuckDBPyConnection) -> None:
    """History registry, changes, accounting and errors, shaped like a real run's."""
    day = REFERENCE_DATE.isoformat()
    con.execute(f"""
        create or replace table int__registry as
        select id, source, 'structures' as "table", date '2026-01-05' as first_seen, date '{day}' as last_seen,
               date '2026-10-01' as last_changed, md5(id) as content_hash, true as present from pub__structures
        union all
        select id, source, 'services', date '2026-01-05', date '{day}', date '2026-10-01', md5(id), true from pub__services
    """)
    con.execute("""
        create or replace table int__changes as
        select id, source, "table", case when hash(id) % 20 = 0 then 'changed' when hash(id) % 50 = 1 then 'added'
               else 'unchanged' end as kind,
               case when hash(id) % 20 = 0 then ['description'] end as changed_fields
        from int__registry
    """)
    con.execute("""
        create or replace table int__errors as
        select source, 'services' as entity, source || '--q' || n as record_id, 'structure_id' as field,
               'foreign-key' as code, source || '--absente' as value, 'error' as severity
        from (select distinct source from pub__structures), range(40) as t(n)
    """)
    con.execute("create or replace table int__quarantine as select * from int__errors")
    con.execute("""
        create or replace table int__accounting as
        with p as (select source, 'structures' as entity, count(*) as n from pub__structures group by all
                   union all select source, 'services', count(*) from pub__services group by all)
        select source, entity, n + (case when entity = 'services' then 40 else 0 end) as raw,
               n + (case when entity = 'services' then 40 else 0 end) as mapped, n as published,
               case when entity = 'services' then 40 else 0 end as quarantined, 0 as excluded, true as balanced
        from p order by all
    """)


def _size(site: Path) -> tuple[int, int, int]:
    """Files, bytes (sum of sizes) and disk usage (du, 4 KiB blocks) of the published site."""
    files = [p for p in site.rglob("*") if p.is_file()]
    disk = subprocess.run(["du", "-sk", str(site)], capture_output=True, text=True, check=True).stdout
    return len(files), sum(p.stat().st_size for p in files), int(disk.split()[0]) * 1024


def _build(con: duckdb.DuckDBPyConnection, release: Path, previous: Path | None, sources: list[Source]) -> tuple[float, dict[str, Any]]:
    subprocess.run(["rm", "-rf", str(release)], check=True)
    release.mkdir(parents=True)
    started = time.perf_counter()
    result = build_site(BuildInputs(
        con=con, release=release, reference_date=REFERENCE_DATE, sources=sources,
        freshness={s.name: Freshness("ok", "live", "2026-11-28T03:00:00+00:00") for s in sources},
        previous=previous, site_config=SiteConfig(publisher_name="data·inclusion", tiles_url=""),
    ))
    return time.perf_counter() - started, result


def main() -> None:
    subprocess.run(["rm", "-rf", str(WORK)], check=True)
    WORK.mkdir(parents=True)
    started = time.perf_counter()
    con = make_warehouse(WORK / "warehouse.duckdb")
    generate = time.perf_counter() - started
    counts = con.execute("select (select count(*) from pub__structures), (select count(*) from pub__services)").fetchall()[0]
    print(f"warehouse: {counts[0]} structures, {counts[1]} services in {generate:.1f} s", flush=True)
    sources = [BenchSource(name) for name in SOURCES]
    full, first = _build(con, WORK / "release-1", None, sources)
    print(f"full build: {full:.1f} s {first}", flush=True)
    files, size, disk = _size(WORK / "release-1" / "site")
    print(f"site: {files} files, {size / 1e6:.0f} MB ({disk / 1e6:.0f} MB on disk)", flush=True)
    unchanged, second = _build(con, WORK / "release-2", WORK / "release-1", sources)
    print(f"unchanged rebuild: {unchanged:.1f} s {second}", flush=True)
    con.close()
    record(generate, full, first, unchanged, second, files, size, disk)


def record(generate: float, full: float, first: dict[str, Any], unchanged: float, second: dict[str, Any],
           files: int, size: int, disk: int) -> None:
    now = datetime.now(timezone.utc)
    load = os.getloadavg()
    results = {
        "date": now.isoformat(timespec="seconds"), "machine": "2 cores, 24 GB", "python": platform.python_version(),
        "load_average": [round(x, 2) for x in load], "structures": STRUCTURES, "services": SERVICES,
        "warehouse_seconds": round(generate, 1),
        "full_build_seconds": round(full, 1), "full_build": first,
        "unchanged_build_seconds": round(unchanged, 1), "unchanged_build": second,
        "site_files": files, "site_bytes": size, "site_disk_bytes": disk,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "site.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    verdict = lambda ok: "met" if ok else "**missed**"
    lines = [
        "", f"## Site and JSON API at national scale ({now:%Y-%m-%d})", "",
        "Command: `.venv/bin/python -m bench site` — machine: 2 cores, 24 GB "
        f"(load average at the end {load[0]:.1f}, shared with other work).", "",
        f"Synthetic warehouse: {STRUCTURES:,} structures and {SERVICES:,} services in schema v1, communes drawn "
        f"by population from `ref__communes` ({generate:.0f} s to generate).", "",
        "| measure | figure | target | |", "|---|---|---|---|",
        f"| full build (pages, API, territories, search) | {full:.0f} s | < {TARGET_FULL:.0f} s | {verdict(full < TARGET_FULL)} |",
        f"| of which Pagefind indexing (runs beside the pages) | {first['search_seconds']:.0f} s | fits the build | |",
        f"| rebuild with nothing changed | {unchanged:.1f} s | < {TARGET_UNCHANGED:.0f} s | {verdict(unchanged < TARGET_UNCHANGED)} |",
        f"| published site size | {size / 1e6:.0f} MB in {files:,} files ({disk / 1e6:.0f} MB on disk) | < 1 GB (GitHub Pages) | {verdict(size < TARGET_BYTES)} |",
        "",
        f"Full build stages (s): {first['timings']}; unchanged rebuild stages (s): {second['timings']}, "
        f"{second['files_linked']:,} files linked, {second['files_written']:,} written.",
    ]
    results_md = HERE / "RESULTS.md"
    if not results_md.exists():
        results_md.write_text("# Benchmark results\n", encoding="utf-8")
    with results_md.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
