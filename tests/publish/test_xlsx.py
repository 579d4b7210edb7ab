"""The XLSX workbook on hostile cells: read back by openpyxl, byte-identical, a valid package."""

from __future__ import annotations

import csv
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from pipeline.publish import xlsx
from pipeline.publish.extensions import published_columns, published_schema

REFERENCE = date(2026, 11, 28)
SQL_TYPES = {"string": "VARCHAR", "date": "DATE", "number": "DOUBLE", "integer": "BIGINT", "boolean": "BOOLEAN",
             "array": "VARCHAR[]"}
LONG = "é" * 100_000
EXACT = "a" * 32_767
# Texts that a spreadsheet or an XML writer could take for something else; each is a structure's `nom`.
HOSTILE = {
    "formula-eq": "=cmd|' /C calc'!A0",
    "formula-plus": "+1+1",
    "formula-minus": "-2",
    "formula-at": "@SUM(1+1)",
    "ooxml-escape": "_x0041_",
    "ooxml-escapes": "a_x00e9_b_X00FF__x005F_c_x12_ _x1_ _x123_ _x1F600_",
    "markup": "<b>&amp; \"guillemets\" 'apostrophes'</b> & < >",
    "emoji": "Famille 👨‍👩‍👧 👍🏽",
    "rtl": "\u200fשלום\u202e inversé",
    "combining": "e\u0301te\u0301 cafe\u0301",
    "long": LONG,
    "exact": EXACT,
    "spaces": "  espacé  ",
    "lines": "ligne 1\nligne 2\tfin\n",
    "controls": "a\x00b\x01c\x0bd\x1fe\rf",
    "non-characters": "x\ufffey\uffff",
    "url": "https://exemple.fr/?a=1&b=2",
}


def _create(con: duckdb.DuckDBPyConnection, table: str) -> None:
    fields = published_schema(table)["fields"]
    columns = ", ".join(f"{f['name']} {SQL_TYPES[f['type']]}" for f in fields)
    con.execute(f"create table pub__{table} ({columns})")


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    names = list(row)
    con.execute(f"insert into pub__{table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
                list(row.values()))


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for table in xlsx.TABLES:
        _create(con, table)
    for key, text in HOSTILE.items():
        _insert(con, "structures", {"source": "test", "id": f"test--{key}", "nom": text, "date_maj": REFERENCE})
    _insert(con, "structures", {
        "source": "test", "id": "test--typed", "nom": "", "date_maj": date(1999, 1, 2), "description": None,
        "longitude": 2.3522, "latitude": -48.8566, "score_qualite": 0.1 + 0.2,
        "reseaux_porteurs": ["france-travail", "b,c", "é\"q", "=1"], "adresse_certifiee": True,
    })
    _insert(con, "structures", {"source": "test", "id": "test--edge-numbers", "nom": "n", "date_maj": REFERENCE,
                                "longitude": 1e-7, "latitude": 1e20, "score_qualite": float("nan"),
                                "reseaux_porteurs": [], "adresse_certifiee": False})
    _insert(con, "structures", {"source": "test", "id": "test--infinite", "nom": "i", "date_maj": REFERENCE,
                                "longitude": float("inf"), "latitude": float("-inf")})
    _insert(con, "services", {"source": "test", "structure_id": "test--typed", "id": "test--service", "nom": "S",
                              "description": "=HYPERLINK(\"http://x\")", "date_maj": REFERENCE,
                              "thematiques": ["a--b"], "nombre_semaines": 52, "volume_horaire_hebdomadaire": 35.5})
    yield con
    con.close()


def _sheet(path: Path, table: str) -> dict[str, dict[str, object]]:
    """Rows of a sheet by id, each as {column: value} for the cells present."""
    rows = list(openpyxl.load_workbook(path, read_only=True)[table].iter_rows(values_only=True))
    header = list(rows[0])
    assert header == published_columns(table)
    return {row[header.index("id")]: {c: v for c, v in zip(header, row) if v is not None} for row in rows[1:]}


