"""Stage `territory` (after `map`): a current code INSEE and a position for every address.

Works on `int__structures` and `int__services` in place: code INSEE,
postal code, commune, address, latitude, longitude and (services)
zone_eligibilite are rewritten; the internal columns code_arrondissement,
adresse_certifiee, geocodage_score and geocodage_precision are added.
What was fixed or could not be resolved becomes rows of
`int__territory_errors`, which the `check` stage adds to `int__errors`
(an unknown code INSEE or an address in no commune quarantines the record).

A source may put a zone type alone in zone_eligibilite ("commune",
"departement", "region", "pays"): it is replaced by the codes of the
service's commune. `--live` sends addresses to the national geocoder;
`--replay` reuses its cached answers; other runs stay offline.
"""

from __future__ import annotations

import duckdb

from pipeline.context import RunContext
from pipeline.territory import geocoder as geo
from pipeline.territory.locate import INPUT_COLUMNS, locate

INTERNAL_COLUMNS = ("code_arrondissement", "adresse_certifiee", "geocodage_score", "geocodage_precision")
SERVICES_OFFSET = 1 << 40  # services' _rid = their rowid + this, structures' = their rowid


def build_input(con: duckdb.DuckDBPyConnection) -> None:
    """`int__territory_input`: the address columns of every structure and service, by row."""
    con.execute(f"create or replace table int__territory_input ({INPUT_COLUMNS})")
    con.execute(
        "insert into int__territory_input by name select rowid as _rid, 'structures' as entity, null as structure_id, "
        "null as zone_eligibilite, source, id, code_insee, code_postal, commune, adresse, "
        "try_cast(latitude as double) as latitude, try_cast(longitude as double) as longitude from int__structures"
    )
    con.execute(
        f"insert into int__territory_input by name select rowid + {SERVICES_OFFSET} as _rid, 'services' as entity, "
        "structure_id, zone_eligibilite, source, id, code_insee, code_postal, commune, adresse, "
        "try_cast(latitude as double) as latitude, try_cast(longitude as double) as longitude from int__services"
    )


def _existing_internal(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    columns = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    return [c for c in INTERNAL_COLUMNS if c in columns]


def write_back(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite the address columns of int__structures / int__services from the territory result."""
    for entity, offset in (("structures", 0), ("services", SERVICES_OFFSET)):
        existing = _existing_internal(con, f"int__{entity}")
        exclude = f" exclude ({', '.join(existing)})" if existing else ""
        zone = ""
        zone_join = ""
        if entity == "services":
            zone = (", case when z._rid is not null then z.zone_eligibilite "
                    "else nullif(t.zone_eligibilite, []::varchar[]) end as zone_eligibilite")
            zone_join = f"left join int__territory_zones as z on z._rid = t.rowid + {offset}"
        con.execute(
            f"""
            create or replace table int__{entity} as
            select
                t.*{exclude} replace (
                    r.code_insee as code_insee, r.code_postal as code_postal, r.commune as commune,
                    r.adresse as adresse, r.latitude as latitude, r.longitude as longitude{zone}
                ),
                r.code_arrondissement, r.adresse_certifiee, r.geocodage_score, r.geocodage_precision
            from int__{entity} as t
            join int__territory_result as r on r._rid = t.rowid + {offset}
            {zone_join}
            order by t.rowid
            """
        )


def build_errors(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace table int__territory_errors as
        select i.source, i.entity, i.id as record_id, p.field, p.code, p.value
        from int__territory_problems as p
        join int__territory_input as i on i._rid = p._rid
        order by i.entity, i.source, i.id, p.field, p.code
        """
    )


def run(ctx: RunContext) -> dict[str, object]:
    con = ctx.con
    settings = ctx.settings
    client = geo.GeocoderClient(geo.GeocoderSettings.from_env(), log=ctx.log) if settings.live else None
    build_input(con)
    counts = locate(con, client, use_cache=bool(settings.replay), warn=ctx.warn)
    build_errors(con)
    write_back(con)
    return counts
