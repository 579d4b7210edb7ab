"""Run every check of both tables on relations in DuckDB, set-based, in two passes.

Used by the pipeline's `check` stage (on the mapped tables, as the CSV export
will write them) and by `datainclusion validate` (on a producer's file).

1. The screen (`screen.py`) reads every record once and keeps its keys
   (`<prefix>_keys__<table>`: `_row`, source, id, structure_id), whether it is
   a suspect (with its cells, to explain them), and the warnings of a record
   that is not.
2. Suspects are explained cell by cell (`compile.py`, `<prefix>_parsed__<table>`)
   and by the per-record v1 rules; rules across records (primary key, foreign
   key, id prefix) run over every record's keys.

`<prefix>_errors__<table>` gets one row per error: `_row`, field, code,
value, severity. `screen=False` explains every record (the tests compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.quality import cells
from pipeline.quality.compile import errors_sql, field_sqls, literal, parse_sql, quote
from pipeline.quality.errors import RULES, WARNING, blocking_codes
from pipeline.quality.rules import (RuleContext, global_rules_sql, key_fields, row_rules, row_rules_lists,
                                    screen_conditions, warnings_list_sql)
from pipeline.quality.screen import certain_ok

ENTITIES = ("structures", "services")


@dataclass(frozen=True)
class Input:
    """One table to check: a relation with one raw column per field present, and a `_row` column
    unless `first_row` is given (then rows are numbered from it in the relation's order)."""

    table: str
    table_schema: dict[str, Any]
    relation: str
    columns: dict[str, str]
    mode: str = "text"
    first_row: int | None = None


def parsed(prefix: str, table: str) -> str:
    return f"{prefix}_parsed__{table}"


def keys(prefix: str, table: str) -> str:
    return f"{prefix}_keys__{table}"


def errors(prefix: str, table: str) -> str:
    return f"{prefix}_errors__{table}"


def _severity_sql() -> str:
    warnings = [code for code, rule in RULES.items() if rule.severity == WARNING]
    return f"case when code in ({', '.join(literal(c) for c in warnings)}) then 'warning' else 'error' end"


def _sources(item: Input) -> list[str]:
    """The input columns the fields are read from, in the order the screen keeps a suspect's cells."""
    return sorted(set(item.columns.values()))


def screen_checks(item: Input, ctx: RuleContext) -> dict[str, str | None]:
    """Per field, the screen's condition implying that the cell has no error (None: it cannot have any)."""
    fields = field_sqls(item.table, item.table_schema, item.columns, item.mode)
    by_name = {f.name: f for f in fields}
    extra = screen_conditions(item.table_schema, ctx, lambda name: by_name[name].raw)
    return {f.name: certain_ok(f, f.raw, extra.get(f.name, [])) for f in fields}


def certainly_valid_sql(checks: dict[str, str | None]) -> str:
    """True for a record the screen passes: every field's condition holds (NULL counts as false)."""
    return f"coalesce({' and '.join(c for c in checks.values() if c) or 'true'}, false)"


def screen_sql(item: Input, ctx: RuleContext, keep_all: bool = False) -> str:
    """Pass 1: `_row` (when numbered), typed keys, `suspect`, the warnings of non-suspects,
    and the cells of suspects (`keep_all`: every record is a suspect, to be explained)."""
    fields = {f.name: f for f in field_sqls(item.table, item.table_schema, item.columns, item.mode)}

    def raw(name: str) -> str:
        return fields[name].raw

    checks = screen_checks(item, ctx)
    ok = certainly_valid_sql(checks)
    if keep_all:
        failed = "[" + ", ".join(literal(n) for n in fields) + "]"
    else:
        failed = ("list_filter([" + ", ".join(f"case when not coalesce({c}, false) then {literal(n)} end"
                                          for n, c in checks.items() if c)
                  + "], lambda n: n is not null)") if any(checks.values()) else "[]::varchar[]"
    typed_keys = ", ".join(f"{fields[n].value(fields[n].raw, 'null')} as {quote(n)}"
                           for n in key_fields(item.table_schema, ctx))
    rules = row_rules(item.table_schema, ctx, lambda n: fields[n].canonical(raw(n)))
    guards = {n: f"contains({raw(n)}, ',')" for n, f in fields.items() if f.type == "array"}
    # A list, not a struct: a NULL list stores no cells, a NULL struct one per field for every record.
    kept = f"[{', '.join(quote(c) for c in _sources(item))}]"
    row = "_row, " if item.first_row is None else ""
    return (
        f"select {row}{typed_keys}, {'true' if keep_all else 'not __ok'} as suspect, "
        f"case when __ok then {warnings_list_sql(rules, guards)} end as warnings, "
        f"case when {'true' if keep_all else 'not __ok'} then {kept} end as __cells, "
        f"case when {'true' if keep_all else 'not __ok'} then {failed} end as __failed "
        f"from (select *, {ok} as __ok from {item.relation})"
    )


def _cascade_sql(prefix: str) -> str:
    """Services of a structure that has a blocking error cannot be published either."""
    blocking = ", ".join(literal(c) for c in blocking_codes())
    return (
        f"select s._row, 'structure_id' as field, 'structure-quarantined' as code, s.structure_id as value "
        f"from {keys(prefix, 'services')} as s where s.structure_id in ("
        f"select k.id from {keys(prefix, 'structures')} as k join {errors(prefix, 'structures')} as e using (_row) "
        f"where e.code in ({blocking}) and k.id is not null)"
    )


def _check_table(con: duckdb.DuckDBPyConnection, item: Input, ctx: RuleContext, prefix: str, screen: bool,
                 cascade: bool) -> None:
    table = item.table
    scan = screen_sql(item, ctx, keep_all=not screen)
    if item.first_row is None:
        con.execute(f"create or replace temp table {keys(prefix, table)} as {scan}")
    else:
        # A scan numbered in SQL (`with ordinality`) would run on one thread: number the kept rows
        # afterwards, by their order of insertion (DuckDB keeps the scan's order).
        con.execute(f"create or replace temp table {keys(prefix, table)}__scan as {scan}")
        con.execute(f"create or replace temp view {keys(prefix, table)} as select rowid + {item.first_row} "
                    f"as _row, * from {keys(prefix, table)}__scan")
    # The cells to explain were kept by the screen: the file is not read twice.
    cells_kept = "".join(f", __cells[{n}] as {quote(c)}" for n, c in enumerate(_sources(item), start=1))
    relation = f"(select _row, __failed{cells_kept} from {keys(prefix, table)} where suspect)"
    con.execute(f"create or replace temp table {parsed(prefix, table)} as "
                + parse_sql(table, item.table_schema, relation, item.columns, item.mode, failed="__failed"))
    parts = [errors_sql(item.table_schema, parsed(prefix, table), row_rules_lists(row_rules(item.table_schema, ctx)))]
    parts += global_rules_sql(item.table_schema, keys(prefix, table), ctx)
    parts.append(f"select _row, w.field, w.code, w.value from (select _row, unnest(warnings) as w "
                 f"from {keys(prefix, table)} where not suspect and len(warnings) > 0)")
    if cascade:
        parts.append(_cascade_sql(prefix))
    con.execute(
        f"create or replace temp table {errors(prefix, table)} as "
        f"select _row, field, code, value, {_severity_sql()} as severity from ("
        + "\nunion all\n".join(parts) + ") order by _row, field, code, value"
    )


def run(con: duckdb.DuckDBPyConnection, inputs: list[Input], reference_date: date, *, prefix: str,
        check_source: bool = True, communes: str | None = None, screen: bool = True) -> dict[str, int]:
    """Check every input (structures first); returns the number of suspects per table."""
    cells.register(con)
    by_table = {i.table: i for i in inputs}
    counts = {}
    for table in (t for t in ENTITIES if t in by_table):
        with_structures = table == "services" and "structures" in by_table
        ctx = RuleContext(reference_date.isoformat(), keys(prefix, "structures") if with_structures else None,
                          check_source, communes)
        _check_table(con, by_table[table], ctx, prefix, screen, cascade=with_structures)
        counts[table] = con.execute(f"select count(*) from {keys(prefix, table)} where suspect").fetchall()[0][0]
    return counts

