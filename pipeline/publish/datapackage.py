"""`datapackage.json`: a Frictionless Data Package v2 describing every file of the release."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.publish import companions
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
TITLE = "Référentiel de l’offre d’insertion : structures et services (schéma data·inclusion v1)"
DESCRIPTION = (
    "Structures et services d’insertion sociale et professionnelle collectés auprès de plusieurs "
    f"producteurs, alignés sur le schéma data·inclusion v1 (data-inclusion-schema {SCHEMA_PACKAGE_VERSION}), "
    "géocodés, validés et historisés. Les champs à valeurs multiples sont des tableaux JSON dans les "
    "fichiers CSV et XLSX, des listes dans les fichiers Parquet et des tableaux dans les fichiers JSON."
)
TITLES = {
    "structures": "Structures d’insertion",
    "services": "Services d’insertion",
    "changes": "Changements depuis la publication précédente",
    "registry": "Registre des identifiants (première et dernière publication)",
    "doublons": "Paires de structures en doublon probable (entre sources et dans une source)",
    "history-structures": "Historique des structures (intervalles de validité)",
    "history-services": "Historique des services (intervalles de validité)",
    "history-releases": "Dates des publications",
    "datainclusion": "Base DuckDB de la publication (tables, historique, changements)",
}
CONTRIBUTORS = [
    {"title": "Publieur open data data·inclusion", "roles": ["publisher"]},
]


def _schema_path(table: str) -> str:
    return f"schema/{table}.schema.json"


def resource(file: ExportedFile, name: str, base: Path, schema_path: str | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "name": name,
        "title": f"{TITLES.get(file.table, file.table)} ({file.format.upper()})",
        "path": file.path.relative_to(base).as_posix(),
        "format": file.format,
        "mediatype": file.media_type,
        "bytes": file.bytes,
        "hash": f"sha256:{file.sha256}",
        "licenses": [LICENCE],
    }
    if not file.reproducible:
        # Its checksum changes at every build (see SHA256SUMS); the package itself stays reproducible.
        del descriptor["hash"]
        descriptor["description"] = ("Base DuckDB : mêmes tables d’une construction à l’autre, mais DuckDB "
                                     "inscrit un identifiant aléatoire dans chaque fichier ; son empreinte "
                                     "est dans SHA256SUMS.")
    if file.tabular and schema_path:
        descriptor = {"name": descriptor.pop("name"), "type": "table", **descriptor, "rows": file.rows,
                      "schema": schema_path}
    if file.format in ("csv", "json", "geojson"):
        descriptor["encoding"] = "utf-8"
    if file.format == "csv":
        descriptor["dialect"] = {"delimiter": ",", "quoteChar": '"', "header": True}
    if file.sheet:
        # `sheetName` is the Data Package v2 property; frictionless-py 5 reads its own `excel.sheet`.
        descriptor["dialect"] = {"sheetName": file.sheet, "excel": {"sheet": file.sheet}}
    return descriptor


def write_schemas(directory: Path, schemas: dict[str, dict[str, Any]]) -> None:
    """Published Table Schemas beside the data, so the package is self-contained."""
    (directory / "schema").mkdir(parents=True, exist_ok=True)
    for table, descriptor in schemas.items():
        text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
        (directory / _schema_path(table)).write_text(text, encoding="utf-8")


def table_schemas(base: Path) -> dict[str, dict[str, Any]]:
    """The Table Schema of every tabular dataset of the release."""
    schemas = {table: published_schema(table) for table in ("structures", "services")}
    for file, schema in companions.present(base):
        schemas.setdefault(file.table, schema)
    return schemas


def build(files: list[ExportedFile], base: Path, reference_date: date, sources: list[Source]) -> dict[str, Any]:
    """The descriptor of `files` (in that order), writing the schemas they use under `schema/`."""
    schemas = table_schemas(base)
    write_schemas(base, schemas)
    # A table's first file (CSV for structures and services) carries the table's
    # name, which foreign keys point at; its other formats add theirs.
    seen: set[str] = set()
    resources = []
    for f in files:
        name = f.table if f.table not in seen else f"{f.table}-{f.format}"
        seen.add(f.table)
        resources.append(resource(f, name, base, _schema_path(f.table) if f.table in schemas else None))
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": PACKAGE_NAME,
        "title": TITLE,
        "description": DESCRIPTION,
        "version": reference_date.isoformat(),
        "licenses": [LICENCE],
        "keywords": ["insertion", "inclusion", "social", "emploi", "data·inclusion", "schéma"],
        "contributors": CONTRIBUTORS + [
            {"title": f"{s.title} ({s.producer})", "roles": ["producer"], "path": s.homepage} for s in sources
        ],
        "sources": [
            {"title": f"{s.title} ({s.producer})", "path": s.homepage, "license": s.licence} for s in sources
        ],
        "resources": resources,
    }


def write(files: list[ExportedFile], base: Path, reference_date: date, sources: list[Source]) -> dict[str, Any]:
    descriptor = build(files, base, reference_date, sources)
    path = base / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return descriptor
