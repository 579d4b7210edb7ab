"""The vendored communes and postal codes reference, loaded into the warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def load(con: duckdb.DuckDBPyConnection) -> None:
    """`ref__communes`, `ref__codes_postaux` and `ref__departements` (code, code_region)."""
    con.execute(
        "create or replace table ref__communes as select * from read_csv(?, header = true, "
        "types = {'code_insee': 'varchar', 'commune_parente': 'varchar', 'code_departement': 'varchar', "
        "'code_region': 'varchar', 'siren': 'varchar', 'codes_postaux': 'varchar', 'population': 'bigint', "
        "'latitude': 'double', 'longitude': 'double'})",
        [str(REFERENCE_DIR / "communes.csv")],
    )
    con.execute(
        "create or replace table ref__codes_postaux as select * from read_csv(?, header = true, all_varchar = true)",
        [str(REFERENCE_DIR / "codes_postaux.csv")],
    )
    con.execute(
        "create or replace table ref__departements as "
        "select distinct code_departement as code, code_region from ref__communes "
        "where type = 'commune-actuelle' order by code"
    )
