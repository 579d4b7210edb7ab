"""data·inclusion: producers' files already in schema v1 (JSON, CSV, the valideur XLSX workbook)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer

SAMPLE = SOURCES_DIR / "data_inclusion" / "sample"
WORKBOOK = SAMPLE / "valideur_fixture_dataset.xlsx"
STRUCTURES = json.loads((SAMPLE / "structures.json").read_text(encoding="utf-8"))
SERVICES = json.loads((SAMPLE / "services.json").read_text(encoding="utf-8"))
PLATEFORME = "data-inclusion--dora--cc4e1fbc-533b-46e2-8b33-bc31c33c9ffd"
ACTION_LOGEMENT = "data-inclusion--005d3060-c322-4ec5-bd70-a60f054d3b81"


@pytest.fixture(scope="module")
def di(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "data-inclusion"))
    result = ws.run("--source", "data-inclusion")
    assert result.exit_code == 0, result.output
    return ws


def test_records_are_republished_under_our_source_with_prefixed_ids(di: Workspace):
    s = record(di, "pub__structures", PLATEFORME)
    assert s["source"] == "data-inclusion"  # the file says "dora"
    assert s["nom"] == "PLATEFORME DE L'INCLUSION"
    assert s["date_maj"] == date(2024, 2, 2)
    assert (s["siret"], s["code_insee"], s["code_postal"]) == ("13003013300016", "75056", "75010")
    assert s["horaires_accueil"] == "Mo-Fr 09:00-12:00,14:00-17:00"
    assert s["reseaux_porteurs"] is None
    assert record(di, "pub__structures", "data-inclusion--mission-locale--with-mobilization-link")[
        "reseaux_porteurs"] == ["mission-locale"]


def test_service_values_are_kept_as_given(di: Workspace):
    v = record(di, "pub__services", "data-inclusion--dora--46f7ea19-c97b-4f45-90a9-027b44cad927")
    assert v["structure_id"] == PLATEFORME
    assert (v["type"], v["frais"], v["zone_eligibilite"], v["modes_accueil"]) == ("atelier", "gratuit", ["france"], ["a-distance"])
    assert v["thematiques"] == ["trouver-un-emploi--faire-des-candidatures-spontanees",
                                "trouver-un-emploi--repondre-a-des-offres-demploi"]  # sorted, as every set
    assert len(v["publics"]) == 10 and "tous-publics" not in v["publics"]
    assert v["contact_nom_prenom"] is None  # never published (RGPD stage)
    assert record(di, "int__services", v["id"])["contact_nom_prenom"] == "Z... H..."  # as mapped
    assert v["description"].startswith("## **En tant que prescripteur :**")  # Markdown kept
    assert v["modes_mobilisation"] == ["utiliser-lien-mobilisation"]


def test_empty_strings_and_lists_become_null_and_empty_names_are_quarantined(di: Workspace):
    rows = di.query("select entity, field, code from int__quarantine where record_id = 'data-inclusion--emplois-de-linclusion--empty' "
                    "order by entity, field")
    assert rows == [("services", "description", "required"), ("services", "nom", "required"),
                    ("services", "nombre_semaines", "minimum"), ("services", "structure_id", "structure-quarantined"),
                    ("structures", "nom", "required")]
    s = record(di, "int__structures", "data-inclusion--emplois-de-linclusion--empty")
    assert (s["siret"], s["courriel"], s["reseaux_porteurs"]) == (None, None, None)


def test_workbook_rows_flagged_ignore_are_skipped(di: Workspace):
    ids = di.query("select data ->> 'id', data ->> '_ligne' from raw_data_inclusion__workbooks order by 2, 1")
    assert ids == [("005d3060-c322-4ec5-bd70-a60f054d3b81", "4"),  # Structures line 4
                   ("53669028-8862-4f42-a80c-d3f269456edc", "4"), ("53669028-8862-4f42-a80c-d3f269456ed2", "5")]


def test_workbook_invalid_values_reach_the_check_stage_and_are_quarantined(di: Workspace):
    s = record(di, "int__structures", ACTION_LOGEMENT)
    assert (s["nom"], s["code_postal"], s["courriel"], s["site_web"], s["siret"]) == (
        "AGENCE ACTION LOGEMENT.", "750121", "pas une adresse", "pas une url !", "82454114801871")
    assert s["date_maj"] is None  # its header cell holds a date instead of "date_maj"
    v = record(di, "int__services", "data-inclusion--53669028-8862-4f42-a80c-d3f269456edc")
    assert "logement-hebergement--louer-un-appartement" in v["thematiques"]
    assert v["mobilisable_par"] == ["autres", "professionnels", "usagers"]
    assert v["lien_source"].startswith("https://www.actionlogement.fr/le-logement-social/")  # first of two columns
    assert v["nombre_semaines"] is None  # "beaucoup"
    rows = di.query("select entity, record_id, field, code from int__quarantine where record_id in (?, ?, ?) "
                    "order by entity, record_id, field, code",
                    [ACTION_LOGEMENT, "data-inclusion--53669028-8862-4f42-a80c-d3f269456edc",
                     "data-inclusion--53669028-8862-4f42-a80c-d3f269456ed2"])
    ed2, edc = "data-inclusion--53669028-8862-4f42-a80c-d3f269456ed2", "data-inclusion--53669028-8862-4f42-a80c-d3f269456edc"
    assert rows == [
        ("services", ed2, "code_insee", "code-insee-inconnu"),
        ("services", ed2, "date_maj", "required"),
        ("services", ed2, "mobilisable_par", "item-enum"),
        ("services", ed2, "structure_id", "structure-quarantined"),
        ("services", edc, "date_maj", "required"),
        ("services", edc, "mobilisable_par", "item-enum"),
        ("services", edc, "structure_id", "structure-quarantined"),
        ("services", edc, "thematiques", "item-enum"),
        ("structures", ACTION_LOGEMENT, "code_postal", "max-length"),
        ("structures", ACTION_LOGEMENT, "code_postal", "pattern"),
        ("structures", ACTION_LOGEMENT, "courriel", "email-invalid"),
        ("structures", ACTION_LOGEMENT, "date_maj", "required"),
        ("structures", ACTION_LOGEMENT, "site_web", "uri-invalid"),
    ]
    assert di.query("select entity, raw, published, quarantined, excluded from int__accounting "
                    "where source = 'data-inclusion' order by entity") == [("services", 8, 5, 3, 0), ("structures", 6, 4, 2, 0)]


def test_workbook_alone_quarantines_everything_without_crashing(workspace: Workspace):
    result = workspace.run("--source", "data-inclusion", "--input", str(WORKBOOK))
    assert result.exit_code == 1  # every record quarantined: over the threshold, nothing published
    assert "3 of 3 mapped records (100%) are quarantined" in result.output
    assert not workspace.dist.exists()
    workspace.extra_env["DATAINCLUSION_MAX_QUARANTINE_SHARE"] = "1"
    result = workspace.run("--source", "data-inclusion", "--input", str(WORKBOOK))
    assert result.exit_code == 0, result.output
    assert workspace.query("select count(distinct record_id) from int__quarantine") == [(3,)]


def _write_csv(path: Path, records: list[dict], delimiter: str = ",", lists: str = "json") -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), delimiter=delimiter)
        writer.writeheader()
        for item in records:
            writer.writerow({k: (json.dumps(v, ensure_ascii=False) if lists == "json" else ", ".join(v))
                             if isinstance(v, list) else v for k, v in item.items()})


@pytest.mark.parametrize("delimiter,lists", [(",", "json"), (";", "comma")])
def test_csv_input(workspace: Workspace, tmp_path: Path, delimiter: str, lists: str):
    folder = tmp_path / "producteur"
    folder.mkdir()
    _write_csv(folder / "structures.csv", STRUCTURES, delimiter, lists)
    _write_csv(folder / "services.csv", SERVICES, delimiter, lists)
    result = workspace.run("--source", "data-inclusion", "--input", str(folder))
    assert result.exit_code == 0, result.output
    v = record(workspace, "pub__services", "data-inclusion--dora--b6f651e2-56d7-4ffa-a1c6-ae7295089a9e")
    assert v["nom"] == "Immersion Facilitée"
    assert len(v["thematiques"]) == 6 and v["mobilisable_par"] == ["professionnels", "usagers"]
    assert v["description"].endswith("[Accéder au service](<https://immersion-facile.beta.gouv.fr/?mtm_campaign=ReferencementIFDORA>)")
    assert record(workspace, "pub__structures", PLATEFORME)["latitude"] == 48.869364
    assert workspace.query("select count(*) from pub__structures") == [(4,)]


def test_json_api_page_input(workspace: Workspace, tmp_path: Path):
    page = {"items": STRUCTURES, "total": len(STRUCTURES), "page": 1, "size": len(STRUCTURES), "pages": 1}
    path = tmp_path / "structures-page.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    result = workspace.run("--source", "data-inclusion", "--input", str(path))
    assert result.exit_code == 0, result.output
    assert workspace.query("select raw, published, quarantined from int__accounting "
                           "where source = 'data-inclusion' and entity = 'structures'") == [(5, 4, 1)]


def test_ids_already_prefixed_and_repeated_ids(workspace: Workspace, tmp_path: Path):
    first = dict(STRUCTURES[2], id="data-inclusion--cd35-42")
    path = tmp_path / "structures.json"
    path.write_text(json.dumps([first, dict(first, nom="Doublon")], ensure_ascii=False), encoding="utf-8")
    result = workspace.run("--source", "data-inclusion", "--input", str(path))
    assert result.exit_code == 0, result.output
    assert record(workspace, "pub__structures", "data-inclusion--cd35-42")["nom"] == "PLATEFORME DE L'INCLUSION"
    assert workspace.query("select record_id, rule from int__excluded") == [("data-inclusion--cd35-42", "id-en-double")]


@pytest.mark.parametrize("name,content,message", [
    ("services.json", json.dumps({"items": [], "page": 1, "pages": 3}), "is page 1 of 3 of an API answer"),
    ("structures.json", '[{"id": "a"},\n{"id": ]', "file structures.json is not valid JSON (line 2, column"),
    ("classeur.xlsx", "pas un classeur", "file classeur.xlsx is not a readable XLSX workbook"),
    ("structures.csv", 'id,nom\n"a","Centre\n', "file structures.csv, line 2: unreadable CSV"),
    ("liste.csv", "id,nom\na,Centre\n", "cannot tell what file 'liste.csv' holds"),
])
def test_malformed_input_names_the_file(workspace: Workspace, tmp_path: Path, name: str, content: str, message: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = workspace.run("--source", "data-inclusion", "--input", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert not workspace.dist.exists(), "nothing published"


def test_live_fetch_of_configured_files(workspace: Workspace, replay_server: ReplayServer):
    workspace.extra_env.update({
        "DATAINCLUSION_DATA_INCLUSION_STRUCTURES_URL": f"{replay_server.url}/producteur/structures",
        "DATAINCLUSION_DATA_INCLUSION_SERVICES_URL": f"{replay_server.url}/producteur/services",
    })
    replay_server.add("GET", "/producteur/structures", Reply(200, json.dumps(STRUCTURES), {"Content-Type": "application/json"}))
    replay_server.add("GET", "/producteur/services", Reply(200, json.dumps(SERVICES), {"Content-Type": "application/json"}))
    result = workspace.run("--live", "--source", "data-inclusion")
    assert result.exit_code == 0, result.output
    manifest = json.loads(next(workspace.data_dir.glob("raw/*/data-inclusion/*/manifest.json")).read_text())
    assert [(f["name"], f["stream"], f["records"]) for f in manifest["files"]] == [
        ("structures.json", "structures", 5), ("services.json", "services", 6)]
    assert workspace.query("select count(*) from pub__services") == [(5,)]


def test_live_without_configured_files_is_reported(workspace: Workspace):
    result = workspace.run("--live", "--source", "data-inclusion")
    assert "no file URL is configured" in result.output
    assert "DATAINCLUSION_DATA_INCLUSION_WORKBOOK_URL" in result.output
