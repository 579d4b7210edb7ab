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

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline import warehouse
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


@dataclass
class Exporting:
    """The tables' files being written, each writer on its own cursor of the warehouse."""

    directory: Path
    pool: ThreadPoolExecutor
    cursors: list[duckdb.DuckDBPyConnection]
    tables: Future[list[ExportedFile]]
    workbook: Future[dict[str, int]]

    def close(self) -> None:
        """Wait for the writers (cancelling those not started) and close their cursors."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        for cursor in self.cursors:
            cursor.close()


def begin(con: duckdb.DuckDBPyConnection, directory: Path, reference_date: date) -> Exporting:
    """Start writing every format of both tables and the workbook, in two threads.

    They only read `pub__*`, so they can run beside the history stage, which is DuckDB on about one
    core: the workbook is Python and zlib on another, DuckDB writes the other files with what is left."""
    directory.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="export")
    cursors = [warehouse.cursor(con), warehouse.cursor(con)]
    workbook = pool.submit(xlsx.write, cursors[0], directory / xlsx.FILENAME, reference_date)
    tables = pool.submit(lambda: [f for table in TABLES for f in write_table(cursors[1], table, directory)])
    return Exporting(directory, pool, cursors, tables, workbook)


def finish(con: duckdb.DuckDBPyConnection, exporting: Exporting) -> list[ExportedFile]:
    """Wait for `begin`'s files, then write the database file (it holds the history too)."""
    try:
        files, counts = exporting.tables.result(), exporting.workbook.result()
    finally:
        exporting.close()
    db_path = exporting.directory / database.FILENAME
    database.write(con, db_path)
    workbook = exporting.directory / xlsx.FILENAME
    files += [ExportedFile(table, "xlsx", workbook, counts[table], sheet=table) for table in TABLES]
    files.append(ExportedFile("datainclusion", "duckdb", db_path, sum(counts.values())))
    return files

