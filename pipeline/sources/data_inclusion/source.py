"""Producers who publish directly in the data·inclusion schema v1: CSV, JSON or the XLSX workbook.

Accepted files:
- JSON: an array of records, or a page of the data·inclusion API
  (`{"items": [...], "page": 1, "pages": 1}`, a page of a longer list is
  refused) or of a DRF API (`results`);
- CSV: one record per row, header = schema field names, `,` or `;` separated;
  lists as a JSON array (`["a","b"]`, as our own CSV files) or comma-separated;
- XLSX: the producers' workbook of the data·inclusion "valideur", sheets
  `Structures` and `Services`, header on the first row, rows whose `__ignore__`
  cell is set (descriptions, examples) skipped, lists comma-separated.

A file's stream comes from its name: `*.xlsx` is a workbook (both tables),
otherwise the name says `structures` or `services`. Records keep the producer's
ids; the published id is `data-inclusion--<producer id>` (not doubled when the
file already uses that prefix), so records of several producers never collide.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from pipeline.http import HttpClient
from pipeline.sources.base import FillRate, RawFile, Source, SourceError
from pipeline.sources.tabular import csv_records, decode_text, row_dict

SHEETS = {"structures": "Structures", "services": "Services"}
_FALSE = {"", "0", "false", "faux", "non", "no"}


class DataInclusion(Source):
    name = "data-inclusion"
    title = "Producteurs publiant au schéma data·inclusion"
    producer = "Producteurs de l'offre d'insertion publiant directement au schéma data·inclusion v1"
    licence = "etalab-2.0"
    homepage = "https://www.data.inclusion.gouv.fr"
    protocol = (
        "fichiers au schéma data·inclusion v1 téléchargés par URL (CSV, JSON ou classeur XLSX du valideur) ; "
        "URL à configurer, sans authentification"
    )
    streams = ("structures", "services", "workbooks")
    # No default: each deployment names the files of the producers it takes in.
    settings = {}
    url_settings = {"structures": "structures_url", "services": "services_url", "workbooks": "workbook_url"}
    fill_rates = (
        FillRate("structures", "adresse", 0.5),
        FillRate("services", "thematiques", 0.9),
        FillRate("services", "publics", 0.5),
    )

    def stream_of(self, filename: str) -> str:
        lower = filename.lower()
        if lower.endswith(".xlsx"):
            return "workbooks"
        for stream in ("services", "structures"):
            if stream in lower:
                return stream
        raise SourceError(
            f"{self.name}: cannot tell what file {filename!r} holds: name a workbook *.xlsx, "
            "or put `structures` or `services` in the file name"
        )

    def fetch(self, http: HttpClient) -> Iterator[RawFile]:
        configured = {stream: self._url(key) for stream, key in self.url_settings.items()}
        if not any(configured.values()):
            envs = ", ".join(f"DATAINCLUSION_{self.slug.upper()}_{k.upper()}" for k in self.url_settings.values())
            raise SourceError(f"{self.name}: no file URL is configured (set one of {envs})")
        for stream, url in configured.items():
            if not url:
                continue
            response = http.get(url)
            name = f"{stream}.{_extension(response.content)}"
            yield RawFile.from_response(name, stream, response, "application/octet-stream")

    def _url(self, key: str) -> str | None:
        return os.environ.get(f"DATAINCLUSION_{self.slug.upper()}_{key.upper()}") or self.settings.get(key)

    def parse(self, file: RawFile) -> Iterator[dict[str, Any]]:
        kind = _extension(file.content) if file.content else file.name.rsplit(".", 1)[-1].lower()
        if file.stream == "workbooks" or kind == "xlsx":
            yield from self._workbook(file)
        elif kind == "json":
            yield from self._json(file)
        else:
            header = decode_text(self.name, file).split("\n", 1)[0]
            delimiter = ";" if header.count(";") > header.count(",") else ","
            yield from csv_records(self.name, file, required=("id",), delimiter=delimiter)

    def _json(self, file: RawFile) -> Iterator[dict[str, Any]]:
        try:
            payload = json.loads(decode_text(self.name, file))
        except json.JSONDecodeError as exc:
            raise SourceError(
                f"{self.name}: file {file.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        if isinstance(payload, dict):
            if int(payload.get("pages") or 1) > 1:
                raise SourceError(
                    f"{self.name}: file {file.name} is page {payload.get('page')} of {payload.get('pages')} "
                    "of an API answer; give the complete list of records"
                )
            payload = payload.get("items", payload.get("results"))
        if not isinstance(payload, list):
            raise SourceError(
                f"{self.name}: file {file.name} holds no list of records (a JSON array or a page with items)"
            )
        for number, item in enumerate(payload, start=1):
            if not isinstance(item, dict):
                raise SourceError(f"{self.name}: file {file.name}, record {number} is not a JSON object")
            yield item

    def _workbook(self, file: RawFile) -> Iterator[dict[str, Any]]:
        """Rows of the Structures and Services sheets, each tagged with its table and Excel line."""
        try:
            book = load_workbook(io.BytesIO(file.content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise SourceError(f"{self.name}: file {file.name} is not a readable XLSX workbook ({exc})") from None
        sheets = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
        missing = [title for table, title in SHEETS.items() if table not in sheets]
        if missing:
            raise SourceError(f"{self.name}: workbook {file.name} has no sheet {' or '.join(missing)}")
        for table in SHEETS:
            rows = sheets[table].iter_rows(values_only=True)
            header = [_header(cell) for cell in next(rows, ())]
            for line, cells in enumerate(rows, start=2):
                values = [_cell(cell) for cell in cells]
                if not any(values):
                    continue
                record = row_dict(header, values)
                if str(record.pop("__ignore__", "") or "").strip().lower() not in _FALSE:
                    continue
                yield {"_table": table, "_ligne": line, **record}
        book.close()


def _extension(content: bytes) -> str:
    """A payload's format from its first bytes: xlsx (a zip), json or csv."""
    head = content.lstrip()[:1]
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "json" if head in (b"[", b"{") else "csv"


def _header(cell: object) -> str:
    return str(cell).strip() if cell is not None else ""


def _cell(value: object) -> str | None:
    """A workbook cell as the text a CSV would hold: integral numbers without `.0`, dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


SOURCE = DataInclusion()
