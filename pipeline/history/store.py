"""The history tables: validity intervals per record, the releases, and their files.

`hist__structures` and `hist__services` hold every published version of every
record (the schema v1 fields), with `content_hash`, `valid_from` and
`valid_to` (release dates; `valid_to` is null while the version is current).
The offer as it was published on a date D is one query:

    select * from hist__services where valid_from <= D and (valid_to is null or valid_to > D)

`hist__releases(reference_date, run_id)` lists the releases. A release ships
these tables as `history/*.parquet`, so a runner on a clean machine can
restore them (`datainclusion run --previous URL_OR_PATH`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from pipeline import schema
from pipeline.http import HttpClient, HttpError
from pipeline.warehouse import table_exists

TABLES = ("structures", "services")
HISTORY_FILES = {"structures": "history/structures.parquet", "services": "history/services.parquet",
                 "releases": "history/releases.parquet"}


class PreviousReleaseError(Exception):
    """The previous release could not be read (other than: there is none yet)."""


def columns(table: str) -> list[str]:
    """The versioned fields of a table: exactly the schema v1 fields."""
    return schema.field_names(table)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        if not table_exists(con, f"hist__{table}"):
            con.execute(
                f"create table hist__{table} as select *, null::varchar as content_hash, "
                f"null::date as valid_from, null::date as valid_to from pub_template__{table} where false"
            )
    if not table_exists(con, "hist__releases"):
        con.execute("create table hist__releases (reference_date date, run_id varchar)")


def latest_release(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("select max(reference_date)::varchar from hist__releases").fetchall()
    return rows[0][0] if rows else None


def _fetch(base: str, relative: str, folder: Path) -> Path | None:
    """A file of the previous release as a local path; None when the release has none (404)."""
    if not base.startswith(("http://", "https://")):
        path = Path(base) / relative
        return path if path.exists() else None
    url = base.rstrip("/") + "/" + relative
    try:
        response = HttpClient("previous-release").get(url)
    except HttpError as exc:
        if "HTTP 404" in str(exc):
            return None
        raise PreviousReleaseError(str(exc)) from exc
    target = folder / relative.replace("/", "__")
    target.write_bytes(response.content)
    return target


def restore(con: duckdb.DuckDBPyConnection, base: str) -> bool:
    """Replace the local history with the one published at `base` (a release folder or URL).

    Returns False when `base` holds no release yet (the history starts with
    this run); raises PreviousReleaseError when it cannot be read.
    """
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: _fetch(base, relative, Path(tmp)) for name, relative in HISTORY_FILES.items()}
        if all(p is None for p in paths.values()):
            return False
        missing = [HISTORY_FILES[n] for n, p in paths.items() if p is None]
        if missing:
            raise PreviousReleaseError(f"previous release {base} lacks {', '.join(missing)}")
        try:
            for name, path in paths.items():
                con.execute(f"create or replace table hist__{name} as select * from read_parquet(?)", [str(path)])
            con.execute("create or replace table hist__releases as "
                        "select reference_date, null::varchar as run_id from hist__releases")
        except duckdb.Error as exc:
            raise PreviousReleaseError(f"previous release {base}: unreadable history file ({exc})") from exc
    return True


def write_files(con: duckdb.DuckDBPyConnection, directory: Path, suffix: str = "") -> list[Path]:
    """`history/*.parquet` of the release from `hist{suffix}__*` tables, sorted for identical bytes."""
    (directory / "history").mkdir(parents=True, exist_ok=True)
    written = []
    for name, relative in HISTORY_FILES.items():
        # Run ids are random: the published releases file keeps only the dates.
        select = "select reference_date" if name == "releases" else "select *"
        order = "reference_date" if name == "releases" else "id, valid_from"
        path = directory / relative
        con.execute(
            f"copy ({select} from hist{suffix}__{name} order by {order}) to '{path}' (format parquet, compression zstd)"
        )
        written.append(path)
    return written
