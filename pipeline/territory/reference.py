"""The vendored communes and postal codes reference, loaded into the warehouse.

Besides the reference itself (`ref__communes`, `ref__codes_postaux`,
`ref__departements`), loading builds the lookup tables the territory stage
resolves addresses with (`index.sql`) and the macros it compares names with
(`macros.sql`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from pipeline.paths import TERRITORY_REFERENCE_DIR
from pipeline.warehouse import table_exists

TERRITORY_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = TERRITORY_REFERENCE_DIR


def fingerprint() -> str:
    """What the reference tables are built from: the vendored files and the SQL that derives them."""
    digest = hashlib.sha256()
    for path in (*sorted(REFERENCE_DIR.glob("*.csv")), TERRITORY_DIR / "macros.sql", TERRITORY_DIR / "index.sql"):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def load(con: duckdb.DuckDBPyConnection) -> None:
    """Reference tables, territory macros and the derived lookup tables.

    Building the lookup tables takes a second or two; a warehouse that already
    holds them for the same files (`ref__fingerprint`) keeps them.
    """
    con.execute((TERRITORY_DIR / "macros.sql").read_text(encoding="utf-8"))
    wanted = fingerprint()
    if table_exists(con, "ref__fingerprint"):
        rows = con.execute("select sha256 from ref__fingerprint").fetchall()
        if rows == [(wanted,)]:
            return
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
    con.execute(
        "create or replace table ref__emprises_outre_mer as select * from read_csv(?, header = true, "
        "types = {'code_departement': 'varchar', 'lat_min': 'double', 'lat_max': 'double', "
        "'lon_min': 'double', 'lon_max': 'double'})",
        [str(REFERENCE_DIR / "emprises_outre_mer.csv")],
    )
    con.execute((TERRITORY_DIR / "index.sql").read_text(encoding="utf-8"))
    con.execute("create or replace table ref__fingerprint as select ? as sha256", [wanted])
