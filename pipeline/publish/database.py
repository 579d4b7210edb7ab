"""A DuckDB database file of the release: both tables, their history and the release diff.

Reusers open it with `duckdb dist/datainclusion.duckdb` and query at once,
with no import step. Tables are copied from the warehouse, sorted by id.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.publish.extensions import published_columns
from pipeline.warehouse import table_exists

FILENAME = "datainclusion.duckdb"

# table in the file -> (relation in the warehouse, order)
EXTRA_TABLES = {
    "history_structures": ("hist_next__structures", "id, valid_from"),
    "history_services": ("hist_next__services", "id, valid_from"),
    "changes": ("int__changes", '"table", id'),
    "registry": ("int__registry", '"table", id'),
}


def write(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    path.unlink(missing_ok=True)
    con.execute(f"attach '{path}' as release_db")
    try:
        for table in ("structures", "services"):
            columns = ", ".join(published_columns(table))
            con.execute(f"create table release_db.{table} as select {columns} from pub__{table} order by id")
        for name, (relation, order) in EXTRA_TABLES.items():
            if table_exists(con, relation):
                con.execute(f"create table release_db.{name} as select * from {relation} order by {order}")
    finally:
        con.execute("detach release_db")
