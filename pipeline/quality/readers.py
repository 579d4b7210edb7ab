"""A producer's CSV, JSON or XLSX file -> DuckDB relations of raw cells, one per table found.

A CSV file holds one table; a JSON file an array of records, or an object
with `structures` and/or `services` arrays; an XLSX workbook one table per
sheet named `Structures` / `Services` (the official data·inclusion template)
or recognised by its columns. Which table a relation holds is told by its
columns when its name does not say.

Cells keep what the producer wrote: CSV cells as text (lists as JSON arrays,
as in our published CSV), JSON values with their JSON kind, spreadsheet cells
as the text a spreadsheet shows, lists written the template's way
(`a, b, c`) or as a JSON array. Row numbers are those of the file: the
spreadsheet's row (header = row 1), the CSV record after the header
(header = row 1, as Frictionless counts), the position in the JSON array.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb

from pipeline.quality import tables as schema

IGNORE_COLUMN = "__ignore__"
# Fields only one of the two tables has: they tell a table by its columns.
_ONLY = {
    table: set(schema.field_names(table)) - set(schema.field_names(other))
    for table, other in (("structures", "services"), ("services", "structures"))
}
_ARRAY_FIELDS = {
    table: {f["name"] for f in schema.load(table)["fields"] if f["type"] == "array"}
    for table in ("structures", "services")
}


class UnreadableFile(Exception):
    """The file cannot be read as a table of records (exit code 2); the message says why and where."""


@dataclass
class TableFile:
    """One table found in a file, loaded in DuckDB as `relation` (`_row` + one column per label)."""

    table: str
    path: Path
    relation: str
    labels: list[str]
    mode: str
    sheet: str | None = None
    rows: int = 0
    # Set when the relation has no `_row` column: the number of its first row.
    first_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        known = set(schema.field_names(self.table))
        seen: set[str] = set()
        for position, label in enumerate(self.labels):
            if label in (IGNORE_COLUMN, ""):
                continue
            if label in seen:
                if label not in self.duplicate:
                    self.duplicate.append(label)
                continue
            seen.add(label)
            if label in known:
                self.columns[label] = f"c{position}"
            else:
                self.unknown.append(label)

    @property
    def where(self) -> str:
        return f"{self.path.name} (feuille « {self.sheet} »)" if self.sheet else self.path.name


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip().lower()
    return text


def detect_table(labels: list[str], hint: str = "", exact: bool = False) -> str | None:
    """`structures` or `services`, from a sheet or file name, else from the columns (an `id` is needed)."""
    name = _normalise(hint)
    for table in ("structures", "services"):
        if name == table or (not exact and (name.startswith(table) or name.endswith(table))):
            return table
    present = set(labels)
    if "id" not in present:
        return None
    scores = {table: len(present & only) for table, only in _ONLY.items()}
    if scores["services"] == scores["structures"]:
        return "services" if "structure_id" in present else "structures"
    return max(scores, key=lambda t: scores[t])


def _register(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple[int, list[str | None]]], width: int) -> None:
    import pyarrow as pa

    columns: dict[str, Any] = {"_row": pa.array([r for r, _ in rows], pa.int64())}
    for position in range(width):
        columns[f"c{position}"] = pa.array(
            [cells[position] if position < len(cells) else None for _, cells in rows], pa.string())
    con.register(f"{name}__arrow", pa.table(columns))
    con.execute(f"create or replace temp table {name} as select * from {name}__arrow")
    con.unregister(f"{name}__arrow")


# CSV


def _csv_header(path: Path) -> tuple[list[str], str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            delimiter = max([",", ";", "\t"], key=first.count)
            header = next(csv.reader(handle, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path.name} n’est pas encodé en UTF-8 (octet {exc.start})") from exc
    if not header:
        raise UnreadableFile(f"{path.name} est vide")
    return [label.strip() for label in header], delimiter


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[TableFile]:
    labels, delimiter = _csv_header(path)
    table = detect_table(labels, path.stem)
    if table is None:
        raise UnreadableFile(f"{path.name} : impossible de dire s’il contient des structures ou des services "
                             "(aucune colonne du schéma v1 reconnue)")
    types = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(labels))) + "}"
    # A view: the checks read the file in parallel, without a copy of every cell; rows are
    # numbered by the checks (header = row 1).
    con.execute(
        f"create or replace temp view {name} as select * from read_csv("
        f"{duckdb_literal(str(path))}, header = false, skip = 1, auto_detect = false, columns = {types}, "
        f"delim = {duckdb_literal(delimiter)}, quote = '\"', escape = '\"', encoding = 'utf-8')"
    )
    return [TableFile(table, path, name, labels, "text", first_row=2)]


# JSON


def read_json(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[TableFile]:
    try:
        document = con.execute("select json from read_json_objects(?, format = 'unstructured')",
                               [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(f"{path.name} : JSON illisible ({str(exc).splitlines()[0]})") from exc
    if len(document) != 1:
        raise UnreadableFile(f"{path.name} : un seul document JSON attendu")
    kind = con.execute("select json_type(?::json)", [document[0][0]]).fetchall()[0][0]
    con.execute(f"create or replace temp table {name}__doc as select ?::json as doc", [document[0][0]])
    if kind == "ARRAY":
        parts = {path.stem: "$"}
    elif kind == "OBJECT":
        keys = con.execute(f"select unnest(json_keys(doc)) from {name}__doc").fetchall()
        parts = {k: f'$."{k}"' for (k,) in keys if k in ("structures", "services", "results")}
    else:
        parts = {}
    if not parts:
        raise UnreadableFile(f"{path.name} : attendu un tableau d’enregistrements ou un objet "
                             "avec « structures » et/ou « services »")
    found = []
    for hint, json_path in parts.items():
        relation = f"{name}_{len(found)}"
        items = f"json_extract(doc, {duckdb_literal(json_path + '[*]')})"
        con.execute(
            f"create or replace temp table {relation}__records as "
            f"select unnest(generate_series(1, len(l))) as _row, unnest(l) as rec from (select {items} as l "
            f"from {name}__doc where json_type(doc, {duckdb_literal(json_path)}) = 'ARRAY')"
        )
        bad = con.execute(f"select min(_row) from {relation}__records where json_type(rec) <> 'OBJECT'").fetchall()
        if bad[0][0] is not None:
            raise UnreadableFile(f"{path.name} : l’enregistrement {bad[0][0]} n’est pas un objet JSON")
        labels = [k for (k,) in con.execute(
            f"select distinct unnest(json_keys(rec)) as k from {relation}__records order by k").fetchall()]
        table = detect_table(labels, hint if hint != "results" else path.stem)
        if table is None:
            raise UnreadableFile(f"{path.name} : impossible de dire s’il contient des structures ou des services")
        columns = ", ".join(f"json_extract(rec, {duckdb_literal('$.' + json.dumps(k))}) as c{i}"
                            for i, k in enumerate(labels))
        con.execute(f"create or replace temp table {relation} as select _row{', ' if columns else ''}{columns} "
                    f"from {relation}__records")
        rows = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
        found.append(TableFile(table, path, relation, labels, "json", rows=rows))
    return found


def duckdb_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# XLSX


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text the spreadsheet shows (integral numbers without `.0`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _template_list(text: str | None) -> str | None:
    """Lists in the official template are `a, b, c`; a JSON array is kept as it is."""
    if text is None or text.lstrip().startswith("["):
        return text
    return json.dumps([part.strip() for part in text.split(",")], ensure_ascii=False)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "vrai", "1", "x", "oui")
    return bool(value)


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[TableFile]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableFile(f"{path.name} : classeur XLSX illisible ({type(exc).__name__}: {exc})") from exc
    found = []
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            continue
        labels = [(_cell_text(v) or "").strip() for v in header]
        table = detect_table(labels, sheet.title, exact=True)
        if table is None:
            continue
        arrays = {i for i, label in enumerate(labels) if label in _ARRAY_FIELDS[table]}
        ignore = labels.index(IGNORE_COLUMN) if IGNORE_COLUMN in labels else None
        records = []
        for number, values in enumerate(rows, start=2):
            if all(v is None for v in values):
                continue
            if ignore is not None and ignore < len(values) and _truthy(values[ignore]):
                continue
            cells = [_cell_text(v) for v in values]
            cells = [_template_list(c) if i in arrays else c for i, c in enumerate(cells)]
            records.append((number, cells))
        relation = f"{name}_{len(found)}"
        _register(con, relation, records, len(labels))
        found.append(TableFile(table, path, relation, labels, "text", sheet=sheet.title, rows=len(records)))
    workbook.close()
    if not found:
        raise UnreadableFile(f"{path.name} : aucune feuille « Structures » ou « Services » reconnue")
    return found


READERS = {".csv": read_csv, ".json": read_json, ".xlsx": read_xlsx}


def read(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[TableFile]:
    """Every table of one file; raises UnreadableFile with a French message naming the file."""
    if not path.is_file():
        raise UnreadableFile(f"{path} n’existe pas ou n’est pas un fichier")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(f"{path.name} : format non pris en charge (attendu : CSV, JSON ou XLSX)")
    return reader(con, path, name)

