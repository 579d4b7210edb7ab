"""Stage `check`: every record against schema v1, set-based; invalid ones go to quarantine.

The mapped records are checked as the CSV export will write them, with SQL
compiled from the Table Schemas in `schema/` (so we report exactly what
Frictionless would report on the published file), plus the schema v1 and
dataset rules of `rules.py`. Every error of every record is one row of
`int__errors` (source, entity, record_id, field, code, value, severity);
records with a blocking error are kept out of `pub__*` and their errors are
listed in `int__quarantine`. Published services get `score_qualite`, their
structures the mean of it.
"""

from __future__ import annotations

import duckdb

from pipeline.quality import tables as schema
from pipeline.context import RunContext
from pipeline.paths import PACKAGE_DIR
from pipeline.quality import engine
from pipeline.quality.compile import literal, quote, text_of
from pipeline.quality.errors import RULES, WARNING, blocking_codes
from pipeline.warehouse import scalar, set_reference_date, table_exists

ERROR_COLUMNS = ("source varchar, entity varchar, record_id varchar, field varchar, code varchar, value varchar, "
                 "severity varchar")
# Error rows found by earlier stages (source, entity, record_id, field, code, value; see
# pipeline/territory/stage.py), added to int__errors with their severity.
STAGE_ERRORS = ("int__territory_errors",)
PREFIX = "chk"
SCORE_SQL = PACKAGE_DIR / "quality" / "score.sql"


def _source_relation(con: duckdb.DuckDBPyConnection, entity: str) -> engine.Input:
    """The mapped table as text cells, in a deterministic row order (id, then the whole record)."""
    table_schema = schema.load(entity)
    columns = ", ".join(f"{text_of('t.' + quote(f['name']), f['type'])} as {quote(f['name'])}"
                        for f in table_schema["fields"])
    # Records sharing an id and a source (to be reported) are told apart by their whole content; hashing
    # only those spares serialising every record.
    con.execute(
        f"create or replace temp table chk_src__{entity} as with shared as (select id, source from "
        f"int__{entity} group by all having count(*) > 1) select "
        f"row_number() over (order by t.id, t.source, case when (t.id, t.source) in (select (id, source) from shared) "
        f"then md5(to_json(t)::varchar) end) as _row, {columns} from int__{entity} as t"
    )
    names = {f["name"]: f["name"] for f in table_schema["fields"]}
    return engine.Input(entity, table_schema, f"chk_src__{entity}", names, "text")


def build_errors(ctx: RunContext) -> None:
    con = ctx.con
    inputs = [_source_relation(con, entity) for entity in engine.ENTITIES]
    communes = "ref__communes" if table_exists(con, "ref__communes") else None
    engine.run(con, inputs, ctx.settings.reference_date, prefix=PREFIX, communes=communes)
    parts = [
        f"select p.source, {literal(entity)} as entity, p.id as record_id, e.field, e.code, e.value, e.severity "
        f"from {engine.errors(PREFIX, entity)} as e join {engine.keys(PREFIX, entity)} as p using (_row)"
        for entity in engine.ENTITIES
    ]
    for table in STAGE_ERRORS:
        if table_exists(con, table):
            parts.append(f"select source, entity, record_id, field, code, value, {severity_sql()} from {table}")
    con.execute(f"create or replace table int__errors ({ERROR_COLUMNS})")
    con.execute(f"insert into int__errors select * from ({' union all '.join(parts)}) "
                "order by entity, source, record_id, field, code, value")
    cascade_stage_errors(con)
    _drop_work_tables(con)


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The checks' temporary tables live in memory (300 MB at national scale) until the run ends: drop them."""
    names = [name for (name,) in con.execute(
        "select table_name from duckdb_tables() where temporary and starts_with(table_name, ?)", [PREFIX + "_"]
    ).fetchall()]
    views = [name for (name,) in con.execute(
        "select view_name from duckdb_views() where temporary and starts_with(view_name, ?)", [PREFIX + "_"]
    ).fetchall()]
    for view in views:
        con.execute(f"drop view if exists {quote(view)}")
    for table in names:
        con.execute(f"drop table if exists {quote(table)}")


