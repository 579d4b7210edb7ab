"""Stage `rgpd`: personal data is masked in what we publish, by rule, and counted.

Personal data in schema v1: `courriel`, `telephone`, `contact_nom_prenom`.
Rules, each recorded per masked value in `int__masks(source, entity,
record_id, field, rule)`:

- `courriel-personnel`: the e-mail looks personal (a known first name
  followed by `.` or `-`, at a consumer domain, and no word of the local
  part names a service): its courriel and telephone are masked.
- `contact-non-public`: the producer flags the contact as not public
  (`int__flags`, e.g. DORA `contact_public = false`): every contact field.
- `opposition`: the record's id or e-mail is on the objection list
  (`DATAINCLUSION_OBJECTIONS`, a CSV with an `id` and/or a `courriel`
  column): every contact field.
- `nom-prenom-non-publie`: `contact_nom_prenom` is never published.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.context import RunContext
from pipeline.rgpd.emails import load_rules
from pipeline.warehouse import table_exists

CONTACT_FIELDS = {
    "structures": ("courriel", "telephone"),
    "services": ("courriel", "telephone", "contact_nom_prenom"),
}
MASKS_COLUMNS = "source varchar, entity varchar, record_id varchar, field varchar, rule varchar"


def load_objections(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """`rgpd__objections(id, courriel)` from the configured CSV (empty when none is set)."""
    con.execute("create or replace table rgpd__objections (id varchar, courriel varchar)")
    if path is None:
        return
    columns = [r[0] for r in con.execute("describe select * from read_csv(?, header = true, all_varchar = true)",
                                         [str(path)]).fetchall()]
    id_column = "id" if "id" in columns else "null"
    mail_column = "courriel" if "courriel" in columns else ("email" if "email" in columns else "null")
    if id_column == "null" and mail_column == "null":
        raise ValueError(f"objection list {path} needs an `id` or a `courriel` column, has {columns}")
    con.execute(
        f"insert into rgpd__objections select trim({id_column}), lower(trim({mail_column})) "
        "from read_csv(?, header = true, all_varchar = true)",
        [str(path)],
    )


def _rule_rows(entity: str) -> str:
    """Every (record, field, rule) to mask in one published table."""
    fields = CONTACT_FIELDS[entity]
    parts = []
    for field in fields:
        parts.append(
            f"select source, '{entity}', id, '{field}', 'contact-non-public' from pub__{entity} "
            f"where {field} is not null and id in "
            f"(select record_id from int__flags where entity = '{entity}' and flag = 'contact-non-public')"
        )
        parts.append(
            f"select source, '{entity}', id, '{field}', 'opposition' from pub__{entity} "
            f"where {field} is not null and (id in (select id from rgpd__objections where id is not null) "
            f"or lower(trim(courriel)) in (select courriel from rgpd__objections where courriel is not null))"
        )
    for field in ("courriel", "telephone"):
        parts.append(
            f"select source, '{entity}', id, '{field}', 'courriel-personnel' from pub__{entity} "
            f"where {field} is not null and is_personal_email(courriel)"
        )
    if "contact_nom_prenom" in fields:
        parts.append(
            f"select source, '{entity}', id, 'contact_nom_prenom', 'nom-prenom-non-publie' "
            f"from pub__{entity} where contact_nom_prenom is not null"
        )
    return " union all ".join(parts)


def build_masks(con: duckdb.DuckDBPyConnection) -> None:
    if not table_exists(con, "int__flags"):
        con.execute("create table int__flags (source varchar, entity varchar, record_id varchar, flag varchar)")
    con.execute(f"create or replace table int__masks ({MASKS_COLUMNS})")
    for entity in CONTACT_FIELDS:
        con.execute(f"insert into int__masks {_rule_rows(entity)}")
    # One row per masked value: the first rule in this order names why.
    con.execute(
        """
        create or replace table int__masks as
        select source, entity, record_id, field, arg_min(rule, priority) as rule
        from (
            select *, list_position(['opposition', 'contact-non-public', 'courriel-personnel',
                                     'nom-prenom-non-publie'], rule) as priority
            from int__masks
        )
        group by all
        order by entity, source, record_id, field
        """
    )


def apply_masks(con: duckdb.DuckDBPyConnection) -> None:
    for entity, fields in CONTACT_FIELDS.items():
        for field in fields:
            con.execute(
                f"update pub__{entity} set {field} = null where id in "
                f"(select record_id from int__masks where entity = '{entity}' and field = '{field}')"
            )


def run(ctx: RunContext) -> dict[str, int]:
    con = ctx.con
    load_rules(con)
    load_objections(con, ctx.settings.objections)
    build_masks(con)
    apply_masks(con)
    rows = con.execute("select rule, count(*) from int__masks group by rule order by rule").fetchall()
    return {rule: count for rule, count in rows}
