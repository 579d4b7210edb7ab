"""Run every check of both tables on relations already in DuckDB, set-based.

Used by the pipeline's `check` stage (on the mapped tables, as the CSV export
will write them) and by `datainclusion validate` (on a producer's file). For
each table it creates `<prefix>_parsed__<table>` (one row per record: `_row`,
typed values, per-field error lists) and `<prefix>_errors__<table>` (one row
per error: `_row`, field, code, value, severity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.quality import cells
from pipeline.quality.compile import errors_sql, literal, parse_sql
from pipeline.quality.errors import RULES, WARNING, blocking_codes
from pipeline.quality.rules import RuleContext, dataset_errors_sql

ENTITIES = ("structures", "services")


@dataclass(frozen=True)
class Input:
    """One table to check: a relation with a `_row` column and one raw column per field present."""

    table: str
    table_schema: dict[str, Any]
    relation: str
    columns: dict[str, str]
    mode: str = "text"


def parsed(prefix: str, table: str) -> str:
    return f"{prefix}_parsed__{table}"


def errors(prefix: str, table: str) -> str:
    return f"{prefix}_errors__{table}"


def _severity_sql() -> str:
    warnings = [code for code, rule in RULES.items() if rule.severity == WARNING]
    return f"case when code in ({', '.join(literal(c) for c in warnings)}) then 'warning' else 'error' end"


def _cascade_sql(prefix: str) -> str:
    """Services of a structure that has a blocking error cannot be published either."""
    blocking = ", ".join(literal(c) for c in blocking_codes())
    structures, services = parsed(prefix, "structures"), parsed(prefix, "services")
    return (
        f"select s._row, 'structure_id' as field, 'structure-quarantined' as code, s.structure_id as value "
        f"from {services} as s where s.structure_id in ("
        f"select p.id from {structures} as p join {errors(prefix, 'structures')} as e using (_row) "
        f"where e.code in ({blocking}) and p.id is not null)"
    )


def run(con: duckdb.DuckDBPyConnection, inputs: list[Input], reference_date: date, *, prefix: str,
        check_source: bool = True, communes: str | None = None) -> dict[str, int]:
    """Parse and check every input (structures first); returns the error count per table."""
    cells.register(con)
    by_table = {i.table: i for i in inputs}
    counts = {}
    for table in (t for t in ENTITIES if t in by_table):
        item = by_table[table]
        con.execute(f"create or replace temp table {parsed(prefix, table)} as "
                    + parse_sql(table, item.table_schema, item.relation, item.columns, item.mode))
        referenced = parsed(prefix, "structures") if table == "services" and "structures" in by_table else None
        ctx = RuleContext(reference_date.isoformat(), referenced, check_source, communes)
        parts = [errors_sql(item.table_schema, parsed(prefix, table)),
                 dataset_errors_sql(item.table_schema, parsed(prefix, table), ctx)]
        if referenced:
            parts.append(_cascade_sql(prefix))
        con.execute(
            f"create or replace temp table {errors(prefix, table)} as "
            f"select _row, field, code, value, {_severity_sql()} as severity from ("
            + "\nunion all\n".join(parts) + ") order by _row, field, code, value"
        )
        counts[table] = con.execute(f"select count(*) from {errors(prefix, table)}").fetchall()[0][0]
    return counts
