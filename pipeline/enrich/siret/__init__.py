"""Stage `siret`: check every producer SIRET against SIRENE and propose one where it is missing.

Load / process / save:
- `needs.sql` cleans each producer SIRET and checks its format and Luhn key;
  `sirene.load` then reads only the SIRENE rows the run needs;
- `status.sql` gives each SIRET its status (`int__sirets`) and
  `candidates.sql` ranks SIRENE établissements for structures without one
  (`int__siret_candidates`);
- the published `siret` becomes the checked one (the successor's for a closed
  établissement that has one, none for an invalid one, the assigned candidate
  for a structure without one). A structure whose établissement is closed
  leaves open data with its services: they move from `int__*` to
  `int__excluded` (rules `siret-ferme`, `structure-siret-ferme`), so the
  accounting still balances. The release gets `reports/sirets.csv` and
  `reports/siret_candidates.csv`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline import enrich
from pipeline.context import RunContext
from pipeline.enrich.siret import sirene
from pipeline.warehouse import scalar

HERE = Path(__file__).resolve().parent
CLOSED_RULE = "siret-ferme"
CLOSED_SERVICE_RULE = "structure-siret-ferme"


def _sql(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((HERE / name).read_text(encoding="utf-8"))


def check(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> dict[str, int]:
    """Build `int__siret_needs`, the SIRENE reference tables and `int__sirets`."""
    enrich.prepare(con)
    _sql(con, "needs.sql")
    loaded = sirene.load(con, files)
    _sql(con, "status.sql")
    return loaded


def apply_status(con: duckdb.DuckDBPyConnection) -> None:
    """Publish the checked SIRET; move closed structures and their services to `int__excluded`."""
    con.execute(
        "update int__structures as s set siret = t.siret_publie "
        "from int__sirets as t where t.structure_id = s.id and t.statut <> 'ferme'"
    )
    con.execute(
        f"""
        insert into int__excluded
        select source, 'structures', structure_id, '{CLOSED_RULE}' from int__sirets where statut = 'ferme'
        union all
        select v.source, 'services', v.id, '{CLOSED_SERVICE_RULE}'
        from int__services as v
        where v.structure_id in (select structure_id from int__sirets where statut = 'ferme')
        """
    )
    con.execute("delete from int__services where structure_id in (select structure_id from int__sirets where statut = 'ferme')")
    con.execute("delete from int__structures where id in (select structure_id from int__sirets where statut = 'ferme')")
    con.execute("create or replace table int__excluded as select * from int__excluded order by source, entity, record_id")


def propose(con: duckdb.DuckDBPyConnection) -> None:
    """Rank candidates, assign the clear ones, and record them in `int__sirets` as `attribue`."""
    _sql(con, "candidates.sql")
    con.execute(
        "update int__structures as s set siret = c.siret from int__siret_candidates as c "
        "where c.structure_id = s.id and c.decision = 'attribue'"
    )
    con.execute(
        "insert into int__sirets "
        "select c.structure_id, c.source, null, 'attribue', null, c.siret, null "
        "from int__siret_candidates as c where c.decision = 'attribue'"
    )
    con.execute("create or replace table int__sirets as select * from int__sirets order by structure_id")


def write_reports(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in (("sirets.csv", "int__sirets"), ("siret_candidates.csv", "int__siret_candidates")):
        path = folder / name
        con.execute(
            f"copy (select * from {table} order by all) to '{path}' "
            "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')"
        )
        written.append(path)
    return written


def run(ctx: RunContext) -> dict[str, object]:
    con = ctx.con
    try:
        files = sirene.locate(ctx.settings, ctx.log)
        loaded = check(con, files)
    except sirene.SireneError as exc:
        ctx.warn(f"{exc}; SIRETs are published as the producers gave them, unchecked")
        return {"sirene": "unavailable"}
    apply_status(con)
    propose(con)
    write_reports(con, ctx.build_dir / "reports")
    statuses = dict(con.execute("select statut, count(*) from int__sirets group by all order by all").fetchall())
    return {
        "sirene": loaded,
        "statuts": statuses,
        "a_verifier": scalar(con, "select count(distinct structure_id) from int__siret_candidates "
                                  "where decision = 'a-verifier'"),
    }
