"""One invalid example per rule, for both tables: the validator reports exactly the expected errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.quality import producer
from pipeline.quality.errors import RULES, TERRITORY_RULES
from tests.quality.cases import (REFERENCE_DATE, SERVICE_CASES, STRUCTURE_CASES, UNUSUAL_SERVICE_CASES, Case,
                                 write_csv)
from tests.conftest import shared_folder

ALL = {"structures": STRUCTURE_CASES, "services": SERVICE_CASES + UNUSUAL_SERVICE_CASES}
PARAMS = [pytest.param(table, n, c, id=f"{table}-{c.name}") for table, cases in ALL.items()
          for n, c in enumerate(cases)]


def write_cases(folder: Path) -> list[Path]:
    return [write_csv(folder / f"{table}.csv", table, cases) for table, cases in ALL.items()]


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> producer.Report:
    return producer.validate(write_cases(shared_folder(request, "cases")), date.fromisoformat(REFERENCE_DATE))


def errors_on(report: producer.Report, table: str, line: int) -> set[tuple[str, str]]:
    (task,) = [t for t in report.tables if t.table == table]
    return {(e.field, e.code) for e in task.errors if e.line == line}


@pytest.mark.parametrize("table, number, case", PARAMS)
def test_each_case_gets_exactly_its_errors(report: producer.Report, table: str, number: int, case: Case):
    assert errors_on(report, table, number + 2) == set(case.expected)


# No field of schema v1 has these constraints; `string-invalid` happens in JSON files only (test_json.py).
NOT_IN_CSV = {"max-items", "maximum", "string-invalid"}


def test_every_record_rule_has_an_example():
    record_codes = {code for code in RULES if not code.endswith("-column")} - NOT_IN_CSV
    record_codes -= {rule.code for rule in TERRITORY_RULES}  # reported by the territory stage
    covered = {code for cases in ALL.values() for c in cases for _, code in c.expected}
    assert record_codes - covered == set()


def test_warnings_do_not_make_a_record_invalid(report: producer.Report):
    structures = next(t for t in report.tables if t.table == "structures")
    period_line = next(n + 2 for n, c in enumerate(STRUCTURE_CASES) if c.name == "nom-period")
    assert period_line not in structures.invalid_lines
    assert any(e.line == period_line and e.severity == "warning" for e in structures.errors)


def test_every_error_of_a_record_is_reported_not_only_the_first(tmp_path: Path):
    broken = Case("many", "services", {"nom": "AB", "type": "accueil", "publics": "[]", "nombre_semaines": "0",
                                       "courriel": "foo@"})
    paths = [write_csv(tmp_path / "structures.csv", "structures", STRUCTURE_CASES[:1]),
             write_csv(tmp_path / "services.csv", "services", [broken])]
    found = producer.validate(paths, date.fromisoformat(REFERENCE_DATE))
    assert errors_on(found, "services", 2) == {("nom", "min-length"), ("type", "enum"), ("publics", "min-items"),
                                               ("nombre_semaines", "minimum"), ("courriel", "email-invalid")}


def test_screen_changes_nothing_but_speed(tmp_path: Path):
    """Explaining every record gives the same errors as explaining the screen's suspects only."""
    paths = write_cases(tmp_path)
    screened = producer.validate(paths, date.fromisoformat(REFERENCE_DATE)).as_json()
    explained = producer.validate(paths, date.fromisoformat(REFERENCE_DATE), screen=False).as_json()
    assert screened == explained