def severity_sql() -> str:
    warnings = [code for code, rule in RULES.items() if rule.severity == WARNING]
    return f"case when code in ({', '.join(literal(c) for c in warnings)}) then 'warning' else 'error' end"


def cascade_stage_errors(con: duckdb.DuckDBPyConnection) -> None:
    """A structure rejected by an earlier stage takes its services along (the engine did the others)."""
    blocking = ", ".join(literal(c) for c in blocking_codes())
    con.execute(
        f"""
        insert into int__errors
        select s.source, 'services', s.id, 'structure_id', 'structure-quarantined', s.structure_id, 'error'
        from int__services as s
        where s.structure_id in (
            select record_id from int__errors where entity = 'structures' and code in ({blocking}))
          and s.id not in (
            select record_id from int__errors
            where entity = 'services' and code = 'structure-quarantined' and record_id is not null)
        """
    )


def publish_valid(con: duckdb.DuckDBPyConnection) -> None:
    """`int__quarantine` (errors of rejected records) and `pub__*` (every other record, by id, with its score)."""
    codes = ", ".join(literal(c) for c in blocking_codes())
    con.execute(
        "create or replace table int__quarantine as "
        f"select * from int__errors where code in ({codes}) order by entity, source, record_id, field, code, value"
    )
    # The published records are chosen in memory (`score.sql` reads them), then written once with their score.
    for entity in engine.ENTITIES:
        con.execute(
            f"create or replace temp table {PREFIX}_published__{entity} as select * from int__{entity} as t "
            f"where t.id is not null and t.id not in "
            f"(select record_id from int__quarantine where entity = '{entity}' and record_id is not null)"
        )
    con.execute(SCORE_SQL.read_text(encoding="utf-8"))
    for entity, scores in (("services", "int__service_scores"), ("structures", "int__structure_scores")):
        con.execute(
            f"create or replace table pub__{entity} as select t.*, s.score_qualite from {PREFIX}_published__{entity} "
            f"as t left join {scores} as s using (id) order by t.id"
        )
        con.execute(f"drop table {PREFIX}_published__{entity}")


def accounting(con: duckdb.DuckDBPyConnection) -> None:
    """Per source and table: raw = published + quarantined + excluded, with a `balanced` flag."""
    con.execute(
        """
        create or replace table int__accounting as
        with mapped as (
            select source, 'structures' as entity, id from int__structures
            union all select source, 'services', id from int__services
        ),
        quarantined as (
            select distinct source, entity, record_id from int__quarantine
        ),
        per_mapped as (
            select
                m.source,
                m.entity,
                count(*) as mapped,
                count(*) filter (where q.record_id is not null or m.id is null) as quarantined,
                count(*) filter (where q.record_id is null and m.id is not null) as published
            from mapped as m
            left join quarantined as q on q.source = m.source and q.entity = m.entity and q.record_id = m.id
            group by all
        ),
        per_excluded as (
            select source, entity, count(*) as excluded from int__excluded group by all
        ),
        final as (
            select
                r.source,
                r.entity,
                r.raw,
                coalesce(m.mapped, 0) as mapped,
                coalesce(m.published, 0) as published,
                coalesce(m.quarantined, 0) as quarantined,
                coalesce(e.excluded, 0) as excluded
            from int__raw_counts as r
            left join per_mapped as m using (source, entity)
            left join per_excluded as e using (source, entity)
        )
        select *, raw = published + quarantined + excluded as balanced
        from final
        order by source, entity
        """
    )


def run(ctx: RunContext) -> dict[str, int]:
    con = ctx.con
    set_reference_date(con, ctx.settings.reference_date)
    build_errors(ctx)
    publish_valid(con)
    accounting(con)
    return {
        "errors": scalar(con, "select count(*) from int__errors where severity = 'error'"),
        "warnings": scalar(con, "select count(*) from int__errors where severity = 'warning'"),
        "quarantined": scalar(con, "select count(distinct (entity, record_id)) from int__quarantine"),
        "structures": scalar(con, "select count(*) from pub__structures"),
        "services": scalar(con, "select count(*) from pub__services"),
    }
