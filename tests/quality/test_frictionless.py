"""Our compiled SQL reports exactly what Frictionless reports on the same files: rows, fields, error types."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from frictionless import Package, system

from pipeline.paths import SCHEMA_DIR
from pipeline.quality import producer, twin
from tests.quality.cases import REFERENCE_DATE, SERVICE_CASES, STRUCTURE_CASES, UNUSUAL_SERVICE_CASES, write_csv, write_json

SERVICES = SERVICE_CASES + UNUSUAL_SERVICE_CASES


def package(folder: Path, fmt: str) -> Path:
    """The two files of every case with a data package, so Frictionless checks the foreign key too."""
    (folder / "schema").mkdir()
    for table in ("structures", "services"):
        shutil.copy(SCHEMA_DIR / f"{table}.schema.json", folder / "schema")
    resources = []
    for table, cases in (("structures", STRUCTURE_CASES), ("services", SERVICES)):
        writer = write_csv if fmt == "csv" else write_json
        writer(folder / f"{table}.{fmt}", table, cases)
        resources.append({"name": table, "type": "table", "path": f"{table}.{fmt}", "format": fmt,
                          "schema": f"schema/{table}.schema.json"})
    path = folder / "datapackage.json"
    path.write_text(json.dumps({"name": "cases", "resources": resources}), encoding="utf-8")
    return path


def frictionless_twins(path: Path) -> list[twin.Twin]:
    with system.use_context(trusted=True):
        report = Package(str(path)).validate(limit_errors=100_000)
    return twin.from_frictionless(report.to_descriptor())


def our_twins(folder: Path, fmt: str) -> set[twin.Twin]:
    paths = [folder / f"structures.{fmt}", folder / f"services.{fmt}"]
    report = producer.validate(paths, date.fromisoformat(REFERENCE_DATE))
    return twin.from_producer_report(report.as_json(), row_offset=1 if fmt == "json" else 0)


def test_csv_files_same_errors_as_frictionless(tmp_path: Path):
    theirs = frictionless_twins(package(tmp_path, "csv"))
    assert len(theirs) == len(set(theirs)), "one Frictionless error per (row, field, type, constraint)"
    kinds = {t[3] for t in theirs}
    assert kinds == {"type-error", "constraint-error", "primary-key", "foreign-key"}
    assert our_twins(tmp_path, "csv") == set(theirs)


def test_json_files_same_errors_as_frictionless(tmp_path: Path):
    theirs = frictionless_twins(package(tmp_path, "json"))
    assert len(theirs) > 30
    assert our_twins(tmp_path, "json") == set(theirs)


def test_json_kinds_same_as_frictionless(tmp_path: Path):
    """In a JSON file the kind of a value matters: a number is no string, 3.0 is an integer."""
    base = json.loads(write_json(tmp_path / "one.json", "services", SERVICE_CASES[:1]).read_text())[0]
    variants = [
        {"code_postal": 59000}, {"nom": True}, {"thematiques": '["sante--addictions"]'}, {"nombre_semaines": 3.0},
        {"nombre_semaines": 2.5}, {"volume_horaire_hebdomadaire": True}, {"date_maj": 20250101},
        {"publics": {"femmes": True}}, {"thematiques": "sante--addictions"}, {"latitude": "50.6"},
    ]
    records = [{**base, "id": f"dora--v-kind-{n}", **v} for n, v in enumerate(variants)]
    (tmp_path / "services.json").write_text(json.dumps(records), encoding="utf-8")
    write_json(tmp_path / "structures.json", "structures", STRUCTURE_CASES[:1])
    (tmp_path / "schema").mkdir()
    for table in ("structures", "services"):
        shutil.copy(SCHEMA_DIR / f"{table}.schema.json", tmp_path / "schema")
    resources = [{"name": t, "type": "table", "path": f"{t}.json", "format": "json",
                  "schema": f"schema/{t}.schema.json"} for t in ("structures", "services")]
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "kinds", "resources": resources}))
    theirs = frictionless_twins(tmp_path / "datapackage.json")
    ours = our_twins(tmp_path, "json")
    assert ours == set(theirs)
    assert {(row, field) for _, row, field, kind, _ in theirs if kind == "type-error"} == {
        (2, "code_postal"), (3, "nom"), (6, "nombre_semaines"), (7, "volume_horaire_hebdomadaire"),
        (8, "date_maj"), (9, "publics"), (10, "thematiques")}
    report = producer.validate([tmp_path / "structures.json", tmp_path / "services.json"],
                               date.fromisoformat(REFERENCE_DATE))
    codes = {(e.line, e.code) for t in report.tables for e in t.errors}
    assert {(1, "string-invalid"), (2, "string-invalid")} <= codes
