"""France Travail: real sample agencies, opening hours, the OAuth2 token then agencies fetch, --input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import REFERENCE_DATE, Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer
from tests.sources import test_dora_fetch as dora_fetch

NAME = "france-travail"
SAMPLE = SOURCES_DIR / "france_travail" / "sample"
FIXTURES = Path(__file__).parent / "fixtures" / "france_travail_hours"
AGENCES = (SAMPLE / "agences.json").read_text(encoding="utf-8")
TOKEN_PATH = "/connexion/oauth2/access_token"
AGENCES_PATH = "/partenaire/referentielagences/v1/agences"
ADEDA = "https://www.francetravail.fr/actualites/a-laffiche/2022/adeda-un-dispositif-pour-mieux-a.html"


@pytest.fixture(scope="module")
def sample(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "france-travail-sample"))
    result = ws.run("--source", NAME)
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture(scope="module")
def hours(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "france-travail-hours"))
    result = ws.run("--source", NAME, "--input", str(FIXTURES))
    assert result.exit_code == 0, result.output
    return ws


# Mapping of real sample records


def test_agency_fields(sample: Workspace):
    s = record(sample, "pub__structures", "france-travail--OCC0043")
    assert s["source"] == NAME
    assert s["nom"] == "Agence France Travail MONTAUBAN ALBASUD"
    assert s["date_maj"] == date.fromisoformat(REFERENCE_DATE)  # the référentiel is current when read
    assert s["siret"] == "13000548121305"
    assert (s["adresse"], s["complement_adresse"]) == ("205 AV de l'Europe", "Zone d'activités Albasud")
    assert (s["code_postal"], s["code_insee"], s["commune"]) == ("82000", "82121", "Montauban")
    assert (s["longitude"], s["latitude"]) == (1.33531, 43.996864)
    assert s["telephone"] == "3949"  # "39-49" in the source: the national number
    assert s["courriel"] is None  # ape.82001@francetravail.fr is never used
    assert s["site_web"] == "https://www.francetravail.fr"
    assert s["accessibilite_lieu"] == ADEDA  # dispositifADEDA
    assert s["reseaux_porteurs"] == ["france-travail"]
    assert s["description"] is None and s["lien_source"] is None and s["horaires_accueil"] is None


def test_agency_without_building_line(sample: Workspace):
    s = record(sample, "pub__structures", "france-travail--NAQ0146")
    assert (s["adresse"], s["complement_adresse"], s["commune"]) == ("33 CHEMIN DU CASSE", None, "Libourne")
    assert sample.query("select entity, raw, published, quarantined, excluded, balanced from int__accounting "
                        "where source = ?", [NAME]) == [("structures", 2, 2, 0, 0, True)]


def test_walk_in_hours_become_osm(hours: Workspace):
    expected = {
        "BRE0042": "Mo 08:30-12:30,13:30-16:30; Fr 08:30-12:30; PH off",  # morning and afternoon
        "HDF0170": "Mo-Th 08:30-12:45; Fr 09:00-12:00; PH off",  # afternoons on appointment only: left out
        "BRE0099": "Tu 08:30-16:30; Th 13:30-16:30; PH off",  # continuous Tuesday, closed Wednesday
    }
    for code, osm in expected.items():
        assert record(hours, "pub__structures", f"france-travail--{code}")["horaires_accueil"] == osm, code


def test_duplicate_agency_keeps_the_last_copy(hours: Workspace):
    s = record(hours, "pub__structures", "france-travail--BRE0099")
    assert s["nom"] == "France Travail Vitré"
    assert s["complement_adresse"] == "BP 30112"  # ligne5
    assert s["accessibilite_lieu"] is None  # no ADEDA
    assert hours.query("select record_id, rule from int__excluded") == [("france-travail--BRE0099", "doublon")]


# Live fetch against the replay server


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env.update({
        "DATAINCLUSION_FRANCE_TRAVAIL_TOKEN_URL": f"{replay_server.url}{TOKEN_PATH}?realm=/partenaire",
        "DATAINCLUSION_FRANCE_TRAVAIL_URL": f"{replay_server.url}{AGENCES_PATH}?horaire=true",
        "FRANCE_TRAVAIL_CLIENT_ID": "PAR_datainclusion_42",
        "FRANCE_TRAVAIL_CLIENT_SECRET": "ft-client-s3cret",
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}/api/v2/",
        "DORA_API_TOKEN": "dora-token",
    })
    return workspace


def token_reply(token: str = "ft-access-tok3n") -> Reply:
    body = {"access_token": token, "token_type": "Bearer", "expires_in": 1499,
            "scope": "api_referentielagencesv1 organisationpe"}
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


def agences_reply(body: str = AGENCES) -> Reply:
    return Reply(200, body, {"Content-Type": "application/json"})


def manifests(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob(f"raw/*/{NAME}/*/manifest.json"))


def archived_text(ws: Workspace) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in ws.data_dir.glob(f"raw/*/{NAME}/*/*"))


def test_client_credentials_token_then_bearer(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", TOKEN_PATH, token_reply())
    replay_server.add("GET", AGENCES_PATH, agences_reply())
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    (token_request,) = replay_server.requests_to(TOKEN_PATH)
    assert token_request.method == "POST" and token_request.query == "realm=/partenaire"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["PAR_datainclusion_42"],
        "client_secret": ["ft-client-s3cret"],
        "scope": ["application_PAR_datainclusion_42 api_referentielagencesv1 organisationpe"],
    }
    (agences_request,) = replay_server.requests_to(AGENCES_PATH)
    assert agences_request.method == "GET" and agences_request.query == "horaire=true"
    assert agences_request.headers["Authorization"] == "Bearer ft-access-tok3n"
    assert [r.path for r in replay_server.received] == [TOKEN_PATH, AGENCES_PATH]  # token first
    assert live.query("select count(*) from pub__structures") == [(2,)]
    manifest = json.loads(manifests(live)[0].read_text())
    assert [f["name"] for f in manifest["files"]] == ["agences-0001.json"]  # the token answer is not archived
    assert (manifest["record_count"], manifest["status"]) == (2, "ok")
    for secret in ("ft-client-s3cret", "ft-access-tok3n"):
        assert secret not in result.output and secret not in archived_text(live)


def test_token_refused_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", TOKEN_PATH, token_reply())
    replay_server.add("GET", AGENCES_PATH, agences_reply())
    assert live.run("--live", "--source", NAME).exit_code == 0
    before = {p: p.read_bytes() for p in manifests(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.received.clear()
    replay_server.add("POST", TOKEN_PATH, Reply(401, '{"error": "invalid_client"}', {"Content-Type": "application/json"}))
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    assert f"POST {replay_server.url}{TOKEN_PATH}?realm=/partenaire answered HTTP 401" in result.output
    assert "using its last good archive" in result.output
    assert replay_server.requests_to(AGENCES_PATH) == []  # no token, no agencies request
    assert "ft-client-s3cret" not in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "the good archive is untouched"
    assert live.query("select count(*) from pub__structures") == [(2,)]
    assert live.query("select status from runs order by started_at desc limit 1") == [("stale-sources",)]


def test_malformed_agencies_answer_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer):
    replay_server.add("POST", TOKEN_PATH, token_reply())
    replay_server.add("GET", AGENCES_PATH, agences_reply())
    assert live.run("--live", "--source", NAME).exit_code == 0
    before = {p: p.read_bytes() for p in manifests(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("POST", TOKEN_PATH, token_reply())
    replay_server.add("GET", AGENCES_PATH, agences_reply('[{"code": "OCC0043", "libelle": '))
    dora_fetch.script_pages(replay_server, "structures", dora_fetch.STRUCTURES, 1)
    dora_fetch.script_pages(replay_server, "services", dora_fetch.SERVICES, 1)
    result = live.run("--live", "--source", NAME, "--source", "dora")
    assert result.exit_code == 0, result.output
    assert "agences-0001.json is not valid JSON" in result.output
    assert "using its last good archive" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "the good archive is untouched"
    counts = live.query("select source, count(*) from pub__structures group by source order by source")
    assert counts == [("dora", 22), (NAME, 2)]
    assert live.query("select status from runs order by started_at desc limit 1") == [("stale-sources",)]


def test_missing_credentials_are_named(workspace: Workspace, replay_server: ReplayServer):
    workspace.extra_env["DATAINCLUSION_FRANCE_TRAVAIL_TOKEN_URL"] = f"{replay_server.url}{TOKEN_PATH}"
    result = workspace.run("--live", "--source", NAME)
    assert "FRANCE_TRAVAIL_CLIENT_ID" in result.output
    assert replay_server.received == []


# --input


def test_input_of_the_producers_file(workspace: Workspace, tmp_path: Path):
    original = tmp_path / "france_travail_referentielagences_from_les-emplois_test.json"
    original.write_text(AGENCES, encoding="utf-8")
    result = workspace.run("--source", NAME, "--input", str(original))
    assert result.exit_code == 0, result.output
    assert workspace.query("select id from pub__structures order by id") == [
        ("france-travail--NAQ0146",), ("france-travail--OCC0043",)]


def test_malformed_input_is_refused(workspace: Workspace, tmp_path: Path):
    broken = tmp_path / "agences.json"
    broken.write_text(AGENCES.replace('"code": "NAQ0146",', '"code": "NAQ0146"'), encoding="utf-8")
    result = workspace.run("--source", NAME, "--input", str(broken))
    assert result.exit_code == 1
    assert "agences.json is not valid JSON (line 29, column 5" in result.output
    assert not workspace.dist.exists()
