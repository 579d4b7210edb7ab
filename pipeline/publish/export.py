"""Data files of a release: structures and services in every format users expect.

CSV (UTF-8 without BOM, RFC 4180, lists as JSON arrays), Parquet (native
list columns, zstd), JSON (one array of records), GeoJSON (points, EPSG:4326,
rows with coordinates), one XLSX workbook (a sheet per table and a sheet
documenting the columns) and a DuckDB database. Rows are sorted by id and
every writer is deterministic, so the same inputs and reference date give
byte-identical files (the DuckDB file aside: DuckDB stamps each database file
with its own identifier).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline.publish import database, digest, geojson, xlsx
from pipeline.publish.extensions import published_columns

TABLES = ("structures", "services")
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "duckdb": "application/vnd.duckdb",
}
TABULAR = ("csv", "parquet", "json", "xlsx")


@dataclass(frozen=True)
class ExportedFile:
    """A written file of the release and what the data package says about it.

    `table` names the dataset (structures, services, changes, registry…);
    `sheet` is set for a table inside a workbook.
    """

    table: str
    format: str
    path: Path
    rows: int
    sheet: str | None = None

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def sha256(self) -> str:
        return digest.sha256(self.path)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def tabular(self) -> bool:
        return self.format in TABULAR

    @property
    def reproducible(self) -> bool:
        """Same inputs, same bytes: true for every format but DuckDB's, which stamps a random file id."""
        return self.format != "duckdb"


def _csv_cell(column: str, column_type: str) -> str:
    if column_type.endswith("[]"):
        return f"to_json({column}) as {column}"  # a JSON array in the cell, as the Table Schema says
    if column_type == "VARCHAR":
        return f"csv_safe({column}) as {column}"  # never a formula when a spreadsheet opens the file
    return column


def _csv_select(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> str:
    types = dict(con.execute(f"select column_name, column_type from (describe {relation})").fetchall())
    return ", ".join(_csv_cell(c, types[c]) for c in columns)


def write_csv(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], path: Path, order: str) -> None:
    con.execute(
        f"copy (select {_csv_select(con, relation, columns)} from {relation} order by {order}) to '{path}' "
        "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')"
    )


def write_table(con: duckdb.DuckDBPyConnection, table: str, directory: Path) -> list[ExportedFile]:
    columns = published_columns(table)
    rows = con.execute(f"select count(*) from pub__{table}").fetchall()[0][0]
    source = f"(select {', '.join(columns)} from pub__{table} order by id)"
    csv_path = directory / f"{table}.csv"
    write_csv(con, f"pub__{table}", columns, csv_path, "id")
    parquet_path = directory / f"{table}.parquet"
    con.execute(f"copy {source} to '{parquet_path}' (format parquet, compression zstd)")
    json_path = directory / f"{table}.json"
    con.execute(f"copy {source} to '{json_path}' (format json, array true)")
    geojson_path = directory / f"{table}.geojson"
    points = geojson.write(con, table, columns, geojson_path)
    return [
        ExportedFile(table, "csv", csv_path, rows),
        ExportedFile(table, "parquet", parquet_path, rows),
        ExportedFile(table, "json", json_path, rows),
        ExportedFile(table, "geojson", geojson_path, points),
    ]


def write_all(con: duckdb.DuckDBPyConnection, directory: Path, reference_date: date) -> list[ExportedFile]:
    """Every format of both tables, the workbook and the database file.

    The workbook (Python and zlib) then the database file are written in a thread on its own cursor
    while DuckDB writes the other files: each side keeps about one core busy for about as long."""
    directory.mkdir(parents=True, exist_ok=True)
    workbook = directory / xlsx.FILENAME
    db_path = directory / database.FILENAME

    def workbook_then_database(cursor: duckdb.DuckDBPyConnection) -> dict[str, int]:
        counts = xlsx.write(cursor, workbook, reference_date)
        database.write(cursor, db_path)
        return counts

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx") as pool:
        cursor = con.cursor()
        try:
            counts_future = pool.submit(workbook_then_database, cursor)
            files: list[ExportedFile] = []
            for table in TABLES:
                files.extend(write_table(con, table, directory))
            counts = counts_future.result()
        finally:
            pool.shutdown(wait=True)
            cursor.close()
    files += [ExportedFile(table, "xlsx", workbook, counts[table], sheet=table) for table in TABLES]
    files.append(ExportedFile("datainclusion", "duckdb", db_path, sum(counts.values())))
    return files
