"""DuckDB temp tables the entity pages and the API are made from (set-based, one pass each).

- `site_structures(id, payload, key)`: per structure, one JSON document with
  its published record, its services, history dates, commune and département,
  SIRET status and duplicates (when those tables/columns exist), and the md5
  of that document: a structure's files are rebuilt only when it changes.
- `site_structure_items` / `site_service_items`: the compact summaries the
  territory shards and pages list, with their département and commune.

Paths in the documents come from `site_name` (the Python `names.encode`,
registered on the connection), so SQL and Python name files the same way.
"""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import VARCHAR

from pipeline.publish.extensions import published_columns
from pipeline.warehouse import table_exists
from pipeline.website import names


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Published columns of `pub__<table>`, in schema order (those the table really has)."""
    present = {c for (c,) in con.execute(f"select column_name from (describe pub__{table})").fetchall()}
    return [c for c in published_columns(table) if c in present]


def _pack(alias: str, cols: list[str]) -> str:
    return "struct_pack(" + ", ".join(f"{quote(c)} := {alias}.{quote(c)}" for c in cols) + ")"


def register(con: duckdb.DuckDBPyConnection) -> None:
    """`site_name(id)`: `names.encode` in SQL; ids that are already safe skip the Python call."""
    try:
        con.remove_function("site_encode")
    except duckdb.Error:
        pass
    con.create_function("site_encode", names.encode, [VARCHAR], VARCHAR, side_effects=False)
    con.execute(
        f"create or replace temp macro site_name(x) as "
        f"case when regexp_full_match(x, '[a-z0-9-]{{1,{names.SEGMENT}}}') then x else site_encode(x) end"
    )
    # One row per code INSEE: a commune nouvelle and its chef-lieu délégué share a code.
    con.execute(
        """
        create or replace temp table site_communes as
        select code_insee, arg_min(nom, case type when 'commune-actuelle' then 0
                                                  when 'arrondissement-municipal' then 1 else 2 end) as nom,
               arg_min(code_departement, case type when 'commune-actuelle' then 0 else 1 end) as code_departement
        from ref__communes group by code_insee
        """
    )


def _registry(con: duckdb.DuckDBPyConnection, table: str) -> str:
    if table_exists(con, "int__registry"):
        return f"select id, first_seen, last_changed from int__registry where \"table\" = '{table}'"
    return "select null::varchar as id, null::date as first_seen, null::date as last_changed where false"


def _sirets(con: duckdb.DuckDBPyConnection) -> str:
    if table_exists(con, "int__sirets"):
        return "select structure_id, any_value(statut) as statut from int__sirets group by structure_id"
    return "select null::varchar as structure_id, null::varchar as statut where false"


def _duplicates(con: duckdb.DuckDBPyConnection) -> str:
    """Other structures of the same duplicate cluster (when a stage wrote `cluster_id`)."""
    present = {c for (c,) in con.execute("select column_name from (describe pub__structures)").fetchall()}
    if "cluster_id" not in present:
        return "select null::varchar as id, []::struct(id varchar, nom varchar, source varchar)[] as doublons where false"
    return """
        select a.id, list(struct_pack(id := b.id, nom := b.nom, source := b.source) order by b.id) as doublons
        from pub__structures as a join pub__structures as b on a.cluster_id = b.cluster_id and a.id <> b.id
        where a.cluster_id is not null group by a.id
    """


def build(con: duckdb.DuckDBPyConnection, base_url: str = "") -> None:
    """Create the `site_*` temp tables."""
    register(con)
    s_cols, v_cols = columns(con, "structures"), columns(con, "services")
    con.execute(
        f"""
        create or replace temp table site_structures as
        with reg_s as ({_registry(con, 'structures')}),
        reg_v as ({_registry(con, 'services')}),
        services as (
            select v.structure_id,
                   list(struct_pack(record := {_pack('v', v_cols)}, first_seen := r.first_seen,
                                    last_changed := r.last_changed) order by v.id) as services
            from pub__services as v left join reg_v as r on r.id = v.id
            group by v.structure_id
        ),
        sirets as ({_sirets(con)}),
        duplicates as ({_duplicates(con)}),
        documents as (
            select s.id, to_json(struct_pack(
                record := {_pack('s', s_cols)},
                services := coalesce(sv.services, []),
                first_seen := r.first_seen,
                last_changed := r.last_changed,
                commune_nom := c.nom,
                departement := c.code_departement,
                siret_statut := si.statut,
                doublons := coalesce(d.doublons, [])
            ))::varchar as payload
            from pub__structures as s
            left join services as sv on sv.structure_id = s.id
            left join reg_s as r on r.id = s.id
            left join site_communes as c on c.code_insee = s.code_insee
            left join sirets as si on si.structure_id = s.id
            left join duplicates as d on d.id = s.id
        )
        select id, payload, md5(payload) as key from documents order by id
        """
    )
    prefix = base_url.replace("'", "''")
    con.execute(
        f"""
        create or replace temp table site_structure_items as
        with per_structure as (select structure_id, count(*) as services from pub__services group by all)
        select s.id, c.code_departement as departement, c.code_insee as commune, s.source, s.nom,
               s.code_postal, s.latitude, s.longitude,
               to_json(struct_pack(
                   id := s.id, nom := s.nom, source := s.source,
                   commune := coalesce(c.nom, s.commune), code_insee := s.code_insee,
                   latitude := round(s.latitude, 6), longitude := round(s.longitude, 6),
                   services := coalesce(p.services, 0),
                   page := '{prefix}structures/' || site_name(s.id) || '.html',
                   api := '{prefix}api/v1/structures/' || site_name(s.id) || '.json'
               ))::varchar as item
        from pub__structures as s
        left join per_structure as p on p.structure_id = s.id
        left join site_communes as c on c.code_insee = s.code_insee
        order by s.id
        """
    )
    con.execute(
        f"""
        create or replace temp table site_service_items as
        select v.id, c.code_departement as departement, c.code_insee as commune, v.source, v.nom,
               v.structure_id, v.thematiques, v.publics,
               to_json(struct_pack(
                   id := v.id, nom := v.nom, structure_id := v.structure_id,
                   type := v.type, thematiques := coalesce(v.thematiques, []),
                   publics := coalesce(v.publics, []), code_insee := coalesce(v.code_insee, s.code_insee),
                   page := '{prefix}structures/' || site_name(s.id) || '.html#service-'
                           || replace(site_name(v.id), '/', ''),
                   api := '{prefix}api/v1/services/' || site_name(v.id) || '.json'
               ))::varchar as item
        from pub__services as v
        join pub__structures as s on s.id = v.structure_id
        left join site_communes as c on c.code_insee = coalesce(v.code_insee, s.code_insee)
        order by v.id
        """
    )
