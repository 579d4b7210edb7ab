"""Soliguide: real sample places and services, the current /new-search shape, the live fetch, --input."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer
from tests.sources import test_dora_fetch as dora_fetch

NAME = "soliguide"
SAMPLE = SOURCES_DIR / "soliguide" / "sample"
FIXTURES = Path(__file__).parent / "fixtures" / "soliguide_current"
PLACES = (json.loads((SAMPLE / "lieux-api.json").read_text(encoding="utf-8"))
          + json.loads((SAMPLE / "lieux.json").read_text(encoding="utf-8")))
PELLERIN = "soliguide--5447"
PELLERIN_HOURS = "Mo-We 09:00-12:30; Th 09:00-12:30,14:00-18:30; Fr 09:00-12:30"
PELLERIN_DESCRIPTION = (
    "Le Centre Communal d’Action Sociale (CCAS) du Pellerin propose des aides pour faire face aux difficultés "
    "passagères et met en place des actions envers les familles, les personnes âgées et/ou en situation de handicap."
)


@pytest.fixture(scope="module")
def sample(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "soliguide-sample"))
    result = ws.run("--source", NAME)
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture(scope="module")
def current(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "soliguide-current"))
    result = ws.run("--source", NAME, "--input", str(FIXTURES))
    assert result.exit_code == 0, result.output
    return ws


# Mapping of real sample records


def test_api_place_with_entities_phones_and_hours(sample: Workspace):
    s = record(sample, "pub__structures", PELLERIN)
    assert s["nom"] == "Centre Communal d'Action Sociale (CCAS) / France Services du Pellerin"
    assert s["date_maj"] == date(2022, 6, 23)
    assert s["description"] == PELLERIN_DESCRIPTION  # HTML entities decoded
    assert s["lien_source"] == "https://soliguide.fr/fr/fiche/centre-communal-action-sociale-ccas-du-pellerin-le-pellerin-5447"
    assert s["telephone"] == "02 40 05 69 81"  # the first of two phones
    assert (s["courriel"], s["site_web"]) == ("ccas@ville-lepellerin.fr", "http://www.ville-lepellerin.fr/ccas")
    assert (s["adresse"], s["code_postal"], s["commune"]) == (
        "Mairie annexe CCAS, Allée George Sand, Le Pellerin", "44640", "Le Pellerin")
    assert s["complement_adresse"] is None and s["siret"] is None
    assert s["code_insee"] == "44120"  # none in the source, resolved by the territory stage
    assert (s["longitude"], s["latitude"]) == (-1.7543631, 47.1990389)
    assert s["horaires_accueil"] == PELLERIN_HOURS
    assert s["reseaux_porteurs"] is None


def test_legacy_category_codes_become_named_services(sample: Workspace):
    rows = sample.query("select id, nom, type, thematiques from pub__services order by id")
    assert rows == [
        ("soliguide--6181a8288ac6b179ffba2e63", "Accompagnement social", "accompagnement",
         ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"]),  # categorie 403
        ("soliguide--6181a8288ac6b179ffba2e64", "Écrivain public", "accompagnement",
         ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"]),  # 404
        ("soliguide--6181a8288ac6b179ffba2e65", "Aide administrative", "accompagnement",
         ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"]),  # 406
        ("soliguide--6181a8288ac6b179ffba2e66", "Conseil aux parents", "accompagnement",
         ["famille--soutien-a-la-parentalite-et-a-leducation"]),  # 407
    ]


def test_service_inherits_the_place(sample: Workspace):
    s = record(sample, "pub__services", "soliguide--6181a8288ac6b179ffba2e63")
    assert s["structure_id"] == PELLERIN
    assert s["description"] == PELLERIN_DESCRIPTION  # no description of its own
    assert s["date_maj"] == date(2022, 6, 23)
    assert s["horaires_accueil"] == PELLERIN_HOURS
    # its own publics (differentPublics) welcome everyone first (accueil 1): tous-publics
    assert s["publics"] == ["tous-publics"] and s["publics_precisions"] is None
    assert s["frais"] == "gratuit"
    assert s["modes_accueil"] == ["en-presentiel"]
    assert s["zone_eligibilite"] == ["44"]  # the postcode's département
    assert s["modes_mobilisation"] == ["envoyer-un-courriel", "se-presenter", "telephoner"]  # unconditional
    assert s["mobilisable_par"] == ["professionnels", "usagers"]
    assert (s["telephone"], s["courriel"], s["code_postal"]) == ("02 40 05 69 81", "ccas@ville-lepellerin.fr", "44640")


def test_database_export_places(sample: Workspace):
    jvs = record(sample, "pub__structures", "soliguide--40")
    assert jvs["nom"] == "LES JARDINS VALEURS SOLIDAIRES (JVS) - ex Jardins de la Vallée de la Siagne"
    assert jvs["date_maj"] == date(2022, 12, 13)  # {"$date": "2022-12-13T00:11:39.226Z"}
    assert (jvs["adresse"], jvs["code_postal"], jvs["commune"]) == ("2530 route de Pegomas", "06370", "Mouans-Sartoux")
    assert jvs["code_insee"] == "06084"  # cityCode holds the postcode 06370; the territory stage resolves it
    assert jvs["telephone"] == "04 92 28 09 39"
    assert jvs["description"] is None and jvs["horaires_accueil"] is None and jvs["courriel"] is None
    saintonge = record(sample, "pub__structures", "soliguide--140")
    # [0, 0] dropped: the territory stage puts the commune's centre instead
    assert (saintonge["longitude"], saintonge["latitude"]) != (0, 0) and saintonge["geocodage_precision"] == "commune"
    alie = record(sample, "pub__structures", "soliguide--54")
    assert alie["adresse"] == "Jardin de Cocagne de Saint-Bernard 68 rue Lacroix BP 40064"  # three lines
    # "SAINTE CLOTILDE CEDEX" is a quarter of Saint-Denis (La Réunion): the territory stage names the commune
    assert (alie["commune"], alie["code_insee"]) == ("Saint-Denis", "97411")
    assert record(sample, "pub__structures", "soliguide--41")["telephone"] is None  # no phone


def test_sample_accounting(sample: Workspace):
    rows = sample.query("select entity, raw, published, quarantined, excluded, balanced from int__accounting "
                        "where source = ? order by entity", [NAME])
    assert rows == [("services", 4, 4, 0, 0, True), ("structures", 21, 21, 0, 0, True)]


# The current /new-search shape


def test_current_place_hours_insee_and_network(current: Workspace):
    s = record(current, "pub__structures", "soliguide--48213")
    assert s["nom"] == "Accueil de jour Le Relais"
    assert s["date_maj"] == date(2026, 6, 10)
    assert s["description"] == "Accueil de jour pour personnes sans domicile."  # <p>, <b> removed
    assert s["horaires_accueil"] == "Mo 08:30-12:00,14:00-17:30; Tu-Th 08:30-17:30; Fr 08:30-15:45; PH off"
    assert (s["code_postal"], s["code_insee"], s["commune"]) == ("35000", "35238", "Rennes")
    assert (s["adresse"], s["complement_adresse"]) == ("5 rue de Brest", "Entrée par la cour")  # ", 35000 Rennes" dropped
    assert s["reseaux_porteurs"] == ["croix-rouge"]  # source "Croix-Rouge française"


def test_restricted_publics_orientation_and_saturation(current: Workspace):
    s = record(current, "pub__services", "soliguide--65f1c0d2e4b0a1b2c3d4e5f6")
    assert s["nom"] == "Accueil de jour"
    assert s["type"] == "aide-materielle"
    assert s["thematiques"] == ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
                                "remobilisation--lien-social"]
    # accueil 2: asylum/refugee and violence map; the full gender list and "isolated" restrict nothing mapped
    assert s["publics"] == ["personnes-en-situation-durgence", "personnes-exilees"]
    assert s["publics_precisions"] == "Personnes majeures isolées\nÀ partir de 18 ans."
    assert s["description"] == ("Café, douches et bagagerie.\n\n"
                                "Attention, la structure est très sollicitée pour ce service.\n\n"
                                "Accueil de jour pour personnes sans domicile.")
    assert s["conditions_acces"] == "Se munir d'une pièce d'identité si possible"
    assert s["mobilisable_par"] == ["professionnels"]  # orientation required
    assert s["modes_mobilisation"] == ["envoyer-un-courriel", "telephoner"]
    assert s["mobilisation_precisions"] == "Orientation par le SIAO"
    assert s["zone_eligibilite"] == ["35"]


def test_service_with_its_own_hours_modalities_and_publics(current: Workspace):
    s = record(current, "pub__services", "soliguide--65f1c0d2e4b0a1b2c3d4e801")
    assert s["nom"] == "Cours de français" and s["type"] == "formation"
    assert s["thematiques"] == ["lecture-ecriture-calcul--maitriser-le-francais"]
    assert s["horaires_accueil"] == "Mo 18:30-20:30; Th 18:30-20:30; PH off"
    assert (s["frais"], s["frais_precisions"]) == ("payant", "Adhésion annuelle de 10 €")
    assert s["publics"] == ["femmes"]  # exclusive: women (the full administrative list restricts nothing)
    assert s["publics_precisions"] == "Jeunes femmes primo-arrivantes\nDe 18 à 25 ans."
    assert s["mobilisation_precisions"] == "Inscription au secrétariat en septembre"
    assert s["modes_mobilisation"] == ["telephoner"]  # no e-mail, not unconditional
    assert s["conditions_acces"] == "Apporter un cahier"
    assert s["description"].startswith("Cours de français langue étrangère, niveau A1 à B1.\n\n"
                                       "Lieu fermé temporairement du 20/11/2026 au 05/12/2026.")


def test_temporary_closure_hours_and_message_in_force(current: Workspace):
    s = record(current, "pub__structures", "soliguide--48300")
    assert s["nom"] == "Maison des familles de Bréquigny"  # the newer of two copies
    assert s["description"] == ("Information temporaire : Travaux – Accès par la rue Vern\n\n"
                                "Lieu fermé temporairement du 20/11/2026 au 05/12/2026.\n\n"
                                "Accueil des familles et des jeunes parents.")
    assert s["horaires_accueil"] == "Tu,We 14:00-18:00; Sa 09:30-12:00"  # temporary hours replace newhours
    parents = record(current, "pub__services", "soliguide--65f1c0d2e4b0a1b2c3d4e800")
    assert parents["horaires_accueil"] == "Tu,We 14:00-18:00; Sa 09:30-12:00"
    assert parents["publics"] == ["tous-publics"]
    assert parents["modes_mobilisation"] == ["se-presenter", "telephoner"]


def test_excluded_records_and_their_rules(current: Workspace):
    rows = current.query("select entity, record_id, rule from int__excluded order by entity, record_id")
    assert rows == [
        ("services", "soliguide--65f1c0d2e4b0a1b2c3d4e5f7", "thematique-non-couverte"),  # shower
        ("services", "soliguide--65f1c0d2e4b0a1b2c3d4e600", "reshared-from-dora"),
        ("services", "soliguide--65f1c0d2e4b0a1b2c3d4e700", "hors-france"),
        ("structures", "soliguide--48214", "reshared-from-dora"),
        ("structures", "soliguide--48300", "doublon"),
        ("structures", "soliguide--60101", "hors-france"),
    ]
    rows = current.query("select entity, raw, published, quarantined, excluded, balanced from int__accounting "
                         "where source = ? order by entity", [NAME])
    assert rows == [("services", 6, 3, 0, 3, True), ("structures", 5, 2, 0, 3, True)]


# Live fetch against the replay server


def search_page(places: list, total: int | None = None) -> Reply:
    body = {"nbResults": len(places) if total is None else total, "places": places}
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env.update({
        "DATAINCLUSION_SOLIGUIDE_URL": replay_server.url,
        "DATAINCLUSION_SOLIGUIDE_PAGE_SIZE": "12",
        "DATAINCLUSION_SOLIGUIDE_PAGE_DELAY": "0.2",
        "SOLIGUIDE_API_TOKEN": "jwt-s3cret",
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}/api/v2/",
        "DORA_API_TOKEN": "dora-token",
    })
    return workspace


def manifests(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob(f"raw/*/{NAME}/*/manifest.json"))


def test_post_body_paging_and_jwt_header(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", "/new-search", search_page(PLACES[:12], 21), search_page(PLACES[12:], 21))
    started = time.monotonic()
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.2  # the pause between pages
    sent = replay_server.requests_to("/new-search")
    assert [r.method for r in sent] == ["POST", "POST"]
    assert [json.loads(r.body) for r in sent] == [
        {"location": {"geoType": "pays", "geoValue": "fr"}, "options": {"limit": 12, "page": 1}},
        {"location": {"geoType": "pays", "geoValue": "fr"}, "options": {"limit": 12, "page": 2}},
    ]
    assert all(r.headers["Authorization"] == "JWT jwt-s3cret" for r in sent)
    assert all(r.headers["Content-Type"] == "application/json" for r in sent)
    assert "jwt-s3cret" not in result.output
    assert live.query("select count(*) from pub__structures") == [(21,)]
    assert live.query("select count(*) from pub__services") == [(4,)]
    manifest = json.loads(manifests(live)[0].read_text())
    assert [f["name"] for f in manifest["files"]] == ["lieux-0001.json", "lieux-0002.json"]
    assert manifest["record_count"] == 21 and manifest["status"] == "ok"


def test_empty_result_is_published_empty(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", "/new-search", search_page([]))
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    assert len(replay_server.requests_to("/new-search")) == 1
    assert live.query("select count(*) from pub__structures") == [(0,)]
    assert live.query("select status from runs") == [("ok",)]
    manifest = json.loads(manifests(live)[0].read_text())
    assert (manifest["record_count"], manifest["status"]) == (0, "ok")


def test_malformed_answer_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", "/new-search", search_page(PLACES[:12], 21), search_page(PLACES[12:], 21))
    assert live.run("--live", "--source", NAME).exit_code == 0
    before = {p: p.read_bytes() for p in manifests(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("POST", "/new-search", Reply(200, '{"nbResults": 3, "places": [{"lieu_id": ',
                                                   {"Content-Type": "application/json"}))
    dora_fetch.script_pages(replay_server, "structures", dora_fetch.STRUCTURES, 1)
    dora_fetch.script_pages(replay_server, "services", dora_fetch.SERVICES, 1)
    result = live.run("--live", "--source", NAME, "--source", "dora")
    assert result.exit_code == 0, result.output
    assert "page 1 of POST" in result.output and "is not valid JSON" in result.output
    assert "using its last good archive" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "the good archive is untouched"
    counts = live.query("select source, count(*) from pub__structures group by source order by source")
    assert counts == [("dora", 22), (NAME, 21)]
    assert live.query("select status from runs order by started_at desc limit 1") == [("stale-sources",)]


# --input


def test_input_of_one_sample_file(workspace: Workspace):
    result = workspace.run("--source", NAME, "--input", str(SAMPLE / "lieux-api.json"))
    assert result.exit_code == 0, result.output
    assert workspace.query("select count(*) from pub__structures") == [(1,)]
    assert workspace.query("select count(*) from pub__services") == [(4,)]


def test_input_record_that_is_not_an_object_is_refused(workspace: Workspace, tmp_path: Path):
    broken = tmp_path / "lieux-broken.json"
    broken.write_text(json.dumps({"nbResults": 2, "places": [PLACES[1], "lieu 41"]}), encoding="utf-8")
    result = workspace.run("--source", NAME, "--input", str(broken))
    assert result.exit_code == 1
    assert "lieux-broken.json, record 2 is not a JSON object" in result.output
    assert not workspace.dist.exists()
