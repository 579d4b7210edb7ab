"""One XLSX workbook: a sheet per table and a sheet documenting every column.

A minimal SpreadsheetML package written by hand (the parts below, one zip
entry each) rather than cell by cell through xlsxwriter, which took 41 s for
the 7 million cells of a national release: DuckDB builds each row's XML
(`xlsx_cells`) and the text is streamed, as Arrow buffers, into the deflated
zip entry of the sheet.

Cells are data, never formulas or links (a producer's text starting with `=`
stays text), lists are JSON arrays as in the CSV files, and every date of the
package (properties, zip entries) is the reference date, so the file is
byte-identical for the same inputs. A sheet holds at most Excel's 1,048,575
data rows.
"""

from __future__ import annotations

import queue
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa

from pipeline.publish.extensions import published_columns, published_schema
from pipeline.publish.xlsx_cells import column_letter, rows_sql, text_cell, xml_text

FILENAME = "offre-insertion.xlsx"
TABLES = ("structures", "services")
TITLE = "Offre d’insertion (schéma data·inclusion v1)"
MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
BATCH_ROWS = 4_096
COMPRESS_LEVEL = 1  # national scale: 91 MB in ~2 s of zlib; level 6 (zlib's default) 74 MB in ~6 s

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument"
COLUMN_SHEET = "colonnes"
COLUMN_HEADER = ["table", "colonne", "type", "obligatoire", "description"]


T = TypeVar("T")
_DONE = object()


class _NeedsZip64(Exception):
    """A sheet passed 2 GiB uncompressed: the package is written again with Zip64 entries."""


def _content_types(sheets: int) -> str:
    overrides = [("/xl/workbook.xml", f"{CT}.spreadsheetml.sheet.main+xml"),
                 *((f"/xl/worksheets/sheet{n}.xml", f"{CT}.spreadsheetml.worksheet+xml") for n in range(1, sheets + 1)),
                 ("/xl/styles.xml", f"{CT}.spreadsheetml.styles+xml"),
                 ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                 ("/docProps/app.xml", f"{CT}.extended-properties+xml")]
    return (f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides)
            + "</Types>")


def _relationships(targets: list[tuple[str, str]]) -> str:
    return (f'{XML}<Relationships xmlns="{PKG_REL}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>'
                      for n, (kind, target) in enumerate(targets, start=1))
            + "</Relationships>")


