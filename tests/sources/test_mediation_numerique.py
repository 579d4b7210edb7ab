"""Médiation numérique: real places of the bundled sample (schema v0.x), the v1 CSV, the current API shape."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer

FIXTURES = Path(__file__).parent / "fixtures" / "mediation_numerique"
TENDE = "mediation-numerique--mediation-numerique-france-services-19"
CONFOLENS = "mediation-numerique--mediation-numerique-conseiller-numerique-6299fadc4bdc5506ec39ddc6-mediation-numerique"


@pytest.fixture(scope="module")
def mednum(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "mednum"))
    result = ws.run("--source", "mediation-numerique")
    assert result.exit_code == 0, result.output
    return ws


def test_structure_of_a_france_services_place(mednum: Workspace):
    s = record(mednum, "pub__structures", TENDE)
    assert s["source"] == "mediation-numerique"
    assert s["nom"] == "France services Tende"
    assert s["date_maj"] == date(2020, 1, 1)
    assert (s["adresse"], s["code_postal"], s["commune"]) == ("107 Avenue 16 Septembre 1947", "06430", "Tende")
    assert (s["latitude"], s["longitude"]) == (44.0907633, 7.5923428)
    assert s["telephone"] == "+33492003259"
    assert s["courriel"] == "tende@france-services.gouv.fr"
    # pivot 00000000000000; found in SIRENE by name once the territory stage gave the code INSEE 06163
    assert s["siret"] == "99499582700015"
    assert s["horaires_accueil"] == "Mo-Th 08:45-12:00,14:15-16:00; Fr 08:45-12:00"  # already OSM
    assert s["reseaux_porteurs"] == ["france-service"]  # label "France Services"
    assert s["lien_source"] == (
        "https://cartographie.societenumerique.gouv.fr/cartographie/mediation-numerique-france-services-19/details")


def test_service_has_the_place_id_and_v0_vocabularies(mednum: Workspace):
    v = record(mednum, "pub__services", TENDE)
    assert v["structure_id"] == TENDE
    assert v["nom"] == "Service d'accompagnement au numérique"
    assert v["description"] == ("Services proposés : Réaliser des démarches administratives avec un accompagnement, "
                                "Favoriser mon insertion professionnelle.")
    assert v["thematiques"] == [
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "numerique--acceder-a-des-services-en-ligne",
        "numerique--maitriser-les-fondamentaux-du-numerique",
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
    ]
    assert v["frais"] == "gratuit"  # "Gratuit : Je peux accéder gratuitement au lieu et à ses services"
    assert v["publics"] == ["tous-publics"]  # "Adultes" stands for everyone
    assert v["publics_precisions"] == "Adultes, Familles/enfants, Jeunes (16-26 ans), Seniors (+ 65 ans)"
    assert v["zone_eligibilite"] == ["06"]
    assert v["modes_accueil"] == ["en-presentiel"]
    assert v["modes_mobilisation"] == ["envoyer-un-courriel", "telephoner"]  # from the contacts given
    assert v["mobilisable_par"] == ["professionnels", "usagers"]


def test_siret_typologie_and_labels(mednum: Workspace):
    s = record(mednum, "pub__structures", CONFOLENS)
    assert s["nom"] == "COMMUNE DE CONFOLENS"
    assert s["siret"] == "20005404700010"
    assert s["site_web"] == "https://www.mairie-confolens.fr"
    assert s["reseaux_porteurs"] == ["conseillers-numeriques", "france-service"]  # CNFS;France Services + RFS
    muni = record(mednum, "pub__structures", "mediation-numerique--mediation-numerique-aidants-connect-361-mediation-numerique")
    assert muni["reseaux_porteurs"] == ["aidants-connect", "communes"]  # label Aidants Connect + typologie MUNI


def test_support_modes_give_the_type_by_priority(mednum: Workspace):
    v = record(mednum, "pub__services", "mediation-numerique--mediation-numerique-france-tiers-lieux-62a72f510589e11e27060b3c")
    assert v["type"] == "atelier"  # "Dans un atelier" + "Avec de l'aide": atelier wins over accompagnement
    assert "famille--soutien-a-la-parentalite-et-a-leducation" in v["thematiques"]
    assert v["frais"] is None and v["modes_mobilisation"] is None


def test_postal_code_gives_the_departement_when_no_code_insee(mednum: Workspace):
    v = record(mednum, "pub__services", "mediation-numerique--mediation-numerique-france-services-76")
    # the territory stage then resolves the arrondissement to Marseille's code
    assert (v["commune"], v["code_postal"], v["code_insee"], v["code_arrondissement"]) == (
        "Marseille", "13002", "13055", "13202")
    assert v["zone_eligibilite"] == ["13"]


def test_places_reshared_from_dora_are_excluded(mednum: Workspace):
    rows = mednum.query("select entity, record_id, rule from int__excluded where source = 'mediation-numerique' "
                        "order by entity, record_id")
    ids = ["mediation-numerique--83528766-901c-43eb-9a73-47adedd163b1|france-tiers-lieux-644792b24dd7bb0ce5621a0d",
           "mediation-numerique--dora-3d647b3a-a5b6-41f8-8374-ba37c1ff1746",
           "mediation-numerique--dora-6046caa6-f22a-43c4-aa4d-72d8250ba0f1"]
    assert rows == [(e, i, "deja-collecte-via-dora") for e in ("services", "structures") for i in ids]


def test_unix_epoch_dates_are_quarantined_as_missing(mednum: Workspace):
    rows = mednum.query("select record_id from int__quarantine where source = 'mediation-numerique' "
                        "and entity = 'structures' and field = 'date_maj' and code = 'required' order by record_id")
    assert [r[0] for r in rows] == [
        "mediation-numerique--1", "mediation-numerique--12",  # 1969-12-31
        "mediation-numerique--mediation-numerique-cr93-588", "mediation-numerique--mediation-numerique-cr93-814",
        "mediation-numerique--mediation-numerique-etapes-numerique-16-mediation-numerique",  # 1970-01-01
    ]
    assert mednum.query("select count(*) from int__accounting where source = 'mediation-numerique' "
                        "and raw = 24 and published = 16 and quarantined = 5 and excluded = 3") == [(2,)]


def test_schema_v1_csv_with_pipe_lists(workspace: Workspace):
    result = workspace.run("--source", "mediation-numerique", "--input", str(FIXTURES / "LaMednum_exemple-valide_v1.0.csv"))
    assert result.exit_code == 0, result.output
    s = record(workspace, "pub__structures", "mediation-numerique--structure-1")
    assert (s["nom"], s["siret"], s["code_insee"], s["date_maj"]) == ("Anonymal", "43493312300029", "51454", date(2024, 4, 2))
    assert s["courriel"] == "contact@laquincaillerie.tl"  # first of two `|`-separated
    assert s["site_web"] == "https://www.laquincaillerie.tl/"
    assert s["complement_adresse"] == "Le patio du bois de l'Aulne"
    assert s["reseaux_porteurs"] == ["aidants-connect", "conseillers-numeriques", "croix-rouge"]
    v = record(workspace, "pub__services", "mediation-numerique--structure-1")
    assert v["type"] == "aide-materielle"  # "En autonomie" first in priority
    assert v["modes_accueil"] == ["a-distance", "en-presentiel"]  # "À distance"
    assert v["frais"] == "gratuit" and v["frais_precisions"] == "Gratuit sous condition, Payant"
    assert v["publics"] == ["femmes", "jeunes", "personnes-en-situation-de-handicap", "personnes-exilees"]
    assert v["publics_precisions"] == "Jeunes, Femmes, Surdité, Illettrisme, Langues étrangères (anglais)"
    assert v["modes_mobilisation"] == ["se-presenter", "telephoner", "utiliser-lien-mobilisation"]
    assert v["lien_mobilisation"] == "https://www.rdv-solidarites.fr/"
    assert v["zone_eligibilite"] == ["51"]
    assert "remobilisation--activites-sportives-et-culturelles" in v["thematiques"]  # Loisirs et créations numériques


def test_current_api_shape(workspace: Workspace):
    result = workspace.run("--source", "mediation-numerique", "--input", str(FIXTURES / "api_carto.json"))
    assert result.exit_code == 0, result.output
    place = "mediation-numerique--c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
    s = record(workspace, "pub__structures", place)
    assert s["adresse"] == "2 bis boulevard de Vitré"  # nested adresse object
    assert (s["code_postal"], s["code_insee"], s["commune"]) == ("35000", "35238", "Rennes")
    assert s["date_maj"] == date(2026, 5, 30)
    # `pivot` is the SIRET; this illustrative one has a wrong Luhn key, so it is mapped but not published
    assert record(workspace, "map_mediation_numerique__structures", place)["siret"] == "21350238800015"
    assert s["siret"] is None
    assert s["description"].startswith("Des conseillers numériques vous accompagnent gratuitement")
    assert s["reseaux_porteurs"] == ["aidants-connect", "conseillers-numeriques"]
    v = record(workspace, "pub__services", place)
    assert record(workspace, "int__services", place)["contact_nom_prenom"] == "Karim Benali"  # first mediator, not published
    assert v["courriel"] == "mediation.numerique@ville-rennes.fr"
    assert v["type"] == "atelier"
    assert v["modes_mobilisation"] == ["se-presenter", "telephoner", "utiliser-lien-mobilisation"]
    assert v["publics"] == ["personnes-en-situation-de-handicap", "seniors"]  # Seniors + Surdité
    assert workspace.query("select rule from int__excluded where record_id like '%f0e1d2c3%' and entity = 'structures'") == [
        ("deja-collecte-via-soliguide",)]  # "Soliguide", whatever its case


def test_malformed_input_names_file_and_line(workspace: Workspace, tmp_path: Path):
    bad = tmp_path / "lieux.json"
    bad.write_text('[{"id": "1", "nom": "Médiathèque"},\n {"id": "2", "nom": }]', encoding="utf-8")
    result = workspace.run("--source", "mediation-numerique", "--input", str(bad))
    assert result.exit_code == 1
    assert "mediation-numerique: file lieux.json is not valid JSON (line 2, column" in result.output
    assert not workspace.dist.exists(), "nothing published"


# Live fetch against a replay server on 127.0.0.1.

@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env.update({
        "DATAINCLUSION_MEDIATION_NUMERIQUE_URL": f"{replay_server.url}/carto",
        "MEDIATION_NUMERIQUE_API_TOKEN": "t0ken-mednum",
    })
    return workspace


def _archives(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob("raw/*/mediation-numerique/*/manifest.json"))


def test_live_fetch_sends_the_bearer_token(live: Workspace, replay_server: ReplayServer):
    body = (FIXTURES / "api_carto.json").read_bytes()
    replay_server.add("GET", "/carto", Reply(200, body, {"Content-Type": "application/json"}))
    result = live.run("--live", "--source", "mediation-numerique")
    assert result.exit_code == 0, result.output
    assert [r.headers["Authorization"] for r in replay_server.received] == ["Bearer t0ken-mednum"]
    assert "t0ken-mednum" not in result.output
    (manifest_path,) = _archives(live)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "ok" and manifest["record_count"] == 2
    assert (manifest_path.parent / "lieux.json").read_bytes() == body, "archived exactly as received"
    assert live.query("select count(*) from pub__structures") == [(1,)]


def test_malformed_body_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/carto", Reply(200, (FIXTURES / "api_carto.json").read_bytes()))
    assert live.run("--live", "--source", "mediation-numerique").exit_code == 0
    before = {p: p.read_bytes() for p in _archives(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("GET", "/carto", Reply(200, '[{"id": "1", "nom": "x"', {"Content-Type": "application/json"}))
    result = live.run("--live", "--source", "mediation-numerique")
    assert result.exit_code == 0, result.output
    assert "mediation-numerique: file lieux.json is not valid JSON" in result.output
    assert "using its last good archive" in result.output and "(stale)" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "earlier archive untouched"
    assert live.query("select count(*) from raw_mediation_numerique__lieux") == [(2,)]  # the good run's records
    assert live.query("select status from runs order by started_at desc limit 1") == [("stale-sources",)]


def test_missing_token_is_reported(workspace: Workspace, replay_server: ReplayServer):
    workspace.extra_env["DATAINCLUSION_MEDIATION_NUMERIQUE_URL"] = f"{replay_server.url}/carto"
    result = workspace.run("--live", "--source", "mediation-numerique")
    assert "MEDIATION_NUMERIQUE_API_TOKEN" in result.output
    assert replay_server.received == []
