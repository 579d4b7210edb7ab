"""Hostile input: each record is published safely or quarantined with a reason."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from pipeline.paths import SOURCES_DIR
from pipeline.website import names
from tests.conftest import Workspace, shared_folder

SAMPLE = SOURCES_DIR / "dora" / "sample"
TEMPLATE = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))[1]  # a complete structure
LONG = "Très long " * 10_000  # 100 kB

ATTACKS = {
    "../../etc/passwd": {"name": "Traversée de chemin"},
    "a/b\\c": {"name": "Séparateurs de chemin"},
    "nul\u0000id": {"name": "Octet\u0000 nul"},
    "long": {"name": LONG, "fullDesc": LONG},
    "unicode": {"name": "\u202eCentre social 🏠 e\u0301lan \u05e9\u05dc\u05d5\u05dd"},
    "formula-eq": {"name": "=cmd|' /C calc'!A0"},
    "formula-plus": {"name": "+cmd|' /C notepad'!A0"},
    "formula-at": {"name": "@SUM(1+1)*cmd|' /C calc'!A0"},
    "html": {"name": "<script>alert(1)</script>Centre <b>gras</b>",
             "fullDesc": "<img src=x onerror=alert(1)><p>Un <a href=\"javascript:alert(2)\">lien</a></p>"},
    "javascript-url": {"name": "Lien piégé", "linkOnSource": "javascript:alert(document.cookie)",
                       "url": "javascript:alert(1)"},
}


def record_id(local: str) -> str:
    return "dora--" + local.replace("\u0000", "")


@pytest.fixture(scope="module")
def attacked(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "attacks"))
    folder = ws.root / "input"
    folder.mkdir()
    records = [dict(TEMPLATE, id=local, **fields) for local, fields in ATTACKS.items()]
    (folder / "structures.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (folder / "services.json").write_text("[]", encoding="utf-8")
    result = ws.run("--source", "dora", "--input", str(folder))
    assert result.exit_code == 0, result.output
    return ws


def published(ws: Workspace) -> dict[str, dict]:
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        cursor = con.execute("select * from pub__structures")
        columns = [d[0] for d in cursor.description]
        return {row[columns.index("id")]: dict(zip(columns, row)) for row in cursor.fetchall()}


def test_every_record_is_published_or_quarantined_with_a_reason(attacked: Workspace):
    rows = published(attacked)
    quarantined = dict(attacked.query("select record_id, string_agg(field || ':' || code, ' ') "
                                      "from int__quarantine group by record_id"))
    for local in ATTACKS:
        rid = record_id(local)
        assert (rid in rows) != (rid in quarantined), f"{rid!r}: published and quarantined, or lost"
    assert "lien_source" in quarantined[record_id("javascript-url")]
    assert "site_web" in quarantined[record_id("javascript-url")]


def test_long_strings_are_cut_to_the_schema_limits(attacked: Workspace):
    row = published(attacked)[record_id("long")]
    assert len(row["nom"]) == 150 and row["nom"].endswith("…")
    assert len(row["description"]) == 10_000


def test_control_and_bidi_characters_are_removed_unicode_kept(attacked: Workspace):
    rows = published(attacked)
    assert rows[record_id("unicode")]["nom"] == "Centre social 🏠 e\u0301lan \u05e9\u05dc\u05d5\u05dd"
    assert rows[record_id("nul\u0000id")]["nom"] == "Octet nul"
    for path in attacked.dist.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".geojson", ".html"):
            assert b"\x00" not in path.read_bytes(), path
            assert "\u202e".encode() not in path.read_bytes(), path


def test_html_is_text_in_the_data(attacked: Workspace):
    row = published(attacked)[record_id("html")]
    assert row["description"] == "Un lien"  # tags, the script and the image are gone
    assert row["nom"] == "<script>alert(1)</script>Centre <b>gras</b>"  # kept as text; escaped by every page


def test_formulas_are_escaped_in_csv_and_written_as_text_in_xlsx(attacked: Workspace):
    with (attacked.dist / "structures.csv").open(encoding="utf-8", newline="") as handle:
        names_in_csv = {r["id"]: r["nom"] for r in csv.DictReader(handle)}
    assert names_in_csv[record_id("formula-eq")] == "'=cmd|' /C calc'!A0"
    assert names_in_csv[record_id("formula-plus")] == "'+cmd|' /C notepad'!A0"
    assert names_in_csv[record_id("formula-at")] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    parquet = {r["id"]: r["nom"] for r in pq.read_table(attacked.dist / "structures.parquet").to_pylist()}
    assert parquet[record_id("formula-eq")] == "=cmd|' /C calc'!A0"  # typed formats keep the value
    sheet = openpyxl.load_workbook(attacked.dist / "offre-insertion.xlsx")["structures"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cell = row[header.index("nom")]
        assert cell.data_type == "s", (cell.value, cell.data_type)
    values = {row[header.index("id")].value: row[header.index("nom")].value for row in sheet.iter_rows(min_row=2)}
    assert values[record_id("formula-eq")] == "=cmd|' /C calc'!A0"


def test_path_like_ids_stay_inside_the_release(attacked: Workspace):
    rows = published(attacked)
    for local in ("../../etc/passwd", "a/b\\c"):
        rid = record_id(local)
        assert rid in rows
        api = attacked.dist / "site" / "api" / "v1" / "structures" / f"{names.encode(rid)}.json"
        assert api.is_file() and json.loads(api.read_text(encoding="utf-8"))["id"] == rid
    escaped = [p for p in attacked.root.rglob("passwd")]
    assert escaped == [], escaped
    for path in attacked.dist.rglob("*"):
        assert Path(path).resolve().is_relative_to(attacked.dist.resolve())
