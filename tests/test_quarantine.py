"""Bad records are quarantined with their reason, never published, never lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace

SAMPLE = SOURCES_DIR / "dora" / "sample"


def _broken_sample(folder: Path) -> Path:
    """The DORA sample with two structures damaged the way producers damage them."""
    folder.mkdir()
    shutil.copy(SAMPLE / "services.json", folder / "services.json")
    structures = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
    structures[0]["name"] = "  "  # a blank name
    structures[1]["modificationDate"] = "13/02/2022"  # not an ISO date
    (folder / "structures.json").write_text(json.dumps(structures, ensure_ascii=False), encoding="utf-8")
    return folder


def test_malformed_records_are_quarantined_with_field_and_reason(workspace: Workspace):
    broken = _broken_sample(workspace.root / "broken")
    result = workspace.run("--source", "dora", "--input", str(broken))
    assert result.exit_code == 0, result.output
    rows = workspace.query(
        "select entity, record_id, field, code from int__quarantine where entity = 'structures' order by record_id")
    assert rows == [
        ("structures", "dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c", "nom", "required"),
        ("structures", "dora--1bcbb0dc-e094-4cb0-be2b-3a17d00ec57e", "date_maj", "required"),
    ]
    published = {r[0] for r in workspace.query("select id from pub__structures")}
    assert "dora--0a6f3c89-5fe4-488d-83a9-16cb3e40513c" not in published
    assert len(published) == 20
    csv_text = (workspace.dist / "structures.csv").read_text(encoding="utf-8")
    assert "0a6f3c89-5fe4-488d-83a9-16cb3e40513c" not in csv_text
    balance = workspace.query("select raw, published, quarantined, excluded from int__accounting "
                              "where source = 'dora' and entity = 'structures'")
    assert balance == [(22, 20, 2, 0)]


def test_unreadable_input_file_fails_naming_the_file_and_publishes_nothing(workspace: Workspace):
    assert workspace.run().exit_code == 0
    before = {p.name: p.read_bytes() for p in workspace.dist.glob("*.*")}
    bad = workspace.root / "structures.json"
    bad.write_text('[{"id": "1", "name": "ok"},\n {"id": "2", "name": ', encoding="utf-8")
    result = workspace.run("--source", "dora", "--input", str(bad))
    assert result.exit_code == 1
    assert "dora: file structures.json is not valid JSON (line 2" in result.output
    assert {p.name: p.read_bytes() for p in workspace.dist.glob("*.*")} == before


def test_too_many_quarantined_records_fail_the_run_and_keep_the_previous_release(workspace: Workspace):
    # DORA alone, so the share of quarantined records does not depend on the other sources' samples.
    assert workspace.run("--source", "dora").exit_code == 0
    before = (workspace.dist / "datapackage.json").read_bytes()
    folder = workspace.root / "all-bad"
    folder.mkdir()
    structures = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
    for s in structures:
        s["modificationDate"] = None
    (folder / "structures.json").write_text(json.dumps(structures), encoding="utf-8")
    result = workspace.run("--source", "dora", "--input", str(folder))
    assert result.exit_code == 1
    assert "are quarantined, over the threshold" in result.output
    assert (workspace.dist / "datapackage.json").read_bytes() == before
    assert not list(workspace.root.glob(".dist.*")), "no build folder is left behind"
