"""`datainclusion geocode IN.csv OUT.csv`: any CSV of addresses, with code INSEE and position added.

Like the national geocoder's CSV service, but it works offline: the input
needs some of the columns adresse, code_postal, commune, code_insee (any
case), and may have latitude and longitude. The output is the input, same
rows, same delimiter, with code_insee, latitude, longitude, score,
adresse_certifiee, precision and anomalies (columns already there are
replaced in place). With `live`, addresses also go to the geocoder, cached
in the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from pipeline import warehouse as wh
from pipeline.territory import geocoder as geo
from pipeline.territory import reference
from pipeline.territory.locate import INPUT_COLUMNS, locate

ADDRESS_COLUMNS = ("adresse", "code_postal", "commune", "code_insee")
ADDED = {
    "code_insee": "r.code_insee",
    "latitude": "r.latitude",
    "longitude": "r.longitude",
    "score": "r.geocodage_score",
    "adresse_certifiee": "r.adresse_certifiee",
    "precision": "r.geocodage_precision",
    "anomalies": "p.anomalies",
}


class CsvInputError(Exception):
    """The input file cannot be geocoded (unreadable, or no address column)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read(con: duckdb.DuckDBPyConnection, source: Path) -> tuple[list[str], str]:
    try:
        con.execute("create or replace table csv_in as select * from read_csv(?, header = true, all_varchar = true)",
                    [str(source)])
        delimiter = con.execute("select Delimiter from sniff_csv(?)", [str(source)]).fetchall()[0][0]
    except duckdb.Error as exc:
        raise CsvInputError(f"{source.name}: not a readable CSV file ({str(exc).splitlines()[0]})") from exc
    columns = [row[0] for row in con.execute("describe csv_in").fetchall()]
    return columns, delimiter


def _input_sql(columns: list[str]) -> str:
    by_name = {c.lower(): c for c in columns}

    def column(name: str, cast: str = "varchar") -> str:
        if name not in by_name:
            return f"null::{cast}"
        value = _quote(by_name[name])
        return f"to_double({value})" if cast == "double" else value

    return (
        "insert into int__territory_input by name select rowid as _rid, 'csv' as source, 'csv' as entity, "
        "(rowid + 2)::varchar as id, "  # the line of the file
        f"{column('code_insee')} as code_insee, {column('code_postal')} as code_postal, "
        f"{column('commune')} as commune, {column('adresse')} as adresse, "
        f"{column('latitude', 'double')} as latitude, {column('longitude', 'double')} as longitude "
        "from csv_in"
    )


def geocode_csv(source: Path, target: Path, *, live: bool = False, warehouse: Path | None = None,
                warn: Callable[[str], None] = lambda message: None) -> dict[str, object]:
    """Write `target`: the rows of `source` with code INSEE, position and certification."""
    con = wh.connect(warehouse) if live and warehouse is not None else wh.connect(":memory:")
    try:
        columns, delimiter = _read(con, source)
        if not {c.lower() for c in columns} & set(ADDRESS_COLUMNS):
            raise CsvInputError(f"{source.name}: no column adresse, code_postal, commune or code_insee "
                                f"(columns: {', '.join(columns)})")
        reference.load(con)
        con.execute(f"create or replace table int__territory_input ({INPUT_COLUMNS})")
        con.execute(_input_sql(columns))
        client = geo.GeocoderClient(geo.GeocoderSettings.from_env(), log=warn) if live else None
        counts = locate(con, client, use_cache=live, warn=warn)
        kept = [f"t.{_quote(c)}" if c.lower() not in ADDED else f"{ADDED[c.lower()]} as {_quote(c)}" for c in columns]
        present = {c.lower() for c in columns}
        added = [f"{expr} as {name}" for name, expr in ADDED.items() if name not in present]
        con.execute(
            f"""
            copy (
                select {', '.join(kept + added)}
                from csv_in as t
                join int__territory_result as r on r._rid = t.rowid
                left join (
                    select _rid, string_agg(code, ' ' order by code) as anomalies
                    from int__territory_problems group by _rid
                ) as p on p._rid = t.rowid
                order by t.rowid
            ) to '{str(target).replace("'", "''")}' (format csv, header true, delimiter '{delimiter}', null '')
            """
        )
    finally:
        con.close()
    return counts
