"""Les emplois de l'inclusion: real sample records (2022 API v1), the current API shape, the live fetch, --input."""

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

NAME = "emplois-de-linclusion"
SAMPLE = SOURCES_DIR / "emplois_de_linclusion" / "sample"
FIXTURES = Path(__file__).parent / "fixtures" / "emplois_current"
SIAE = json.loads((SAMPLE / "siae.json").read_text(encoding="utf-8"))
ORGA = json.loads((SAMPLE / "orga.json").read_text(encoding="utf-8"))
API = "/api/v1/data-inclusion/"


def sid(local_id: str) -> str:
    return f"{NAME}--{local_id}"


@pytest.fixture(scope="module")
def sample(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "emplois-sample"))
    result = ws.run("--source", NAME)
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture(scope="module")
def current(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "emplois-current"))
    result = ws.run("--source", NAME, "--input", str(FIXTURES))
    assert result.exit_code == 0, result.output
    return ws


# Mapping of real sample records (API v1, 2022)


def test_siae_with_ampersand_and_crlf_description(sample: Workspace):
    s = record(sample, "pub__structures", sid("47cc1b52-9416-4358-a543-6f3dc1e3ccbb"))
    assert s["source"] == NAME
    assert s["nom"] == "Aire environnement et patrimoine"
    assert s["date_maj"] == date(2022, 10, 13)
    assert s["siret"] == "87931478900022"
    assert s["reseaux_porteurs"] == ["ei"]
    assert (s["adresse"], s["code_postal"], s["commune"]) == ("1 Rue François Arago", "14440", "DOUVRES LA DELIVRANDE")
    assert s["complement_adresse"] is None  # "" in the source
    assert s["code_insee"] == "14228"  # "" in the source, resolved by the territory stage
    assert (s["latitude"], s["longitude"]) == (49.286396, -0.37102399999999996)
    assert (s["telephone"], s["courriel"], s["site_web"]) == ("0231975482", "contact@aire14.fr", "http://aire14.fr")
    assert s["lien_source"] == "https://emplois.inclusion.beta.gouv.fr/siae/8266/card"
    # presentation_detail wins over the truncated presentation_resume; CRLF become LF
    assert s["description"].startswith("Membre du groupe Aire - employeur solidaire depuis plus de 30 ans")
    assert "Aire environnement & patrimoine a pour objet" in s["description"]
    assert "\r" not in s["description"]
    assert "\n\nLe chantier exerce ses activités sur les supports suivants:\n- entretien" in s["description"]
    assert s["horaires_accueil"] is None and s["accessibilite_lieu"] is None


def test_organisation_typologies_map_to_reseaux_porteurs(sample: Workspace):
    expected = {
        "0c682aef-ef6e-470c-92b9-4aca452ec447": ["france-travail"],  # PE
        "2aabf83d-8959-4695-b7e4-9a7733c15cd3": ["ccas-cias"],  # CCAS
        "0507b2ad-ce5a-4c15-8b96-5cf7a19c926b": ["residences-fjt"],  # RS_FJT
        "e4ab6d26-d176-402a-8949-6bbcc4a548b5": ["departements"],  # DEPT
        "0f09b20f-7a70-4bf7-b401-9159d7727626": None,  # Autre: deliberately unmapped
        "d6a5b552-ed55-4cb5-afb4-0fbaefe4a69c": None,  # OIL: deliberately unmapped
    }
    for local_id, reseaux in expected.items():
        assert record(sample, "pub__structures", sid(local_id))["reseaux_porteurs"] == reseaux, local_id


def test_pole_emploi_agency_without_siret(sample: Workspace):
    s = record(sample, "pub__structures", sid("0c682aef-ef6e-470c-92b9-4aca452ec447"))
    assert s["nom"] == "Pôle emploi - BOULOGNE-BILLANCOURT"
    assert s["siret"] is None  # null in the source
    assert s["courriel"] == "celine.legallais@pole-emploi.fr"
    assert s["description"] is None and s["telephone"] is None


def test_record_without_address_or_coordinates(sample: Workspace):
    s = record(sample, "pub__structures", sid("b8b0a6f0-6de5-4055-b88d-e8e6842bb6ba"))
    assert s["nom"] == "Laisser fleurir"
    assert [s[f] for f in ("adresse", "code_postal", "commune", "latitude", "longitude", "telephone")] == [None] * 6
    assert s["reseaux_porteurs"] == ["aci"]


