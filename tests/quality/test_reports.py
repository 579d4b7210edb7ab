"""Reports published with the release: validation, per-source accounting, quarantine; personal data masked."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from pipeline import sources
from pipeline.paths import SOURCES_DIR
from pipeline.quality.errors import MASK
from tests.conftest import Workspace, shared_folder

SAMPLE = SOURCES_DIR / "dora" / "sample"
SOURCES_BY_NAME = {s.name: s for s in sources.select(())}


def test_release_has_the_three_reports(sample_run: Workspace):
    folder = sample_run.dist / "reports"
    assert {"quarantine.csv", "sources.json", "validation.json"} <= {p.name for p in folder.iterdir()}
    validation = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
    assert validation["valid"] is True and len(validation["tasks"]) >= 6
    text = json.dumps(validation)
    assert "seconds" not in text and "sha256" not in text, "no timings or checksums: same inputs, same bytes"


def test_sources_report_accounts_for_every_record(sample_run: Workspace):
    report = json.loads((sample_run.dist / "reports" / "sources.json").read_text(encoding="utf-8"))
    assert report["reference_date"] == "2026-11-28"
    tasks = {t["source"]: t for t in report["tasks"]}
    assert report["stats"]["sources"] == len(tasks) >= 1
    for task in tasks.values():
        for counts in task["stats"].values():
            assert counts["raw"] == counts["valid"] + counts["quarantined"] + counts["excluded"]
            assert counts["balanced"] is True
    assert report["stats"]["valid"] == sum(c["valid"] for t in tasks.values() for c in t["stats"].values())
    dora = tasks["dora"]
    assert dora["freshness"] == {"status": "ok", "origin": "sample", "stale_since": None, "error": None}
    assert dora["stats"]["services"] == {"raw": 17, "mapped": 15, "quarantined": 1, "excluded": 2, "valid": 14,
                                         "balanced": True}
    assert dora["fill_rates"]["structures"]["nom"] == 1.0
    assert dora["fill_rates"]["structures"]["complement_adresse"] < 1.0
    assert [(e["entity"], e["field"]) for e in dora["expectations"]] == [
        (f.entity, f.field) for f in SOURCES_BY_NAME["dora"].fill_rates]
    (error,) = [e for e in dora["errors"] if e["severity"] == "error"]
    assert (error["entity"], error["field"], error["code"], error["count"]) == ("services", "structure_id",
                                                                                "foreign-key", 1)
    assert error["examples"] == [{"id": "dora--6277b573-8fc0-4f68-a42f-7ac2a0059f78",
                                  "value": "dora--237ed6b8-e9d8-45e9-84d5-bfc5a0f2d64a"}]
    scores = dora["scores"]["services"]
    assert scores["count"] == 14 and sum(b["count"] for b in scores["histogram"]) == 14
    assert 0 <= scores["min"] <= scores["median"] <= scores["max"] <= 1


def _broken(folder: Path) -> Path:
    """The DORA sample with personal data in invalid values, and no address at all."""
    folder.mkdir()
    shutil.copy(SAMPLE / "services.json", folder / "services.json")
    structures = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
    structures[0]["email"] = "jean.dupont@@gmail.com"
    structures[1]["email"] = "marie.martin@gmail"
    structures[1]["name"] = "AB"
    for s in structures:
        s["address1"] = None
    (folder / "structures.json").write_text(json.dumps(structures, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def broken_run(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "broken"))
    result = ws.run("--source", "dora", "--input", str(_broken(ws.root / "input")))
    assert result.exit_code == 0, result.output
    ws.extra_env["output"] = result.output
    return ws


def test_quarantine_csv_lists_every_error_with_personal_data_masked(broken_run: Workspace):
    text = (broken_run.dist / "reports" / "quarantine.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == broken_run.query("select count(*) from int__quarantine")[0][0]
    got = {(r["entity"], r["field"], r["rule"], r["value"]) for r in rows}
    assert ("structures", "courriel", "email-invalid", MASK) in got
    assert ("structures", "nom", "min-length", "AB") in got
    assert all(r["message"] and r["source"] == "dora" for r in rows)
    for path in (broken_run.dist / "reports").iterdir():
        content = path.read_text(encoding="utf-8")
        assert "jean.dupont" not in content and "marie.martin" not in content, path.name


def test_fill_rate_shortfall_is_a_warning(broken_run: Workspace):
    report = json.loads((broken_run.dist / "reports" / "sources.json").read_text(encoding="utf-8"))
    (dora,) = report["tasks"]
    adresse = next(e for e in dora["expectations"] if e["field"] == "adresse")
    assert adresse == {"entity": "structures", "field": "adresse", "minimum": 0.9, "actual": 0.0, "met": False}
    assert "dora: structures.adresse is filled in 0% of mapped records, expected at least 90%" in dora["warnings"]
    assert dora["valid"] is False
    assert "structures.adresse is filled in 0%" in broken_run.extra_env["output"]
