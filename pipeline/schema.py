"""Frictionless Table Schemas and référentiels, generated from the official package.

The official `data-inclusion-schema` package ships pydantic models and Python
enums, not a Table Schema. We derive ours from the models so the published
files can never drift from the package: `datainclusion schema` writes them to
`schema/`, and a test regenerates them in memory and compares.
"""

from __future__ import annotations

import csv
import io
import json
from enum import Enum
from pathlib import Path
from typing import Any

from data_inclusion.schema import v1

from pipeline.paths import SCHEMA_DIR

SCHEMA_PACKAGE_VERSION = "1.0.10"

TABLES: dict[str, type] = {"structures": v1.Structure, "services": v1.Service}

REFERENTIELS: dict[str, type[Enum]] = {
    "categories_thematiques": v1.Categorie,
    "frais": v1.Frais,
    "modes_accueil": v1.ModeAccueil,
    "modes_mobilisation": v1.ModeMobilisation,
    "personnes_mobilisatrices": v1.PersonneMobilisatrice,
    "publics": v1.Public,
    "reseaux_porteurs": v1.ReseauPorteur,
    "thematiques": v1.Thematique,
    "types_de_services": v1.TypeService,
}

ARRAY_ENCODING_NOTE = (
    "Liste de valeurs. Dans les fichiers CSV et XLSX, la cellule contient un "
    'tableau JSON (par exemple `["a","b"]`) ; dans les fichiers Parquet, une '
    "colonne de type liste ; dans les fichiers JSON, un tableau."
)

# Pydantic encodes "any of these code shapes" for zone_eligibilite items;
# Table Schema anchors patterns itself, so alternatives need a group.
_ZONE_ITEM_PATTERN = r"(?:\w{5}|\w{2,3}|\d{9}|99[0-5]\d{2}|france)"
# HttpUrl accepts only the http and https schemes.
_HTTP_URL_PATTERN = r"https?://.+"


def _enum_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _referentiel_for(enum_name: str) -> str:
    for name, enum in REFERENTIELS.items():
        if enum.__name__ == enum_name:
            return name
    raise KeyError(enum_name)


def _strip_anchors(pattern: str) -> str:
    return pattern.removeprefix("^").removesuffix("$")


def _constraints(prop: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("minLength", "maxLength"):
        if key in prop:
            out[key] = prop[key]
    if "pattern" in prop:
        out["pattern"] = _strip_anchors(prop["pattern"])
    if "minimum" in prop:
        out["minimum"] = prop["minimum"]
    return out


def _field(name: str, prop: dict[str, Any], required: bool, defs: dict[str, Any]) -> dict[str, Any]:
    """Translate one pydantic JSON Schema property into a Table Schema field."""
    variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
    (variant,) = variants
    field: dict[str, Any] = {"name": name, "title": prop.get("title", name)}
    description = prop.get("description", "").strip()
    constraints: dict[str, Any] = {"required": True} if required else {}

    if "$ref" in variant:
        enum_name = _enum_name(variant["$ref"])
        field["type"] = "string"
        constraints["enum"] = list(defs[enum_name]["enum"])
        description += f"\n\nValeurs : référentiel `{_referentiel_for(enum_name)}`."
    elif variant.get("type") == "array":
        field["type"] = "array"
        items = variant["items"]
        if "$ref" in items:
            enum_name = _enum_name(items["$ref"])
            item: dict[str, Any] = {"type": "string", "constraints": {"enum": list(defs[enum_name]["enum"])}}
            description += f"\n\nValeurs : référentiel `{_referentiel_for(enum_name)}`."
        else:
            item = {"type": "string", "constraints": {"pattern": _ZONE_ITEM_PATTERN}}
        field["arrayItem"] = item
        if "minItems" in variant:
            constraints["minLength"] = variant["minItems"]
        description += "\n\n" + ARRAY_ENCODING_NOTE
    elif variant.get("format") == "date":
        field["type"] = "date"
        constraints["minimum"] = "2000-01-01"
    elif variant.get("type") in ("number", "integer"):
        field["type"] = variant["type"]
        constraints.update(_constraints(variant))
    else:
        field["type"] = "string"
        if variant.get("format") == "email":
            field["format"] = "email"
        constraints.update(_constraints(variant))
        if variant.get("format") == "uri":
            field["format"] = "uri"
            constraints["pattern"] = _HTTP_URL_PATTERN
    if description:
        field["description"] = description
    examples = prop.get("examples")
    if examples:
        example = examples[0]
        field["example"] = json.dumps(example, ensure_ascii=False) if isinstance(example, list) else example
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of one table, fields in the model's order."""
    model = TABLES[table]
    js = model.model_json_schema()
    required = set(js.get("required", []))
    defs = js.get("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "title": f"data·inclusion schema v1 ({SCHEMA_PACKAGE_VERSION}): {table}",
        "description": (
            f"Généré depuis le paquet data-inclusion-schema=={SCHEMA_PACKAGE_VERSION} "
            f"(modèle `{model.__name__}`). {ARRAY_ENCODING_NOTE}"
        ),
        "fields": [_field(name, prop, name in required, defs) for name, prop in js["properties"].items()],
        "missingValues": [""],
        "primaryKey": ["id"],
    }
    if table == "services":
        schema["foreignKeys"] = [
            {"fields": ["structure_id"], "reference": {"resource": "structures", "fields": ["id"]}}
        ]
    return schema


def referentiel_rows(name: str) -> list[dict[str, str]]:
    """Rows (value, label, description) of one référentiel, sorted by value."""
    return [
        {"value": d["value"], "label": d["label"], "description": d["description"] or ""}
        for d in REFERENTIELS[name].as_dict_list()
    ]


def _csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["value", "label", "description"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def generated_files() -> dict[str, str]:
    """Every file of `schema/`, as relative path -> text."""
    files = {
        f"{table}.schema.json": json.dumps(table_schema(table), ensure_ascii=False, indent=2) + "\n"
        for table in TABLES
    }
    for name in REFERENTIELS:
        files[f"referentiels/{name}.csv"] = _csv_text(referentiel_rows(name))
    return files


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write the generated schema files; returns the paths written."""
    written = []
    for relative, text in generated_files().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def load(table: str, directory: Path = SCHEMA_DIR) -> dict[str, Any]:
    """The committed Table Schema of a table."""
    return json.loads((directory / f"{table}.schema.json").read_text(encoding="utf-8"))


def field_names(table: str) -> list[str]:
    return [f["name"] for f in load(table)["fields"]]


def referentiel_values(name: str, directory: Path = SCHEMA_DIR) -> list[str]:
    with (directory / "referentiels" / f"{name}.csv").open(encoding="utf-8") as handle:
        return [row["value"] for row in csv.DictReader(handle)]
