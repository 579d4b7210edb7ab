"""The release diff pages: what each source added, changed and removed since the previous release."""

from __future__ import annotations

from typing import Any

import duckdb

from pipeline.warehouse import table_exists

KINDS = ("added", "changed", "removed")
KIND_LABELS = {"added": "Ajouts", "changed": "Modifications", "removed": "Retraits", "unchanged": "Inchangés"}
LIST_LIMIT = 300


def _history_names(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Names of removed records: their last version in the history being written (or the history)."""
    for name in (f"hist_next__{table}", f"hist__{table}"):
        if table_exists(con, name):
            return f"select id, arg_max(nom, valid_from) as nom from {name} group by id"
    return "select null::varchar as id, null::varchar as nom where false"


def per_source(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Table -> kind -> {"total": n, "items": [{id, nom, structure_id, changed_fields}] (first LIST_LIMIT)}."""
    if not table_exists(con, "int__changes"):
        return {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for table in ("structures", "services"):
        structure = "p.structure_id" if table == "services" else "p.id"
        rows = con.execute(
            f"""
            with names as ({_history_names(con, table)}),
            listed as (
                select c.kind, c.id, coalesce(p.nom, n.nom) as nom,
                       case when c.kind <> 'removed' then {structure} end as structure_id,
                       c.changed_fields,
                       row_number() over (partition by c.kind order by c.id) as rank,
                       count(*) over (partition by c.kind) as total
                from int__changes as c
                left join pub__{table} as p on p.id = c.id
                left join names as n on n.id = c.id
                where c.source = ? and c."table" = ? and c.kind in ('added', 'changed', 'removed')
            )
            select kind, total, id, nom, structure_id, changed_fields from listed
            where rank <= {LIST_LIMIT} order by kind, id
            """,
            [source, table],
        ).fetchall()
        for kind, total, record_id, nom, structure_id, fields in rows:
            entry = out.setdefault(table, {}).setdefault(kind, {"total": total, "items": []})
            entry["items"].append({"id": record_id, "nom": nom, "structure_id": structure_id,
                                   "changed_fields": fields or []})
    return out
