"""The DuckDB warehouse: connection, shared SQL macros, the run registry."""

from __future__ import annotations

import json
import os
import secrets
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from pipeline.paths import SQL_DIR
from pipeline.sql import functions

# DuckDB takes 80% of the machine's memory by default, leaving too little for the run's Python side
# (parsed payloads, the site's manifest): at ten times the national volume the two together went past
# 22 GB of 24. Above this share DuckDB spills to disk instead. `DATAINCLUSION_DUCKDB_MEMORY` (e.g. "6GB")
# overrides it.
MEMORY_SHARE = 0.4


def memory_limit() -> str:
    """DuckDB's memory limit for this machine (or the environment's)."""
    configured = os.environ.get("DATAINCLUSION_DUCKDB_MEMORY")
    if configured:
        return configured
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * MEMORY_SHARE) >> 20}MiB"


RUNS_DDL = """
create table if not exists runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    reference_date date not null,
    mode varchar not null,
    status varchar not null,
    counts json,
    message varchar
)
"""


# DuckDB scans a table with one thread per row group (122,880 rows by default): at national scale most
# tables (95,000 structures, 28,000 Soliguide places) would be a single row group, read by one core of two.
ROW_GROUP_SIZE = 16_384
CATALOG = "warehouse"


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (or create) the warehouse file with the run registry and macros ready."""
    if str(path) == ":memory:":
        con = duckdb.connect(":memory:")
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        quoted = str(path).replace("'", "''")
        # Spill beside the warehouse file, as DuckDB does for a file it opens itself (not in the working folder).
        con.execute(f"set temp_directory = '{quoted}.tmp'")
        con.execute(f"attach '{quoted}' as {CATALOG} (row_group_size {ROW_GROUP_SIZE})")
        con.execute(f"use {CATALOG}")
    prepare(con)
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor on the warehouse (a new connection: it does not inherit `use`)."""
    duplicate = con.cursor()
    if duplicate.execute(f"select count(*) from duckdb_databases() where database_name = '{CATALOG}'").fetchall()[0][0]:
        duplicate.execute(f"use {CATALOG}")
    return duplicate


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Register functions and macros and create the run registry on a connection."""
    # DuckDB's allocator (jemalloc) otherwise keeps what queries freed: a national run's process
    # held 1.4 GB more than DuckDB used when the site stage began.
    con.execute("set allocator_background_threads = true")
    con.execute(f"set memory_limit = '{memory_limit()}'")
    functions.register(con)
    con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
    con.execute(RUNS_DDL)


def set_reference_date(con: duckdb.DuckDBPyConnection, reference_date: date) -> None:
    con.execute(f"set variable reference_date = date '{reference_date.isoformat()}'")


def new_run_id(now: datetime | None = None) -> str:
    """Sortable, unique run id: UTC timestamp plus a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, reference_date: date, mode: str) -> None:
    """Register a run; runs still `running` were killed before they finished: mark them so."""
    con.execute(
        "update runs set status = 'interrupted', message = 'the process stopped before the run finished' "
        "where status = 'running'"
    )
    con.execute(
        "insert into runs (run_id, started_at, reference_date, mode, status) values (?, ?, ?, ?, 'running')",
        [run_id, _utcnow(), reference_date, mode],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, counts: dict[str, Any], message: str | None = None
) -> None:
    con.execute(
        "update runs set finished_at = ?, status = ?, counts = ?, message = ? where run_id = ?",
        [_utcnow(), status, json.dumps(counts, ensure_ascii=False, sort_keys=True), message, run_id],
    )


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        scalar(con, "select count(*) from information_schema.tables where table_name = ? and table_schema = 'main'", [name])
    )


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value of a query (the result is read to the end, as DuckDB requires)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None
