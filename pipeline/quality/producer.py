"""`datainclusion validate`: a producer's file against schema v1, with a report they can act on.

The file is read into DuckDB (`readers.py`) and checked by the same compiled
SQL as the pipeline (`engine.py`). The report groups errors by field and
rule with the file's line numbers (`text`), or lists every invalid record
with its id, line and every error (`as_json`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pipeline.paths import TERRITORY_REFERENCE_DIR
from pipeline.quality import engine, readers, tables
from pipeline.quality.compile import literal
from pipeline.quality.errors import ERROR, WARNING, QualityError

PREFIX = "val"
COMMUNES = TERRITORY_REFERENCE_DIR / "communes.csv"


@dataclass
class TableReport:
    """The verdict on one table of the file(s)."""

    file: readers.TableFile
    records: int
    errors: list[QualityError] = field(default_factory=list)
    table_errors: list[QualityError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.file.table

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.severity == ERROR and e.line is not None})

    @property
    def valid(self) -> bool:
        return not self.invalid_lines and not any(e.severity == ERROR for e in self.table_errors)

    def count(self, severity: str) -> int:
        return sum(e.severity == severity for e in self.errors + self.table_errors)

    def as_json(self) -> dict[str, Any]:
        by_line: dict[int, list[QualityError]] = {}
        for error in self.errors:
            by_line.setdefault(error.line or 0, []).append(error)
        invalid, warnings = [], []
        for line, errors in sorted(by_line.items()):
            if any(e.severity == ERROR for e in errors):
                invalid.append({"id": errors[0].record_id, "line": line, "errors": [_error_json(e) for e in errors]})
            else:
                warnings += [{"id": e.record_id, "line": line, **_error_json(e)} for e in errors]
        return {
            "table": self.table,
            "place": self.file.where,
            "valid": self.valid,
            "stats": {"records": self.records, "invalid": len(self.invalid_lines),
                      "errors": self.count(ERROR), "warnings": self.count(WARNING)},
            "columns": {"used": sorted(self.file.columns), "unknown": self.file.unknown,
                        "duplicate": self.file.duplicate},
            "notes": self.notes,
            "errors": [_error_json(e) for e in self.table_errors],
            "invalid_records": invalid,
            "warnings": warnings,
        }


def _error_json(error: QualityError) -> dict[str, Any]:
    return {"field": error.field, "code": error.code, "severity": error.severity, "value": error.value,
            "message": error.describe(mask=False)}


@dataclass
class Report:
    reference_date: date
    tables: list[TableReport]

    @property
    def valid(self) -> bool:
        return all(t.valid for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reference_date": self.reference_date.isoformat(),
            "stats": {
                "tables": len(self.tables),
                "records": sum(t.records for t in self.tables),
                "invalid": sum(len(t.invalid_lines) for t in self.tables),
                "errors": sum(t.count(ERROR) for t in self.tables),
                "warnings": sum(t.count(WARNING) for t in self.tables),
            },
            "tasks": [t.as_json() for t in self.tables],
        }

    def text(self) -> str:
        return "\n".join(_table_text(t) for t in self.tables) + "\n" + _summary(self)


def line_ranges(lines: list[int]) -> str:
    """`[4, 5, 6, 9]` -> `4-6, 9`."""
    runs: list[list[int]] = []
    for line in sorted(set(lines)):
        if runs and runs[-1][1] == line - 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _table_text(report: TableReport) -> str:
    head = (f"{report.table} — {report.file.where} : {report.records} enregistrement(s), "
            f"{len(report.invalid_lines)} invalide(s), {report.count(ERROR)} erreur(s), "
            f"{report.count(WARNING)} avertissement(s)")
    lines = [head]
    lines += [f"  note : {note}" for note in report.notes]
    if report.table_errors:
        lines.append("  colonnes")
        lines += [f"    {_label(e.severity)} {e.code} : {e.describe(mask=False)}" for e in report.table_errors]
    groups: dict[str, dict[str, list[QualityError]]] = {}
    for error in report.errors:
        groups.setdefault(error.field, {}).setdefault(error.code, []).append(error)
    for field_name in sorted(groups):
        lines.append(f"  {field_name}")
        for code, errors in sorted(groups[field_name].items()):
            where = line_ranges([e.line for e in errors if e.line is not None])
            values = sorted({e.value for e in errors if e.value is not None})
            more = f" (et {len(values) - 1} autre(s) valeur(s))" if len(values) > 1 else ""
            lines.append(f"    {_label(errors[0].severity)} {code}, ligne(s) {where} : "
                         f"{errors[0].describe(mask=False)}{more}")
    return "\n".join(lines)


def _label(severity: str) -> str:
    return "erreur" if severity == ERROR else "avertissement"


def _summary(report: Report) -> str:
    stats = report.as_json()["stats"]
    verdict = "VALIDE" if report.valid else "INVALIDE"
    return (f"{verdict} : {stats['tables']} table(s), {stats['records']} enregistrement(s) dont "
            f"{stats['invalid']} invalide(s), {stats['errors']} erreur(s), {stats['warnings']} avertissement(s)")


def _input(con: duckdb.DuckDBPyConnection, item: readers.TableFile, source: str | None) -> tuple[engine.Input, list[str]]:
    """The engine input of a table file, with the `source` column supplied or its rules set aside."""
    table_schema = tables.load(item.table)
    columns = dict(item.columns)
    relation = item.relation
    notes = []
    if "source" not in columns:
        if source:
            relation = f"{item.relation}_with_source"
            value = literal(source) if item.mode == "text" else f"to_json({literal(source)})"
            con.execute(f"create or replace temp view {relation} as select *, {value} as c_source "
                        f"from {item.relation}")
            columns["source"] = "c_source"
            notes.append(f"colonne source absente : la source « {source} » donnée en option est utilisée")
        else:
            table_schema = copy.deepcopy(table_schema)
            for f in table_schema["fields"]:
                if f["name"] == "source":
                    f.get("constraints", {}).pop("required", None)
            notes.append("colonne source absente : ni sa présence ni le préfixe « <source>-- » des identifiants "
                         "ne sont vérifiés (option --source pour les vérifier)")
    return engine.Input(item.table, table_schema, relation, columns, item.mode, item.first_row), notes


def _table_errors(item: readers.TableFile, columns: dict[str, str]) -> list[QualityError]:
    out = []
    for f in tables.load(item.table)["fields"]:
        if f.get("constraints", {}).get("required") and f["name"] not in columns and f["name"] != "source":
            out.append(QualityError(None, item.table, None, f["name"], "missing-column"))
    out += [QualityError(None, item.table, None, label, "unknown-column") for label in item.unknown]
    out += [QualityError(None, item.table, None, label, "duplicate-column") for label in item.duplicate]
    return out


def validate(paths: list[Path], reference_date: date, source: str | None = None, *, screen: bool = True) -> Report:
    """Check the tables of one or more files; raises readers.UnreadableFile when a file cannot be read.

    `screen=False` explains every record instead of the screen's suspects only (same result, slower)."""
    con = duckdb.connect()
    found: dict[str, readers.TableFile] = {}
    for number, path in enumerate(paths):
        for item in readers.read(con, path, f"in{number}"):
            if item.table in found:
                raise readers.UnreadableFile(f"deux tables de {item.table} : {found[item.table].where} et {item.where}")
            found[item.table] = item
    con.execute("create temp table ref__communes as select code_insee from read_csv(?, header = true, "
                "columns = {'code_insee': 'VARCHAR'}, auto_detect = false, strict_mode = false)",
                [str(COMMUNES)])
    inputs, notes = {}, {}
    for table, item in found.items():
        inputs[table], notes[table] = _input(con, item, source)
    check_source = source is not None or all("source" in i.columns for i in found.values())
    try:
        engine.run(con, list(inputs.values()), reference_date, prefix=PREFIX, check_source=check_source,
                   communes="ref__communes", screen=screen)
    except duckdb.InvalidInputException as exc:  # a CSV file is read only now, by the checks
        raise readers.UnreadableFile(f"fichier illisible : {str(exc).splitlines()[0]}") from exc
    reports = []
    for table in (t for t in engine.ENTITIES if t in found):
        item = found[table]
        rows = con.execute(
            f"select p.source, p.id, e._row, e.field, e.code, e.value from {engine.errors(PREFIX, table)} as e "
            f"join {engine.keys(PREFIX, table)} as p using (_row) order by e._row, e.field, e.code, e.value"
        ).fetchall()
        errors = [QualityError(src, table, rid, fld, code, value, line) for src, rid, line, fld, code, value in rows]
        if table == "services" and "structures" not in found:
            notes[table].append("aucune table de structures fournie : « structure_id » n’est pas vérifié")
        records = con.execute(f"select count(*) from {engine.keys(PREFIX, table)}").fetchall()[0][0]
        reports.append(TableReport(item, records, errors, _table_errors(item, inputs[table].columns), notes[table]))
    con.close()
    return Report(reference_date, reports)
