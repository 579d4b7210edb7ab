"""France services: real places of the ANCT list (multi-line cells, free-text hours, overseas)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import SOURCES_DIR
from tests.conftest import Workspace, record, shared_folder
from tests.replay import Reply, ReplayServer

SAMPLE_CSV = SOURCES_DIR / "france_services" / "sample" / "liste-fs-20221201.csv"


@pytest.fixture(scope="module")
def fs(request: pytest.FixtureRequest) -> Workspace:
    ws = Workspace(shared_folder(request, "france-services"))
    result = ws.run("--source", "france-services")
    assert result.exit_code == 0, result.output
    return ws


def test_structure_fields_of_a_real_place(fs: Workspace):
    s = record(fs, "pub__structures", "france-services--19")
    assert s["source"] == "france-services"
    assert s["nom"] == "France services Tende"
    assert s["date_maj"] == date(2022, 12, 1)  # the list's date, in its file name
    assert (s["adresse"], s["code_postal"], s["commune"], s["code_insee"]) == (
        "107 Avenue 16 Septembre 1947", "06430", "Tende", "06163")
    assert (s["latitude"], s["longitude"]) == (44.0907633, 7.5923428)
    assert s["telephone"] == "0492003259"  # "04 92 00 32 59"
    assert s["courriel"] == "tende@france-services.gouv.fr"
    assert s["horaires_accueil"] == "Mo-Th 08:45-12:00,14:15-16:00; Fr 08:45-12:00"
    assert s["description"] == "Prise de rendez-vous au 04.92.00.32.59"  # commentaire
    assert s["reseaux_porteurs"] == ["france-service"]


def test_one_service_per_place(fs: Workspace):
    v = record(fs, "pub__services", "france-services--19")
    assert v["structure_id"] == "france-services--19"
    assert v["nom"] == "Accompagnement aux démarches administratives"
    assert v["description"].startswith("Les agents France services accueillent, informent et accompagnent gratuitement")
    assert v["description"].endswith("\n\nPrise de rendez-vous au 04.92.00.32.59")
    assert (v["type"], v["frais"], v["publics"], v["modes_accueil"]) == (
        "accompagnement", "gratuit", ["tous-publics"], ["en-presentiel"])
    assert v["thematiques"] == [
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        "numerique--acceder-a-des-services-en-ligne",
    ]
    assert v["zone_eligibilite"] == ["06"]
    assert v["modes_mobilisation"] == ["envoyer-un-courriel", "se-presenter", "telephoner"]
    assert v["horaires_accueil"] == "Mo-Th 08:45-12:00,14:15-16:00; Fr 08:45-12:00"
    assert fs.query("select count(*) from pub__services where source = 'france-services'") == [(31,)]


@pytest.mark.parametrize("place,hours", [
    ("temp_28", "Mo-Fr 09:00-12:30,13:30-17:00; Sa 08:30-12:00"),  # Monday "09:00-12:30-13:30-17:00"
    ("temp_67", "Mo,Tu 07:30-12:30,14:00-17:00; We 07:30-13:30; Th 07:30-12:30,14:00-17:00; Fr 07:30-12:30"),  # "07:30:12:30", "-"
    ("temp_148", "Mo 13:00-18:00; Tu 09:30-13:00,14:00-19:00; We 09:30-12:30,13:30-18:00; Th 09:00-12:00; "
                 "Fr 09:30-12:30,13:30-18:00; Sa 10:00-13:00"),  # Friday cell on three lines
    ("1123", "Mo,Tu 08:30-12:30; We 08:30-12:30,13:30-17:00; Th,Fr 08:30-12:30"),
    ("temp_29", None),  # Tuesday "09:00-13:00-/3:00-16:00" cannot be read: no hours rather than wrong ones
    ("1688", None),  # overlapping slots "07:15 - 13:30 / 07:15 - 13:00"
    ("942", None),  # every day empty
])
def test_free_text_hours_become_osm(fs: Workspace, place: str, hours: str | None):
    assert record(fs, "pub__structures", f"france-services--{place}")["horaires_accueil"] == hours


def test_multi_line_cells(fs: Workspace):
    s = record(fs, "pub__structures", "france-services--1324")  # "47 Rue Jean-Jacques Rousseau\n\n\n\n\n\nLe Forum"
    assert (s["adresse"], s["complement_adresse"]) == ("47 Rue Jean-Jacques Rousseau", "Le Forum")
    s = record(fs, "pub__structures", "france-services--1688")  # Guadeloupe, "Rue de la mairie \n\n\n\n\n\nbourg"
    assert (s["adresse"], s["complement_adresse"], s["code_insee"]) == ("Rue de la mairie", "bourg", "97130")
    s = record(fs, "pub__structures", "france-services--1123")  # "1 rue Babaud Lacroze \n\n\n\n\n\n"
    assert (s["adresse"], s["complement_adresse"]) == ("1 rue Babaud Lacroze", None)
    comment = record(fs, "pub__structures", "france-services--426")["description"]
    assert comment.startswith("Sur rendez-vous les mardis, mercredis et jeudis matins au Lude\nPermanences sur rendez-vous")


def test_overseas_and_corsica_zones(fs: Workspace):
    zones = dict(fs.query("select id, zone_eligibilite from pub__services where id in "
                          "('france-services--124', 'france-services--126', 'france-services--565', 'france-services--1684')"))
    assert zones == {"france-services--124": ["2A"], "france-services--126": ["2B"],
                     "france-services--565": ["976"], "france-services--1684": ["978"]}


def test_missing_contacts_narrow_the_modes(fs: Workspace):
    assert record(fs, "pub__services", "france-services--942")["modes_mobilisation"] == ["envoyer-un-courriel", "se-presenter"]
    assert record(fs, "pub__services", "france-services--temp_44")["modes_mobilisation"] == ["se-presenter"]


def test_malformed_csv_names_file_and_line(workspace: Workspace, tmp_path: Path):
    lines = SAMPLE_CSV.read_text(encoding="utf-8").split("\n")
    bad = tmp_path / "liste-fs-20230101.csv"
    bad.write_text("\n".join(lines[:3] + ['"999","01","France services cassée"'] + lines[3:]), encoding="utf-8")
    result = workspace.run("--source", "france-services", "--input", str(bad))
    assert result.exit_code == 1
    assert "france-services: file liste-fs-20230101.csv, line 4: 3 fields where the header has 23" in result.output
    assert not workspace.dist.exists(), "nothing published"


# Live fetch against a replay server on 127.0.0.1.

DATASET = "/api/1/datasets/liste-des-structures-labellisees-france-services/"


def _dataset(server: ReplayServer) -> Reply:
    resources = [
        {"format": "csv", "url": f"{server.url}/files/liste-fs-20220601.csv", "last_modified": "2022-06-01T08:00:00+00:00"},
        {"format": "csv", "url": f"{server.url}/files/liste-fs-20221201.csv", "last_modified": "2022-12-01T09:30:00+00:00"},
        {"format": "pdf", "url": f"{server.url}/files/notice.pdf", "last_modified": "2023-01-01T00:00:00+00:00"},
    ]
    return Reply(200, json.dumps({"id": "fs", "resources": resources}), {"Content-Type": "application/json"})


@pytest.fixture
def live(workspace: Workspace, replay_server: ReplayServer) -> Workspace:
    workspace.extra_env["DATAINCLUSION_FRANCE_SERVICES_DATASET_URL"] = f"{replay_server.url}{DATASET}"
    replay_server.add("GET", DATASET, _dataset(replay_server))
    return workspace


def _archives(ws: Workspace) -> list[Path]:
    return sorted(ws.data_dir.glob("raw/*/france-services/*/manifest.json"))


def test_live_download_of_the_latest_csv(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/files/liste-fs-20221201.csv", Reply(200, SAMPLE_CSV.read_bytes(), {"Content-Type": "text/csv"}))
    result = live.run("--live", "--source", "france-services")
    assert result.exit_code == 0, result.output
    assert [r.path for r in replay_server.received] == [DATASET, "/files/liste-fs-20221201.csv"]
    (manifest_path,) = _archives(live)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "ok" and manifest["record_count"] == 31
    assert [f["name"] for f in manifest["files"]] == ["liste-fs-20221201.csv"]
    assert (manifest_path.parent / "liste-fs-20221201.csv").read_bytes() == SAMPLE_CSV.read_bytes()
    assert record(live, "pub__structures", "france-services--1324")["date_maj"] == date(2022, 12, 1)


def _latin1_csv() -> bytes:
    header, first = SAMPLE_CSV.read_text(encoding="utf-8").split("\n")[:2]  # place 1, in Valserhône
    return f"{header}\n{first}\n".encode("latin-1")


def test_latin1_csv_without_declared_charset_fails_the_source(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/files/liste-fs-20221201.csv", Reply(200, SAMPLE_CSV.read_bytes(), {"Content-Type": "text/csv"}))
    assert live.run("--live", "--source", "france-services").exit_code == 0
    before = {p: p.read_bytes() for p in _archives(live)[0].parent.iterdir()}
    replay_server.routes.clear()
    replay_server.add("GET", DATASET, _dataset(replay_server))
    replay_server.add("GET", "/files/liste-fs-20221201.csv", Reply(200, _latin1_csv(), {"Content-Type": "text/csv"}))
    result = live.run("--live", "--source", "france-services")
    assert result.exit_code == 0, result.output
    assert "france-services: file liste-fs-20221201.csv, line 2: not UTF-8 text (byte 0xf4)" in result.output
    assert "using its last good archive" in result.output and "(stale)" in result.output
    assert all(p.read_bytes() == content for p, content in before.items()), "earlier archive untouched"
    assert live.query("select count(*) from pub__structures") == [(31,)]


def test_latin1_csv_with_declared_charset_is_decoded(live: Workspace, replay_server: ReplayServer):
    replay_server.add("GET", "/files/liste-fs-20221201.csv",
                      Reply(200, _latin1_csv(), {"Content-Type": "text/csv; charset=ISO-8859-1"}))
    result = live.run("--live", "--source", "france-services")
    assert result.exit_code == 0, result.output
    s = record(live, "pub__structures", "france-services--1")
    assert (s["nom"], s["commune"]) == ("France services de Valserhône", "Valserhône")
    manifest = json.loads(_archives(live)[0].read_text())
    assert manifest["files"][0]["media_type"] == "text/csv; charset=ISO-8859-1"


def test_dataset_without_csv_resource_is_reported(workspace: Workspace, replay_server: ReplayServer):
    workspace.extra_env["DATAINCLUSION_FRANCE_SERVICES_DATASET_URL"] = f"{replay_server.url}{DATASET}"
    replay_server.add("GET", DATASET, Reply(200, json.dumps({"resources": [{"format": "pdf", "url": "x"}]})))
    result = workspace.run("--live", "--source", "france-services")
    assert "lists no CSV resource" in result.output
    assert "no earlier good archive" in result.output
