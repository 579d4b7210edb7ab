"""JSON Schemas of the record files, generated from the published Table Schemas.

`structure.schema.json` and `service.schema.json` follow the published
columns (schema v1 plus the publisher's), so a column added in
`pipeline.publish.extensions` is documented and checked without touching
the site. The other API schemas are hand-written in `site/schemas/api/`.
"""

from __future__ import annotations

from typing import Any

from pipeline.publish.extensions import published_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
TYPES = {"string": "string", "date": "string", "datetime": "string", "number": "number",
         "integer": "integer", "boolean": "boolean", "array": "array"}


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _constraints(constraints: dict[str, Any], kind: str, nullable: bool) -> dict[str, Any]:
    """Table Schema constraints in JSON Schema words (patterns anchored, list lengths as items)."""
    out: dict[str, Any] = {}
    if "enum" in constraints:
        out["enum"] = list(constraints["enum"]) + ([None] if nullable else [])
    if "pattern" in constraints:
        out["pattern"] = _anchored(constraints["pattern"])
    low, high = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
    if "minLength" in constraints:
        out[low] = constraints["minLength"]
    if "maxLength" in constraints:
        out[high] = constraints["maxLength"]
    if "minimum" in constraints and kind in ("number", "integer"):
        out["minimum"] = constraints["minimum"]
    return out


def field_schema(field: dict[str, Any]) -> dict[str, Any]:
    kind = TYPES.get(field["type"], "string")
    constraints = field.get("constraints", {})
    schema: dict[str, Any] = {"type": kind if constraints.get("required") else [kind, "null"]}
    if field.get("description"):
        schema["description"] = field["description"]
    if field["type"] == "date":
        schema["format"] = "date"
    schema.update(_constraints(constraints, kind, nullable=not constraints.get("required")))
    if kind == "array":
        item = field.get("arrayItem", {})
        schema["items"] = {"type": TYPES.get(item.get("type", "string"), "string"),
                           **_constraints(item.get("constraints", {}), "string", nullable=False)}
    return schema


def record_schema(table: str, title: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    fields = published_schema(table)["fields"]
    properties = {f["name"]: field_schema(f) for f in fields}
    properties.update(extra or {})
    return {
        "$schema": DRAFT,
        "$id": f"{table[:-1]}.schema.json",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


SERVICES_SUMMARY = {
    "description": "Les services de la structure, en résumé ; l’enregistrement complet est à l’adresse `api`.",
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "nom": {"type": "string"},
            "type": {"type": ["string", "null"]},
            "thematiques": {"type": ["array", "null"], "items": {"type": "string"}},
            "api": {"type": "string"},
        },
        "required": ["id", "nom", "type", "thematiques", "api"],
        "additionalProperties": False,
    },
}


def generated() -> dict[str, dict[str, Any]]:
    """File name -> schema, for the schemas derived from the published columns."""
    return {
        "structure.schema.json": record_schema(
            "structures", "Une structure (api/v1/structures/{id}.json)", {"services": SERVICES_SUMMARY}),
        "service.schema.json": record_schema("services", "Un service (api/v1/services/{id}.json)"),
    }