def test_hostile_texts_read_back(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    path = tmp_path / xlsx.FILENAME
    assert xlsx.write(warehouse, path, REFERENCE) == {"structures": len(HOSTILE) + 3, "services": 1}
    rows = _sheet(path, "structures")
    for key, text in HOSTILE.items():
        raw = rows[f"test--{key}"]["nom"]
        if len(text) > 32_767:
            text = text[:32_766] + "…"
        # Excel and LibreOffice decode OOXML's `_xHHHH_` escapes (openpyxl leaves them as written).
        assert unescape(raw) == text, key
    assert rows["test--ooxml-escape"]["nom"] == "_x005F_x0041_"
    assert rows["test--controls"]["nom"] == "a_x0000_b_x0001_c_x000B_d_x001F_e_x000D_f"
    assert len(unescape(rows["test--long"]["nom"])) == 32_767
    assert rows["test--exact"]["nom"] == EXACT


def test_typed_cells_read_back(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    path = tmp_path / xlsx.FILENAME
    xlsx.write(warehouse, path, REFERENCE)
    structures = _sheet(path, "structures")
    typed = structures["test--typed"]
    assert "nom" not in typed and "description" not in typed  # empty text and NULL: no cell
    assert typed["date_maj"] == "1999-01-02"
    assert typed["longitude"] == 2.3522 and typed["latitude"] == -48.8566
    assert typed["score_qualite"] == 0.1 + 0.2  # every digit kept
    assert typed["reseaux_porteurs"] == '["france-travail","b,c","é\\"q","=1"]'
    assert typed["adresse_certifiee"] is True
    edge = structures["test--edge-numbers"]
    assert edge["longitude"] == 1e-7 and edge["latitude"] == 1e20 and edge["reseaux_porteurs"] == "[]"
    assert edge["adresse_certifiee"] is False and "score_qualite" not in edge  # NaN: no cell
    assert "longitude" not in structures["test--infinite"] and "latitude" not in structures["test--infinite"]
    service = _sheet(path, "services")["test--service"]
    assert service["nombre_semaines"] == 52 and isinstance(service["nombre_semaines"], int)
    assert service["volume_horaire_hebdomadaire"] == 35.5
    assert service["description"] == "=HYPERLINK(\"http://x\")" and service["thematiques"] == '["a--b"]'


def test_cells_are_data_and_the_workbook_is_dressed(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    path = tmp_path / xlsx.FILENAME
    xlsx.write(warehouse, path, REFERENCE)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["structures", "services", "colonnes"]
    assert workbook.properties.title == "Offre d’insertion (schéma data·inclusion v1)"
    assert workbook.properties.created == datetime(2026, 11, 28)
    for table in xlsx.TABLES:
        sheet = workbook[table]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1]) and not any(cell.font.b for cell in sheet[2])
        assert sheet.max_row == warehouse.execute(f"select count(*) + 1 from pub__{table}").fetchall()[0][0]
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                assert cell.hyperlink is None
    columns = list(workbook["colonnes"].iter_rows(values_only=True))
    assert columns[0] == ("table", "colonne", "type", "obligatoire", "description")
    assert [(r[0], r[1]) for r in columns[1:]] == [(t, c) for t in xlsx.TABLES for c in published_columns(t)]
    assert ("services", "nombre_semaines", "integer", "non") in {r[:4] for r in columns}
    assert ("structures", "nom", "string", "oui") in {r[:4] for r in columns}
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(f"xl/worksheets/sheet{n}.xml") for n in (1, 2, 3)]
        assert archive.testzip() is None
    assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheets)


def test_same_inputs_same_bytes(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    xlsx.write(warehouse, first, REFERENCE)
    xlsx.write(warehouse, second, REFERENCE)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml" and "xl/styles.xml" in names and "docProps/core.xml" in names
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 28, 0, 0, 0)}
    xlsx.write(warehouse, second, date(2026, 11, 29))
    assert first.read_bytes() != second.read_bytes()  # the reference date is in the package


def test_a_sheet_stops_at_excel_row_limit(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "big.duckdb"))
    for table in xlsx.TABLES:
        _create(con, table)
    con.execute("insert into pub__structures (id) select printf('s%07d', i) from range(1048580) t(i)")
    path = tmp_path / xlsx.FILENAME
    assert xlsx.write(con, path, REFERENCE) == {"structures": 1_048_575, "services": 0}
    with zipfile.ZipFile(path) as archive:
        data = archive.read("xl/worksheets/sheet1.xml")
        services = archive.read("xl/worksheets/sheet2.xml")
    assert b'<dimension ref="W1048576"' not in data and b'<dimension ref="A1:W1048576"/>' in data
    assert data.count(b"<row ") == 1_048_576
    assert b'<c r="B1048576" t="inlineStr"><is><t>s1048574</t></is></c></row></sheetData>' in data
    assert b'<dimension ref="A1:AI1"/>' in services and services.count(b"<row ") == 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed on this machine")
def test_libreoffice_reads_every_text_as_written(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    """LibreOffice decodes the OOXML escapes (openpyxl does not): every hostile text reads back as itself."""
    path = tmp_path / xlsx.FILENAME
    xlsx.write(warehouse, path, REFERENCE)
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(tmp_path), str(path)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "offre-insertion-structures.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    for key, text in HOSTILE.items():
        assert rows[f"test--{key}"]["nom"] == (text if len(text) <= 32_767 else text[:32_766] + "…"), key
    assert rows["test--typed"]["reseaux_porteurs"] == '["france-travail","b,c","é\\"q","=1"]'
    assert rows["test--typed"]["adresse_certifiee"] == "TRUE" and rows["test--typed"]["latitude"] == "-48.8566"
    assert (tmp_path / "offre-insertion-colonnes.csv").read_text(encoding="utf-8").startswith(
        "table,colonne,type,obligatoire,description")


def test_zip64_package_reads_back(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    """The package written again with Zip64 entries, as when a sheet passes 2 GiB, holds the same cells."""
    plain, zip64 = tmp_path / "plain.xlsx", tmp_path / "zip64.xlsx"
    counts = xlsx.write(warehouse, plain, REFERENCE)
    xlsx._write(warehouse, zip64, REFERENCE, counts, zip64=True)
    assert plain.read_bytes() != zip64.read_bytes()
    for table in xlsx.TABLES:
        assert _sheet(zip64, table) == _sheet(plain, table)
