"""Stage `map`: each source's SQL turns raw tables into schema-shaped tables, then a union.

Per source, `staging.sql` (optional) builds `stg_<src>__*` and `mapping.sql`
builds `map_<src>__structures`, `map_<src>__services` (exactly the schema's
columns, in order) and optionally `map_<src>__excluded` (source, entity,
record_id, rule: records left out on purpose) and `map_<src>__flags` (source,
entity, record_id, flag: e.g. `contact-non-public`). A source's SQL runs in a
transaction: if it fails, the source keeps its previous mapped tables (stale)
and the run goes on. Sources a run does not name (`--source`) keep their last
mapped tables, so the union always covers every source.

Sources are mapped two at a time, each on its own DuckDB cursor, and each as
soon as `collect` has loaded its raw tables (`begin`); `run` waits for them
and reports them in the sources' order.
"""

from __future__ import annotations

import csv
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipeline import schema, warehouse
from pipeline import sources as source_registry
from pipeline.context import RunContext
from pipeline.paths import SCHEMA_DIR, SOURCES_DIR
from pipeline.sources.base import Source
from pipeline.territory import reference
from pipeline.warehouse import scalar, set_reference_date, table_exists

ENTITIES = ("structures", "services")
# Sources mapped side by side. A source's raw tables hold fewer rows than a DuckDB row group
# (122,880), so its SQL runs on about one core: two sources at once keep both cores busy.
WORKERS = 2
EXCLUDED_COLUMNS = "source varchar, entity varchar, record_id varchar, rule varchar"
FLAGS_COLUMNS = "source varchar, entity varchar, record_id varchar, flag varchar"


def map_table(source: Source, entity: str) -> str:
    return f"map_{source.slug}__{entity}"


