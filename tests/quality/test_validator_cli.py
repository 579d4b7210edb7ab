"""`datainclusion validate` on producers' files, and `datainclusion report` on the warehouse."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from pipeline.cli import main
from tests.conftest import Workspace
from tests.quality.cases import REFERENCE_DATE, SERVICE_CASES, STRUCTURE_CASES, write_csv, write_json

FIXTURE = Path(__file__).parents[1] / "fixtures" / "valideur_fixture_dataset.xlsx"


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", "--reference-date", REFERENCE_DATE, *args], catch_exceptions=False)


def test_workbook_deliberate_errors_are_all_found():
    result = validate("--json", str(FIXTURE))
    assert result.exit_code == 1
    report = json.loads(result.output)
    found = {(task["table"], record["line"], error["field"], error["code"], error["value"])
             for task in report["tasks"] for record in task["invalid_records"] for error in record["errors"]}
    expected = {
        ("structures", 4, "code_postal", "max-length", "750121"),
        ("structures", 4, "code_postal", "pattern", "750121"),
        ("structures", 4, "courriel", "email-invalid", "pas une adresse"),
        ("structures", 4, "site_web", "uri-invalid", "pas une url !"),
        ("structures", 4, "date_maj", "required", None),
        ("structures", 4, "nom", "nom-trailing-period", "AGENCE ACTION LOGEMENT."),
        ("services", 4, "thematiques", "item-enum", "logement-hebergement--louer-un-appartement"),
        ("services", 4, "mobilisable_par", "item-enum", "autres"),
        ("services", 5, "mobilisable_par", "item-enum", "autres"),
        ("services", 4, "nombre_semaines", "integer-invalid", "beaucoup"),
        ("services", 5, "nombre_semaines", "integer-invalid", "beaucoup"),
        ("services", 4, "date_maj", "required", None),
        ("services", 5, "date_maj", "required", None),
        ("services", 5, "code_insee", "code-insee-unknown", "59999"),
    }
    assert expected <= found
    # The example row (3), marked `__ignore__`, is not checked.
    assert not {f for f in found if f[1] == 3}
    tasks = {t["table"]: t for t in report["tasks"]}
    assert tasks["structures"]["stats"]["records"] == 1 and tasks["services"]["stats"]["records"] == 2
    assert "colonne en trop" in tasks["structures"]["columns"]["unknown"]
    assert tasks["services"]["columns"]["duplicate"] == ["lien_source"]
    assert {e["code"] for e in tasks["structures"]["errors"]} == {"missing-column", "unknown-column"}
    record = tasks["services"]["invalid_records"][0]
    assert record["id"] == "53669028-8862-4f42-a80c-d3f269456edc" and record["line"] == 4


def test_text_report_groups_by_field_and_rule_with_lines():
    result = validate(str(FIXTURE))
    assert result.exit_code == 1
    out = result.output
    assert "structures — valideur_fixture_dataset.xlsx (feuille « Structures »)" in out
    assert "  nombre_semaines\n    erreur integer-invalid, ligne(s) 4-5 : « beaucoup » n’est pas un nombre entier" in out
    assert "avertissement code-insee-unknown, ligne(s) 5" in out
    assert out.rstrip().splitlines()[-1].startswith("INVALIDE : 2 table(s), 3 enregistrement(s) dont 3 invalide(s)")


def test_source_option_checks_the_id_prefix():
    result = validate("--json", "--source", "monproducteur", str(FIXTURE))
    report = json.loads(result.output)
    codes = {e["code"] for t in report["tasks"] for r in t["invalid_records"] for e in r["errors"]}
    assert "id-prefix" in codes
    assert all("source" not in (note or "") or "monproducteur" in note for t in report["tasks"] for note in t["notes"])


def test_valid_files_exit_0(tmp_path: Path):
    structures = write_csv(tmp_path / "structures.csv", "structures", STRUCTURE_CASES[:1])
    services = write_json(tmp_path / "services.json", "services", SERVICE_CASES[:1])
    result = validate(str(structures), str(services))
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("0 erreur(s), 0 avertissement(s)")
    assert result.output.rstrip().splitlines()[-1].startswith("VALIDE")


def test_a_table_told_by_its_columns_when_the_name_does_not_say(tmp_path: Path):
    services = write_csv(tmp_path / "export-2026.csv", "services", SERVICE_CASES[:3])
    result = validate("--json", str(services))
    report = json.loads(result.output)
    assert [t["table"] for t in report["tasks"]] == ["services"]
    assert any("structure_id" in note for note in report["tasks"][0]["notes"])


def test_semicolon_csv(tmp_path: Path):
    path = tmp_path / "structures.csv"
    path.write_text("source;id;nom;date_maj\ndora;dora--1;Centre social;2025-01-02\ndora;dora--2;AB;2025-01-02\n",
                    encoding="utf-8")
    report = json.loads(validate("--json", str(path)).output)
    assert [(r["line"], [e["code"] for e in r["errors"]]) for r in report["tasks"][0]["invalid_records"]] == [
        (3, ["min-length"])]


def test_unreadable_files_exit_2(tmp_path: Path):
    assert validate(str(tmp_path / "absent.csv")).exit_code == 2
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert validate(str(tmp_path / "notes.txt")).exit_code == 2
    (tmp_path / "broken.json").write_text('[{"id": "a",', encoding="utf-8")
    result = validate(str(tmp_path / "broken.json"))
    assert result.exit_code == 2 and "broken.json" in result.output
    (tmp_path / "latin1.csv").write_bytes("id,nom\n1,Crèche\n".encode("latin-1"))
    assert validate(str(tmp_path / "latin1.csv")).exit_code == 2
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert validate(str(tmp_path / "other.csv")).exit_code == 2
    (tmp_path / "empty.xlsx").write_bytes(b"not a workbook")
    assert validate(str(tmp_path / "empty.xlsx")).exit_code == 2


def test_report_command_prints_accounting_and_top_errors(sample_run: Workspace):
    result = sample_run.cli("report")
    assert result.exit_code == 0, result.output
    assert "dora" in result.output
    assert "services: raw 17 = valid 14 + quarantined 1 + excluded 2 (mapped 15)" in result.output
    assert "services.structure_id foreign-key" in result.output


def test_report_command_without_warehouse_exits_2(workspace: Workspace):
    assert workspace.cli("report").exit_code == 2