def test_antenna_keeps_its_producer_siret_and_resume_only_description(sample: Workspace):
    antenna = record(sample, "pub__structures", sid("0e8018e7-58b2-4a1c-bcc4-e5d53be73fce"))
    assert record(sample, "map_emplois_de_linclusion__structures", antenna["id"])["siret"] == "84156435499999"
    assert antenna["siret"] is None  # the sirétisation finds its Luhn key wrong: not published
    assert antenna["reseaux_porteurs"] == ["etti"]
    carton = record(sample, "pub__structures", sid("3e941a1a-a63d-49c3-a188-8339ecb3d444"))
    assert carton["description"] == "Création de meubles en cartons."  # presentation_resume, detail empty
    mapped = record(sample, "map_emplois_de_linclusion__structures", carton["id"])
    assert (mapped["courriel"], mapped["telephone"]) == ("nicolas.b.menuisier@gmail.com", "0354651779")
    assert (carton["courriel"], carton["telephone"]) == (None, None)  # a personal e-mail: masked with its phone


def test_sample_accounting(sample: Workspace):
    rows = sample.query("select entity, raw, published, quarantined, excluded, balanced from int__accounting "
                        "where source = ?", [NAME])
    assert rows == [("structures", 34, 34, 0, 0, True)]
    assert sample.query("select count(*) from raw_emplois_de_linclusion__siae") == [(20,)]
    assert sample.query("select count(*) from raw_emplois_de_linclusion__orga") == [(14,)]


# The current /api/v1/data-inclusion/ shape


def test_current_shape_fields(current: Workspace):
    s = record(current, "pub__structures", sid("4471"))
    assert s["nom"] == "Jardins de Cocagne Rennais"  # the newer of the two copies
    assert s["date_maj"] == date(2026, 6, 1)
    assert s["reseaux_porteurs"] == ["aci"]  # kind ACI
    assert s["description"] == "Chantier d'insertion en maraîchage biologique."
    assert (s["adresse"], s["complement_adresse"], s["code_postal"], s["commune"]) == (
        "Lieu-dit La Prévalaye", "Route de Lorient", "35000", "Rennes")
    assert s["site_web"] is None
    ml = record(current, "pub__structures", sid("9d2f8a41-3c6e-4b7d-a0f5-1e2c3d4b5a69"))
    assert ml["reseaux_porteurs"] == ["mission-locale"]
    assert ml["telephone"] == "02 99 72 19 50"


def test_producer_placeholders_become_null(current: Workspace):
    s = record(current, "pub__structures", sid("5120"))
    assert s["siret"] is None  # 00000000000000
    # 0, 0 dropped: the territory stage puts the commune's centre instead
    assert (s["latitude"], s["longitude"]) != (0, 0) and s["geocodage_precision"] == "commune"
    assert s["description"] is None  # "NC": 5 characters or fewer
    assert s["reseaux_porteurs"] == ["ei"]


def test_html_description_and_unmapped_kind(current: Workspace):
    s = record(current, "pub__structures", sid("c41d7a0e-6b8f-4f21-9d3a-2e5b7c9d1f08"))
    assert s["description"] == (
        "Accueil & orientation des personnes sans emploi.\n\n- entretien individuel\n- ateliers collectifs")
    assert s["reseaux_porteurs"] is None  # kind OTHER, listed as unmapped
    assert s["date_maj"] == date(2026, 2, 11)


def test_duplicate_id_is_excluded_once(current: Workspace):
    assert current.query("select record_id, rule from int__excluded") == [(sid("4471"), "doublon")]
    rows = current.query("select entity, raw, published, quarantined, excluded, balanced from int__accounting "
                         "where source = ?", [NAME])
    assert rows == [("structures", 5, 4, 0, 1, True)]


# Live fetch against the replay server


def page(results: list, next_url: str | None) -> Reply:
    body = {"count": len(results), "next": next_url, "previous": None, "results": results}
    return Reply(200, json.dumps(body), {"Content-Type": "application/json"})


def query(stream: str, number: int) -> str:
    return f"?type={stream}&page_size=1000" if number == 1 else f"?type={stream}&page={number}&page_size=1000"


