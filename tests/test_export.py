"""Published files: valid package, round-trip with the warehouse, byte-identical reruns."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from frictionless import Package

from pipeline.publish.extensions import published_columns
from tests.conftest import Workspace


@pytest.fixture(scope="module")
def published(sample_run: Workspace) -> Workspace:
    return sample_run


def _warehouse_rows(ws: Workspace, table: str) -> list[dict]:
    import duckdb

    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        cursor = con.execute(f"select {', '.join(published_columns(table))} from pub__{table} order by id")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def test_frictionless_reports_the_package_valid(published: Workspace):
    report = Package(str(published.dist / "datapackage.json")).validate()
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((published.dist / "datapackage.json").read_text(encoding="utf-8"))
    assert len(report.tasks) == len(descriptor["resources"])


def test_datapackage_describes_each_file(published: Workspace):
    descriptor = json.loads((published.dist / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["licenses"][0]["name"] == "etalab-2.0"
    assert descriptor["version"] == "2026-11-28"
    names = [r["name"] for r in descriptor["resources"]]
    assert names == [
        "structures", "structures-parquet", "structures-json", "structures-geojson",
        "services", "services-parquet", "services-json", "services-geojson",
        "structures-xlsx", "services-xlsx", "datainclusion",
        "changes", "changes-parquet", "registry", "doublons", "doublons-parquet",
        "history-structures", "history-services", "history-releases",
    ]
    for resource in descriptor["resources"]:
        content = (published.dist / resource["path"]).read_bytes()
        assert resource["bytes"] == len(content)
        if resource["format"] != "duckdb":
            assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        if resource.get("type") == "table":
            assert (published.dist / resource["schema"]).is_file()
            assert isinstance(resource["rows"], int)
    assert [c["title"] for c in descriptor["contributors"]][0] == "Publieur open data data·inclusion"
    assert descriptor["sources"][0]["license"]


def test_parquet_round_trip(published: Workspace):
    for table in ("structures", "services"):
        rows = pq.read_table(published.dist / f"{table}.parquet").to_pylist()
        assert rows == _warehouse_rows(published, table)
    schema = pq.read_schema(published.dist / "services.parquet")
    assert str(schema.field("thematiques").type) == "list<element: string>"


def test_csv_round_trip(published: Workspace):
    raw = (published.dist / "services.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    for table in ("structures", "services"):
        expected = _warehouse_rows(published, table)
        with (published.dist / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == len(expected)
        for got, want in zip(rows, expected):
            for column, value in want.items():
                cell = got[column]
                if value is None:
                    assert cell == "", (column, cell)
                elif isinstance(value, list):
                    assert json.loads(cell) == value
                elif isinstance(value, bool):
                    assert cell == str(value).lower(), (column, cell)
                elif isinstance(value, float):
                    assert float(cell) == value
                elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and cell != value:
                    assert cell == "'" + value, (column, cell, value)  # never run as a spreadsheet formula
                else:
                    assert cell == str(value), (column, cell, value)


def test_csv_quotes_multiline_cells_rfc4180(published: Workspace):
    text = (published.dist / "services.csv").read_text(encoding="utf-8")
    with (published.dist / "services.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert any("\n" in cell for row in rows for cell in row), "sample has multi-line cells"
    assert text.count('""') > 0  # quotes inside cells are doubled


def test_json_round_trip(published: Workspace):
    for table in ("structures", "services"):
        rows = json.loads((published.dist / f"{table}.json").read_text(encoding="utf-8"))
        expected = _warehouse_rows(published, table)
        assert [r["id"] for r in rows] == [r["id"] for r in expected]
        assert rows[0]["date_maj"] == expected[0]["date_maj"].isoformat()


def _release_bytes(ws: Workspace) -> dict:
    """Every data file: not the site (it shows its build time) nor its build manifest, and not the
    two that legitimately vary (see README: reproducibility)."""
    varying = ("datainclusion.duckdb", "SHA256SUMS", ".site-build.json")
    return {p.relative_to(ws.dist): p.read_bytes() for p in ws.dist.rglob("*")
            if p.is_file() and "site" not in p.parts and p.name not in varying}


def test_second_run_gives_byte_identical_files(workspace: Workspace):
    assert workspace.run().exit_code == 0
    first = _release_bytes(workspace)
    assert workspace.run().exit_code == 0
    second = _release_bytes(workspace)
    assert first == second
    # The second validation took every row of the canonical CSVs from the first, with the same report.
    counts = json.loads(workspace.query("select counts from runs order by started_at desc limit 1")[0][0])["counts"]
    descriptor = json.loads(first[Path("datapackage.json")])
    rows = {r["name"]: r["rows"] for r in descriptor["resources"] if r["format"] == "csv"}
    assert counts["validate"]["rows_carried"] == rows and rows["services"] > 0
    assert "reports/validation.json" in {str(p) for p in first}
    assert {str(p) for p in first} >= {"structures.csv", "services.parquet", "offre-insertion.xlsx",
                                        "services.geojson", "datapackage.json", "catalog.jsonld", "README.md"}


def test_first_page_lists_counts_and_downloads(published: Workspace):
    html = (published.dist / "site" / "index.html").read_text(encoding="utf-8")
    for table in ("structures", "services"):
        assert f"<strong>{len(_warehouse_rows(published, table))}</strong> {table}" in html
    for name in ("structures.csv", "services.parquet", "services.json"):
        assert f'href="../{name}"' in html
    assert "2026-11-28" in html
