"""`catalog.jsonld`: a DCAT-AP catalogue of the release, for data.gouv.fr harvesting.

The dataset keeps a stable `dct:identifier` across releases (the harvester
keys on it); each file is a distribution with its download URL, media type,
byte size and SHA-256 checksum; `dct:conformsTo` points at the Table Schemas.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.publish.datapackage import DESCRIPTION, LICENCE, PACKAGE_NAME, TITLE, TITLES
from pipeline.publish.export import ExportedFile

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
WEEKLY = "http://publications.europa.eu/resource/authority/frequency/WEEKLY"
FRANCE = "http://publications.europa.eu/resource/authority/country/FRA"
SCHEMA_DOC = "https://pypi.org/project/data-inclusion-schema/1.0.10/"
KEYWORDS = ["insertion", "inclusion", "social", "emploi", "data·inclusion"]


def _date(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def distribution(file: ExportedFile, base: Path, public_url: str) -> dict[str, Any]:
    url = public_url + file.path.relative_to(base).as_posix()
    title = f"{TITLES.get(file.table, file.table)} ({file.format.upper()})"
    entry: dict[str, Any] = {
        "@id": url + (f"#{file.sheet}" if file.sheet else ""),
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:downloadURL": {"@id": url},
        "dcat:accessURL": {"@id": url},
        "dct:format": file.format.upper(),
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{file.media_type}"},
        "dcat:byteSize": {"@value": str(file.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": file.sha256,
        },
        "dct:license": {"@id": LICENCE["path"]},
    }
    if not file.reproducible:
        del entry["spdx:checksum"]
    if file.table in ("structures", "services"):
        entry["dct:conformsTo"] = {"@id": f"{public_url}schema/{file.table}.schema.json"}
    return entry


def build(files: list[ExportedFile], base: Path, public_url: str, publisher: str, issued: date,
          modified: date, coverage: tuple[date, date] | None) -> dict[str, Any]:
    public_url = public_url.rstrip("/") + "/"
    dataset_iri = f"{public_url}#dataset"
    dataset: dict[str, Any] = {
        "@id": dataset_iri,
        "@type": "dcat:Dataset",
        "dct:identifier": PACKAGE_NAME,
        "dct:title": TITLE,
        "dct:description": DESCRIPTION,
        "dct:publisher": {"@id": f"{public_url}#publisher", "@type": "foaf:Organization", "foaf:name": publisher},
        "dct:license": {"@id": LICENCE["path"]},
        "dct:accrualPeriodicity": {"@id": WEEKLY},
        "dct:spatial": {"@id": FRANCE},
        "dct:conformsTo": [{"@id": SCHEMA_DOC},
                           *({"@id": f"{public_url}schema/{t}.schema.json"} for t in ("structures", "services"))],
        "dct:issued": _date(issued),
        "dct:modified": _date(modified),
        "dcat:keyword": KEYWORDS,
        "dcat:landingPage": {"@id": f"{public_url}site/index.html"},
        "dcat:distribution": [distribution(f, base, public_url) for f in files],
    }
    if coverage:
        dataset["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(coverage[0]),
            "dcat:endDate": _date(coverage[1]),
        }
    catalog = {
        "@id": f"{public_url}catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": f"Catalogue : {TITLE}",
        "dct:publisher": {"@id": f"{public_url}#publisher"},
        "dcat:dataset": {"@id": dataset_iri},
    }
    return {"@context": CONTEXT, "@graph": [catalog, dataset]}


def write(path: Path, descriptor: dict[str, Any]) -> None:
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
