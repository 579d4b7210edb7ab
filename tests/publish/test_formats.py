"""Every published format read back with its own reader and compared with the warehouse."""

from __future__ import annotations

import hashlib
import json
import subprocess

import duckdb
import openpyxl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from pipeline.publish.extensions import published_columns
from tests.conftest import Workspace

SPDX = Namespace("http://spdx.org/rdf/terms#")


def warehouse_rows(ws: Workspace, table: str) -> list[dict]:
    columns = published_columns(table)
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        rows = con.execute(f"select {', '.join(columns)} from pub__{table} order by id").fetchall()
    return [dict(zip(columns, row)) for row in rows]


@pytest.mark.parametrize("table", ["structures", "services"])
def test_geojson_points(sample_run: Workspace, table: str):
    collection = json.loads((sample_run.dist / f"{table}.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    expected = [r for r in warehouse_rows(sample_run, table) if r["longitude"] is not None and r["latitude"] is not None]
    assert len(collection["features"]) == len(expected) > 0
    for feature, row in zip(collection["features"], expected):
        assert feature["geometry"] == {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
        props = feature["properties"]
        assert "latitude" not in props and "longitude" not in props
        for column, value in row.items():
            if column in ("latitude", "longitude"):
                continue
            assert props[column] == (value.isoformat() if hasattr(value, "isoformat") else value), column


@pytest.mark.parametrize("table", ["structures", "services"])
def test_xlsx_sheets(sample_run: Workspace, table: str):
    workbook = openpyxl.load_workbook(sample_run.dist / "offre-insertion.xlsx", read_only=True)
    assert workbook.sheetnames == ["structures", "services", "colonnes"]
    rows = list(workbook[table].iter_rows(values_only=True))
    assert list(rows[0]) == published_columns(table)
    expected = warehouse_rows(sample_run, table)
    assert len(rows) - 1 == len(expected)
    for got, want in zip(rows[1:], expected):
        for cell, (column, value) in zip(got, want.items()):
            if value is None:
                assert cell is None, column
            elif isinstance(value, list):
                assert json.loads(cell) == value
            elif hasattr(value, "isoformat"):
                assert cell == value.isoformat()
            elif isinstance(value, float):
                assert cell == pytest.approx(value, rel=1e-14), column  # Excel keeps 15 digits
            else:
                assert cell == value, column
    documented = {(r[0], r[1]) for r in workbook["colonnes"].iter_rows(min_row=2, values_only=True)}
    assert {(table, c) for c in published_columns(table)} <= documented


def test_duckdb_file_holds_tables_and_history(sample_run: Workspace):
    with duckdb.connect(str(sample_run.dist / "datainclusion.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("show tables").fetchall()}
        assert {"structures", "services", "history_structures", "history_services", "changes", "registry"} <= tables
        for table in ("structures", "services"):
            rows = con.execute(f"select * from {table} order by id").fetchall()
            expected = [tuple(r.values()) for r in warehouse_rows(sample_run, table)]
            assert rows == expected


def test_sha256sums_match_every_file(sample_run: Workspace):
    lines = (sample_run.dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 20
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((sample_run.dist / name).read_bytes()).hexdigest() == digest
    check = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=sample_run.dist,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_dcat_catalogue_parses_and_carries_every_field(sample_run: Workspace):
    graph = Graph().parse(sample_run.dist / "catalog.jsonld", format="json-ld")
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert graph.value(dataset, DCTERMS.identifier) == Literal("offre-insertion-data-inclusion")
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.license,
                      DCTERMS.issued, DCTERMS.modified):
        assert graph.value(dataset, predicate) is not None, predicate
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/WEEKLY")
    assert graph.value(dataset, DCTERMS.spatial) == URIRef("http://publications.europa.eu/resource/authority/country/FRA")
    temporal = graph.value(dataset, DCTERMS.temporal)
    assert graph.value(temporal, DCAT.startDate) is not None and graph.value(temporal, DCAT.endDate) is not None
    assert URIRef("https://pypi.org/project/data-inclusion-schema/1.0.10/") in set(graph.objects(dataset, DCTERMS.conformsTo))
    distributions = list(graph.objects(dataset, DCAT.distribution))
    package = json.loads((sample_run.dist / "datapackage.json").read_text(encoding="utf-8"))
    assert len(distributions) == len(package["resources"])
    for dist in distributions:
        assert graph.value(dist, DCAT.downloadURL) is not None
        assert graph.value(dist, DCAT.mediaType) is not None
        assert int(graph.value(dist, DCAT.byteSize)) > 0
        checksum = graph.value(dist, SPDX.checksum)
        if str(graph.value(dist, DCTERMS.format)) != "DUCKDB":
            assert len(str(graph.value(checksum, SPDX.checksumValue))) == 64


def test_release_readme(sample_run: Workspace):
    text = (sample_run.dist / "README.md").read_text(encoding="utf-8")
    assert "Publication du 2026-11-28" in text
    assert "`structures.csv`" in text and "`offre-insertion.xlsx` (feuille `services`)" in text
    assert "sha256sum -c SHA256SUMS" in text


@pytest.mark.parametrize("damaged", ["services.csv", "services.json"])
def test_a_failing_validation_leaves_the_previous_release(workspace: Workspace, monkeypatch, damaged: str):
    """A file damaged after its checksum was written (a bug, a full disk) is caught before the swap:
    a canonical CSV by Frictionless' full pass, another format by the integrity check of its sampled pass."""
    from pipeline import run as pipeline_run

    assert workspace.run().exit_code == 0
    before = {p.relative_to(workspace.dist): p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()}

    def damage(ctx):
        path = ctx.build_dir / damaged
        path.write_bytes(path.read_bytes().replace(b"dora--", b"DORA--", 1))
        return {"damaged": str(path.name)}

    stages = list(pipeline_run.STAGES)
    stages.insert([name for name, _ in stages].index("validate"), ("damage", damage))
    monkeypatch.setattr(pipeline_run, "STAGES", stages)
    result = workspace.run()
    assert result.exit_code == 1
    assert "hash-count" in result.output
    after = {p.relative_to(workspace.dist): p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()}
    assert after == before
    assert not list(workspace.root.glob(".dist.*"))


def test_large_csv_files_are_validated_in_worker_processes_with_the_same_report(workspace: Workspace):
    """The national-scale path (each canonical CSV in its own process) gives the in-process report."""
    from pipeline.publish import validation

    assert workspace.run().exit_code == 0
    descriptor = workspace.dist / "datapackage.json"
    in_process = validation.validate(descriptor).report.flatten(["taskName", "rowNumber", "fieldName", "type"])
    in_workers = validation.validate(descriptor, parallel_above_bytes=0).report
    assert in_workers.valid
    assert in_workers.flatten(["taskName", "rowNumber", "fieldName", "type"]) == in_process
    assert [task.name for task in in_workers.tasks] == [r["name"] for r in json.loads(descriptor.read_text())["resources"]]
    (workspace.dist / "services.csv").write_text("id,structure_id\nx,y\n", encoding="utf-8")
    broken = validation.validate(descriptor, parallel_above_bytes=0).report
    assert not broken.valid
    assert {e[0] for e in broken.flatten(["type"])} >= {"hash-count"}
