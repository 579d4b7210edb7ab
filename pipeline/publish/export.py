"""Data files of a release: structures and services as CSV, Parquet and JSON.

Rows are sorted by id and every writer is deterministic, so the same inputs
and reference date give byte-identical files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.publish.extensions import published_columns

TABLES = ("structures", "services")
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "json": "application/json"}


@dataclass(frozen=True)
class ExportedFile:
    """A written data file and what the data package says about it."""

    table: str
    format: str
    path: Path
    rows: int

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def _csv_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Columns for CSV: lists become JSON arrays in the cell, as the Table Schema says."""
    types = dict(con.execute(f"select column_name, column_type from (describe pub__{table})").fetchall())
    parts = []
    for column in published_columns(table):
        if types[column].endswith("[]"):
            parts.append(f"to_json({column}) as {column}")
        else:
            parts.append(column)
    return ", ".join(parts)


def write_table(con: duckdb.DuckDBPyConnection, table: str, directory: Path) -> list[ExportedFile]:
    columns = ", ".join(published_columns(table))
    rows = con.execute(f"select count(*) from pub__{table}").fetchall()[0][0]
    source = f"(select {columns} from pub__{table} order by id)"
    csv_path = directory / f"{table}.csv"
    con.execute(
        f"copy (select {_csv_select(con, table)} from pub__{table} order by id) to '{csv_path}' "
        "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')"
    )
    parquet_path = directory / f"{table}.parquet"
    con.execute(f"copy {source} to '{parquet_path}' (format parquet, compression zstd)")
    json_path = directory / f"{table}.json"
    con.execute(f"copy {source} to '{json_path}' (format json, array true)")
    return [
        ExportedFile(table, "csv", csv_path, rows),
        ExportedFile(table, "parquet", parquet_path, rows),
        ExportedFile(table, "json", json_path, rows),
    ]


def write_all(con: duckdb.DuckDBPyConnection, directory: Path) -> list[ExportedFile]:
    directory.mkdir(parents=True, exist_ok=True)
    files: list[ExportedFile] = []
    for table in TABLES:
        files.extend(write_table(con, table, directory))
    return files
