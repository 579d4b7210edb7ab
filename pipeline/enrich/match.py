"""`datainclusion match LEFT RIGHT OUT`: the correspondence tool on two files of schema-v1 structures.

Each file is CSV (header, comma), JSON (an array of objects) or Parquet with
schema-v1 structure columns (`id` and `nom` required; missing optional
columns count as empty). OUT is a CSV with one row per matched pair:
`left_id, right_id, match_probability, agreeing_fields` (a JSON list of the
compared fields whose evidence was for a match), sorted by left and right id.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline import schema, warehouse
from pipeline.enrich import linkage

TYPES = {"number": "double"}


class MatchInputError(Exception):
    """An input file cannot be read as schema-v1 structures."""


def _reader(path: Path) -> str:
    text = str(path).replace("'", "''")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet('{text}')"
    if suffix == ".json":
        return f"read_json('{text}', format = 'array')"
    return f"read_csv('{text}', header = true, all_varchar = true)"


def load(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> int:
    """Schema-v1 structures of a file into `table` (every schema column, typed as the linkage needs)."""
    try:
        con.execute(f"create or replace temp table {table}_raw as select * from {_reader(path)}")
    except duckdb.Error as exc:
        raise MatchInputError(f"{path}: cannot be read as CSV, JSON or Parquet ({exc})") from exc
    present = {row[0] for row in con.execute(f"describe {table}_raw").fetchall()}
    missing = {"id", "nom"} - present
    if missing:
        raise MatchInputError(f"{path}: missing required column(s) {', '.join(sorted(missing))}")
    columns = []
    for field in schema.load("structures")["fields"]:
        name = field["name"]
        kind = TYPES.get(field["type"], "varchar")
        value = f"try_cast(\"{name}\" as {kind})" if name in present and field["type"] != "array" else "null"
        columns.append(f"{value} as {name}")
    con.execute(f"create or replace temp table {table} as select {', '.join(columns)} from {table}_raw "
                "where id is not null")
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def match(left: Path, right: Path, out: Path, threshold: float = linkage.THRESHOLD) -> int:
    """Write the matched pairs of two files to `out`; returns how many."""
    con = warehouse.connect(":memory:")
    try:
        for path, name in ((left, "match_left"), (right, "match_right")):
            if not load(con, path, name):
                raise MatchInputError(f"{path}: no structure with an id")
            linkage.records(con, name, f"{name}_records")
        count = linkage.predict(con, ["match_left_records", "match_right_records"], "match_pairs",
                                threshold=threshold)
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            "copy (select left_id, right_id, match_probability, to_json(agreeing_fields) as agreeing_fields "
            f"from match_pairs order by left_id, right_id) to '{str(out).replace(chr(39), chr(39) * 2)}' "
            "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')"
        )
    finally:
        con.close()
    return count
