"""The next release's validation takes from the previous one the rows it already validated, and its
report is still the one a full Frictionless validation gives."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.publish import carried, validation
from pipeline.quality.reports import _strip
from tests.conftest import Workspace

KEPT = ("datapackage.json", "structures.csv", "services.csv", "changes.csv", "doublons.csv", "schema", "reports")


def _release(sample_run: Workspace, folder: Path) -> Path:
    """The sample release's canonical CSVs, descriptor and reports (a package of CSVs only)."""
    folder.mkdir()
    for name in KEPT:
        source = sample_run.dist / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r.get("format") == "csv"]
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _edit(folder: Path, name: str, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite `name`.csv through `change`, and its size, hash and row count in the descriptor."""
    rows = change(_rows(folder, name))
    path = folder / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["path"] == path.name:
            resource.update(bytes=path.stat().st_size, rows=len(rows),
                            hash="sha256:" + hashlib.sha256(path.read_bytes()).hexdigest())
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


@pytest.fixture
def releases(sample_run: Workspace, tmp_path: Path) -> tuple[Path, Path]:
    """The published sample release, and a copy of it as the next release's build."""
    return _release(sample_run, tmp_path / "previous"), _release(sample_run, tmp_path / "next")


def _errors(checked: validation.Validation, task: str) -> list[list]:
    """The errors of one task: row number, field name, type."""
    return next(t for t in checked.report.tasks if t.name == task).flatten(["rowNumber", "fieldName", "type"])


def _same_as_full(build: Path, previous: Path) -> validation.Validation:
    """Validate `build` given `previous`, and check the report is the full validation's."""
    given = validation.validate(build / "datapackage.json", previous)
    full = validation.validate(build / "datapackage.json")
    assert not any(full.carried.values())
    assert _strip(given.report.to_descriptor()) == _strip(full.report.to_descriptor())
    return given


def test_an_unchanged_release_is_not_read_again(releases):
    previous, build = releases
    checked = _same_as_full(build, previous)
    assert checked.report.valid
    assert checked.carried == {name: len(_rows(build, name)) for name in ("structures", "services", "changes", "doublons")}


def test_only_the_changed_rows_are_validated(releases):
    previous, build = releases

    def rename(rows):
        rows[3]["nom"] = "Un nouveau nom"
        return rows + [dict(rows[0], id=rows[0]["id"] + "-bis")]

    _edit(build, "services", rename)
    checked = _same_as_full(build, previous)
    assert checked.report.valid
    assert checked.carried["services"] == len(_rows(build, "services")) - 2
    task = next(t for t in checked.report.tasks if t.name == "services")
    assert task.stats["rows"] == len(_rows(build, "services"))


def test_an_invalid_changed_row_is_reported_by_a_full_validation(releases):
    previous, build = releases

    def bad_date(rows):
        rows[5]["date_maj"] = "hier"
        return rows

    _edit(build, "services", bad_date)
    checked = _same_as_full(build, previous)
    assert checked.carried["services"] == 0
    assert _errors(checked, "services") == [[7, "date_maj", "type-error"]]


def test_an_unchanged_service_whose_structure_left_is_caught(releases):
    """The services file did not change, but a structure it refers to is gone: the foreign key is
    checked on every row, and the resource validated in full."""
    previous, build = releases
    services = _rows(build, "services")
    gone = services[0]["structure_id"]
    _edit(build, "structures", lambda rows: [r for r in rows if r["id"] != gone])
    assert carried.carried_rows(previous, build / "datapackage.json", "services") is None
    checked = _same_as_full(build, previous)
    assert checked.carried["services"] == 0
    referring = [number for number, row in enumerate(services, start=2) if row["structure_id"] == gone]
    assert _errors(checked, "services") == [[number, None, "foreign-key"] for number in referring]


def test_a_changed_row_taking_an_unchanged_id_is_caught(releases):
    previous, build = releases

    def duplicate(rows):
        return rows + [dict(rows[1], nom="Un double")]

    _edit(build, "services", duplicate)
    assert carried.carried_rows(previous, build / "datapackage.json", "services") is None
    checked = _same_as_full(build, previous)
    assert _errors(checked, "services") == [[len(_rows(build, "services")) + 1, None, "primary-key"]]


def test_nothing_is_carried_from_a_release_with_another_schema_or_an_invalid_report(releases):
    previous, build = releases
    schema_path = previous / "schema" / "services.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"][0]["description"] = "autre"
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    assert carried.carried_rows(previous, build / "datapackage.json", "services") is None
    assert carried.carried_rows(previous, build / "datapackage.json", "structures") is not None

    report_path = previous / "reports" / "validation.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    for task in report["tasks"]:
        task["valid"] = task["name"] != "structures"
    report_path.write_text(json.dumps(report), encoding="utf-8")
    assert carried.carried_rows(previous, build / "datapackage.json", "structures") is None
    assert carried.carried_rows(previous, build / "datapackage.json", "doublons") is not None


def test_a_previous_file_changed_since_its_release_is_not_trusted(releases):
    previous, build = releases
    path = previous / "services.csv"
    path.write_bytes(path.read_bytes().replace(b"dora--", b"DORA--", 1))
    assert carried.carried_rows(previous, build / "datapackage.json", "services") is None


def test_worker_processes_carry_rows_too(releases):
    previous, build = releases
    _edit(build, "services", lambda rows: rows[1:])
    in_workers = validation.validate(build / "datapackage.json", previous, parallel_above_bytes=0)
    assert in_workers.report.valid
    assert in_workers.carried["services"] == len(_rows(build, "services"))
    in_process = validation.validate(build / "datapackage.json", previous)
    assert _strip(in_workers.report.to_descriptor()) == _strip(in_process.report.to_descriptor())


def test_a_previous_release_of_another_shape_means_a_full_validation(releases):
    previous, build = releases
    report_path = previous / "reports" / "validation.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    report["tasks"] = {task["name"]: task for task in report["tasks"]}  # not a list: reading it fails
    report_path.write_text(json.dumps(report), encoding="utf-8")
    assert carried.carried_rows(previous, build / "datapackage.json", "services") is None
    checked = validation.validate(build / "datapackage.json", previous)
    assert checked.report.valid and not any(checked.carried.values())
