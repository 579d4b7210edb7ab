"""Run the territory library on a few rows, in a real DuckDB with the vendored reference."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline import warehouse
from pipeline.territory import geocoder as geo
from pipeline.territory import reference
from pipeline.territory.locate import INPUT_COLUMNS, locate

FIELDS = ("source", "entity", "id", "structure_id", "code_insee", "code_postal", "commune", "adresse",
          "latitude", "longitude", "zone_eligibilite")


@dataclass
class Located:
    """What the territory library made of each input row, by id."""

    result: dict[str, dict[str, Any]]
    problems: dict[str, list[tuple[str, str, str]]]
    zones: dict[str, list[str] | None]
    counts: dict[str, object] = field(default_factory=dict)


def address(id: str, code_insee: str | None = None, code_postal: str | None = None, commune: str | None = None,
            adresse: str | None = None, latitude: float | None = None, longitude: float | None = None,
            entity: str = "structures", structure_id: str | None = None,
            zone_eligibilite: list[str] | None = None) -> dict[str, Any]:
    return {"source": "test", "entity": entity, "id": id, "structure_id": structure_id, "code_insee": code_insee,
            "code_postal": code_postal, "commune": commune, "adresse": adresse, "latitude": latitude,
            "longitude": longitude, "zone_eligibilite": zone_eligibilite}


def connect(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = warehouse.connect(path)
    reference.load(con)
    return con


def run_locate(con: duckdb.DuckDBPyConnection, rows: Iterable[dict[str, Any]],
               client: geo.GeocoderClient | None = None, use_cache: bool = False,
               warnings: list[str] | None = None) -> Located:
    rows = list(rows)
    con.execute(f"create or replace table int__territory_input ({INPUT_COLUMNS})")
    con.executemany(
        f"insert into int__territory_input values ({', '.join(['?'] * (len(FIELDS) + 1))})",
        [[number, *(row[f] for f in FIELDS)] for number, row in enumerate(rows)],
    )
    counts = locate(con, client, use_cache=use_cache, warn=(warnings if warnings is not None else []).append)
    ids = {number: row["id"] for number, row in enumerate(rows)}
    cursor = con.execute("select * from int__territory_result order by _rid")
    columns = [d[0] for d in cursor.description]
    result = {ids[r[0]]: dict(zip(columns, r)) for r in cursor.fetchall()}
    problems: dict[str, list[tuple[str, str, str]]] = {i: [] for i in ids.values()}
    for rid, fld, code, value in con.execute("select * from int__territory_problems order by all").fetchall():
        problems[ids[rid]].append((fld, code, value))
    zones = {ids[rid]: z for rid, z in con.execute("select * from int__territory_zones").fetchall()}
    return Located(result, problems, zones, counts)

