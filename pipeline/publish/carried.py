"""Rows of a release's CSV file that the previous release already validated, cell for cell.

A row's Frictionless verdict depends only on its cells and on the table schema and dialect, except
for the checks that span rows: primary and unique keys, foreign keys. So a row whose cells are those
of a row of the previous release's same file, under the same schema and dialect, in a release whose
report found that resource valid, need not be read again by Frictionless: the next day, about 97% of
the rows. The checks that span rows are made here on every row of the new file, with DuckDB. Only
string keys are compared this way (Frictionless compares typed values: "1" and "1.0" are one
number); any other key, any failed check or anything that does not add up sends the resource back to
a full Frictionless validation, so that an error is always reported by Frictionless itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.publish import digest

REPORT = Path("reports") / "validation.json"
# How DuckDB reads a published CSV so that it sees the cells Python's csv module gives Frictionless.
READ_OPTIONS = "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', strict_mode = true"


@dataclass(frozen=True)
class Carried:
    """What a resource's validation can take from the previous release."""

    rows: frozenset[int]  # Frictionless row numbers (the header is row 1) whose cells were validated before
    total: int  # data rows in the new file


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _resource(package: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in package.get("resources", []) if r.get("name") == name), None)


def _schema(root: Path, resource: dict[str, Any]) -> Any:
    schema = resource.get("schema")
    return _load(root / schema) if isinstance(schema, str) else schema


def _previous_was_valid(previous: Path, name: str) -> bool:
    report = _load(previous / REPORT)
    tasks = report.get("tasks", []) if isinstance(report, dict) else []
    return any(task.get("name") == name and task.get("valid") is True for task in tasks)


def _same_file_as_described(root: Path, resource: dict[str, Any]) -> bool:
    """The previous release's file is still the one its descriptor (and so its report) describes."""
    path = root / resource["path"]
    if not path.is_file() or path.stat().st_size != resource.get("bytes"):
        return False
    return resource.get("hash", "").removeprefix("sha256:") == digest.sha256(path)


def _read(path: Path) -> str:
    return f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', {READ_OPTIONS})"


def _string_fields(schema: dict[str, Any], names: list[str]) -> bool:
    types = {field["name"]: field.get("type", "string") for field in schema.get("fields", [])}
    return all(types.get(name) == "string" for name in names)


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _columns(names: list[str], alias: str) -> list[str]:
    return [f'{alias}."{name.replace(chr(34), chr(34) * 2)}"' for name in names]


def _keys_hold(con: duckdb.DuckDBPyConnection, root: Path, package: dict[str, Any],
               resource: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Primary key, unique fields and foreign keys hold on every row of the new file (string keys only)."""
    table = _read(root / resource["path"])
    keys = [(_names(schema["primaryKey"]), True)] if schema.get("primaryKey") else []
    keys += [([f["name"]], False) for f in schema.get("fields", []) if f.get("constraints", {}).get("unique")]
    for fields, primary in keys:
        if not _string_fields(schema, fields):
            return False
        nulls = " or ".join(f"{c} is null" for c in _columns(fields, "t"))
        # Frictionless lets a unique field repeat null; a primary key with a null is sent to it.
        duplicates = con.execute(
            f"select count(*) from (select {', '.join(_columns(fields, 't'))} from {table} t "
            f"{'' if primary else f'where not ({nulls})'} group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if duplicates or (primary and con.execute(f"select count(*) from {table} t where {nulls}").fetchall()[0][0]):
            return False
    for key in schema.get("foreignKeys", []):
        fields, reference = _names(key["fields"]), key["reference"]
        target = resource if reference.get("resource", "") == "" else _resource(package, reference["resource"])
        wanted = _names(reference["fields"])
        if target is None or target.get("format") != "csv" or not _string_fields(schema, fields):
            return False
        if not _string_fields(_schema(root, target) or {}, wanted):
            return False
        sides = _columns(fields, "s")
        match = " and ".join(f"{s} = {r}" for s, r in zip(sides, _columns(wanted, "r")))
        # Frictionless skips a row whose key cells are all null; one with some null is sent to it.
        unresolved = con.execute(
            f"select count(*) from {table} s where not ({' and '.join(f'{c} is null' for c in sides)}) "
            f"and (({' or '.join(f'{c} is null' for c in sides)}) "
            f"or not exists (select 1 from {_read(root / target['path'])} r where {match}))"
        ).fetchall()[0][0]
        if unresolved:
            return False
    return True


def _digests(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """A digest of each row's cells, in file order."""
    return [row[0] for row in con.execute(f"select md5(to_json(t)) from {_read(path)} t").fetchall()]


def carried_rows(previous: Path, descriptor_path: Path, name: str) -> Carried | None:
    """The rows of resource `name` that `previous` (a published release) validated, or None when the
    resource must be validated in full (no previous release, another schema, keys to check by type...).

    Carrying rows over only saves time: whatever goes wrong here (a descriptor of another shape, a file
    DuckDB cannot read) means a full validation, never a failed one."""
    try:
        return _carried_rows(previous, descriptor_path, name)
    except (duckdb.Error, OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def _carried_rows(previous: Path, descriptor_path: Path, name: str) -> Carried | None:
    root = descriptor_path.parent
    package, before = _load(descriptor_path), _load(previous / "datapackage.json")
    if not isinstance(package, dict) or not isinstance(before, dict):
        return None
    resource, old = _resource(package, name), _resource(before, name)
    if resource is None or old is None or resource.get("format") != "csv":
        return None
    schema = _schema(root, resource)
    same = all(resource.get(key) == old.get(key) for key in ("path", "format", "encoding", "dialect"))
    if not same or not isinstance(schema, dict) or schema != _schema(previous, old):
        return None
    if not _previous_was_valid(previous, name) or not _same_file_as_described(previous, old):
        return None
    with duckdb.connect() as con:
        if not _keys_hold(con, root, package, resource, schema):
            return None
        seen = set(_digests(con, previous / old["path"]))
        now = _digests(con, root / resource["path"])
    if resource.get("rows") is not None and resource["rows"] != len(now):
        return None
    return Carried(frozenset(number for number, row in enumerate(now, start=2) if row in seen), len(now))