def _core(reference_date: date) -> str:
    stamp = f"{reference_date.isoformat()}T00:00:00Z"
    return (f'{XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{xml_text(TITLE)}</dc:title>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


APP = (f'{XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
       "<Application>data·inclusion</Application></Properties>")
# Two cell formats: 0 the default, 1 bold (the header row).
STYLES = (f'{XML}<styleSheet xmlns="{MAIN}">'
          '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill>'
          '<fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          "</styleSheet>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{xml_text(name)}" sheetId="{n}" r:id="rId{n}"/>'
                     for n, name in enumerate(names, start=1))
    return (f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>')


def _header_row(values: list[str]) -> str:
    cells = "".join(text_cell(f"{column_letter(i)}1", value, style=1) for i, value in enumerate(values))
    return f'<row r="1">{cells}</row>'


def _sheet_start(columns: int, rows: int, frozen: bool, selected: bool, widths: str = "") -> str:
    """Everything before the data rows: size, view (header row frozen), column widths, header."""
    pane = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' \
           '<selection pane="bottomLeft"/>' if frozen else ""
    tab = ' tabSelected="1"' if selected else ""
    return (f'{XML}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<dimension ref="A1:{column_letter(columns - 1)}{rows + 1}"/>'
            f'<sheetViews><sheetView{tab} workbookViewId="0">{pane}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{widths}<sheetData>')


SHEET_END = ('</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
             "</worksheet>")


def _row_chunks(con: duckdb.DuckDBPyConnection, table: str, limit: int) -> Iterator[memoryview]:
    """The UTF-8 XML of the table's rows in id order, as slices of Arrow buffers (no Python string per row)."""
    relation = f"pub__{table}"
    types = dict(con.execute(f"select column_name, column_type from (describe {relation})").fetchall())
    for batch in con.sql(rows_sql(relation, table, types, limit)).to_arrow_reader(BATCH_ROWS):
        column = batch.column(0)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = column.cast(pa.large_string())  # a string view, say: into contiguous data
        if len(column):
            _, offsets, data = column.buffers()
            # The rows lie end to end in `data`, between their first and last offsets (int32 or int64).
            bounds = memoryview(offsets).cast("i" if pa.types.is_string(column.type) else "q")
            yield memoryview(data)[bounds[column.offset]:bounds[column.offset + len(column)]]


def _prefetched(items: Iterator[T], depth: int = 8) -> Iterator[T]:
    """`items` computed by a worker thread up to `depth` ahead of the consumer.

    DuckDB builds the next rows while zlib compresses the previous ones: both
    release the GIL, so the two run on two cores.
    """
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                ahead.put(item)
                if stop.is_set():
                    return
            ahead.put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            ahead.put(error)

    worker = threading.Thread(target=produce, name="xlsx-rows", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting for room, so that it sees `stop`
            try:
                ahead.get(timeout=0.1)
            except queue.Empty:
                pass


class _Package:
    """The zip container: entries in a fixed order, each stamped with the reference date."""

    def __init__(self, path: Path, reference_date: date, zip64: bool) -> None:
        self.archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
        self.stamp = (reference_date.year, reference_date.month, reference_date.day, 0, 0, 0)
        self.zip64 = zip64

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = COMPRESS_LEVEL  # read by `ZipFile.open` (public name only from Python 3.13)
        info.create_system = 3  # Unix, whatever the machine writing it
        info.external_attr = 0o600 << 16
        return info

    def text(self, name: str, content: str) -> None:
        self.archive.writestr(self._info(name), content.encode("utf-8"))

    def stream(self, name: str, parts: Iterator[bytes | memoryview]) -> None:
        written = 0
        with self.archive.open(self._info(name), "w", force_zip64=self.zip64) as entry:
            for part in parts:
                written += len(part)
                if written > zipfile.ZIP64_LIMIT and not self.zip64:
                    raise _NeedsZip64(name)
                entry.write(part)

    def close(self) -> None:
        self.archive.close()


def _table_sheets(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> Iterator[tuple[int, bytes | memoryview]]:
    """(sheet number, XML chunk) of every table sheet in turn: one stream, so the next query overlaps compression."""
    for number, table in enumerate(TABLES, start=1):
        columns = published_columns(table)
        start = _sheet_start(len(columns), counts[table], frozen=True, selected=number == 1) + _header_row(columns)
        yield number, start.encode("utf-8")
        for chunk in _row_chunks(con, table, counts[table]):
            yield number, chunk
        yield number, SHEET_END.encode("utf-8")


def _column_sheet() -> str:
    """One row per published column: table, name, type, required, description."""
    rows = [_header_row(COLUMN_HEADER)]
    for table in TABLES:
        for field in published_schema(table)["fields"]:
            required = "oui" if field.get("constraints", {}).get("required") else "non"
            values = [table, field["name"], field["type"], required, field.get("description", "")]
            number = len(rows) + 1
            rows.append(f'<row r="{number}">'
                        + "".join(text_cell(f"{column_letter(i)}{number}", v) for i, v in enumerate(values) if v)
                        + "</row>")
    widths = '<cols><col min="5" max="5" width="100.7109375" customWidth="1"/></cols>'
    return (_sheet_start(len(COLUMN_HEADER), len(rows) - 1, frozen=False, selected=False, widths=widths)
            + "".join(rows) + SHEET_END)


def _write(con: duckdb.DuckDBPyConnection, path: Path, reference_date: date, counts: dict[str, int],
           zip64: bool) -> None:
    names = [*TABLES, COLUMN_SHEET]
    sheet = f"{REL}/worksheet"
    package = _Package(path, reference_date, zip64)
    try:
        package.text("[Content_Types].xml", _content_types(len(names)))
        package.text("_rels/.rels", _relationships([
            (f"{REL}/officeDocument", "xl/workbook.xml"),
            (f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"),
            (f"{REL}/extended-properties", "docProps/app.xml"),
        ]))
        package.text("docProps/app.xml", APP)
        package.text("docProps/core.xml", _core(reference_date))
        package.text("xl/workbook.xml", _workbook(names))
        package.text("xl/_rels/workbook.xml.rels", _relationships(
            [(sheet, f"worksheets/sheet{n}.xml") for n in range(1, len(names) + 1)] + [(f"{REL}/styles", "styles.xml")]))
        package.text("xl/styles.xml", STYLES)
        sheets = _prefetched(_table_sheets(con, counts))
        try:
            for number, chunks in groupby(sheets, key=itemgetter(0)):
                package.stream(f"xl/worksheets/sheet{number}.xml", (chunk for _, chunk in chunks))
        finally:
            sheets.close()  # now, not when garbage-collected: the worker thread must be done with `con`
        package.text(f"xl/worksheets/sheet{len(names)}.xml", _column_sheet())
    finally:
        package.close()


def write(con: duckdb.DuckDBPyConnection, path: Path, reference_date: date) -> dict[str, int]:
    """Write the workbook; returns the row count of each table sheet."""
    counts = {table: min(con.execute(f"select count(*) from pub__{table}").fetchall()[0][0], MAX_DATA_ROWS)
              for table in TABLES}
    try:
        _write(con, path, reference_date, counts, zip64=False)
        return counts
    except _NeedsZip64:
        pass
    _write(con, path, reference_date, counts, zip64=True)  # Excel 2007 warns on Zip64: only when needed
    return counts