def script_pages(server: ReplayServer, stream: str, records: list, pages: int) -> None:
    size = -(-len(records) // pages)
    chunks = [records[i: i + size] for i in range(0, len(records), size)]
    for number, chunk in enumerate(chunks, start=1):
        nxt = f"{server.url}{API}{query(stream, number + 1)}" if number < len(chunks) else None
        server.add("GET", API + query(stream, number), page(chunk, nxt))


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env.update({
        "DATAINCLUSION_EMPLOIS_DE_LINCLUSION_URL": f"{replay_server.url}{API}",
        "EMPLOIS_API_TOKEN": "emplois-s3cret",
        "DATAINCLUSION_DORA_URL": f"{replay_server.url}/api/v2/",
        "DORA_API_TOKEN": "dora-token",
    })
    return workspace


def manifests(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob(f"raw/*/{NAME}/*/manifest.json"))


def test_pagination_over_both_types(live: Workspace, replay_server: ReplayServer):
    script_pages(replay_server, "siae", SIAE, 3)
    script_pages(replay_server, "orga", ORGA, 2)
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    assert [r.query for r in replay_server.requests_to(API)] == [
        "type=siae&page_size=1000", "type=siae&page=2&page_size=1000", "type=siae&page=3&page_size=1000",
        "type=orga&page_size=1000", "type=orga&page=2&page_size=1000",
    ]
    assert all(r.headers["Authorization"] == "Token emplois-s3cret" for r in replay_server.received)
    assert "emplois-s3cret" not in result.output
    assert live.query("select count(*) from pub__structures") == [(34,)]
    (path,) = manifests(live)
    manifest = json.loads(path.read_text())
    assert (manifest["origin"], manifest["status"], manifest["record_count"]) == ("live", "ok", 34)
    assert [f["name"] for f in manifest["files"]] == [
        "siae-0001.json", "siae-0002.json", "siae-0003.json", "orga-0001.json", "orga-0002.json"]
    assert all(f["http_status"] == 200 and f["url"].startswith(replay_server.url) for f in manifest["files"])
    assert "emplois-s3cret" not in "".join(p.read_text() for p in path.parent.iterdir())


def test_429_waits_for_retry_after_then_succeeds(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", API + query("siae", 1), Reply(429, "Too many requests", {"Retry-After": "1"}),
                      page(SIAE, None))
    script_pages(replay_server, "orga", ORGA, 1)
    started = time.monotonic()
    result = live.run("--live", "--source", NAME)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 1.0
    assert "HTTP 429" in result.output and "in 1.0s" in result.output
    assert [r.query for r in replay_server.requests_to(API)][:2] == ["type=siae&page_size=1000"] * 2
    assert live.query("select count(*) from pub__structures") == [(34,)]


def test_malformed_page_keeps_the_last_good_archive(live: Workspace, replay_server: ReplayServer):
    script_pages(replay_server, "siae", SIAE, 1)
    script_pages(replay_server, "orga", ORGA, 1)
    assert live.run("--live", "--source", NAME).exit_code == 0
    before = {p: p.read_bytes() for p in manifests(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("GET", API + query("siae", 1),
                      Reply(200, '{"count": 2, "next": null, "results": [{"id": "1", ', {"Content-Type": "application/json"}))
    dora_fetch.script_pages(replay_server, "structures", dora_fetch.STRUCTURES, 1)
    dora_fetch.script_pages(replay_server, "services", dora_fetch.SERVICES, 1)
    result = live.run("--live", "--source", NAME, "--source", "dora")
    assert result.exit_code == 0, result.output
    assert "is not valid JSON" in result.output and "using its last good archive" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "the good archive is untouched"
    counts = live.query("select source, count(*) from pub__structures group by source order by source")
    assert counts == [("dora", 22), (NAME, 34)]  # dora fetched fresh, emplois from its stale archive
    assert live.query("select status from runs order by started_at desc limit 1") == [("stale-sources",)]


# --input


def test_input_accepts_the_producers_file_names(workspace: Workspace, tmp_path: Path):
    original = tmp_path / "emplois_api_v1_structures_orga_from_diff-explorer.json"
    original.write_bytes((SAMPLE / "orga.json").read_bytes())
    result = workspace.run("--source", NAME, "--input", str(original))
    assert result.exit_code == 0, result.output
    assert workspace.query("select count(*) from pub__structures") == [(14,)]
    assert workspace.query("select count(*) from raw_emplois_de_linclusion__orga") == [(14,)]


def test_malformed_input_is_refused_and_nothing_is_published(workspace: Workspace, tmp_path: Path):
    assert workspace.run("--source", NAME, "--input", str(SAMPLE)).exit_code == 0
    published = {p: p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()}
    broken = tmp_path / "siae-broken.json"
    broken.write_text('[\n {"id": "1", "nom": "A"},\n {"id": "2", "nom": \n', encoding="utf-8")
    result = workspace.run("--source", NAME, "--input", str(broken))
    assert result.exit_code == 1
    assert "siae-broken.json" in result.output and "line 4" in result.output
    assert {p: p.read_bytes() for p in workspace.dist.rglob("*") if p.is_file()} == published
