"""The release's other tabular files (written by earlier stages) and their Table Schemas.

Structures and services are described by the schema v1 Table Schemas; the
files beside them (release diff, registry, duplicate pairs, history) get the
schemas below, so the data package describes and validates them too. The
files of `reports/` are the run's reports, not data: they stay outside it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline import schema as v1_schema
from pipeline.publish.export import ExportedFile
from pipeline.publish.extensions import published_schema


def _field(name: str, type_: str, description: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": type_, "description": description, **extra}
    if required:
        field["constraints"] = {"required": True}
    return field


TABLE_FIELD = _field("table", "string", "Table de l’enregistrement.", True,
                     constraints={"required": True, "enum": ["structures", "services"]})

CHANGES = {
    "fields": [
        _field("id", "string", "Identifiant de l’enregistrement.", True),
        _field("source", "string", "Source de l’enregistrement.", True),
        TABLE_FIELD,
        _field("kind", "string", "Nature du changement depuis la publication précédente.",
               constraints={"required": True, "enum": ["added", "removed", "changed", "unchanged"]}),
        _field("changed_fields", "array", "Champs modifiés (pour `changed`), tableau JSON dans le CSV."),
    ],
    "missingValues": [""],
    "primaryKey": ["table", "id"],
}

REGISTRY = {
    "fields": [
        _field("id", "string", "Identifiant de l’enregistrement.", True),
        _field("source", "string", "Source de l’enregistrement.", True),
        TABLE_FIELD,
        _field("first_seen", "date", "Première publication contenant l’enregistrement.", True),
        _field("last_seen", "date", "Dernière publication contenant l’enregistrement.", True),
        _field("last_changed", "date", "Publication du dernier changement (ajout, modification ou retrait).", True),
        _field("content_hash", "string", "SHA-256 des champs du schéma v1 de la dernière version.", True),
        _field("present", "boolean", "L’enregistrement est dans la publication courante.", True),
    ],
    "primaryKey": ["table", "id"],
}

DUPLICATES = {
    "fields": [
        _field("left_id", "string", "Identifiant d’une structure de la paire (le plus petit des deux).", True),
        _field("right_id", "string", "Identifiant de l’autre structure de la paire.", True),
        _field("left_source", "string", "Source de `left_id`.", True),
        _field("right_source", "string", "Source de `right_id`.", True),
        _field("cluster_id", "string", "Groupe de doublons des deux structures (`cluster_id` des structures).",
               True),
        _field("match_probability", "number", "Probabilité que les deux fiches décrivent la même structure.",
               constraints={"required": True, "minimum": 0, "maximum": 1}),
        _field("agreeing_fields", "array", "Critères sur lesquels les deux fiches concordent, tableau JSON "
                                           "dans le CSV."),
    ],
    "missingValues": [""],
    "primaryKey": ["left_id", "right_id"],
}

RELEASES = {"fields": [_field("reference_date", "date", "Date d’une publication.", True)],
            "primaryKey": ["reference_date"]}


def history_schema(table: str) -> dict[str, Any]:
    """Schema v1 fields of the table plus the interval columns (no key: an id has many versions)."""
    schema = copy.deepcopy(published_schema(table))
    names = set(v1_schema.field_names(table))
    v1 = [f for f in schema["fields"] if f["name"] in names]
    for field in v1:
        field.get("constraints", {}).pop("unique", None)
    schema["fields"] = v1 + [
        _field("content_hash", "string", "SHA-256 des champs du schéma v1 de cette version.", True),
        _field("valid_from", "date", "Première publication de cette version.", True),
        _field("valid_to", "date", "Publication qui a remplacé ou retiré cette version (vide si courante)."),
    ]
    schema.pop("primaryKey", None)
    schema.pop("foreignKeys", None)
    schema["description"] = f"Historique des {table} publiés : une ligne par version, intervalles de validité."
    return schema


@dataclass(frozen=True)
class Companion:
    table: str
    relative: str
    format: str
    schema: dict[str, Any]


def companions() -> list[Companion]:
    return [
        Companion("changes", "changes.csv", "csv", CHANGES),
        Companion("changes", "changes.parquet", "parquet", CHANGES),
        Companion("registry", "registry.parquet", "parquet", REGISTRY),
        Companion("doublons", "doublons.csv", "csv", DUPLICATES),
        Companion("doublons", "doublons.parquet", "parquet", DUPLICATES),
        Companion("history-structures", "history/structures.parquet", "parquet", history_schema("structures")),
        Companion("history-services", "history/services.parquet", "parquet", history_schema("services")),
        Companion("history-releases", "history/releases.parquet", "parquet", RELEASES),
    ]


def _rows(path: Path, format_: str) -> int:
    reader = "read_parquet" if format_ == "parquet" else "read_csv"
    return duckdb.sql(f"select count(*) from {reader}('{path}')").fetchall()[0][0]


def present(directory: Path) -> list[tuple[ExportedFile, dict[str, Any]]]:
    """The companion files this release has, with their schemas."""
    found = []
    for companion in companions():
        path = directory / companion.relative
        if path.exists():
            found.append((ExportedFile(companion.table, companion.format, path, _rows(path, companion.format)),
                          companion.schema))
    return found
