"""`datapackage.json`: a Frictionless Data Package v2 describing every data file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.publish.export import ExportedFile
from pipeline.publish.extensions import published_schema
from pipeline.schema import SCHEMA_PACKAGE_VERSION
from pipeline.sources.base import Source

LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}
PACKAGE_NAME = "offre-insertion-data-inclusion"
TITLES = {"structures": "Structures d’insertion", "services": "Services d’insertion"}


def write_schemas(directory: Path) -> None:
    """Published Table Schemas beside the data, so the package is self-contained."""
    target = directory / "schema"
    target.mkdir(parents=True, exist_ok=True)
    for table in TITLES:
        text = json.dumps(published_schema(table), ensure_ascii=False, indent=2) + "\n"
        (target / f"{table}.schema.json").write_text(text, encoding="utf-8")


def resource_name(file: ExportedFile) -> str:
    """CSV resources carry the table name (foreign keys point at them); others add the format."""
    return file.table if file.format == "csv" else f"{file.table}-{file.format}"


def resource(file: ExportedFile, base: Path) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "name": resource_name(file),
        "type": "table",
        "title": f"{TITLES[file.table]} ({file.format.upper()})",
        "path": file.path.relative_to(base).as_posix(),
        "format": file.format,
        "mediatype": file.media_type,
        "bytes": file.bytes,
        "hash": f"sha256:{file.sha256}",
        "rows": file.rows,
        "schema": f"schema/{file.table}.schema.json",
        "licenses": [LICENCE],
    }
    if file.format in ("csv", "json"):
        descriptor["encoding"] = "utf-8"
    if file.format == "csv":
        descriptor["dialect"] = {"delimiter": ",", "quoteChar": '"', "header": True}
    return descriptor


def build(files: list[ExportedFile], base: Path, reference_date: date, sources: list[Source]) -> dict[str, Any]:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": PACKAGE_NAME,
        "title": "Référentiel de l’offre d’insertion : structures et services (schéma data·inclusion v1)",
        "description": (
            "Structures et services d’insertion sociale et professionnelle collectés auprès de "
            "plusieurs producteurs, alignés sur le schéma data·inclusion v1 "
            f"(data-inclusion-schema {SCHEMA_PACKAGE_VERSION}) et validés. Les champs à valeurs "
            "multiples sont des tableaux JSON dans les fichiers CSV."
        ),
        "version": reference_date.isoformat(),
        "licenses": [LICENCE],
        "keywords": ["insertion", "inclusion", "social", "emploi", "data·inclusion"],
        "sources": [
            {"title": f"{s.title} ({s.producer})", "path": s.homepage, "license": s.licence} for s in sources
        ],
        "resources": [resource(f, base) for f in files],
    }


def write(files: list[ExportedFile], base: Path, reference_date: date, sources: list[Source]) -> Path:
    write_schemas(base)
    path = base / "datapackage.json"
    descriptor = build(files, base, reference_date, sources)
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