def load_referentiels(con: duckdb.DuckDBPyConnection) -> None:
    """`ref__<name>` tables (value, label, description) from the generated référentiels."""
    for path in sorted((SCHEMA_DIR / "referentiels").glob("*.csv")):
        con.execute(
            f"create or replace table ref__{path.stem} as "
            "select * from read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )


def read_vocab(path: Path) -> list[tuple[str, str | None]]:
    """(source_value, schema_value) rows of a vocabulary CSV; empty schema_value = deliberately unmapped."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["source_value"], row["schema_value"] or None) for row in csv.DictReader(handle)]


def load_vocab(con: duckdb.DuckDBPyConnection, folder: Path, prefix: str) -> None:
    """`<prefix><name>` per vocabulary CSV: a one-row table holding a MAP(raw value -> schema values)."""
    for path in sorted((folder / "vocab").glob("*.csv")):
        rows = read_vocab(path)
        mapping: dict[str, list[str]] = {}
        for raw, value in rows:
            mapping.setdefault(raw, [])
            if value is not None:
                mapping[raw].append(value)
        con.execute(
            f"create or replace table {prefix}{path.stem} as "
            "select map(?::varchar[], ?::varchar[][]) as m",
            [list(mapping), list(mapping.values())],
        )


def _expected_columns(entity: str) -> list[str]:
    return schema.field_names(entity)


def check_contract(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Each mapped table has exactly the schema's columns, in order."""
    for entity in source.entities:
        name = map_table(source, entity)
        if not table_exists(con, name):
            raise RuntimeError(f"{source.name}: mapping.sql did not create {name}")
        columns = [row[0] for row in con.execute(f"describe {name}").fetchall()]
        expected = _expected_columns(entity)
        if columns != expected:
            raise RuntimeError(f"{source.name}: {name} columns differ from the schema: {columns} != {expected}")


def _ensure_empty_tables(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """A source with nothing mapped yet yields empty relations, not a failed build."""
    for entity in source.entities:
        name = map_table(source, entity)
        if not table_exists(con, name):
            con.execute(f"create table {name} as select * from pub_template__{entity} where false")
    for suffix, columns in (("excluded", EXCLUDED_COLUMNS), ("flags", FLAGS_COLUMNS)):
        if not table_exists(con, f"map_{source.slug}__{suffix}"):
            con.execute(f"create table map_{source.slug}__{suffix} ({columns})")


def map_source(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Run the source's SQL in one transaction and check its output contract."""
    load_vocab(con, source.folder, f"vocab_{source.slug}__")
    con.execute("begin transaction")
    try:
        for name in ("staging.sql", "mapping.sql"):
            path = source.folder / name
            if path.exists():
                con.execute(path.read_text(encoding="utf-8"))
        for suffix, columns in (("excluded", EXCLUDED_COLUMNS), ("flags", FLAGS_COLUMNS)):
            if not table_exists(con, f"map_{source.slug}__{suffix}"):
                con.execute(f"create table map_{source.slug}__{suffix} ({columns})")
        check_contract(con, source)
    except Exception:
        con.execute("rollback")
        raise
    con.execute("commit")


def _map_in_cursor(con: duckdb.DuckDBPyConnection, source: Source, reference_date: date) -> Exception | None:
    """`map_source` on a cursor of its own (a thread's connection; session variables are not shared);
    returns the error that made it fail."""
    cursor = warehouse.cursor(con)
    try:
        set_reference_date(cursor, reference_date)
        map_source(cursor, source)
        return None
    except Exception as exc:
        return exc
    finally:
        cursor.close()


def create_templates(con: duckdb.DuckDBPyConnection) -> None:
    """Empty tables with the schema's columns and types, for sources with nothing mapped."""
    types = {"string": "varchar", "date": "date", "number": "double", "integer": "bigint", "array": "varchar[]"}
    for entity in ENTITIES:
        fields = schema.load(entity)["fields"]
        columns = ", ".join(f"{f['name']} {types[f['type']]}" for f in fields)
        con.execute(f"create or replace table pub_template__{entity} ({columns})")
    con.execute(f"create or replace table pub_template__excluded ({EXCLUDED_COLUMNS})")
    con.execute(f"create or replace table pub_template__flags ({FLAGS_COLUMNS})")


def union(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> dict[str, int]:
    """`int__structures`, `int__services` and `int__excluded` over every source, sorted by id."""
    counts = {}
    for entity in ENTITIES:
        parts = [f"select * from {map_table(s, entity)}" for s in sources if entity in s.entities]
        parts.append(f"select * from pub_template__{entity}")
        con.execute(f"create or replace table int__{entity} as select * from ({' union all '.join(parts)}) order by id")
        counts[entity] = scalar(con, f"select count(*) from int__{entity}")
    for suffix in ("excluded", "flags"):
        parts = [f"select * from map_{s.slug}__{suffix}" for s in sources] + [f"select * from pub_template__{suffix}"]
        con.execute(
            f"create or replace table int__{suffix} as select * from ({' union all '.join(parts)}) "
            "order by all"
        )
    counts["excluded"] = scalar(con, "select count(*) from int__excluded")
    return counts


def raw_counts(con: duckdb.DuckDBPyConnection, sources: list[Source]) -> None:
    """`int__raw_counts`: records received per source and table (staging rows, else raw rows)."""
    con.execute("create or replace table int__raw_counts (source varchar, entity varchar, raw bigint)")
    for source in sources:
        for entity in source.entities:
            for table in (f"stg_{source.slug}__{entity}", f"raw_{source.slug}__{entity}"):
                if table_exists(con, table):
                    con.execute(f"insert into int__raw_counts select ?, ?, count(*) from {table}", [source.name, entity])
                    break
            else:
                con.execute("insert into int__raw_counts values (?, ?, 0)", [source.name, entity])


@dataclass
class Mapping:
    """The sources being mapped in worker threads, by name."""

    con: duckdb.DuckDBPyConnection
    reference_date: date
    pool: ThreadPoolExecutor
    futures: dict[str, Future[Exception | None]] = field(default_factory=dict)

    def submit(self, source: Source) -> None:
        if source.name not in self.futures:
            self.futures[source.name] = self.pool.submit(_map_in_cursor, self.con, source, self.reference_date)


def _prepare(con: duckdb.DuckDBPyConnection, reference_date: date) -> None:
    """What every source's SQL reads besides its raw tables: référentiels, communes, vocabularies."""
    set_reference_date(con, reference_date)
    load_referentiels(con)
    reference.load(con)
    load_vocab(con, SOURCES_DIR, "vocab__")
    create_templates(con)


def begin(ctx: RunContext) -> None:
    """Map each source as soon as `collect` has loaded its raw tables.

    Collecting is Python on one core (parsing payloads) and a source's SQL is DuckDB on about one
    core: mapping the sources already collected while the next one is parsed keeps both busy."""
    _prepare(ctx.con, ctx.settings.reference_date)
    mapping = Mapping(ctx.con, ctx.settings.reference_date,
                      ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="map"))
    ctx.mapping = mapping
    ctx.on_raw_loaded.append(mapping.submit)


def abandon(ctx: RunContext) -> None:
    """After a failed run: cancel the sources not started and wait for those being mapped."""
    if ctx.mapping is not None:
        if ctx.mapping.submit in ctx.on_raw_loaded:
            ctx.on_raw_loaded.remove(ctx.mapping.submit)
        ctx.mapping.pool.shutdown(wait=True, cancel_futures=True)
        ctx.mapping = None


def run(ctx: RunContext) -> dict[str, object]:
    con = ctx.con
    if ctx.mapping is None:
        begin(ctx)
    mapping: Mapping = ctx.mapping
    per_source: dict[str, object] = {}
    to_map = []
    for source in ctx.sources:
        collected = ctx.collected.get(source.name)
        if collected is None or collected.status == "failed":
            _ensure_empty_tables(con, source)
            per_source[source.name] = "kept previous mapping" if collected else "not collected"
        else:
            to_map.append(source)
    for source in to_map:  # those not started during `collect` (which starts the largest first)
        mapping.submit(source)
    try:
        for source in ctx.track(to_map, "map"):  # reported in the sources' order
            error = mapping.futures[source.name].result()
            if error is None:
                per_source[source.name] = "ok"
                continue
            # keep the last good mapped tables of this source
            ctx.warn(f"{source.name}: mapping failed ({error}); keeping its previous mapped tables (stale)")
            collected = ctx.collected[source.name]
            collected.status = "stale"
            collected.error = f"mapping failed: {error}"
            _ensure_empty_tables(con, source)
            per_source[source.name] = "stale"
    finally:
        abandon(ctx)
    per_source = {s.name: per_source[s.name] for s in ctx.sources}
    # Sources not selected by --source keep their last mapped tables: a run
    # refreshes the sources it names and republishes the others as they were.
    everyone = source_registry.discover()
    selected = {s.name for s in ctx.sources}
    for source in everyone:
        if source.name not in selected:
            _ensure_empty_tables(con, source)
            per_source[source.name] = "not refreshed"
    counts = union(con, everyone)
    raw_counts(con, everyone)
    return {"sources": per_source, **counts}
