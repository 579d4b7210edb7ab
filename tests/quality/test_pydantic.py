"""Cross-check with the official pydantic models (data_inclusion.schema.v1): the same records are valid.

Where our rules and the models disagree, the difference is listed below with
its reason, and the test asserts exactly those differences. We are never
laxer than the models: a record we accept, they accept.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pydantic
import pytest
from data_inclusion.schema import v1

from pipeline.quality import producer, tables
from tests.conftest import Workspace, shared_folder
from tests.quality.cases import REFERENCE_DATE, SERVICE_CASES, STRUCTURE_CASES, UNUSUAL_SERVICE_CASES, write_csv

MODELS = {"structures": v1.Structure, "services": v1.Service}
CASES = {"structures": STRUCTURE_CASES, "services": SERVICE_CASES + UNUSUAL_SERVICE_CASES}

# Records we reject and the models accept, and why.
STRICTER = {
    ("structures", "latitude-200"): "the models check no coordinate range (latitude 200 passes)",
    ("structures", "longitude-190"): "the models check no coordinate range",
    ("structures", "id-prefix"): "ids are `<source>--<local id>`: a dataset rule the models cannot see",
    ("structures", "id-twice-first"): "unique ids: a dataset rule the models cannot see",
    ("structures", "id-twice-second"): "unique ids (Frictionless primary key)",
    ("services", "structure-unknown"): "structure_id must exist (Frictionless foreign key)",
    ("services", "structure-broken"): "a service is published only with its structure",
    ("services", "date-midnight"): "pydantic reads a datetime at midnight as a date; the Table Schema wants AAAA-MM-JJ",
    ("services", "semaines-float-text"): "pydantic (lax) reads '3.0' as 3; a Table Schema integer is written 3",
    ("services", "courriel-display-name"): "pydantic's EmailStr accepts 'Nom <adresse>'; the Table Schema's email "
                                           "format (Frictionless) does not",
    ("services", "lien-upper-scheme"): "HttpUrl accepts 'HTTPS://'; the Table Schema pattern `https?://.+` is "
                                       "case-sensitive",
}


def pydantic_record(table: str, cells: dict[str, Any]) -> dict[str, Any]:
    """A record as the official valideur gives it to the models: empty cells left out, lists parsed."""
    types = {f["name"]: f["type"] for f in tables.load(table)["fields"]}
    out: dict[str, Any] = {}
    for name, value in cells.items():
        if value in ("", None) or name not in types:  # publisher's own columns (cluster_id…) are not v1
            continue
        if types[name] == "array" and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[name] = value
    return out


def accepted_by_models(table: str, cells: dict[str, Any]) -> bool:
    try:
        MODELS[table].model_validate(pydantic_record(table, cells))
    except pydantic.ValidationError:
        return False
    return True


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> producer.Report:
    folder = shared_folder(request, "pydantic")
    paths = [write_csv(folder / f"{t}.csv", t, cases) for t, cases in CASES.items()]
    return producer.validate(paths, date.fromisoformat(REFERENCE_DATE))


def test_every_rule_example_agrees_with_the_models_except_the_listed_differences(report: producer.Report):
    assert date.today() <= date(2999, 1, 1), "the future-date example must stay in the future"
    ours, models = set(), set()
    for task in report.tables:
        invalid = set(task.invalid_lines)
        for number, case in enumerate(CASES[task.table]):
            key = (task.table, case.name)
            if number + 2 not in invalid:
                ours.add(key)
            if accepted_by_models(task.table, case.record(number)):
                models.add(key)
    assert models - ours == set(STRICTER)
    assert ours - models == set(), "we must never accept a record the official models reject"
    assert len(ours) >= 15


def _rows(ws: Workspace, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_sample_runs_same_valid_ids_as_the_models(sample_run: Workspace):
    """Every mapped record of every bundled sample, as typed in the warehouse: we never publish a record
    the models reject; for DORA, the records we reject and they accept are services whose structure is
    not in the sample (foreign key)."""
    for table in ("structures", "services"):
        mapped = _rows(sample_run, f"select * from int__{table}")
        models = {r["id"] for r in mapped if accepted_by_models(table, r)}
        ours = {r["id"] for r in _rows(sample_run, f"select id from pub__{table}")}
        assert ours <= models, sorted(ours - models)[:5]
        dora = {r["id"] for r in mapped if r["source"] == "dora"}
        quarantined = _rows(sample_run, f"select distinct record_id, code from int__quarantine "
                                        f"where entity = '{table}' and source = 'dora'")
        assert (models - ours) & dora == {q["record_id"] for q in quarantined}
        assert {q["code"] for q in quarantined} <= {"foreign-key"}
    assert len(ours & dora) == 14


def test_xlsx_fixture_agrees_with_the_official_valideur(tmp_path: Path):
    """The official valideur rejects every record of its workbook; so do we."""
    fixture = Path(__file__).parents[1] / "fixtures" / "valideur_fixture_dataset.xlsx"
    found = producer.validate([fixture], date.fromisoformat(REFERENCE_DATE))
    assert not found.valid
    assert {t.table: len(t.invalid_lines) for t in found.tables} == {"structures": 1, "services": 2}
