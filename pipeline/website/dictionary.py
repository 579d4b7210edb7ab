"""The data dictionary: published fields with their référentiel, and fill rates per source."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from pipeline.paths import SCHEMA_DIR
from pipeline.publish.extensions import EXTENSION_FIELDS, published_schema

TABLES = ("structures", "services")


@dataclass(frozen=True)
class FieldDoc:
    name: str
    title: str
    type: str
    required: bool
    constraints: dict[str, Any]
    description: str
    example: str | None
    referentiel: str | None
    extension: bool
    item_pattern: str | None = None


@cache
def referentiels() -> dict[str, list[dict[str, str]]]:
    """Every référentiel of `schema/referentiels/`: name -> rows (value, label, description)."""
    out = {}
    for path in sorted((SCHEMA_DIR / "referentiels").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            out[path.stem] = list(csv.DictReader(handle))
    return out


@cache
def labels() -> dict[str, dict[str, str]]:
    """Référentiel name -> value -> label."""
    return {name: {r["value"]: r["label"] for r in rows} for name, rows in referentiels().items()}


def _enum(field_descriptor: dict[str, Any]) -> list[str] | None:
    if field_descriptor["type"] == "array":
        return field_descriptor.get("arrayItem", {}).get("constraints", {}).get("enum")
    return field_descriptor.get("constraints", {}).get("enum")


def referentiel_of(field_descriptor: dict[str, Any]) -> str | None:
    """The référentiel whose values are exactly the field's allowed values (None if not a vocabulary)."""
    values = _enum(field_descriptor)
    if not values:
        return None
    for name, rows in referentiels().items():
        if {r["value"] for r in rows} == set(values):
            return name
    return None


@cache
def fields(table: str) -> tuple[FieldDoc, ...]:
    extension_names = {f["name"] for f in EXTENSION_FIELDS[table]}
    docs = []
    for f in published_schema(table)["fields"]:
        constraints = {k: v for k, v in f.get("constraints", {}).items() if k not in ("required", "enum")}
        example = f.get("example", f.get("examples"))
        docs.append(FieldDoc(
            name=f["name"],
            title=f.get("title") or f["name"],
            type=f["type"],
            required=bool(f.get("constraints", {}).get("required")),
            constraints=constraints,
            description=f.get("description") or "",
            example=None if example is None else str(example),
            referentiel=referentiel_of(f),
            extension=f["name"] in extension_names,
            item_pattern=f.get("arrayItem", {}).get("constraints", {}).get("pattern"),
        ))
    return tuple(docs)


def field_referentiels(table: str) -> dict[str, str]:
    """Field name -> référentiel name, for the fields that take vocabulary values."""
    return {f.name: f.referentiel for f in fields(table) if f.referentiel}


def _filled(column: str, column_type: str) -> str:
    quoted = '"' + column + '"'
    if column_type.endswith("[]"):
        return f"count(*) filter (where len({quoted}) > 0)"
    if column_type == "VARCHAR":
        return f"count(*) filter (where trim({quoted}) <> '')"
    return f"count({quoted})"


def fill_rates(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict[str, float]]:
    """Field -> source -> share of the source's published records where the field is filled."""
    types = dict(con.execute(f"select column_name, column_type from (describe pub__{table})").fetchall())
    names = [f.name for f in fields(table) if f.name in types]
    if not names:
        return {}
    select = ", ".join(_filled(n, types[n]) for n in names)
    rows = con.execute(f"select source, count(*), {select} from pub__{table} group by source order by source").fetchall()
    rates: dict[str, dict[str, float]] = {n: {} for n in names}
    for source, total, *filled in rows:
        for name, count in zip(names, filled):
            rates[name][source] = count / total if total else 0.0
    return rates
