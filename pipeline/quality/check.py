"""Stage `check`: set-based checks of the mapped records; invalid ones go to quarantine.

Checks are SQL compiled from the Table Schemas in `schema/`, so what we
enforce is what we publish. Each failing (record, field, rule) is one row of
`int__errors`; records with an error are kept out of `pub__*` and listed in
`int__quarantine`. A service whose structure is not published is quarantined
too (foreign key).
"""

from __future__ import annotations

import duckdb

from pipeline import schema
from pipeline.context import RunContext
from pipeline.quality.errors import CODES
from pipeline.warehouse import scalar, table_exists

ERROR_COLUMNS = "source varchar, entity varchar, record_id varchar, field varchar, code varchar, value varchar"
# Error rows found by earlier stages, with ERROR_COLUMNS (see pipeline/territory/stage.py).
STAGE_ERRORS = ("int__territory_errors",)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def required_checks(entity: str) -> list[str]:
    """One SELECT per required field, yielding error rows for empty values."""
    selects = []
    for field in schema.load(entity)["fields"]:
        if not field.get("constraints", {}).get("required"):
            continue
        column = _quote(field["name"])
        empty = f"{column} is null" + (f" or trim({column}) = ''" if field["type"] == "string" else "")
        selects.append(
            f"select source, '{entity}', id, '{field['name']}', 'required', null from int__{entity} where {empty}"
        )
    return selects


def build_errors(con: duckdb.DuckDBPyConnection) -> None:
    selects = required_checks("structures") + required_checks("services")
    con.execute(f"create or replace table int__errors ({ERROR_COLUMNS})")
    con.execute(f"insert into int__errors {' union all '.join(selects)}")
    for table in STAGE_ERRORS:
        if table_exists(con, table):
            con.execute(f"insert into int__errors select * from {table}")
    # A service can only be published with its structure.
    con.execute(
        """
        insert into int__errors
        select s.source, 'services', s.id, 'structure_id', 'foreign-key', s.structure_id
        from int__services as s
        where s.structure_id is null
           or s.structure_id not in (
               select id from int__structures where id is not null
               except
               select record_id from int__errors where entity = 'structures' and record_id is not null
                   and code in ({blocking})
           )
        """.format(blocking=_blocking_codes())
    )


def _blocking_codes() -> str:
    """The codes that keep a record out of the release (severity error, not warning), as SQL literals."""
    return ", ".join(f"'{code}'" for code, (severity, _) in CODES.items() if severity == "error")


def publish_valid(con: duckdb.DuckDBPyConnection) -> None:
    """`int__quarantine` (records with an error) and `pub__*` (every other record, by id)."""
    codes = _blocking_codes()
    con.execute(
        "create or replace table int__quarantine as "
        f"select * from int__errors where code in ({codes}) order by entity, source, record_id, field, code"
    )
    for entity in ("structures", "services"):
        con.execute(
            f"create or replace table pub__{entity} as select * from int__{entity} as t "
            f"where t.id is not null and t.id not in "
            f"(select record_id from int__quarantine where entity = '{entity}' and record_id is not null) "
            "order by t.id"
        )


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
    build_errors(con)
    publish_valid(con)
    accounting(con)
    return {
        "errors": scalar(con, "select count(*) from int__errors"),
        "quarantined": scalar(con, "select count(distinct (entity, record_id)) from int__quarantine"),
        "structures": scalar(con, "select count(*) from pub__structures"),
        "services": scalar(con, "select count(*) from pub__services"),
    }
