"""One XLSX workbook: a sheet per table and a sheet documenting every column.

Cells are written as data, never as formulas or links (a producer's text
starting with `=` stays text), lists as JSON arrays as in the CSV files, and
the workbook's dates are the release date, so the file is byte-identical for
the same inputs.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import xlsxwriter

from pipeline.publish.extensions import published_columns, published_schema

FILENAME = "offre-insertion.xlsx"
TABLES = ("structures", "services")
EXCEL_CELL_LIMIT = 32_767
BATCH = 5_000


def _cell(value: object) -> object:
    if isinstance(value, list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
        return value[: EXCEL_CELL_LIMIT - 1] + "…"
    return value


def _write_table(con: duckdb.DuckDBPyConnection, workbook: xlsxwriter.Workbook, table: str) -> int:
    columns = published_columns(table)
    sheet = workbook.add_worksheet(table)
    header = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, columns, header)
    sheet.freeze_panes(1, 0)
    cursor = con.execute(f"select {', '.join(columns)} from pub__{table} order by id")
    row_number = 0
    while rows := cursor.fetchmany(BATCH):
        for row in rows:
            row_number += 1
            for col, value in enumerate(row):
                if value is not None:
                    sheet.write(row_number, col, _cell(value))
    return row_number


def _write_columns(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet("colonnes")
    header = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, ["table", "colonne", "type", "obligatoire", "description"], header)
    row = 0
    for table in TABLES:
        for field in published_schema(table)["fields"]:
            row += 1
            required = "oui" if field.get("constraints", {}).get("required") else "non"
            sheet.write_row(row, 0, [table, field["name"], field["type"], required, field.get("description", "")])
    sheet.set_column(4, 4, 100)


def write(con: duckdb.DuckDBPyConnection, path: Path, reference_date: date) -> dict[str, int]:
    """Write the workbook; returns the row count of each table sheet."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False},
    )
    created = datetime.combine(reference_date, datetime.min.time())
    workbook.set_properties({"title": "Offre d’insertion (schéma data·inclusion v1)", "created": created})
    counts = {table: _write_table(con, workbook, table) for table in TABLES}
    _write_columns(workbook)
    workbook.close()
    return counts
