"""The static JSON API (`api/v1/`): document shapes, the page envelope, and `index.json`.

Shapes are documented by JSON Schemas in `site/schemas/api/` (published
under `api/v1/schemas/`) and on the API page. Every link inside a document is
a path relative to the site root (or an absolute URL when `base_url` is set).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pipeline.website import names
from pipeline.website.output import FileEntry

API = "api/v1"
PAGE_SIZE = 1000
# Structures embed their services as summaries (the full record is
# services/{id}.json): full copies would double the services' weight and push
# the national site past GitHub Pages' 1 GB.
SERVICE_SUMMARY_FIELDS = ("id", "nom", "type", "thematiques")


def dumps(document: Any) -> str:
    """Compact, deterministic JSON (UTF-8 text, key order as built)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def structure_path(record_id: str) -> str:
    return f"{API}/structures/{names.encode(record_id)}.json"


def service_path(record_id: str) -> str:
    return f"{API}/services/{names.encode(record_id)}.json"


def structure_document(record: dict[str, Any], services: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    summaries = [
        {**{k: v.get(k) for k in SERVICE_SUMMARY_FIELDS}, "api": base_url + service_path(v["id"])}
        for v in services
    ]
    return {**record, "services": summaries}


def page_name(stem: str, number: int) -> str:
    """`structures.json` for page 1, `structures-2.json` for page 2…"""
    return f"{stem}.json" if number == 1 else f"{stem}-{number}.json"


def paginate(folder: str, stem: str, items: list[str], base_url: str,
             size: int = PAGE_SIZE) -> Iterator[tuple[str, str]]:
    """Pages of already-serialised items in the `{items, total, page, size, pages, next}` envelope."""
    total = len(items)
    pages = max(1, -(-total // size))
    for number in range(1, pages + 1):
        chunk = items[(number - 1) * size : number * size]
        following = f'"{base_url}{folder}/{page_name(stem, number + 1)}"' if number < pages else "null"
        text = (f'{{"items":[{",".join(chunk)}],"total":{total},"page":{number},"size":{size},'
                f'"pages":{pages},"next":{following}}}')
        yield f"{folder}/{page_name(stem, number)}", text


def index_document(files: list[FileEntry], reference_date: str) -> dict[str, Any]:
    """`index.json`: every other file of the API with its sha256 and size."""
    prefix = API + "/"
    return {
        "version": "v1",
        "reference_date": reference_date,
        "files": [
            {"path": rel[len(prefix):], "sha256": sha, "bytes": size}
            for rel, sha, size in files
            if rel.startswith(prefix) and rel != f"{API}/index.json"
        ],
    }
