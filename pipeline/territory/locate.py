"""Code INSEE, position and certification of addresses: the territory library.

Input is `int__territory_input` (one row per address, `_rid` unique; columns
source, entity, id, structure_id, code_insee, code_postal, commune, adresse,
latitude, longitude, zone_eligibilite). Output: `int__territory_result`
(final code INSEE, arrondissement, postal code, commune, address, position,
certification), `int__territory_zones` and `int__territory_problems`. The
pipeline stage and `datainclusion geocode` both call `locate`.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.territory import geocoder as geo
from pipeline.territory.reference import TERRITORY_DIR

INPUT_COLUMNS = """
    _rid bigint, source varchar, entity varchar, id varchar, structure_id varchar,
    code_insee varchar, code_postal varchar, commune varchar, adresse varchar,
    latitude double, longitude double, zone_eligibilite varchar[]
"""


def run_sql(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((TERRITORY_DIR / name).read_text(encoding="utf-8"))


def locate(
    con: duckdb.DuckDBPyConnection,
    client: geo.GeocoderClient | None = None,
    use_cache: bool = False,
    warn: Callable[[str], None] = lambda message: None,
) -> dict[str, object]:
    """Resolve codes offline, ask the geocoder (live) or its cache (replay) if told, then position.

    Without a client nor the cache (offline runs), the result depends on the
    inputs and the vendored reference only, so releases stay reproducible.
    """
    run_sql(con, "resolve.sql")
    geo.ensure_cache(con)
    counts: dict[str, object] = {}
    if client is not None or use_cache:
        run_sql(con, "requests.sql")
    else:
        con.execute("create or replace table int__territory_requests (_rid bigint, key varchar)")
    if client is not None:
        counts["geocoder"] = geo.refresh(con, client, warn)
    run_sql(con, "locate.sql")
    run_sql(con, "problems.sql")
    run_sql(con, "zones.sql")
    counts.update(dict(zip(
        ("rows", "resolved", "certified", "problems"),
        con.execute(
            "select count(*), count(code_insee), count(*) filter (where adresse_certifiee), "
            "(select count(*) from int__territory_problems) from int__territory_result"
        ).fetchall()[0],
    )))
    return counts
